"""The meeting form's participants (person, office held then, party, role; a person picked or
created on the spot), with and without JavaScript. Its parties: test_meeting_parties.py."""

from __future__ import annotations

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import Meeting, Participant, Person, TeamMembership, TeamRole
from tests.conftest import HTMX, make_meeting, make_party, make_user, meeting_data

pytestmark = pytest.mark.django_db

NEW = "/meetings/new/"


def _edit(meeting) -> str:
    return reverse("agreements:meeting_edit", args=[meeting.pk])


def edit_data(meeting, us, mexico, participants: list[Participant], **changes) -> dict:
    """The edit form's POST body with the meeting's participants as stored, then ``changes``."""
    data = meeting_data(meeting.team, us, mexico, [], version=meeting.version)
    data |= {
        "participants-TOTAL_FORMS": str(len(participants)),
        "participants-INITIAL_FORMS": str(len(participants)),
    }
    for i, p in enumerate(participants):
        data |= {
            f"participants-{i}-id": p.pk,
            f"participants-{i}-person": p.person_id,
            f"participants-{i}-office": p.office,
            f"participants-{i}-party": p.party_id,
            f"participants-{i}-role": p.role,
        }
    return data | changes


@pytest.fixture
def rubio(team, us) -> Person:
    return Person.objects.create(
        team=team, name="Marco Rubio", party=us, current_office="Secretary of State"
    )


# Participants ---------------------------------------------------------------------------------


def test_a_meeting_is_recorded_with_a_picked_person_and_one_created_on_the_spot(
    client, editor, team, us, mexico, rubio
):
    client.force_login(editor)
    people = [
        {"person": rubio.pk, "office": "Secretary of State", "party": us.pk, "role": "delegate"},
        {
            "new_person": "Claudia Sheinbaum",
            "office": "President of Mexico",
            "party": mexico.pk,
            "role": "host",
        },
    ]
    response = client.post(NEW, meeting_data(team, us, mexico, [], participants=people))
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    seen = {
        (p.person.name, p.office, p.party.code, p.role)
        for p in meeting.participants.select_related("person", "party")
    }
    assert seen == {
        ("Marco Rubio", "Secretary of State", "US", "delegate"),
        ("Claudia Sheinbaum", "President of Mexico", "MX", "host"),
    }
    sheinbaum = Person.objects.get(name="Claudia Sheinbaum")
    assert (sheinbaum.team, sheinbaum.party, sheinbaum.current_office) == (
        team,
        mexico,
        "President of Mexico",
    )
    assert sheinbaum.history.get().history_user == editor  # traceable, as every write


def test_a_picked_persons_office_and_party_fill_what_the_row_leaves_empty(
    client, editor, team, us, mexico, rubio
):
    client.force_login(editor)
    people = [{"person": rubio.pk, "role": "delegate"}]
    assert (
        client.post(NEW, meeting_data(team, us, mexico, [], participants=people)).status_code == 302
    )
    participant = Participant.objects.get()
    assert (participant.office, participant.party) == ("Secretary of State", us)


def test_a_row_without_office_party_or_person_says_so_next_to_each_field_and_keeps_input(
    client, editor, team, us, mexico
):
    client.force_login(editor)
    people = [{"new_person": "Rosa Icela Rodríguez", "role": "delegate"}, {"role": "host"}]
    response = client.post(NEW, meeting_data(team, us, mexico, [], participants=people))
    assert response.status_code == 422
    rows = response.context["participants"].forms
    assert rows[0].errors == {
        "office": ["Give the office they held at the meeting."],
        "party": ["Pick the party they acted for."],
    }
    assert rows[1].errors["person"] == ["Pick a person, or type a new person's name below."]
    html = response.content.decode()
    assert 'value="Rosa Icela Rodríguez"' in html
    assert 'id="id_participants-0-office_error"' in html
    assert not Meeting.objects.exists() and not Person.objects.exists()


def test_a_person_listed_twice_is_refused_on_the_second_row(
    client, editor, team, us, mexico, rubio
):
    client.force_login(editor)
    row = {"person": rubio.pk, "office": "Secretary of State", "party": us.pk, "role": "delegate"}
    response = client.post(NEW, meeting_data(team, us, mexico, [], participants=[row, row]))
    assert response.status_code == 422
    rows = response.context["participants"].forms
    assert rows[0].errors == {}
    assert rows[1].errors["person"] == ["Marco Rubio is listed twice: keep one row."]
    assert not Meeting.objects.exists()


