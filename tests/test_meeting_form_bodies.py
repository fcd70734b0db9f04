"""The meeting form's bodies and statements (issue #26, point 15): a body set up at the meeting
and the statements made there, recorded in the form's one save with the meeting, its new
party and its commitments; refused together, with what was typed kept next to the errors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import ImplementationBody, Meeting, Party, Person, Statement
from tests.conftest import HTMX, make_body, make_user, meeting_data

NEW = "/meetings/new/"
ROWS = [
    {"title": "Halt fentanyl", "text": "Disrupt shipments", "theme": "drugs"},
    {"title": "Stop guns", "text": "Stop firearms moving south", "theme": "arms"},
]


def with_rows(data: dict, prefix: str, rows: list[dict]) -> dict:
    data = dict(data)
    data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
    data[f"{prefix}-INITIAL_FORMS"] = "0"
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


def full_data(team, us, mexico, bodies=(), statements=(), **meeting) -> dict:
    data = meeting_data(team, us, mexico, ROWS, **meeting)
    return with_rows(with_rows(data, "bodies", list(bodies)), "statements", list(statements))


def sent_back(page) -> dict:
    """What the edit page's meeting, commitment and participant fields send, as opened."""
    data = {}
    forms = [page.context["form"]]
    for rows in (page.context["rows"], page.context["participants"]):
        forms += [rows.management_form, *rows.forms]
    for form in forms:
        for field in form:
            if (value := field.value()) not in (None, "", []):
                data[field.html_name] = value
    return data


JOINT = {
    "kind": "readout",
    "said_on": "2025-09-04",
    "text": "Both sides will disrupt fentanyl flows.",
}


def test_one_save_records_the_meeting_its_body_and_its_joint_statement(
    client, editor, team, us, mexico
):
    client.force_login(editor)
    body = {"name": "Security Implementation Group", "mandate": "Meet monthly"}
    statement = JOINT | {"parties": [us.pk, mexico.pk]}
    data = full_data(team, us, mexico, [body | {"oversees_all": "on"}], [statement])
    response = client.post(NEW, data)
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    group = meeting.bodies.get()
    assert (group.name, group.mandate) == ("Security Implementation Group", "Meet monthly")
    assert sorted(group.commitments.values_list("title", flat=True)) == [
        "Halt fentanyl",
        "Stop guns",
    ]
    said = meeting.statements.get()
    assert (said.kind, str(said.said_on), said.text) == (
        "readout",
        "2025-09-04",
        "Both sides will disrupt fentanyl flows.",
    )
    assert {p.code for p in said.signatories()} == {"US", "MX"}
    # A joint readout counts as each party's own: neither is shown without one.
    page = client.get(meeting.get_absolute_url())
    columns = {party.code: statements for party, statements in page.context["readouts"].columns}
    assert columns == {"US": [said], "MX": [said]}
    assert "No readout recorded." not in page.content.decode()


def test_a_body_oversees_none_unless_ticked_and_empty_rows_are_left_out(
    client, editor, team, us, mexico
):
    client.force_login(editor)
    data = full_data(team, us, mexico, [{"name": "Working group"}, {}], [{}])
    assert client.post(NEW, data).status_code == 302
    body = ImplementationBody.objects.get()
    assert body.commitments.count() == 0
    assert Statement.objects.count() == 0


def test_a_statement_may_name_the_party_added_on_the_same_form(client, editor, team, us, mexico):
    client.force_login(editor)
    statement = JOINT | {"parties": [us.pk, "new"], "kind": "press_release"}
    data = full_data(
        team,
        us,
        mexico,
        statements=[statement],
        new_party_name="Canada",
        new_party_code="CA",
        new_party_kind="state",
    )
    assert client.post(NEW, data).status_code == 302
    said = Statement.objects.get()
    assert [p.code for p in said.signatories()] == ["US", "CA"]
    assert Party.objects.get(code="CA") in said.meeting.parties.all()


def test_errors_keep_what_was_typed_and_save_nothing(client, editor, team, us, mexico):
    client.force_login(editor)
    bodies = [{"mandate": "Typed mandate", "oversees_all": "on"}]  # no name
    statements = [
        {"kind": "readout", "said_on": "2025-09-04", "text": "Typed words"},  # whose?
        {"kind": "quotation", "text": "No date", "parties": [us.pk]},
        {"kind": "quotation", "said_on": "2025-09-04", "parties": ["new"]},  # no party typed
    ]
    response = client.post(NEW, full_data(team, us, mexico, bodies, statements), **HTMX)
    assert response.status_code == 422
    assert Meeting.objects.count() == ImplementationBody.objects.count() == 0
    assert Statement.objects.count() == 0
    (body,) = response.context["bodies"].forms
    assert body.errors["name"] == ["Give the body's name, or leave the row empty."]
    assert body["mandate"].value() == "Typed mandate"
    first, second, third = response.context["statements"].forms
    assert first.errors["parties"] == ["A readout is a party's own account: say whose."]
    assert first["text"].value() == "Typed words"
    assert second.errors["said_on"] == ["Give the day it was said."]
    assert second["parties"].value() == [str(us.pk)]
    assert "Give the words said, or leave the row empty." in third.errors["text"]
    assert third.errors["parties"] == [
        "Type the new party above (name and short code), or untick it."
    ]
    html = response.content.decode()
    assert "Typed mandate" in html and "Typed words" in html


