"""A commitment's milestones given a new date on its page: every earlier date kept with who
moved it and why, the form drawn only when opened, refusals next to their field, conflicts."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements.models import Milestone, MilestoneStatus
from agreements.system_texts import shown
from tests.conftest import HTMX


def detail_url(commitment) -> str:
    return reverse("agreements:commitment_detail", args=[commitment.pk])


def reschedule(client, commitment, milestone, to_date, reason="Extended by 90 days", **extra):
    data = {
        "action": "reschedule_milestone",
        "milestone": milestone.pk,
        "version": milestone.version,
        "to_date": to_date,
        "reason": reason,
    }
    return client.post(detail_url(commitment), data, **extra)


def test_a_rescheduled_milestone_keeps_every_earlier_date_who_moved_it_and_why(
    client, editor, commitment
):
    """A 90-day suspension extended by another 90 days (fidelity 5)."""
    milestone = Milestone.objects.create(
        commitment=commitment, title="Tariff suspension ends", due_date=datetime.date(2025, 12, 2)
    )
    client.force_login(editor)
    response = reschedule(client, commitment, milestone, "2026-03-02", **HTMX)
    assert response.status_code == 200
    assert "“Tariff suspension ends” moved to 2 Mar 2026." in response.content.decode()
    milestone.refresh_from_db()
    response = reschedule(client, commitment, milestone, "2026-05-31", "Talks resumed late")
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.due_date, milestone.original_due_date) == (
        datetime.date(2026, 5, 31),
        datetime.date(2025, 12, 2),
    )
    moves = list(milestone.reschedules.values_list("from_date", "to_date", "reason", "by"))
    assert moves == [
        (datetime.date(2025, 12, 2), datetime.date(2026, 3, 2), "Extended by 90 days", editor.pk),
        (datetime.date(2026, 3, 2), datetime.date(2026, 5, 31), "Talks resumed late", editor.pk),
    ]
    page = client.get(detail_url(commitment)).content.decode()
    assert "due 31 May 2026" in page
    assert "First due 2 Dec 2025, moved 2 times:" in page
    assert "2 Dec 2025 → 2 Mar 2026, “Extended by 90 days”" in page
    history = milestone.history.first()
    assert (history.history_user, shown(history.history_change_reason)) == (
        editor,
        "Rescheduled: Talks resumed late",
    )


def test_overdue_counts_from_the_new_date(client, editor, commitment):
    today = timezone.localdate()
    milestone = Milestone.objects.create(
        commitment=commitment, title="Joint report", due_date=commitment.meeting.start_date
    )
    assert Milestone.objects.overdue(today).filter(pk=milestone.pk).exists()
    client.force_login(editor)
    reschedule(client, commitment, milestone, (today + datetime.timedelta(30)).isoformat())
    assert not Milestone.objects.overdue(today).filter(pk=milestone.pk).exists()
    assert "overdue" not in client.get(detail_url(commitment)).content.decode()


def test_a_missed_milestone_given_a_new_date_is_planned_again(client, editor, commitment):
    milestone = Milestone.objects.create(
        commitment=commitment,
        title="First meeting",
        due_date=commitment.meeting.start_date,
        status=MilestoneStatus.MISSED,
    )
    client.force_login(editor)
    reschedule(client, commitment, milestone, "2026-01-15", "Postponed by both sides")
    milestone.refresh_from_db()
    assert (milestone.status, milestone.due_date) == (
        MilestoneStatus.PLANNED,
        datetime.date(2026, 1, 15),
    )


@pytest.mark.parametrize(
    ("to_date", "reason", "field", "message"),
    [
        ("2026-03-02", "  ", "reason", "This field is required."),
        ("", "Extended", "to_date", "This field is required."),
        ("2025-08-01", "Extended", "to_date", "cannot fall due before the meeting"),
        ("2025-12-02", "Extended", "to_date", "That is the date it is due already."),
        ("9999-01-01", "Extended", "to_date", "less than or equal to 2100-12-31"),
    ],
)
def test_a_refused_new_date_is_said_next_to_its_field_with_what_was_typed(
    client, editor, commitment, to_date, reason, field, message
):
    milestone = Milestone.objects.create(
        commitment=commitment, title="Review", due_date=datetime.date(2025, 12, 2)
    )
    client.force_login(editor)
    response = reschedule(client, commitment, milestone, to_date, reason, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="milestone-checklist"')
    assert message in html
    assert f'id="reschedule-{milestone.pk}-{field}_error"' in html
    assert f'<details class="reschedule" id="reschedule-{milestone.pk}" open>' in html
    if reason.strip():
        assert f'value="{reason}"' in html  # what was typed stays
    milestone.refresh_from_db()
    assert milestone.due_date == datetime.date(2025, 12, 2)
    assert not milestone.reschedules.exists()


def test_a_new_date_form_is_drawn_only_when_opened(client, editor, commitment):
    milestone = Milestone.objects.create(
        commitment=commitment, title="Review", due_date=datetime.date(2025, 12, 2)
    )
    client.force_login(editor)
    page = client.get(detail_url(commitment)).content.decode()
    assert 'name="to_date"' not in page  # closed and empty: fetched when opened
    assert f'hx-get="{detail_url(commitment)}?reschedule={milestone.pk}"' in page
    assert (
        f'href="{detail_url(commitment)}?reschedule={milestone.pk}#reschedule-{milestone.pk}"'
        in page
    )
    # Opened with htmx: the form alone, posting in place.
    opened = client.get(detail_url(commitment), {"reschedule": milestone.pk}, **HTMX)
    html = opened.content.decode()
    assert html.lstrip().startswith("<form")
    assert 'name="to_date"' in html and 'hx-target="#milestone-checklist"' in html
    assert "<html" not in html
    # Without JavaScript, its link: the page with that form open.
    page = client.get(detail_url(commitment), {"reschedule": milestone.pk}).content.decode()
    assert f'<details class="reschedule" id="reschedule-{milestone.pk}" open>' in page
    assert 'name="to_date"' in page


def test_a_new_date_form_is_not_opened_for_a_reader_who_cannot_move_it(
    client, reviewer, commitment
):
    milestone = Milestone.objects.create(
        commitment=commitment, title="Review", due_date=datetime.date(2025, 12, 2)
    )
    client.force_login(reviewer)
    response = client.get(detail_url(commitment), {"reschedule": milestone.pk}, **HTMX)
    assert response.status_code == 200
    assert 'name="to_date"' not in response.content.decode()


def test_a_done_milestone_keeps_its_date(client, editor, commitment):
    milestone = Milestone.objects.create(
        commitment=commitment,
        title="Signed",
        due_date=commitment.meeting.start_date,
        status=MilestoneStatus.DONE,
        completed_on=commitment.meeting.start_date,
    )
    client.force_login(editor)
    response = reschedule(client, commitment, milestone, "2026-01-15", **HTMX)
    assert response.status_code == 409
    assert "only a planned or missed milestone gets a new date" in response.content.decode()
    assert 'class="reschedule"' not in client.get(detail_url(commitment)).content.decode()


def test_a_stale_reschedule_form_does_not_overwrite_a_newer_date(client, editor, commitment):
    milestone = Milestone.objects.create(
        commitment=commitment, title="Review", due_date=datetime.date(2025, 12, 2)
    )
    client.force_login(editor)
    opened = Milestone.objects.get(pk=milestone.pk)
    reschedule(client, commitment, milestone, "2026-01-15")
    response = reschedule(client, commitment, opened, "2026-02-15", **HTMX)
    assert response.status_code == 409
    milestone.refresh_from_db()
    assert milestone.due_date == datetime.date(2026, 1, 15)
    assert milestone.reschedules.count() == 1


def test_only_the_moves_of_milestones_that_moved_are_read(client, editor, commitment, queries):
    """A milestone that never moved has no moves to read (it keeps ``original_due_date`` from
    its first move on): the page reads moves only once one has moved, then shows them."""
    day = commitment.meeting.start_date + datetime.timedelta(days=30)
    milestones = [
        Milestone.objects.create(commitment=commitment, title=f"Step {n}", due_date=day)
        for n in range(3)
    ]
    client.force_login(editor)
    never_moved = queries.of(client, detail_url(commitment))
    assert (
        reschedule(client, commitment, milestones[0], day.replace(year=day.year + 1)).status_code
        == 302
    )
    assert queries.of(client, detail_url(commitment)) == never_moved + 1
    page = client.get(detail_url(commitment)).content.decode()
    assert page.count("moved once:") == 1
