from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import (
    BodyMembership,
    Claim,
    Commitment,
    ContextEvent,
    Meeting,
    Milestone,
    OutcomeType,
    Participant,
    Person,
    Source,
    Statement,
    Verification,
)
from tests.conftest import make_body, make_commitment, make_meeting, make_source, make_user

LIST = "/meetings/"
NEW = "/meetings/new/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def detail_url(meeting) -> str:
    return reverse("agreements:meeting_detail", args=[meeting.pk])


def meeting_data(team, us, mexico, rows: list[dict], **meeting) -> dict:
    data = {
        "team": team.pk,
        "title": "Border security talks",
        "start_date": "2025-09-03",
        "end_date": "",
        "city": "Mexico City",
        "venue": "National Palace",
        "parties": [us.pk, mexico.pk],
        "outcome_type": "reaffirmation",
        "outcome_note": "MOU discussed",
        "commitments-TOTAL_FORMS": str(len(rows)),
        "commitments-INITIAL_FORMS": "0",
    } | meeting
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"commitments-{i}-{key}"] = value
    return data


# List --------------------------------------------------------------------------------------


@pytest.fixture
def meetings(team, us, mexico, other_team):
    brussels = make_meeting(
        team,
        title="EU–US dialogue",
        start_date=datetime.date(2024, 5, 2),
        city="Brussels",
        outcome_type=OutcomeType.JOINT_STATEMENT,
    )
    brussels.parties.set([us])
    mexico_city = make_meeting(
        team, title="Security meeting", city="Mexico City", outcome_type=OutcomeType.REAFFIRMATION
    )
    mexico_city.parties.set([us, mexico])
    make_commitment(mexico_city, status=3)
    make_commitment(mexico_city, status=0)
    make_meeting(other_team, title="Hidden talks")
    return brussels, mexico_city


def listed(response) -> list[str]:
    return [meeting.title for meeting in response.context["page"].object_list]


def test_list_shows_meetings_with_counts_and_index(client, editor, meetings):
    client.force_login(editor)
    response = client.get(LIST)
    assert listed(response) == ["Security meeting", "EU–US dialogue"]
    security = response.context["page"].object_list[0]
    assert (security.commitment_count, security.index) == (2, 50.0)
    assert "Hidden talks" not in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "brussels"}, ["EU–US dialogue"]),
        ({"outcome_type": "reaffirmation"}, ["Security meeting"]),
        ({"year": "2024"}, ["EU–US dialogue"]),
    ],
)
def test_list_filters(client, editor, meetings, params, expected):
    client.force_login(editor)
    assert listed(client.get(LIST, params)) == expected


def test_list_filters_by_party_and_team(client, editor, meetings, mexico, team):
    client.force_login(editor)
    assert listed(client.get(LIST, {"party": mexico.pk})) == ["Security meeting"]
    assert len(listed(client.get(LIST, {"team": team.pk}))) == 2


def test_list_fragment_for_htmx(client, editor, meetings):
    client.force_login(editor)
    html = client.get(LIST, {"q": "security"}, **HTMX).content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="meeting-table"')


def test_list_paginates(client, editor, team):
    for i in range(27):
        make_meeting(
            team, title=f"Talks {i}", start_date=datetime.date(2025, 1, 1) + datetime.timedelta(i)
        )
    client.force_login(editor)
    response = client.get(LIST, {"page": 2})
    assert listed(response) == ["Talks 1", "Talks 0"]


def test_list_query_counts_do_not_grow(client, editor, team, us):
    def fill(n: int) -> None:
        for _ in range(n):
            meeting = make_meeting(team)
            meeting.parties.add(us)
            make_commitment(meeting)

    client.force_login(editor)
    fill(5)
    with CaptureQueriesContext(connection) as page_small:
        client.get(LIST)
    with CaptureQueriesContext(connection) as fragment_small:
        client.get(LIST, {"party": us.pk}, **HTMX)
    fill(45)
    with CaptureQueriesContext(connection) as page_large:
        client.get(LIST)
    with CaptureQueriesContext(connection) as fragment_large:
        client.get(LIST, {"party": us.pk}, **HTMX)
    assert len(page_small) == len(page_large)
    assert len(fragment_small) == len(fragment_large)


# Recording a meeting -----------------------------------------------------------------------