def test_a_new_name_already_in_the_team_is_refused_and_offered_to_pick(
    client, editor, team, us, mexico, rubio
):
    client.force_login(editor)
    row = {"new_person": "marco rubio", "office": "Secretary", "party": us.pk, "role": "delegate"}
    response = client.post(NEW, meeting_data(team, us, mexico, [], participants=[row]))
    assert response.status_code == 422
    assert (
        "Marco Rubio is already in the tracker"
        in response.context["participants"].forms[0].errors["new_person"][0]
    )
    assert f'<option value="{rubio.pk}">Marco Rubio</option>' in response.content.decode()
    assert Person.objects.count() == 1


def test_another_teams_person_is_an_invalid_choice_and_never_shown(
    client, editor, team, other_team, us, mexico
):
    """Which officials a desk follows is its business (security 6)."""
    theirs = Person.objects.create(team=other_team, name="Marco Rubio", party=us)
    client.force_login(editor)
    row = {"person": theirs.pk, "office": "Secretary of State", "party": us.pk, "role": "delegate"}
    response = client.post(NEW, meeting_data(team, us, mexico, [], participants=[row]))
    assert response.status_code == 422
    assert "Select a valid choice" in response.context["participants"].forms[0].errors["person"][0]
    assert "Marco Rubio" not in response.content.decode()
    found = client.get(
        NEW, {"_pick": "participants-0-person", "find": "rubio", "team": team.pk}, **HTMX
    )
    assert f'value="{theirs.pk}"' not in found.content.decode()
    # Nor does naming the other team in the search reach its persons.
    found = client.get(
        NEW, {"_pick": "participants-0-person", "find": "rubio", "team": other_team.pk}, **HTMX
    )
    assert f'value="{theirs.pk}"' not in found.content.decode()
    assert not Participant.objects.exists()


def test_the_form_serves_its_person_and_party_pickers_for_any_row(
    client, editor, meeting, team, us, rubio
):
    Person.objects.create(team=team, name="Juan de la Fuente", party=us)
    eu = make_party("EU", name="European Union", kind="organisation")
    client.force_login(editor)
    for url in (NEW, _edit(meeting)):
        page = client.get(url).content.decode()
        assert "Juan de la Fuente" not in page  # no select of every person
        found = client.get(url, {"_pick": "participants-7-person", "find": "rubio"}, **HTMX)
        html = found.content.decode()
        assert f'value="{rubio.pk}"' in html and "Fuente" not in html
        found = client.get(url, {"_pick": "participants-7-party", "find": "europ"}, **HTMX)
        assert f'value="{eu.pk}"' in found.content.decode()
        found = client.get(url, {"_pick": "parties", "find": "EU"}, **HTMX)
        assert f'value="{eu.pk}"' in found.content.decode()


def test_add_participant_fragment_returns_the_next_row_and_updates_the_count(client, editor):
    client.force_login(editor)
    html = client.get(NEW, {"participant_row": 2}, **HTMX).content.decode()
    assert "<html" not in html
    assert 'name="participants-2-new_person"' in html
    assert 'id="id_participants-TOTAL_FORMS" hx-swap-oob="true"' in html and 'value="3"' in html
    assert "?participant_row=3" in html
    assert "New participant 3" in html
    assert client.get(NEW, {"participant_row": "x"}, **HTMX).status_code == 400


