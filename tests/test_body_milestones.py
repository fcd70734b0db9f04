"""A body's own milestones, added, ticked and moved on its page (issue #26, point 4)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from agreements.models import Milestone
from tests.conftest import HTMX, body_url


def milestone(title: str, due: str) -> dict:
    return {"action": "add_milestone", "milestone-title": title, "milestone-due_date": due}


def test_editor_opens_the_milestone_form_in_place_or_by_its_link(client, editor, body):
    client.force_login(editor)
    page = client.get(body_url(body)).content.decode()
    # Closed and empty on the page: fetched when opened, or by its link without JavaScript.
    assert f'hx-get="{body_url(body)}?add=milestone"' in page
    assert 'href="?add=milestone#add-form-milestone"' in page
    fragment = client.get(body_url(body), {"add": "milestone"}, **HTMX).content.decode()
    assert "<html" not in fragment and 'value="add_milestone"' in fragment
    whole = client.get(body_url(body), {"add": "milestone"}).content.decode()
    assert "<html" in whole and 'value="add_milestone"' in whole


def test_editor_adds_a_milestone_of_the_body_in_place(client, editor, body):
    client.force_login(editor)
    response = client.post(
        body_url(body),
        milestone("First session", "2025-10-15") | {"milestone-owner": "SRE"},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="milestones"')
    assert "Milestone added." in html and "First session" in html
    added = Milestone.objects.get()
    assert (added.body, added.meeting, added.commitment, added.owner) == (body, None, None, "SRE")
    # A later one, still to come, is the next meeting the page names.
    soon = timezone.localdate() + datetime.timedelta(days=30)
    client.post(body_url(body), milestone("Second session", soon.isoformat()))
    assert f"Second session, {soon:%-d %B %Y}" in client.get(body_url(body)).content.decode()


def test_a_body_milestone_before_its_meeting_is_refused_with_what_was_typed(client, editor, body):
    client.force_login(editor)
    response = client.post(body_url(body), milestone("Too early", "2025-08-01"), **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "A milestone cannot fall due before the meeting that agreed it" in html
    assert 'value="Too early"' in html
    # Without JavaScript: the whole page, the form open with its errors.
    whole = client.post(body_url(body), milestone("Too early", "2025-08-01"))
    assert whole.status_code == 422 and "<html" in whole.content.decode()
    assert not Milestone.objects.exists()


def test_editor_ticks_and_moves_a_body_milestone_on_its_page(client, editor, body):
    session = Milestone.objects.create(
        body=body, title="First session", due_date=body.meeting.start_date
    )
    client.force_login(editor)
    response = client.post(
        body_url(body),
        {"action": "toggle_milestone", "milestone": session.pk, "version": session.version},
        **HTMX,
    )
    assert response.status_code == 200 and "“First session” done." in response.content.decode()
    second = Milestone.objects.create(
        body=body, title="Second session", due_date=datetime.date(2025, 11, 1)
    )
    response = client.post(
        body_url(body),
        {
            "action": "reschedule_milestone",
            "milestone": second.pk,
            "version": second.version,
            "to_date": "2025-12-01",
            "reason": "Hosts changed",
        },
        **HTMX,
    )
    assert response.status_code == 200 and "Hosts changed" in response.content.decode()
    second.refresh_from_db()
    assert second.due_date == datetime.date(2025, 12, 1)


def test_only_the_bodys_editors_add_its_milestones(client, reviewer, outsider, body):
    client.force_login(reviewer)
    assert client.post(body_url(body), milestone("First session", "2025-10-15")).status_code == 403
    assert (
        'value="add_milestone"'
        not in client.get(body_url(body), {"add": "milestone"}).content.decode()
    )
    client.force_login(outsider)
    assert client.post(body_url(body), milestone("First session", "2025-10-15")).status_code == 404
    assert client.get(body_url(body), {"add": "milestone"}).status_code == 404
    assert not Milestone.objects.exists()
