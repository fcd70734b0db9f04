"""Milestones on a meeting's page: its commitments' milestones added there, and the meeting's
own (issue #26, point 4), added, ticked and moved in place by its editors only."""

from __future__ import annotations

import datetime

from agreements.models import Milestone
from tests.conftest import HTMX


def test_milestone_before_the_meeting_is_refused_in_place(client, editor, meeting, commitment):
    client.force_login(editor)
    response = client.post(
        meeting.get_absolute_url(),
        {
            "action": "add_milestone",
            "milestone-commitment": commitment.pk,
            "milestone-title": "Too early",
            "milestone-due_date": "2025-08-01",
        },
        **HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "A milestone cannot fall due before the meeting that agreed it" in html
    assert 'value="Too early"' in html
    assert not Milestone.objects.exists()


def test_editor_adds_a_milestone(client, editor, meeting, commitment):
    client.force_login(editor)
    response = client.post(
        meeting.get_absolute_url(),
        {
            "action": "add_milestone",
            "milestone-commitment": commitment.pk,
            "milestone-title": "First report",
            "milestone-due_date": "2025-12-01",
        },
    )
    assert response.status_code == 302
    assert Milestone.objects.get().commitment == commitment


# Milestones of the meeting itself (issue #26, point 4) ------------------------------------


def test_editor_adds_a_milestone_of_the_meeting_itself_in_place(client, editor, meeting):
    """No commitment chosen: the milestone is the meeting's own (there need be no commitment
    at all), listed under the meeting's commitments."""
    client.force_login(editor)
    opened = client.get(meeting.get_absolute_url(), {"add": "milestone"}, **HTMX).content.decode()
    assert "The meeting itself" in opened
    response = client.post(
        meeting.get_absolute_url(),
        {
            "action": "add_milestone",
            "milestone-commitment": "",
            "milestone-title": "Agreement enters into force",
            "milestone-due_date": "2025-12-01",
        },
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="commitments"')
    assert "Milestones of the meeting itself" in html and "Agreement enters into force" in html
    milestone = Milestone.objects.get()
    assert (milestone.meeting, milestone.commitment, milestone.body) == (meeting, None, None)


def test_a_meetings_own_milestone_is_ticked_and_moved_on_its_page(client, editor, meeting):
    milestone = Milestone.objects.create(
        meeting=meeting, title="Review conference", due_date=meeting.start_date
    )
    client.force_login(editor)
    response = client.post(
        meeting.get_absolute_url(),
        {"action": "toggle_milestone", "milestone": milestone.pk, "version": milestone.version},
        **HTMX,
    )
    assert response.status_code == 200 and "“Review conference” done." in response.content.decode()
    milestone.refresh_from_db()
    assert milestone.status == "done"
    client.post(
        meeting.get_absolute_url(),
        {"action": "toggle_milestone", "milestone": milestone.pk, "version": milestone.version},
    )
    milestone.refresh_from_db()
    response = client.post(
        meeting.get_absolute_url(),
        {
            "action": "reschedule_milestone",
            "milestone": milestone.pk,
            "version": milestone.version,
            "to_date": "2026-03-01",
            "reason": "Postponed by the hosts",
            "name": "Rescheduled conference",
        },
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Rescheduled conference" in html and "Postponed by the hosts" in html
    milestone.refresh_from_db()
    assert milestone.due_date == datetime.date(2026, 3, 1)


def test_a_commitments_milestone_is_not_ticked_through_the_meeting_page(
    client, editor, meeting, commitment
):
    """The meeting's page ticks the meeting's own milestones only (its commitments' on their
    own page): another record's milestone is not found."""
    milestone = Milestone.objects.create(
        commitment=commitment, title="First report", due_date=meeting.start_date
    )
    client.force_login(editor)
    response = client.post(
        meeting.get_absolute_url(),
        {"action": "toggle_milestone", "milestone": milestone.pk, "version": milestone.version},
    )
    assert response.status_code == 404
    milestone.refresh_from_db()
    assert milestone.status == "planned"


def test_only_the_meetings_editors_add_its_own_milestones(client, reviewer, outsider, meeting):
    data = {
        "action": "add_milestone",
        "milestone-title": "In force",
        "milestone-due_date": "2025-12-01",
    }
    client.force_login(reviewer)
    assert client.post(meeting.get_absolute_url(), data).status_code == 403
    assert (
        'value="add_milestone"'
        not in client.get(meeting.get_absolute_url(), {"add": "milestone"}).content.decode()
    )
    client.force_login(outsider)
    assert client.post(meeting.get_absolute_url(), data).status_code == 404
    assert not Milestone.objects.exists()
