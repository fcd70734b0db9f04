from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements.models import BodyMembership, Confirmation, ImplementationBody, Milestone, Person
from tests.conftest import HTMX, make_body, make_commitment, make_meeting


@pytest.fixture
def body(meeting, commitment):
    body = make_body(
        meeting,
        name="High-level implementation group",
        mandate="Monitor and coordinate agreed activities",
        cadence="Meets regularly",
    )
    body.commitments.add(commitment)
    return body


def detail_url(body) -> str:
    return reverse("agreements:body_detail", args=[body.pk])


def members(*rows: dict, total: int = 3) -> dict:
    """The POST body of the "add members" rows: each of ``rows`` a row's fields, the rest of
    the ``total`` rows left blank, as the page sends them."""
    data = {
        "action": "add_member",
        "members-TOTAL_FORMS": str(max(total, len(rows))),
        "members-INITIAL_FORMS": "0",
    }
    for i in range(max(total, len(rows))):
        row = {"confirmation": "unconfirmed"} | (rows[i] if i < len(rows) else {})
        data |= {f"members-{i}-{name}": value for name, value in row.items()}
    return data


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
    assert f'<a href="{detail_url(tagged)}">' in html and f'<a href="{detail_url(quiet)}">' in html
    assert re.search(r"<td>1 confirmed of 1</td>\s*<td>2</td>\s*<td>67%</td>", html)
    assert html.count("not scheduled") == 1 and html.count("none published") == 1
    spanish = client.get(reverse("agreements:body_list"), headers={"accept-language": "es"})
    assert "1 confirmado de 1" in spanish.text and "ninguno publicado" in spanish.text


def test_body_without_members_says_so_plainly(client, reviewer, body):
    client.force_login(reviewer)
    page = client.get(detail_url(body)).content.decode()
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
    response = client.get(detail_url(body))
    assert response.context["next_meeting"].title == "Second group meeting"
    assert body.commitments.get().title in response.content.decode()