def test_editor_records_a_meeting_with_two_commitments(client, editor, team, us, mexico):
    client.force_login(editor)
    rows = [
        {
            "title": "Halt fentanyl",
            "text": "Disrupt shipments",
            "theme": "drugs",
            f"role_{mexico.pk}": "committed",
            f"role_{us.pk}": "counterpart",
        },
        {
            "title": "Stop guns",
            "text": "Stop firearms moving south",
            "theme": "arms",
            f"role_{us.pk}": "committed",
        },
    ]
    response = client.post(NEW, meeting_data(team, us, mexico, rows))
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response.headers["Location"] == detail_url(meeting)
    commitments = list(meeting.commitments.order_by("position"))
    assert [c.title for c in commitments] == ["Halt fentanyl", "Stop guns"]
    assert {r.party.code: r.role for r in commitments[0].party_roles.all()} == {
        "MX": "committed",
        "US": "counterpart",
    }
    assert {r.party.code: r.role for r in commitments[1].party_roles.all()} == {"US": "committed"}
    assert meeting.team == team


def test_single_team_is_preselected(client, editor):
    client.force_login(editor)
    assert client.get(NEW).context["form"]["team"].value() == editor.team_memberships.get().team_id


def test_empty_extra_row_is_ignored(client, editor, team, us, mexico):
    client.force_login(editor)
    rows = [{"title": "Halt fentanyl", "text": "x", "theme": "drugs"}, {}]
    assert client.post(NEW, meeting_data(team, us, mexico, rows)).status_code == 302
    assert Commitment.objects.count() == 1


def test_add_row_partial_returns_the_next_row_and_updates_the_count(client, editor):
    client.force_login(editor)
    html = client.get(NEW, {"row": 3}, **HTMX).content.decode()
    assert "<html" not in html
    assert 'name="commitments-3-title"' in html
    assert 'id="id_commitments-TOTAL_FORMS" hx-swap-oob="true"' in html
    assert 'value="4"' in html
    assert "?row=4" in html  # the button now fetches the row after


