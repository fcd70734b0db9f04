"""The bodies pages: the list, a body's page, recording and editing a body."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements.models import BodyMembership, Confirmation, ImplementationBody, Milestone
from tests.conftest import HTMX, body_url, make_body, make_commitment, make_meeting


def test_body_list_shows_lifecycle_members_and_index(client, editor, body, us):
    BodyMembership.objects.create(body=body, party=us, confirmation=Confirmation.CONFIRMED)
    BodyMembership.objects.create(body=body, party=us, confirmation=Confirmation.REPORTED)
    client.force_login(editor)
    page = client.get(reverse("agreements:body_list")).content.decode()
    assert "High-level implementation group" in page
    assert "Announced" in page
    assert "1 confirmed of 2" in page
    assert "0%" in page  # its one commitment is not started


def test_body_list_index_is_not_skewed_by_members(client, editor, body, meeting, us):
    body.commitments.add(make_commitment(meeting, status=3))
    for _ in range(3):
        BodyMembership.objects.create(body=body, party=us)
    client.force_login(editor)
    bodies = client.get(reverse("agreements:body_list")).context["page"].object_list
    assert bodies[0].index == pytest.approx(50.0)  # (0 + 3) / 2 ÷ 3


def test_a_body_row_escapes_its_texts_and_reads_in_the_readers_language(
    client, editor, meeting, us
):
    """The rows are a Jinja2 template (agreements/jinja2.py): escaped as Django's are, with
    the body's link, figures and next meeting, labels in the reader's language."""
    tagged = make_body(meeting, name="Group <b>bold</b>", cadence="<i>monthly</i>")
    tagged.commitments.add(make_commitment(meeting, status=3), make_commitment(meeting, status=1))
    BodyMembership.objects.create(body=tagged, party=us, confirmation=Confirmation.CONFIRMED)
    Milestone.objects.create(
        body=tagged, title="First sitting", due_date=timezone.localdate() + datetime.timedelta(3)
    )
    quiet = make_body(meeting, name="Quiet group")
    client.force_login(editor)
    html = client.get(reverse("agreements:body_list")).content.decode()
    assert "<b>" not in html and "Group &lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;i&gt;monthly&lt;/i&gt;" in html
    assert f'<a href="{body_url(tagged)}">' in html and f'<a href="{body_url(quiet)}">' in html
    assert re.search(r"<td>1 confirmed of 1</td>\s*<td>2</td>\s*<td>67%</td>", html)
    assert html.count("not scheduled") == 1 and html.count("none published") == 1
    spanish = client.get(reverse("agreements:body_list"), headers={"accept-language": "es"})
    assert "1 confirmado de 1" in spanish.text and "ninguno publicado" in spanish.text


def test_body_without_members_says_so_plainly(client, reviewer, body):
    client.force_login(reviewer)
    page = client.get(body_url(body)).content.decode()
    assert "No members published" in page
    assert "Monitor and coordinate agreed activities" in page
    assert "Add members" not in page  # reviewers read only


def test_body_detail_shows_next_meeting_and_overseen_commitments(client, editor, body):
    today = timezone.localdate()
    body.meeting.start_date = today - datetime.timedelta(days=30)
    body.meeting.save(update_fields=["start_date"])
    Milestone.objects.create(
        body=body, title="Second group meeting", due_date=today + datetime.timedelta(14)
    )
    client.force_login(editor)
    response = client.get(body_url(body))
    assert response.context["next_meeting"].title == "Second group meeting"
    assert body.commitments.get().title in response.content.decode()


def test_outsider_cannot_see_a_body(client, outsider, body):
    client.force_login(outsider)
    assert client.get(body_url(body)).status_code == 404
    assert client.post(body_url(body), {"action": "add_member"}).status_code == 404
    assert body.name not in client.get(reverse("agreements:body_list")).content.decode()


@pytest.mark.perf
def test_body_pages_query_counts_do_not_grow(client, editor, team, us, queries):
    meeting = make_meeting(team)

    def body_with(n: int):
        """A body overseeing n commitments, with n members and n meetings."""
        body = make_body(meeting)
        body.commitments.add(*[make_commitment(meeting, parties=[us]) for _ in range(n)])
        for _ in range(n):
            BodyMembership.objects.create(body=body, party=us)
            Milestone.objects.create(body=body, title="m", due_date=meeting.start_date)
        return body

    client.force_login(editor)
    small = body_with(5)
    list_small = queries.of(client, reverse("agreements:body_list"))
    large = body_with(50)
    for _ in range(45):
        body_with(1)
    assert queries.of(client, reverse("agreements:body_list")) == list_small
    assert queries.of(client, body_url(small)) == queries.of(client, body_url(large))


def test_body_list_is_paginated(client, editor, meeting):
    for i in range(30):
        make_body(meeting, name=f"Group {i:02d}")
    client.force_login(editor)
    response = client.get(reverse("agreements:body_list"), {"page": 2}, **HTMX)
    assert [b.name for b in response.context["page"].object_list] == [
        f"Group {i:02d}" for i in range(25, 30)
    ]
    assert response.content.decode().lstrip().startswith('<div id="body-table"')


# Recording a body from the bodies page (issue #10, point 2) ----------------------------------


def test_an_editor_records_a_body_from_the_bodies_page(client, editor, meeting, commitment):
    client.force_login(editor)
    page = client.get(reverse("agreements:body_list")).content.decode()
    assert "Record a body" in page
    response = client.post(
        reverse("agreements:body_list"),
        {
            "body-meeting": meeting.pk,
            "body-name": "High-level implementation group",
            "body-mandate": "Follow up the three priorities",
            "body-cadence": "Quarterly",
            "body-lifecycle": "announced",
            "body-membership_note": "Members not published",
        },
    )
    body = ImplementationBody.objects.get(name="High-level implementation group")
    assert response.status_code == 302
    assert response.headers["Location"] == body.get_absolute_url()
    assert (body.meeting, body.membership_note) == (meeting, "Members not published")
    assert body.history.get().history_user == editor
    # On its page, the editor then opens its form and ticks what it oversees (the meeting's
    # commitments).
    page = client.get(body.get_absolute_url() + "?add=edit").content.decode()
    assert commitment.title in page


def test_the_bodies_page_fetches_its_form_when_opened(client, editor, reviewer, meeting):
    """The list draws the form closed and empty; opening it fetches the form alone (htmx),
    or without JavaScript its link opens the page with the form open."""
    client.force_login(editor)
    url = reverse("agreements:body_list")
    page = client.get(url).text
    assert "Record a body" in page and 'name="body-name"' not in page
    assert 'hx-get="/bodies/?add=body"' in page and 'href="?add=body#record-body"' in page
    fragment = client.get(url, {"add": "body"}, **HTMX).text
    assert 'name="body-name"' in fragment and "<html" not in fragment
    assert meeting.title in fragment or 'name="body-meeting"' in fragment
    opened = client.get(url, {"add": "body"}).text
    assert 'name="body-name"' in opened and "<html" in opened
    client.force_login(reviewer)  # who records nothing opens nothing
    assert 'name="body-name"' not in client.get(url, {"add": "body"}, **HTMX).text


def test_a_body_recorded_from_the_list_keeps_what_was_typed_on_an_error(client, editor, meeting):
    make_body(meeting, name="Working group")
    client.force_login(editor)
    response = client.post(
        reverse("agreements:body_list"),
        {"body-meeting": meeting.pk, "body-name": "Working group", "body-mandate": "Typed"},
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors["name"] == ["This meeting has a body of this name already."]
    assert form["mandate"].value() == "Typed"
    assert ImplementationBody.objects.count() == 1


def test_a_body_is_recorded_only_at_a_meeting_the_user_edits(
    client, editor, reviewer, other_team, meeting
):
    elsewhere = make_meeting(other_team, title="Another desk's talks")
    client.force_login(editor)
    response = client.post(
        reverse("agreements:body_list"),
        {"body-meeting": elsewhere.pk, "body-name": "Group", "body-lifecycle": "announced"},
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.context["form"].errors["meeting"][0]
    # Its title is never offered in the meeting picker either.
    picked = client.get(
        reverse("agreements:body_list"), {"_pick": "body-meeting", "find": "talks"}, **HTMX
    ).content.decode()
    assert "Another desk" not in picked
    assert ImplementationBody.objects.count() == 0
    # A reviewer, who edits nothing, has no form and cannot post one.
    client.force_login(reviewer)
    assert "Record a body" not in client.get(reverse("agreements:body_list")).content.decode()
    assert client.post(reverse("agreements:body_list"), {"body-name": "X"}).status_code == 403


def test_the_body_pages_forms_are_drawn_only_when_opened(client, editor, body):
    client.force_login(editor)
    page = client.get(body_url(body)).content.decode()
    assert 'name="members-TOTAL_FORMS"' not in page and 'name="body-mandate"' not in page
    for kind in ("edit", "members"):
        assert f'hx-get="{body_url(body)}?add={kind}"' in page
        assert f'href="?add={kind}#add-form-{kind}"' in page
    members = client.get(body_url(body), {"add": "members"}, **HTMX).content.decode()
    assert members.lstrip().startswith("<form") and "<html" not in members
    assert 'name="members-TOTAL_FORMS"' in members and 'hx-target="#members"' in members
    edit = client.get(body_url(body), {"add": "edit"}, **HTMX).content.decode()
    assert 'value="High-level implementation group"' in edit
    assert 'hx-target="#body-facts"' in edit
    page = client.get(body_url(body), {"add": "members"}).content.decode()  # no JavaScript
    assert '<details id="add-form-members" class="card add-form" open>' in page
    assert 'name="members-TOTAL_FORMS"' in page


def test_a_reader_who_cannot_edit_the_body_opens_no_form(client, reviewer, body):
    client.force_login(reviewer)
    html = client.get(body_url(body), {"add": "edit"}, **HTMX).content.decode()
    assert 'name="body-mandate"' not in html


def edited(body, **changes) -> dict:
    fields = {
        "name": body.name,
        "mandate": body.mandate,
        "cadence": body.cadence,
        "lifecycle": body.lifecycle,
        "membership_note": "",
        "version": body.version,
    }
    return {"action": "edit_body"} | {f"body-{k}": v for k, v in (fields | changes).items()}


def test_a_body_edited_in_place_answers_with_its_facts_and_what_it_oversees(
    client, editor, body, commitment
):
    client.force_login(editor)
    response = client.post(
        body_url(body), edited(body, name="Joint group", commitments=[commitment.pk]), **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="body-facts">')
    assert "<h1>Joint group</h1>" in html and "“Joint group” saved." in html
    assert (
        '<section id="overseen" aria-labelledby="commitments-heading" hx-swap-oob="true">' in html
    )
    assert commitment.title in html
    assert 'name="body-mandate"' not in html  # the form closed again


def test_a_refused_body_edit_keeps_what_was_typed_next_to_its_fields(client, editor, body):
    client.force_login(editor)
    data = edited(body, name="", mandate="Typed, then refused")
    response = client.post(body_url(body), data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith('<div id="body-facts">')
    assert '<details id="add-form-edit" class="card add-form" open>' in html
    assert "This field is required." in html and "Typed, then refused" in html
    page = client.post(body_url(body), data)  # without JavaScript: the page, the form open
    assert page.status_code == 422
    assert "Typed, then refused" in page.content.decode()
    body.refresh_from_db()
    assert body.name == "High-level implementation group"
