"""The admin keeps the domain's rules: a status changes only with a reason and leaves its trace,
versions are checked, and the models' rules show as form errors."""

from __future__ import annotations

import datetime
import html

import pytest

from agreements import actions
from agreements import models as m
from tests.admin_forms import admin_url, page_form, page_form_of, post_page
from tests.conftest import make_body, make_commitment

SEPT_3 = datetime.date(2025, 9, 3)


# --- Commitment status: always with a trace ---------------------------------------------------


def test_status_change_in_the_admin_needs_a_reason(admin_client, commitment):
    response = post_page(admin_client, admin_url(m.Commitment, "change", commitment.pk), status="2")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["status_reason"] == [
        "Say why the status changes: it is kept in the history."
    ]
    commitment.refresh_from_db()
    assert commitment.status == 0
    assert not m.StatusChange.objects.exists()


@pytest.mark.parametrize("change", [{"is_stalled": "on"}, {"cancellation": "cancelled"}])
def test_flag_change_in_the_admin_needs_a_reason(admin_client, commitment, change):
    response = post_page(admin_client, admin_url(m.Commitment, "change", commitment.pk), **change)
    assert "status_reason" in response.context["adminform"].form.errors
    assert not m.StatusChange.objects.exists()


def test_status_change_in_the_admin_is_recorded_with_who_and_why(
    admin_client, admin_user, commitment
):
    response = post_page(
        admin_client,
        admin_url(m.Commitment, "change", commitment.pk),
        status="2",
        status_reason="Joint task force operating",
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.status == 2
    change = m.StatusChange.objects.get()
    assert (change.from_status, change.to_status) == (0, 2)
    assert (change.changed_by, change.changed_via) == (admin_user, "admin")
    assert change.reason == "Joint task force operating"
    assert commitment.history.first().history_via == "admin"


def test_an_admins_status_change_shows_as_an_override_on_the_timeline_and_dashboard(
    admin_client, commitment
):
    post_page(
        admin_client,
        admin_url(m.Commitment, "change", commitment.pk),
        status="2",
        status_reason="Corrected from the ministry's report",
    )
    assert m.StatusChange.objects.get().is_override
    timeline = admin_client.get(commitment.get_absolute_url()).content.decode()
    assert "Override</span> <strong>Status set by an admin</strong>" in timeline
    assert "Corrected from the ministry's report" in html.unescape(timeline)
    dashboard = admin_client.get("/")
    assert [c.is_override for c in dashboard.context["recent_changes"]] == [True]
    assert "Override</span>" in dashboard.content.decode()


def test_a_status_changed_by_an_approved_update_is_no_override(commitment, editor, reviewer):
    update = actions.submit_update(
        commitment=commitment, author=editor, narrative="Started", proposed_status=1
    )
    actions.approve_update(update=update, by=reviewer)
    assert not m.StatusChange.objects.get().is_override


def test_new_commitment_with_a_status_starts_not_started_then_changes(
    admin_client, admin_user, meeting
):
    url = admin_url(m.Commitment, "add")
    fields = {"meeting": str(meeting.pk), "title": "Curb fuel theft", "text": "…", "theme": "drugs"}
    response = post_page(admin_client, url, **fields, status="1")
    assert "status_reason" in response.context["adminform"].form.errors
    assert not m.Commitment.objects.filter(title="Curb fuel theft").exists()

    response = post_page(admin_client, url, **fields, status="1", status_reason="Under way")
    assert response.status_code == 302
    created = m.Commitment.objects.get(title="Curb fuel theft")
    change = created.status_changes.get()
    assert (change.from_status, change.to_status, created.status) == (0, 1, 1)
    assert change.changed_by == admin_user


def test_new_commitment_at_the_default_status_needs_no_reason(admin_client, meeting):
    url = admin_url(m.Commitment, "add")
    fields = {"meeting": str(meeting.pk), "title": "Curb fuel theft", "text": "…", "theme": "drugs"}
    assert post_page(admin_client, url, **fields).status_code == 302
    assert not m.StatusChange.objects.exists()


def test_editing_other_fields_writes_no_status_history(admin_client, commitment):
    response = post_page(
        admin_client, admin_url(m.Commitment, "change", commitment.pk), lead_agency="SRE"
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.lead_agency == "SRE"
    assert not m.StatusChange.objects.exists()


def test_superseding_a_commitment_in_the_admin(admin_client, meeting, commitment):
    successor = make_commitment(meeting)
    response = post_page(
        admin_client,
        admin_url(m.Commitment, "change", commitment.pk),
        cancellation="superseded",
        superseded_by=str(successor.pk),
        status_reason="Replaced by the security agreement",
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.cancellation, commitment.superseded_by) == ("superseded", successor)
    assert m.StatusChange.objects.get().to_cancellation == "superseded"


def test_commitment_page_shows_its_status_history(admin_client, admin_user, commitment):
    actions.change_commitment_status(
        commitment=commitment, status=1, reason="Seizures reported", by=admin_user, via="web"
    )
    page = admin_client.get(admin_url(m.Commitment, "change", commitment.pk)).content.decode()
    assert "Status history" in page
    assert "Seizures reported" in page


def test_admin_refuses_to_save_over_a_newer_version(admin_client, commitment):
    url = admin_url(m.Commitment, "change", commitment.pk)
    opened = page_form(admin_client, url)
    commitment.lead_agency = "Changed meanwhile by someone else"
    commitment.save_versioned(expected=commitment.version, update_fields=["lead_agency"])
    response = admin_client.post(url, opened | {"lead_agency": "Mine"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Someone else changed “{commitment.title}” since you opened this page" in html
    assert 'value="Mine"' in html  # what the admin typed is still in the form
    commitment.refresh_from_db()
    assert commitment.lead_agency == "Changed meanwhile by someone else"
    # Saving the form shown again applies the admin's value over the newer version.
    again = admin_client.post(url, page_form_of(response) | {"lead_agency": "Mine"})
    assert again.status_code == 302
    commitment.refresh_from_db()
    assert commitment.lead_agency == "Mine"


def test_admin_refuses_to_save_an_inline_row_over_a_newer_version(admin_client, commitment):
    milestone = m.Milestone.objects.create(
        commitment=commitment, title="First", due_date=commitment.meeting.start_date
    )
    url = admin_url(m.Commitment, "change", commitment.pk)
    opened = page_form(admin_client, url)
    milestone.owner = "SSPC"
    milestone.save_versioned(expected=milestone.version, update_fields=["owner"])
    response = admin_client.post(url, opened | {"milestones-0-owner": "SRE"})
    assert response.status_code == 200
    assert "Someone else changed “First” since you opened this page" in response.content.decode()
    milestone.refresh_from_db()
    assert milestone.owner == "SSPC"


def test_admin_save_bumps_the_version(admin_client, commitment):
    before = commitment.version
    post_page(admin_client, admin_url(m.Commitment, "change", commitment.pk), lead_agency="SRE")
    commitment.refresh_from_db()
    assert commitment.version == before + 1


# --- Model rules show as form errors ----------------------------------------------------------


def test_milestone_due_before_its_meeting_is_refused_in_the_admin(admin_client, commitment):
    fields = {"commitment": str(commitment.pk), "title": "Early", "due_date": "2025-08-01"}
    response = post_page(admin_client, admin_url(m.Milestone, "add"), **fields)
    assert response.context["adminform"].form.errors["due_date"] == [
        "A milestone cannot fall due before the meeting that agreed it (3 Sep 2025)."
    ]
    assert not m.Milestone.objects.exists()


def test_meeting_ending_before_it_starts_is_refused_in_the_admin(admin_client, meeting):
    response = post_page(
        admin_client, admin_url(m.Meeting, "change", meeting.pk), end_date="2025-09-01"
    )
    assert response.context["adminform"].form.errors["end_date"] == [
        "A meeting cannot end before it starts."
    ]
    meeting.refresh_from_db()
    assert meeting.end_date is None


def test_milestone_row_due_before_the_meeting_is_refused_on_the_commitment(
    admin_client, commitment
):
    url = admin_url(m.Commitment, "change", commitment.pk)
    response = post_page(
        admin_client,
        url,
        **{
            "milestones-TOTAL_FORMS": "1",
            "milestones-0-title": "Early",
            "milestones-0-due_date": "2025-08-01",
            "milestones-0-status": "planned",
        },
    )
    assert response.status_code == 200
    assert "A milestone cannot fall due before the meeting" in response.content.decode()
    assert not m.Milestone.objects.exists()


def test_the_admin_ticks_confirms_and_ends_through_the_actions(
    admin_client, admin_user, commitment, meeting, us
):
    milestone = m.Milestone.objects.create(
        commitment=commitment, title="First", due_date=commitment.meeting.start_date
    )
    url = admin_url(m.Milestone, "change", milestone.pk)
    assert post_page(admin_client, url, status="done", completed_on="2025-10-01").status_code == 302
    milestone.refresh_from_db()
    assert (milestone.status, str(milestone.completed_on)) == ("done", "2025-10-01")
    body = make_body(meeting)
    membership = m.BodyMembership.objects.create(body=body, party=us)
    url = admin_url(m.BodyMembership, "change", membership.pk)
    response = post_page(admin_client, url, confirmation="confirmed", end_date="2025-12-31")
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.confirmation, str(membership.end_date)) == ("confirmed", "2025-12-31")
    assert {h.history_user for h in membership.history.all()[:2]} == {admin_user}


def test_the_admin_adds_nothing_to_an_archived_commitment(admin_client, admin_user, commitment):
    actions.archive_record(record=commitment, by=admin_user, reason="Duplicate")
    fields = {"commitment": str(commitment.pk), "title": "Late", "due_date": "2025-10-01"}
    response = post_page(admin_client, admin_url(m.Milestone, "add"), **fields)
    assert response.status_code == 200
    assert "read-only until an admin restores it" in response.content.decode()
    assert 'value="Late"' in response.content.decode()  # what was typed is kept
    assert not m.Milestone.objects.exists()
