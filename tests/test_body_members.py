"""A body's members on its page: added (new persons on the spot), confirmed, ended."""

from __future__ import annotations

from django.utils import timezone

from agreements.models import BodyMembership, Confirmation, Person
from tests.conftest import HTMX, body_url, make_body


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


def test_editor_adds_a_member_in_place(client, editor, body, mexico):
    person = Person.objects.create(team=body.meeting.team, name="Ramón de la Fuente", party=mexico)
    client.force_login(editor)
    response = client.post(
        body_url(body),
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
        body_url(body),
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
        body_url(body),
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
        body_url(body), {"_pick": "members-0-person", "find": "Sherwood"}, **HTMX
    ).content.decode()
    assert f'value="{new.pk}"' in picked


def test_a_new_member_named_like_a_known_person_gets_the_participants_warning(
    client, editor, body, mexico
):
    known = Person.objects.create(team=body.meeting.team, name="Ramón de la Fuente", party=mexico)
    client.force_login(editor)
    response = client.post(
        body_url(body),
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
        body_url(body),
        members({"new_person": "B. New", "party": us.pk}, {"new_person": "b. new"}),
        **HTMX,
    )
    assert twice.status_code == 422
    assert "This name is typed in another row already." in twice.content.decode()
    both = client.post(
        body_url(body), members({"person": known.pk, "new_person": "C. New"}), **HTMX
    )
    assert both.status_code == 422
    assert "Pick a person or type a new name, not both." in both.content.decode()
    nothing = client.post(body_url(body), members(), **HTMX)
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
        body_url(body),
        confirm(membership, "confirmed", version=1),
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.confirmation == Confirmation.CONFIRMED
    client.post(
        body_url(body), {"action": "end_membership", "membership": membership.pk, "version": 2}
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
        body_url(body),
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
        assert client.post(body_url(body), data).status_code == 403
    membership.refresh_from_db()
    assert membership.confirmation == Confirmation.UNCONFIRMED


def test_stale_confirmation_change_is_a_conflict_shown_in_place(client, editor, body, us):
    membership = BodyMembership.objects.create(body=body, party=us)
    membership.confirmation = Confirmation.REPORTED
    membership.save_versioned(expected=1, update_fields=["confirmation"])  # someone else
    client.force_login(editor)
    response = client.post(
        body_url(body),
        confirm(membership, "confirmed", version=1),
        **HTMX,
    )
    assert response.status_code == 409
    assert "Someone else changed" in response.content.decode()
    membership.refresh_from_db()
    assert membership.confirmation == Confirmation.REPORTED


def test_refused_members_keep_their_rows_in_place(client, editor, body):
    client.force_login(editor)
    response = client.post(body_url(body), members({"role": "Chair"}), **HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith('<section id="members"')
    assert '<details id="add-form-members" class="card add-form" open>' in html
    assert 'value="Chair"' in html