def test_a_body_named_twice_or_already_at_the_meeting_is_refused(client, editor, meeting):
    make_body(meeting, name="Working group")
    client.force_login(editor)
    url = reverse("agreements:meeting_edit", args=[meeting.pk])
    data = with_rows(
        sent_back(client.get(url)),
        "bodies",
        [{"name": "Working group"}, {"name": "new group"}, {"name": "New group"}],
    )
    response = client.post(url, data, **HTMX)
    assert response.status_code == 422
    first, second, third = response.context["bodies"].forms
    assert first.errors["name"] == ["This meeting has a body of this name already."]
    assert not second.errors
    assert third.errors["name"] == ["New group is listed twice: keep one row."]
    assert meeting.bodies.count() == 1


def test_a_statements_speaker_is_one_of_the_teams_persons(
    client, editor, team, other_team, us, mexico
):
    ours = Person.objects.create(team=team, name="Ours", current_office="Envoy")
    theirs = Person.objects.create(team=other_team, name="Theirs")
    client.force_login(editor)
    foreign = JOINT | {"kind": "speech", "speaker": theirs.pk}
    response = client.post(NEW, full_data(team, us, mexico, statements=[foreign]), **HTMX)
    assert response.status_code == 422
    assert "speaker" in response.context["statements"].forms[0].errors
    own = JOINT | {"kind": "speech", "speaker": ours.pk}
    assert client.post(NEW, full_data(team, us, mexico, statements=[own])).status_code == 302
    said = Statement.objects.get()
    assert (said.speaker, said.speaker_office, said.party) == (ours, "Envoy", None)


def test_the_speaker_picker_finds_the_teams_persons_only(client, editor, team, other_team):
    ours = Person.objects.create(team=team, name="Rubio Ours")
    theirs = Person.objects.create(team=other_team, name="Rubio Theirs")
    client.force_login(editor)
    for asked_team in (team, other_team):
        found = client.get(
            NEW, {"_pick": "statements-3-speaker", "find": "rubio", "team": asked_team.pk}, **HTMX
        ).content.decode()
        assert f'value="{theirs.pk}"' not in found
    found = client.get(
        NEW, {"_pick": "statements-3-speaker", "find": "rubio", "team": team.pk}, **HTMX
    ).content.decode()
    assert f'value="{ours.pk}"' in found


def test_rows_added_in_place_and_without_javascript(client, editor, team, us, mexico):
    client.force_login(editor)
    html = client.get(NEW, {"body_row": 2}, **HTMX).content.decode()
    assert 'name="bodies-2-name"' in html and "New body 3" in html
    assert "?body_row=3" in html
    html = client.get(
        NEW, {"statement_row": 1, "parties": [us.pk], "new_party_name": "Canada"}, **HTMX
    ).content.decode()
    assert 'name="statements-1-text"' in html and "New statement 2" in html
    assert "United States" in html and "Canada (added above)" in html
    # Without JavaScript: the form comes back with one more row and what was typed.
    data = full_data(team, us, mexico, [{"name": "Typed group"}], [JOINT]) | {"add_body": "1"}
    response = client.post(NEW, data)
    assert response.status_code == 200
    assert len(response.context["bodies"].forms) == 2
    assert response.context["bodies"].forms[0]["name"].value() == "Typed group"
    assert not response.context["statements"].forms[0].errors  # redrawn, not judged
    assert Meeting.objects.count() == 0


def test_choosing_parties_redraws_the_statement_rows_parties(client, editor, team, us, mexico):
    client.force_login(editor)
    data = full_data(team, us, mexico, statements=[{}]) | {"refresh": "1"}
    html = client.post(NEW, data, **HTMX).content.decode()
    assert 'id="parties-statements-0" hx-swap-oob="true"' in html
    assert "Mexico" in html


def test_a_form_opened_before_these_rows_existed_still_saves(client, editor, team, us, mexico):
    client.force_login(editor)
    data = meeting_data(team, us, mexico, ROWS)  # no bodies or statements management form
    assert client.post(NEW, data).status_code == 302
    assert Meeting.objects.count() == 1


def test_only_editors_of_the_meeting_add_bodies_and_statements_through_it(
    client, meeting, us, mexico, team, other_team
):
    url = reverse("agreements:meeting_edit", args=[meeting.pk])
    data = full_data(team, us, mexico, [{"name": "Group"}], [JOINT | {"parties": [us.pk]}])
    client.force_login(make_user("outsider2", team=other_team))
    assert client.post(url, data).status_code == 404
    assert client.post(NEW, data).status_code in (403, 422)  # not a team they may edit
    client.logout()
    assert client.post(url, data).url.startswith("/accounts/login/")
    assert meeting.bodies.count() == meeting.statements.count() == 0
    assert not ImplementationBody.objects.exists() and not Statement.objects.exists()


@pytest.mark.perf
def test_the_form_costs_the_same_queries_with_many_statement_rows(client, editor, team, us, mexico):
    """Each row's speaker is fetched with the others', once."""
    persons = [Person.objects.create(team=team, name=f"Envoy {i}") for i in range(12)]
    client.force_login(editor)

    def redraw(n: int) -> int:
        rows = [JOINT | {"speaker": persons[i].pk} for i in range(n)]
        data = full_data(team, us, mexico, [{"name": "G"}] * n, rows) | {"add_statement": "1"}
        with CaptureQueriesContext(connection) as captured:
            assert client.post(NEW, data).status_code == 200
        return len(captured)

    assert redraw(2) == redraw(12)