def test_add_row_without_javascript_keeps_everything_typed(client, editor, team, us, mexico):
    client.force_login(editor)
    data = meeting_data(
        team, us, mexico, [{"title": "Halt fentanyl", "text": "Typed text", "theme": "drugs"}]
    )
    response = client.post(NEW, data | {"add_row": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="commitments-1-title"' in html
    assert 'value="Halt fentanyl"' in html and "Typed text" in html
    assert "This field is required" not in html
    assert not Meeting.objects.exists()


def test_invalid_meeting_shows_errors_next_to_fields_and_keeps_input(
    client, editor, team, us, mexico
):
    client.force_login(editor)
    rows = [{"title": "", "text": "Typed commitment", "theme": "drugs"}]
    data = meeting_data(team, us, mexico, rows, start_date="2025-09-03", end_date="2025-09-01")
    response = client.post(NEW, data)
    html = response.content.decode()
    assert response.status_code == 422
    assert "A meeting cannot end before it starts." in html
    assert "This field is required." in html  # the row's missing title
    assert 'value="Border security talks"' in html and "Typed commitment" in html
    assert 'aria-invalid="true"' in html
    assert not Meeting.objects.exists()


def test_reviewer_and_outsider_cannot_record_for_a_team(
    client, reviewer, outsider, team, us, mexico
):
    client.force_login(reviewer)
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, meeting_data(team, us, mexico, [])).status_code == 403
    client.force_login(outsider)  # an editor elsewhere cannot pick this team
    response = client.post(NEW, meeting_data(team, us, mexico, []))
    assert response.status_code == 422
    assert not Meeting.objects.exists()


def test_editing_a_meeting_and_its_commitments(client, editor, meeting, commitment, us, mexico):
    client.force_login(editor)
    url = reverse("agreements:meeting_edit", args=[meeting.pk])
    assert client.get(url).status_code == 200
    data = meeting_data(meeting.team, us, mexico, [], title="Renamed talks") | {
        "version": meeting.version,
        "commitments-TOTAL_FORMS": "1",
        "commitments-INITIAL_FORMS": "1",
        "commitments-0-id": commitment.pk,
        "commitments-0-version": commitment.version,
        "commitments-0-title": "Renamed commitment",
        "commitments-0-text": commitment.text,
        "commitments-0-theme": commitment.theme,
        f"commitments-0-role_{us.pk}": "implementer",
    }
    assert client.post(url, data).status_code == 302
    meeting.refresh_from_db()
    commitment.refresh_from_db()
    assert (meeting.title, commitment.title) == ("Renamed talks", "Renamed commitment")
    assert {r.party.code: r.role for r in commitment.party_roles.all()} == {"US": "implementer"}


def test_reviewer_cannot_edit_and_outsider_cannot_see(client, reviewer, outsider, meeting):
    url = reverse("agreements:meeting_edit", args=[meeting.pk])
    client.force_login(reviewer)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get(detail_url(meeting)).status_code == 404


# A meeting's page --------------------------------------------------------------------------


@pytest.fixture
def full_meeting(meeting, commitment, us, mexico, team):
    rubio = Person.objects.create(name="Marco Rubio", party=us)
    Participant.objects.create(
        meeting=meeting,
        person=rubio,
        party=us,
        office="U.S. Secretary of State",
        role="head_of_delegation",
    )
    body = make_body(meeting, name="High-level implementation group")
    BodyMembership.objects.create(body=body, party=mexico, confirmation="reported")
    Statement.objects.create(
        meeting=meeting,
        speaker=rubio,
        speaker_office="U.S. Secretary of State",
        party=us,
        text="A high-level group",
        said_on=meeting.start_date,
    )
    Claim.objects.create(meeting=meeting, text="Membership not published")
    ContextEvent.objects.create(
        meeting=meeting, title="Strike in the Caribbean", relation="background", fatalities=11
    )
    meeting.sources.add(make_source(team, title="Wire report"))
    return meeting


def test_detail_shows_everything_the_meeting_holds(client, reviewer, full_meeting, commitment):
    client.force_login(reviewer)
    html = client.get(detail_url(full_meeting)).content.decode()
    for text in (
        "U.S. Secretary of State",
        "Head of delegation",
        commitment.title,
        "Not started",
        "High-level implementation group",
        "Reported",
        "A high-level group",
        "Membership not published",
        "Unconfirmed",
        "Strike in the Caribbean",
        "11 killed",
        "Wire report",
    ):
        assert text in html, text
    assert "Add a statement" not in html and "Edit meeting" not in html


def test_editor_adds_a_statement_in_place(client, editor, meeting, us, team):
    person = Person.objects.create(name="Ramón de la Fuente")
    source = make_source(team)
    client.force_login(editor)
    response = client.post(
        detail_url(meeting),
        {
            "form": "statement",
            "statement-speaker": person.pk,
            "statement-speaker_office": "SRE",
            "statement-kind": "quotation",
            "statement-text": "Models of cooperation that work",
            "statement-language": "en",
            "statement-said_on": "2025-09-03",
            "statement-sources": [source.pk],
        },
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="statements"')
    assert "Models of cooperation that work" in html and "Statement added." in html
    assert Statement.objects.get().sources.get() == source


def test_milestone_before_the_meeting_is_refused_in_place(client, editor, meeting, commitment):
    client.force_login(editor)
    response = client.post(
        detail_url(meeting),
        {
            "form": "milestone",
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
        detail_url(meeting),
        {
            "form": "milestone",
            "milestone-commitment": commitment.pk,
            "milestone-title": "First report",
            "milestone-due_date": "2025-12-01",
        },
    )
    assert response.status_code == 302
    assert Milestone.objects.get().commitment == commitment


def test_claim_needs_a_source_unless_unconfirmed(client, editor, meeting, commitment, team):
    client.force_login(editor)
    data = {
        "form": "claim",
        "claim-text": "The group met in October",
        "claim-verification": "verified",
    }
    response = client.post(detail_url(meeting), data, **HTMX)
    assert response.status_code == 422
    assert "A claim marked “Verified” needs at least one source." in response.content.decode()
    source = make_source(team)
    response = client.post(
        detail_url(meeting),
        data | {"claim-sources": [source.pk], "claim-commitment": commitment.pk},
    )
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert (claim.commitment, claim.meeting, claim.verification) == (
        commitment,
        None,
        Verification.VERIFIED,
    )


def test_editor_adds_a_source_and_the_meeting_cites_it(client, editor, meeting):
    client.force_login(editor)
    response = client.post(
        detail_url(meeting),
        {
            "form": "source",
            "source-title": "Official readout",
            "source-url": "https://gob.example/readout",
            "source-publisher": "SRE",
        },
        **HTMX,
    )
    assert response.status_code == 200
    source = Source.objects.get()
    assert source.team == meeting.team
    assert list(meeting.sources.all()) == [source]
    response = client.post(
        detail_url(meeting),
        {"form": "source", "source-title": "Same", "source-url": "https://gob.example/readout"},
        **HTMX,
    )
    assert "This team already has a source with this address." in response.content.decode()


def test_reviewer_cannot_add_to_a_meeting(client, reviewer, meeting):
    client.force_login(reviewer)
    for kind in ("milestone", "statement", "claim", "source"):
        assert client.post(detail_url(meeting), {"form": kind}).status_code == 403


def test_detail_query_count_does_not_grow(client, editor, team, us):
    def meeting_with(n: int) -> Meeting:
        meeting = make_meeting(team)
        person = Person.objects.create(name="Speaker")
        body = make_body(meeting)
        for i in range(n):
            commitment = make_commitment(meeting, parties=[us])
            Milestone.objects.create(commitment=commitment, title="m", due_date=meeting.start_date)
            Statement.objects.create(
                meeting=meeting, speaker=person, text=f"s{i}", said_on=meeting.start_date
            )
            Claim.objects.create(commitment=commitment, text="c").sources.add(make_source(team))
            ContextEvent.objects.create(
                meeting=meeting, title=f"e{i}", relation="background", actor=us
            )
            BodyMembership.objects.create(body=body, person=person, party=us)
            Participant.objects.create(
                meeting=meeting,
                person=Person.objects.create(name=f"p{i}"),
                party=us,
                office="x",
                role="delegate",
            )
        return meeting

    client.force_login(editor)
    small, large = meeting_with(5), meeting_with(50)
    with CaptureQueriesContext(connection) as few:
        client.get(detail_url(small))
    with CaptureQueriesContext(connection) as many:
        client.get(detail_url(large))
    assert len(few) == len(many)


def test_admin_may_record_for_any_team(client, admin_user, team, us, mexico):
    make_user("someone", team=team)
    client.force_login(admin_user)
    assert client.post(NEW, meeting_data(team, us, mexico, [])).status_code == 302


def edit_data(meeting, commitment, us, mexico, **changes) -> dict:
    return (
        meeting_data(meeting.team, us, mexico, [], version=meeting.version)
        | {
            "commitments-TOTAL_FORMS": "1",
            "commitments-INITIAL_FORMS": "1",
            "commitments-0-id": commitment.pk,
            "commitments-0-version": commitment.version,
            "commitments-0-title": commitment.title,
            "commitments-0-text": commitment.text,
            "commitments-0-theme": commitment.theme,
        }
        | changes
    )


def test_saving_over_a_newer_version_shows_the_conflict_and_loses_nothing(
    client, editor, meeting, commitment, us, mexico
):
    url = reverse("agreements:meeting_edit", args=[meeting.pk])
    client.force_login(editor)
    mine = edit_data(meeting, commitment, us, mexico, title="My title", city="Monterrey")
    # Meanwhile a colleague saves the meeting.
    meeting.title = "Their title"
    meeting.save_versioned(expected=meeting.version, update_fields=["title"])
    response = client.post(url, mine)
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone else changed this while you were editing" in html
    assert "Their title" in html and "My title" in html  # side by side
    meeting.refresh_from_db()
    assert meeting.title == "Their title"  # nothing overwritten
    # The form now carries the current version: saving again applies mine on top.
    form = response.context["form"]
    assert form["version"].value() == meeting.version
    assert form["title"].value() == "My title"
    again = client.post(url, mine | {"version": meeting.version})
    assert again.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.title, meeting.city) == ("My title", "Monterrey")


def test_a_conflict_on_a_commitment_row_is_caught_too(
    client, editor, meeting, commitment, us, mexico
):
    url = reverse("agreements:meeting_edit", args=[meeting.pk])
    client.force_login(editor)
    mine = edit_data(meeting, commitment, us, mexico, **{"commitments-0-title": "My wording"})
    commitment.title = "Their wording"
    commitment.save_versioned(expected=commitment.version, update_fields=["title"])
    response = client.post(url, mine)
    assert response.status_code == 409
    assert "Their wording" in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.title == "Their wording"


def test_edit_form_query_count_does_not_grow_with_commitments(client, editor, meeting, us):
    url = reverse("agreements:meeting_edit", args=[meeting.pk])
    client.force_login(editor)
    for _ in range(3):
        make_commitment(meeting, parties=[us])
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(20):
        make_commitment(meeting, parties=[us])
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(few) == len(many)
