"""The meeting form's parties: picked (the commitment rows then offer roles for them alone),
or added on the spot when not in the tracker yet, with and without JavaScript."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import Meeting, Party
from agreements.system_texts import shown
from tests.conftest import HTMX, make_commitment, meeting_data

pytestmark = pytest.mark.django_db

NEW = "/meetings/new/"


def _edit(meeting) -> str:
    return reverse("agreements:meeting_edit", args=[meeting.pk])


@pytest.mark.perf
def test_commitment_rows_offer_roles_for_the_meetings_parties_only(
    client, editor, meeting, us, mexico, queries
):
    make_commitment(meeting, parties=[us])
    client.force_login(editor)

    def fill(n: int) -> None:
        start = Party.objects.count()
        for i in range(start, start + n):
            Party.objects.create(name=f"Organisation {i}", code=f"ORG{i}", kind="organisation")

    queries.stay_flat(client, fill, _edit(meeting))
    rows = client.get(_edit(meeting)).context["rows"]
    assert {f.label for f in rows.forms[0].party_role_fields()} == {"United States", "Mexico"}


@pytest.mark.perf
def test_the_edit_pages_parties_query_joins_one_many_valued_table_at_most(
    client, editor, meeting, commitment
):
    """Joining both a party's commitment roles and its meetings multiplies them (17.8 s at
    100,000 commitments on PostgreSQL for a meeting with the United States)."""

    client.force_login(editor)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("agreements:meeting_edit", args=[meeting.pk])).status_code == 200
    assert not [
        q["sql"]
        for q in captured.captured_queries
        if 'JOIN "agreements_commitmentparty"' in q["sql"]
        and 'JOIN "agreements_meeting_parties"' in q["sql"]
    ]


def test_choosing_parties_redraws_the_commitment_rows_with_their_roles(
    client, editor, team, us, mexico
):
    client.force_login(editor)
    data = meeting_data(team, us, mexico, [{"title": "Halt fentanyl"}], parties=[mexico.pk])
    response = client.post(NEW, data | {"refresh": "1"})
    assert response.status_code == 200
    assert [f.label for f in response.context["rows"].forms[0].party_role_fields()] == ["Mexico"]
    assert 'value="Halt fentanyl"' in response.content.decode()
    assert not Meeting.objects.exists()
    # With htmx, only each row's roles come back, swapped out of band: typed text is not touched.
    html = client.post(NEW, data | {"refresh": "1"}, **HTMX).content.decode()
    assert "<html" not in html and "Halt fentanyl" not in html
    assert 'id="roles-commitments-0" hx-swap-oob="true"' in html
    assert f'name="commitments-0-role_{mexico.pk}"' in html
    # An added commitment row offers the parties sent along with "Add commitment".
    html = client.get(NEW, {"row": 1, "parties": [us.pk]}, **HTMX).content.decode()
    assert f'name="commitments-1-role_{us.pk}"' in html
    assert f'name="commitments-1-role_{mexico.pk}"' not in html


# Parties added on the spot --------------------------------------------------------------------


def new_party(**fields) -> dict:
    return {f"new_party_{name}": value for name, value in fields.items()}


def test_a_party_not_in_the_tracker_is_added_and_made_one_of_the_meetings_parties(
    client, editor, team, us, mexico
):
    client.force_login(editor)
    data = meeting_data(team, us, mexico, [], parties=[us.pk]) | new_party(
        name="Canada", kind="state", code="can"
    )
    assert client.post(NEW, data).status_code == 302
    canada = Party.objects.get(name="Canada")
    assert canada.code == "CAN"  # a state's ISO code, uppercase
    assert set(Meeting.objects.get().parties.all()) == {us, canada}
    record = canada.history.get()
    assert record.history_user == editor
    assert "Border security talks" in shown(record.history_change_reason)


def test_a_party_added_alone_is_enough(client, editor, team, us, mexico):
    client.force_login(editor)
    data = meeting_data(team, us, mexico, [], parties=[]) | new_party(
        name="European Union", kind="organisation", code="EU"
    )
    assert client.post(NEW, data).status_code == 302
    assert [p.code for p in Meeting.objects.get().parties.all()] == ["EU"]
    response = client.post(NEW, meeting_data(team, us, mexico, [], parties=[]))
    assert response.context["form"].errors["parties"] == [
        "Pick at least one party, or add one below."
    ]


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ({"name": "mexico", "kind": "state", "code": "MEX"}, "new_party_name"),
        ({"name": "United Mexican States", "kind": "state", "code": "mx"}, "new_party_code"),
    ],
)
def test_a_party_already_in_the_tracker_is_refused_next_to_the_field(
    client, editor, team, us, mexico, typed, field
):
    client.force_login(editor)
    data = meeting_data(team, us, mexico, []) | new_party(**typed)
    response = client.post(NEW, data)
    assert response.status_code == 422
    assert response.context["form"].errors[field] == [
        "Mexico is already in the tracker (MX): pick it above."
    ]
    html = response.content.decode()
    assert f'value="{typed["name"]}"' in html  # what was typed is kept
    assert Party.objects.count() == 2 and not Meeting.objects.exists()


def test_a_party_that_looks_like_one_in_the_tracker_needs_a_confirmation(
    client, editor, team, us, mexico
):
    client.force_login(editor)
    data = meeting_data(team, us, mexico, []) | new_party(
        name="Mexico City government", kind="organisation", code="CDMX"
    )
    response = client.post(NEW, data)
    assert response.status_code == 422
    error = response.context["form"].errors["new_party_name"][0]
    assert "Mexico (MX)" in error and "Add it anyway" in error
    assert 'name="new_party_anyway"' in response.content.decode()
    assert client.post(NEW, data | {"new_party_anyway": "on"}).status_code == 302
    assert Party.objects.filter(code="CDMX").exists()


def test_a_states_code_must_be_an_iso_code(client, editor, team, us, mexico):
    client.force_login(editor)
    data = meeting_data(team, us, mexico, []) | new_party(name="Canada", kind="state", code="CAN1")
    response = client.post(NEW, data)
    assert response.status_code == 422
    assert "ISO 3166" in response.context["form"].errors["new_party_code"][0]
    assert not Party.objects.filter(name="Canada").exists()


def test_a_party_added_meanwhile_by_someone_else_is_said_next_to_the_field(
    client, editor, team, us, mexico, monkeypatch
):
    """The form saw no Canada; someone adds it before the save: refused, nothing saved."""
    from agreements.forms.meetings import MeetingForm

    client.force_login(editor)
    data = meeting_data(team, us, mexico, []) | new_party(name="Canada", kind="state", code="CA")
    original = MeetingForm._new_party

    def racing(self, cleaned):
        party = original(self, cleaned)
        Party.objects.create(name="Canada", code="CAN")
        return party

    monkeypatch.setattr(MeetingForm, "_new_party", racing)
    response = client.post(NEW, data)
    assert response.status_code == 409
    assert response.context["form"].errors["new_party_name"] == [
        "Canada is already in the tracker (CAN): pick it above."
    ]
    assert not Meeting.objects.exists()


def test_a_reviewer_records_nothing(client, reviewer, team, meeting, us, mexico):
    client.force_login(reviewer)
    assert (
        client.post(
            NEW,
            meeting_data(
                team,
                us,
                mexico,
                [],
                new_party_name="EU",
                new_party_code="EU",
                new_party_kind="organisation",
            ),
        ).status_code
        == 403
    )
    assert (
        client.post("/bodies/", {"body-meeting": meeting.pk, "body-name": "G"}).status_code == 403
    )
    assert client.get("/bodies/", {"_pick": "body-meeting", "find": "M"}, **HTMX).status_code == 200


# A new party used at once by the rows (issue #26, point 1) ------------------------------------


def test_a_new_party_acts_for_a_participant_and_holds_a_role_in_the_same_save(
    client, editor, team, us, mexico
):
    """No JavaScript: the rows name the party typed above ("new"), and one save records the
    party, the meeting, the participant acting for it and its role in the commitment."""
    client.force_login(editor)
    rows = [
        {"title": "Joint patrols", "theme": "drugs", "role_new": "joint", f"role_{us.pk}": "joint"}
    ]
    people = [{"new_person": "Mark Carney", "office": "Prime Minister", "party": "new"}]
    data = meeting_data(team, us, mexico, rows, participants=people, parties=[us.pk]) | new_party(
        name="Canada", kind="state", code="CAN"
    )
    response = client.post(NEW, data)
    assert response.status_code == 302, response.context["form"].errors
    canada = Party.objects.get(code="CAN")
    meeting = Meeting.objects.get()
    assert set(meeting.parties.all()) == {us, canada}
    participant = meeting.participants.select_related("person", "party").get()
    assert (participant.person.name, participant.party, participant.role) == (
        "Mark Carney",
        canada,
        "not_stated",  # the role left as it came: reports rarely say it
    )
    assert participant.person.party == canada
    commitment = meeting.commitments.get()
    assert {(r.party.code, r.role) for r in commitment.party_roles.select_related("party")} == {
        ("CAN", "joint"),
        ("US", "joint"),
    }
    assert commitment.text == ""  # the title says it all


def test_rows_naming_a_new_party_that_is_not_typed_are_refused_and_nothing_is_saved(
    client, editor, team, us, mexico
):
    client.force_login(editor)
    rows = [{"title": "Joint patrols", "theme": "drugs", "role_new": "joint"}]
    people = [{"new_person": "Mark Carney", "office": "Prime Minister", "party": "new"}]
    response = client.post(NEW, meeting_data(team, us, mexico, rows, participants=people))
    assert response.status_code == 422
    assert "role_new" in response.context["rows"].forms[0].errors
    assert "party" in response.context["participants"].forms[0].errors
    assert not Meeting.objects.exists() and not Party.objects.filter(code="new").exists()


def test_a_refused_new_party_saves_nothing_of_the_rows_naming_it(client, editor, team, us, mexico):
    client.force_login(editor)
    people = [{"new_person": "Somebody", "office": "Minister", "party": "new"}]
    data = meeting_data(team, us, mexico, [], participants=people) | new_party(
        name="Canada",
        kind="state",
        code="",  # no short code: refused next to it
    )
    response = client.post(NEW, data)
    assert response.status_code == 422
    assert "new_party_code" in response.context["form"].errors
    assert 'value="new" selected' in response.content.decode()  # the row's choice is kept
    assert not Meeting.objects.exists()


def test_the_rows_name_the_new_party_once_typed_and_rows_added_in_place_offer_it(
    client, editor, team, us, mexico
):
    client.force_login(editor)
    data = meeting_data(team, us, mexico, [{"title": "Joint patrols"}]) | new_party(
        name="Canada", code="CAN"
    )
    html = client.post(NEW, data | {"refresh": "1"}, **HTMX).content.decode()
    assert "Canada (added above)" in html  # the commitment row's role for it, out of band
    html = client.get(NEW, {"row": 1, "new_party_name": "Canada"}, **HTMX).content.decode()
    assert 'name="commitments-1-role_new"' in html and "Canada (added above)" in html
    html = client.get(NEW, {"participant_row": 1, "new_party_name": "Canada"}, **HTMX)
    assert '<option value="new">Canada (added above)</option>' in html.content.decode()


# The parties' picker (issue #26, point 9) ---------------------------------------------------


def test_the_parties_picker_is_ticked_boxes_that_a_search_adds_to(
    client, editor, meeting, us, mexico
):
    """A plain click on a box ticks it without dropping the others (a multiple select drops
    them); the search answers boxes, the ticked ones first and kept ticked."""
    canada = Party.objects.create(name="Canada", code="CAN")
    client.force_login(editor)
    page = client.get(_edit(meeting)).content.decode()
    assert '<select name="parties"' not in page
    for party in (us, mexico):
        assert (
            f'<input type="checkbox" name="parties" value="{party.pk}" '
            f'id="id_parties_{party.pk}" checked>' in page
        )
    assert '<legend class="required">Parties' in page
    found = client.get(
        _edit(meeting), {"_pick": "parties", "find": "Can", "parties": [us.pk]}, **HTMX
    ).content.decode()
    assert f'value="{us.pk}" id="id_parties_{us.pk}" checked> United States' in found
    assert f'value="{canada.pk}" id="id_parties_{canada.pk}"> Canada' in found
    assert "Mexico" not in found
    data = meeting_data(meeting.team, us, mexico, [], parties=[us.pk, canada.pk]) | {
        "version": meeting.version
    }
    assert client.post(_edit(meeting), data).status_code == 302
    assert set(meeting.parties.all()) == {us, canada}
