"""The meetings list: filters, pagination, the htmx fragment, only what the user may see."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements.forms import MeetingFilterForm
from agreements.models import Meeting, OutcomeType, Party, TeamMembership, TeamRole
from tests.conftest import HTMX, make_commitment, make_meeting, make_user

LIST = "/meetings/"


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


def test_a_row_escapes_its_texts_and_reads_in_the_readers_language(client, editor, team):
    """The rows are a Jinja2 template (agreements/jinja2.py): escaped as Django's are, each
    with its meeting's link, parties, figures and labels in the reader's language."""
    tagged = make_meeting(
        team,
        title="Talks <b>bold</b>",
        city="<i>Lima</i>",
        start_date=datetime.date(2024, 3, 4),
        end_date=datetime.date(2024, 3, 5),
        planned=True,
    )
    tagged.parties.add(Party.objects.create(name="Ruritania <b>", code="R<U>", kind="organisation"))
    make_commitment(tagged, status=2)
    client.force_login(editor)
    html = client.get(LIST).content.decode()
    assert "<b>" not in html and "Talks &lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;i&gt;Lima&lt;/i&gt;" in html
    assert '<abbr title="Ruritania &lt;b&gt;">R&lt;U&gt;</abbr>' in html
    assert f'<a href="{tagged.get_absolute_url()}">' in html
    assert "4 Mar 2024 – 5 Mar 2024" in html
    assert "Commitments: </span>1</td>" in html and "Implementation index: </span>67%" in html
    spanish = client.get(LIST, headers={"accept-language": "es"}).content.decode()
    assert "4 Mar 2024 – 5 Mar 2024" in spanish  # the same abbreviation in Spanish
    assert "Índice de implementación: </span>67%" in spanish
    assert ">Prevista</span>" in spanish and "Aún no celebrada" in spanish


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "brussels"}, ["EU–US dialogue"]),
        ({"q": "BRÜSSELS"}, ["EU–US dialogue"]),  # accents and case aside
        ({"q": "brussels 2024"}, ["EU–US dialogue"]),  # each word: a place, a year
        ({"q": "brussels 2025"}, []),
        ({"outcome_type": "reaffirmation"}, ["Security meeting"]),
        ({"year": "2024"}, ["EU–US dialogue"]),
    ],
)
def test_list_filters(client, editor, meetings, params, expected):
    client.force_login(editor)
    assert listed(client.get(LIST, params)) == expected


def test_the_year_filter_offers_the_years_from_the_first_meeting_to_the_last(
    client, editor, team, other_team
):
    make_meeting(team, start_date=datetime.date(2021, 3, 1))
    make_meeting(team, start_date=datetime.date(2024, 6, 1))
    make_meeting(other_team, start_date=datetime.date(1999, 1, 1))  # not the user's
    client.force_login(editor)
    choices = client.get(LIST).context["form"].fields["year"].choices
    assert [year for year, _label in choices] == ["", 2024, 2023, 2022, 2021]


def test_the_party_and_team_filters_read_their_options_once_when_drawn(client, editor, meetings):
    """``forms.selects.ListedNames``: the options are (id, name) rows, read when the select is
    drawn, once; a form that is not drawn (the API's filters) reads none. A member's teams
    are those of their memberships, read once a request already (``forms.selects.TeamNames``)."""
    with CaptureQueriesContext(connection) as made:
        form = MeetingFilterForm({"party": "", "team": ""}, user=editor)
    assert not [q for q in made.captured_queries if "agreements_party" in q["sql"]]
    with CaptureQueriesContext(connection) as drawn:
        party, team = str(form["party"]), str(form["team"])
    assert len(drawn) == 1 and "agreements_party" in drawn.captured_queries[0]["sql"]
    assert ">United States</option>" in party and ">Mexico</option>" in party
    assert ">North America</option>" in team


def test_the_party_filter_probes_each_party_through_the_index_by_party_then_meeting(db):
    """The party filter asks, party by party, whether one of the reader's meetings had it:
    one entry of the meetings' parties by party, then meeting (``meeting_parties_by_party``),
    where the index of the party alone is read whole on PostgreSQL (8,335 entries a party at
    1,000,000 commitments: 15 ms a list, 0.2 ms with it)."""
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "agreements_meeting_parties")
    assert indexes["meeting_parties_by_party"]["columns"] == ["party_id", "meeting_id"]


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


@pytest.mark.perf
def test_list_query_counts_do_not_grow(client, editor, team, us, queries):
    def fill(n: int) -> None:
        for _ in range(n):
            meeting = make_meeting(team)
            meeting.parties.add(us)
            make_commitment(meeting)

    client.force_login(editor)
    queries.stay_flat(client, fill, LIST, (LIST, {"party": us.pk}, HTMX))


def test_list_hides_archived_meetings_and_other_teams_parties(client, editor, meetings, other_team):
    hidden_party = make_meeting(other_team, title="Elsewhere")
    hidden_party.parties.add(Party.objects.create(name="Ruritania", code="RU"))
    client.force_login(editor)
    response = client.get(LIST)
    party_choices = [str(p) for p in response.context["form"].fields["party"].queryset]
    assert "Ruritania" not in party_choices
    assert set(party_choices) == {"United States", "Mexico"}


def test_a_reader_of_several_teams_pages_through_their_meetings_newest_first(
    client, team, other_team, monkeypatch
):
    """Each team's meetings are read on their own (``views.paging.runs``), merged newest
    first: every page holds what the whole list has there."""
    monkeypatch.setattr("agreements.views.meetings.PAGE_SIZE", 3)
    both = make_user("both", team=team)
    TeamMembership.objects.create(user=both, team=other_team, role=TeamRole.REVIEWER)
    for day in (1, 5, 2, 5, 9, 3, 7):
        for desk in (team, other_team):
            make_meeting(desk, start_date=datetime.date(2024, 6, day))
    client.force_login(both)
    shown = [m for n in range(1, 6) for m in client.get(LIST, {"page": n}).context["page"]]
    assert shown == list(Meeting.objects.order_by("-start_date", "-pk"))