def test_editor_adds_a_member_in_place(client, editor, body, mexico):
    person = Person.objects.create(team=body.meeting.team, name="Ramón de la Fuente", party=mexico)
    client.force_login(editor)
    response = client.post(
        detail_url(body),
        members(
            {
                "person": person.pk,
                "party": mexico.pk,
                "role": "Foreign affairs",
                "confirmation": "reported",
            }
        ),
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "Ramón de la Fuente" in html
    assert "Added: Ramón de la Fuente on High-level implementation group." in html
    membership = body.members.get()
    assert (membership.person, membership.confirmation) == (person, Confirmation.REPORTED)


def test_member_with_nobody_named_is_refused_next_to_the_form(client, editor, body):
    client.force_login(editor)
    response = client.post(
        detail_url(body),
        members({"role": "Chair", "confirmation": "reported"}),
        **HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "A member is a person or a party: name at least one." in html
    assert 'value="Chair"' in html  # what was typed is kept
    assert not body.members.exists()


# Members: new persons on the spot, several in one submit (issue #26, point 5) ---------------


def test_several_members_new_persons_among_them_are_added_in_one_submit(
    client, editor, body, us, mexico
):
    known = Person.objects.create(team=body.meeting.team, name="Ramón de la Fuente", party=mexico)
    client.force_login(editor)
    response = client.post(
        detail_url(body),
        members(
            {"person": known.pk, "party": mexico.pk, "role": "Co-chair"},
            {"new_person": "  Elizabeth Sherwood-Randall ", "party": us.pk, "role": "Co-chair"},
            {"party": us.pk, "role": "Secretariat"},
            {},  # a blank row is skipped
            total=4,
        ),
        **HTMX,
    )
    assert response.status_code == 200, response.content.decode()[:500]
    html = response.content.decode()
    assert "Elizabeth Sherwood-Randall" in html and "Ramón de la Fuente" in html
    seated = list(body.members.order_by("pk"))
    assert [(m.person and m.person.name, m.party, m.role) for m in seated] == [
        ("Ramón de la Fuente", mexico, "Co-chair"),
        ("Elizabeth Sherwood-Randall", us, "Co-chair"),
        (None, us, "Secretariat"),
    ]
    new = seated[1].person
    assert (new.team, new.party) == (body.meeting.team, us)  # the body's team, their party
    # The new person is one of the team's persons, offered by the member picker from now on.
    picked = client.get(
        detail_url(body), {"_pick": "members-0-person", "find": "Sherwood"}, **HTMX
    ).content.decode()
    assert f'value="{new.pk}"' in picked


def test_a_new_member_named_like_a_known_person_gets_the_participants_warning(
    client, editor, body, mexico
):
    known = Person.objects.create(team=body.meeting.team, name="Ramón de la Fuente", party=mexico)
    client.force_login(editor)
    response = client.post(
        detail_url(body),
        members(
            {"party": mexico.pk, "role": "Observer"},
            {"new_person": "ramón de la fuente", "party": mexico.pk},
        ),
        **HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    # The meeting form's words, and the known person offered in that row's picker.
    assert "Ramón de la Fuente is already in the tracker: pick them in the list above" in html
    assert f'<option value="{known.pk}">Ramón de la Fuente</option>' in html
    assert 'value="Observer"' in html  # the other rows are kept as typed
    assert not body.members.exists()  # all or none
    assert Person.objects.filter(name__iexact="ramón de la fuente").count() == 1


def test_one_new_name_in_two_rows_or_a_pick_and_a_name_in_one_are_refused(client, editor, body, us):
    known = Person.objects.create(team=body.meeting.team, name="A. Known")
    client.force_login(editor)
    twice = client.post(
        detail_url(body),
        members({"new_person": "B. New", "party": us.pk}, {"new_person": "b. new"}),
        **HTMX,
    )
    assert twice.status_code == 422
    assert "This name is typed in another row already." in twice.content.decode()
    both = client.post(
        detail_url(body), members({"person": known.pk, "new_person": "C. New"}), **HTMX
    )
    assert both.status_code == 422
    assert "Pick a person or type a new name, not both." in both.content.decode()
    nothing = client.post(detail_url(body), members(), **HTMX)
    assert nothing.status_code == 422
    assert "Pick a person, type a new one, or pick a party." in nothing.content.decode()
    assert not body.members.exists()
    assert not Person.objects.filter(name__icontains="new").exists()


def confirm(membership, confirmation: str, *, version: int) -> dict:
    """The POST body of a member row's "set_confirmation" action."""
    return {
        "action": "set_confirmation",
        "membership": membership.pk,
        "version": version,
        "confirmation": confirmation,
    }


def test_editor_confirms_and_ends_a_membership(client, editor, body, us):
    membership = BodyMembership.objects.create(body=body, party=us)
    client.force_login(editor)
    response = client.post(
        detail_url(body),
        confirm(membership, "confirmed", version=1),
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.confirmation == Confirmation.CONFIRMED
    client.post(
        detail_url(body), {"action": "end_membership", "membership": membership.pk, "version": 2}
    )
    membership.refresh_from_db()
    assert membership.end_date == timezone.localdate()
    assert BodyMembership.objects.filter(pk=membership.pk).exists()  # ended, never deleted


def test_membership_of_another_body_cannot_be_changed_through_this_one(
    client, editor, body, meeting, us
):
    elsewhere = BodyMembership.objects.create(body=make_body(meeting), party=us)
    client.force_login(editor)
    response = client.post(
        detail_url(body),
        {
            "action": "set_confirmation",
            "membership": elsewhere.pk,
            "version": 1,
            "confirmation": "confirmed",
        },
    )
    assert response.status_code == 404


def test_reviewer_cannot_change_members(client, reviewer, body, us):
    membership = BodyMembership.objects.create(body=body, party=us)
    client.force_login(reviewer)
    for data in (
        members({"party": us.pk, "confirmation": "confirmed"}),
        confirm(membership, "confirmed", version=1),
        {"action": "end_membership", "membership": membership.pk, "version": 1},
    ):
        assert client.post(detail_url(body), data).status_code == 403
    membership.refresh_from_db()
    assert membership.confirmation == Confirmation.UNCONFIRMED


def test_outsider_cannot_see_a_body(client, outsider, body):
    client.force_login(outsider)
    assert client.get(detail_url(body)).status_code == 404
    assert client.post(detail_url(body), {"action": "add_member"}).status_code == 404
    assert body.name not in client.get(reverse("agreements:body_list")).content.decode()


# The body's own milestones, added on its page (issue #26, point 4) -------------------------


def milestone(title: str, due: str) -> dict:
    return {"action": "add_milestone", "milestone-title": title, "milestone-due_date": due}


def test_editor_opens_the_milestone_form_in_place_or_by_its_link(client, editor, body):
    client.force_login(editor)
    page = client.get(detail_url(body)).content.decode()
    # Closed and empty on the page: fetched when opened, or by its link without JavaScript.
    assert f'hx-get="{detail_url(body)}?add=milestone"' in page
    assert 'href="?add=milestone#add-form-milestone"' in page
    fragment = client.get(detail_url(body), {"add": "milestone"}, **HTMX).content.decode()
    assert "<html" not in fragment and 'value="add_milestone"' in fragment
    whole = client.get(detail_url(body), {"add": "milestone"}).content.decode()
    assert "<html" in whole and 'value="add_milestone"' in whole


def test_editor_adds_a_milestone_of_the_body_in_place(client, editor, body):
    client.force_login(editor)
    response = client.post(
        detail_url(body),
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
    client.post(detail_url(body), milestone("Second session", soon.isoformat()))
    assert f"Second session, {soon:%-d %B %Y}" in client.get(detail_url(body)).content.decode()


def test_a_body_milestone_before_its_meeting_is_refused_with_what_was_typed(client, editor, body):
    client.force_login(editor)
    response = client.post(detail_url(body), milestone("Too early", "2025-08-01"), **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "A milestone cannot fall due before the meeting that agreed it" in html
    assert 'value="Too early"' in html
    # Without JavaScript: the whole page, the form open with its errors.
    whole = client.post(detail_url(body), milestone("Too early", "2025-08-01"))
    assert whole.status_code == 422 and "<html" in whole.content.decode()
    assert not Milestone.objects.exists()


def test_editor_ticks_and_moves_a_body_milestone_on_its_page(client, editor, body):
    session = Milestone.objects.create(
        body=body, title="First session", due_date=body.meeting.start_date
    )
    client.force_login(editor)
    response = client.post(
        detail_url(body),
        {"action": "toggle_milestone", "milestone": session.pk, "version": session.version},
        **HTMX,
    )
    assert response.status_code == 200 and "“First session” done." in response.content.decode()
    second = Milestone.objects.create(
        body=body, title="Second session", due_date=datetime.date(2025, 11, 1)
    )
    response = client.post(
        detail_url(body),
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
    assert (
        client.post(detail_url(body), milestone("First session", "2025-10-15")).status_code == 403
    )
    assert (
        'value="add_milestone"'
        not in client.get(detail_url(body), {"add": "milestone"}).content.decode()
    )
    client.force_login(outsider)
    assert (
        client.post(detail_url(body), milestone("First session", "2025-10-15")).status_code == 404
    )
    assert client.get(detail_url(body), {"add": "milestone"}).status_code == 404
    assert not Milestone.objects.exists()


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
    assert queries.of(client, detail_url(small)) == queries.of(client, detail_url(large))


def test_stale_confirmation_change_is_a_conflict_shown_in_place(client, editor, body, us):
    membership = BodyMembership.objects.create(body=body, party=us)
    membership.confirmation = Confirmation.REPORTED
    membership.save_versioned(expected=1, update_fields=["confirmation"])  # someone else
    client.force_login(editor)
    response = client.post(
        detail_url(body),
        confirm(membership, "confirmed", version=1),
        **HTMX,
    )
    assert response.status_code == 409
    assert "Someone else changed" in response.content.decode()
    membership.refresh_from_db()
    assert membership.confirmation == Confirmation.REPORTED


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
    page = client.get(detail_url(body)).content.decode()
    assert 'name="members-TOTAL_FORMS"' not in page and 'name="body-mandate"' not in page
    for kind in ("edit", "members"):
        assert f'hx-get="{detail_url(body)}?add={kind}"' in page
        assert f'href="?add={kind}#add-form-{kind}"' in page
    members = client.get(detail_url(body), {"add": "members"}, **HTMX).content.decode()
    assert members.lstrip().startswith("<form") and "<html" not in members
    assert 'name="members-TOTAL_FORMS"' in members and 'hx-target="#members"' in members
    edit = client.get(detail_url(body), {"add": "edit"}, **HTMX).content.decode()
    assert 'value="High-level implementation group"' in edit
    assert 'hx-target="#body-facts"' in edit
    page = client.get(detail_url(body), {"add": "members"}).content.decode()  # no JavaScript
    assert '<details id="add-form-members" class="card add-form" open>' in page
    assert 'name="members-TOTAL_FORMS"' in page


def test_a_reader_who_cannot_edit_the_body_opens_no_form(client, reviewer, body):
    client.force_login(reviewer)
    html = client.get(detail_url(body), {"add": "edit"}, **HTMX).content.decode()
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
        detail_url(body), edited(body, name="Joint group", commitments=[commitment.pk]), **HTMX
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
    response = client.post(detail_url(body), data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith('<div id="body-facts">')
    assert '<details id="add-form-edit" class="card add-form" open>' in html
    assert "This field is required." in html and "Typed, then refused" in html
    page = client.post(detail_url(body), data)  # without JavaScript: the page, the form open
    assert page.status_code == 422
    assert "Typed, then refused" in page.content.decode()
    body.refresh_from_db()
    assert body.name == "High-level implementation group"


def test_refused_members_keep_their_rows_in_place(client, editor, body):
    client.force_login(editor)
    response = client.post(detail_url(body), members({"role": "Chair"}), **HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith('<section id="members"')
    assert '<details id="add-form-members" class="card add-form" open>' in html
    assert 'value="Chair"' in html