def test_add_participant_without_javascript_keeps_everything_typed(
    client, editor, team, us, mexico
):
    client.force_login(editor)
    row = {"new_person": "Claudia Sheinbaum", "office": "President", "role": "host"}
    data = meeting_data(team, us, mexico, [], participants=[row]) | {"add_participant": "1"}
    response = client.post(NEW, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="participants-1-new_person"' in html and 'value="Claudia Sheinbaum"' in html
    assert "errorlist" not in html
    assert not Meeting.objects.exists()


def test_editing_changes_a_participant_and_removes_another(
    client, editor, meeting, us, mexico, rubio
):
    fuente = Person.objects.create(team=meeting.team, name="Juan de la Fuente", party=mexico)
    kept = Participant.objects.create(
        meeting=meeting, person=rubio, party=us, office="Secretary of State", role="delegate"
    )
    gone = Participant.objects.create(
        meeting=meeting, person=fuente, party=mexico, office="Foreign Minister", role="delegate"
    )
    client.force_login(editor)
    page = client.get(_edit(meeting)).content.decode()
    assert "Participant: Marco Rubio" in page and "Remove from the meeting" in page
    data = edit_data(
        meeting,
        us,
        mexico,
        [kept, gone],
        **{"participants-0-role": "head_of_delegation", "participants-1-DELETE": "on"},
    )
    assert client.post(_edit(meeting), data).status_code == 302
    assert list(meeting.participants.values_list("person__name", "role")) == [
        ("Marco Rubio", "head_of_delegation")
    ]
    removal = Participant.history.filter(id=gone.pk).latest("history_date")
    assert (removal.history_type, removal.history_user) == ("-", editor)


def test_a_person_removed_from_one_row_may_be_added_in_another(
    client, editor, meeting, us, mexico, rubio
):
    was = Participant.objects.create(
        meeting=meeting, person=rubio, party=us, office="Senator", role="observer"
    )
    client.force_login(editor)
    data = edit_data(meeting, us, mexico, [was], **{"participants-0-DELETE": "on"})
    data |= {
        "participants-TOTAL_FORMS": "2",
        "participants-1-person": rubio.pk,
        "participants-1-office": "Secretary of State",
        "participants-1-party": us.pk,
        "participants-1-role": "delegate",
    }
    assert client.post(_edit(meeting), data).status_code == 302
    assert list(meeting.participants.values_list("office", flat=True)) == ["Secretary of State"]


def test_two_participants_swapping_roles_rows_is_saved(
    client, editor, team, meeting, us, mexico, rubio
):
    other = Person.objects.create(team=team, name="Other", party=mexico, current_office="x")
    a = Participant.objects.create(
        meeting=meeting, person=rubio, party=us, office="SecState", role="delegate"
    )
    b = Participant.objects.create(
        meeting=meeting, person=other, party=mexico, office="x", role="host"
    )
    data = meeting_data(team, us, mexico, [], version=meeting.version) | {
        "participants-TOTAL_FORMS": "2",
        "participants-INITIAL_FORMS": "2",
        "participants-0-id": a.pk,
        "participants-0-person": other.pk,
        "participants-0-office": "x",
        "participants-0-party": mexico.pk,
        "participants-0-role": "host",
        "participants-1-id": b.pk,
        "participants-1-person": rubio.pk,
        "participants-1-office": "SecState",
        "participants-1-party": us.pk,
        "participants-1-role": "delegate",
    }
    client.force_login(editor)
    response = client.post(reverse("agreements:meeting_edit", args=[meeting.pk]), data)
    assert response.status_code == 302  # found: refused as "already a participant"
    seen = {(p.person.name, p.role) for p in Participant.objects.filter(meeting=meeting)}
    assert seen == {("Other", "host"), ("Marco Rubio", "delegate")}


def test_a_post_without_participant_rows_leaves_the_participants_alone(
    client, editor, meeting, us, mexico, rubio
):
    Participant.objects.create(
        meeting=meeting, person=rubio, party=us, office="Secretary of State", role="delegate"
    )
    client.force_login(editor)
    data = meeting_data(meeting.team, us, mexico, [], version=meeting.version)
    del data["participants-TOTAL_FORMS"], data["participants-INITIAL_FORMS"]
    assert client.post(_edit(meeting), data).status_code == 302
    assert meeting.participants.count() == 1


def test_another_meetings_participant_is_not_a_row_of_this_one(
    client, editor, meeting, team, us, mexico, rubio
):
    elsewhere = Participant.objects.create(
        meeting=make_meeting(team), person=rubio, party=us, office="Senator", role="observer"
    )
    client.force_login(editor)
    data = edit_data(meeting, us, mexico, [elsewhere], **{"participants-0-role": "host"})
    response = client.post(_edit(meeting), data)
    assert response.status_code == 422
    assert "This row is not one of this meeting's participants." in html.unescape(response.text)
    # Ticked "remove", it removes nothing: it is no row of this meeting.
    client.post(_edit(meeting), data | {"participants-0-DELETE": "on"})
    elsewhere.refresh_from_db()
    assert elsewhere.role == "observer"


@pytest.mark.perf
def test_the_edit_form_costs_the_same_queries_with_5_or_50_participants(
    client, editor, meeting, us, queries
):
    def fill(n: int) -> None:
        start = Person.objects.count()
        for i in range(n):
            person = Person.objects.create(team=meeting.team, name=f"Delegate {start + i}")
            Participant.objects.create(
                meeting=meeting, person=person, party=us, office="Adviser", role="delegate"
            )

    client.force_login(editor)
    queries.stay_flat(client, fill, _edit(meeting))


def test_an_editor_of_two_teams_is_offered_the_persons_of_the_team_chosen_on_the_form(
    client, team, other_team, us, mexico
):
    from agreements.models import TeamMembership, TeamRole

    from .conftest import make_user

    both = make_user("both", team=team, role=TeamRole.EDITOR)
    TeamMembership.objects.create(user=both, team=other_team, role=TeamRole.EDITOR)
    ours = Person.objects.create(team=team, name="Marco Rubio", party=us)
    theirs = Person.objects.create(team=other_team, name="Marco Rubio", party=us)
    client.force_login(both)

    def found(team_id) -> str:
        query = {"_pick": "participants-0-person", "find": "rubio", "team": team_id}
        return client.get(NEW, query, **HTMX).content.decode()

    assert f'value="{ours.pk}"' in found(team.pk) and f'value="{theirs.pk}"' not in found(team.pk)
    assert f'value="{theirs.pk}"' in found(other_team.pk)
    row = {"person": theirs.pk, "office": "Secretary of State", "party": us.pk, "role": "delegate"}
    response = client.post(NEW, meeting_data(team, us, mexico, [], participants=[row]))
    assert response.status_code == 422  # a person of the other team is no choice for this one
    assert not Meeting.objects.exists()


def test_a_refusal_of_the_save_about_a_row_is_said_above_the_form_not_a_500(
    client, editor, team, us, mexico, rubio, monkeypatch
):
    """Rows may be stale (someone added the person meanwhile): the action's refusal, keyed
    by a row's field, is shown with everything typed kept."""
    from django.core.exceptions import ValidationError

    from agreements import actions

    def refuse(**kwargs):
        raise ValidationError({"person": "Marco Rubio is already a participant of this meeting."})

    monkeypatch.setattr(actions, "save_meeting", refuse)
    client.force_login(editor)
    row = {"person": rubio.pk, "office": "Secretary of State", "party": us.pk, "role": "delegate"}
    response = client.post(NEW, meeting_data(team, us, mexico, [], participants=[row]))
    assert response.status_code == 409
    html = response.content.decode()
    assert "Marco Rubio is already a participant of this meeting." in html
    assert 'value="Border security talks"' in html


@pytest.mark.perf
def test_saving_a_meeting_costs_the_same_queries_with_many_participants(
    client, editor, team, us, mexico, meeting
):
    """Each row's person, party and id are fetched for all the rows at once, and a row sent
    back as stored is not checked against the database again; a changed row still is."""

    def post(changed: int) -> int:
        meeting.refresh_from_db()
        stored = list(meeting.participants.order_by("pk"))
        data = edit_data(meeting, us, mexico, stored)
        for i in range(changed):
            data[f"participants-{i}-office"] = f"Acting minister {meeting.version}"
        with CaptureQueriesContext(connection) as captured:
            assert client.post(_edit(meeting), data).status_code == 302
        return len(captured)

    def attend(n: int) -> None:
        for _ in range(n):
            number = meeting.participants.count()
            person = Person.objects.create(team=team, name=f"Delegate {number}", party=us)
            Participant.objects.create(
                meeting=meeting, person=person, party=us, office="Minister", role="delegate"
            )

    client.force_login(editor)
    attend(2)
    few = post(changed=0)
    attend(18)
    assert post(changed=0) == few
    assert Participant.objects.filter(office__startswith="Acting").count() == 0
    post(changed=3)  # and the changes are saved
    assert Participant.objects.filter(office__startswith="Acting").count() == 3


def test_moving_a_meeting_to_another_team_does_not_keep_the_old_teams_persons(
    client, team, other_team, us, mexico
):

    both = make_user("both", team=team)
    TeamMembership.objects.create(user=both, team=other_team, role=TeamRole.EDITOR)
    meeting = make_meeting(team)
    meeting.parties.set([us, mexico])
    rubio = Person.objects.create(
        team=team, name="Marco Rubio", party=us, current_office="SecState"
    )
    Participant.objects.create(
        meeting=meeting, person=rubio, party=us, office="SecState", role="delegate"
    )
    client.force_login(both)
    data = meeting_data(team, us, mexico, [], version=meeting.version) | {
        "team": other_team.pk,
    }
    # A form opened before participants were on it: the rows stay as they are.
    del data["participants-TOTAL_FORMS"], data["participants-INITIAL_FORMS"]
    response = client.post(reverse("agreements:meeting_edit", args=[meeting.pk]), data)
    assert response.status_code == 422  # found: it moved, naming another team's person
    assert response.context["form"].errors["team"][0].startswith("Its participants, speakers")
    meeting.refresh_from_db()
    assert meeting.team == team


@pytest.mark.parametrize(
    "change",
    [
        {"participants-TOTAL_FORMS": "100000"},
        {"participants-TOTAL_FORMS": "100000", "add_participant": "1"},
        {"participants-INITIAL_FORMS": "100000"},
        {"participants-INITIAL_FORMS": "-1"},
        {"participants-INITIAL_FORMS": "5", "participants-TOTAL_FORMS": "2"},
        {"participants-0-id": "99999999999999999999"},
        {"participants-0-id": "\x00"},
        {"participants-0-person": "9223372036854775808"},
        {"participants-0-new_person": "A\x00B"},
        {"new_party_name": "X\x00", "new_party_code": "XX"},
        {"new_party_name": "Xland", "new_party_code": "X\x00"},
        {"new_party_name": "Xland", "new_party_code": "XL", "new_party_kind": "\x00"},
        {
            "participants-1-id": "SAME",
            "participants-TOTAL_FORMS": "2",
            "participants-1-DELETE": "on",
        },
        {
            "participants-1-id": "SAME",
            "participants-TOTAL_FORMS": "2",
            "participants-1-person": "OTHER",
        },
    ],
)
def test_tampered_participant_rows_are_never_a_500(
    client, editor, team, meeting, us, mexico, rubio, change
):
    other = Person.objects.create(team=team, name="Other", party=mexico, current_office="x")
    p = Participant.objects.create(
        meeting=meeting, person=rubio, party=us, office="SecState", role="delegate"
    )
    data = meeting_data(team, us, mexico, [], version=meeting.version) | {
        "participants-TOTAL_FORMS": "1",
        "participants-INITIAL_FORMS": "1",
        "participants-0-id": p.pk,
        "participants-0-person": rubio.pk,
        "participants-0-office": "SecState",
        "participants-0-party": us.pk,
        "participants-0-role": "delegate",
        "participants-1-office": "SecState",
        "participants-1-party": us.pk,
        "participants-1-role": "delegate",
        "participants-1-person": rubio.pk,
    }
    change = {k: {"SAME": p.pk, "OTHER": other.pk}.get(v, v) for k, v in change.items()}
    client.force_login(editor)
    response = client.post(reverse("agreements:meeting_edit", args=[meeting.pk]), data | change)
    print(
        change,
        response.status_code,
        list(Participant.objects.values_list("person__name", flat=True)),
    )
    assert response.status_code < 500


def test_a_participants_role_may_be_not_stated_and_is_so_by_default(
    client, editor, team, us, mexico, rubio
):
    """Issue #26, point 2: reports rarely say a participant's role; staff do not guess."""
    client.force_login(editor)
    form = client.get(NEW).content.decode()
    assert '<option value="not_stated" selected>Not stated</option>' in form
    people = [{"person": rubio.pk, "office": "Secretary of State", "party": us.pk}]
    response = client.post(NEW, meeting_data(team, us, mexico, [], participants=people))
    assert response.status_code == 302
    participant = Participant.objects.get()
    assert participant.role == "not_stated"
    page = client.get(participant.meeting.get_absolute_url()).content.decode()
    assert "role not stated" in page
