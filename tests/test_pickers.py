"""Search-as-you-type pickers: choices that grow with the data (persons, sources, bodies) are
fetched as the user types, from the page that shows the form, among what the user may see; they
find what people type (accents and case aside, a party by its aliases, a meeting by its year,
place or outcome note) and label each source so that two of one title are told apart."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection

from agreements.models import Meeting, Party, PartyAlias, Person, SourceKind
from tests.admin_forms import admin_url, post_page
from tests.conftest import HTMX, make_body, make_meeting, make_source

pytestmark = pytest.mark.django_db

NEW = "/meetings/new/"


def pick(client, url: str, name: str, find: str, **chosen) -> str:
    response = client.get(url, {"_pick": name, "find": find, **chosen}, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_the_meeting_page_serves_its_speaker_and_source_pickers(
    client, editor, meeting, us, team, other_team
):
    rubio = Person.objects.create(team=team, name="Marco Rubio", party=us)
    Person.objects.create(team=team, name="Juan de la Fuente", party=us)
    ours = make_source(team, title="State Department readout")
    theirs = make_source(other_team, title="Readout in Europe")
    client.force_login(editor)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Juan de la Fuente" not in page  # no select of every person
    url = meeting.get_absolute_url()
    speakers = pick(client, url, "statement-speaker", "rubio")
    assert f'value="{rubio.pk}"' in speakers and "Fuente" not in speakers
    # Another team's record of the same man is that team's business (security 6).
    europes = Person.objects.create(team=other_team, name="Marco Rubio", party=us)
    assert f'value="{europes.pk}"' not in pick(client, url, "statement-speaker", "rubio")
    sources = pick(client, url, "claim-sources", "readout")
    assert f'value="{ours.pk}"' in sources and f'value="{theirs.pk}"' not in sources
    kept = pick(client, url, "claim-sources", "nothing like it", **{"claim-sources": ours.pk})
    assert f'<option value="{ours.pk}" selected>' in kept  # chosen stay chosen


def test_only_editors_get_the_meeting_pages_pickers(client, reviewer, meeting, us):
    Person.objects.create(team=meeting.team, name="Marco Rubio", party=us)
    client.force_login(reviewer)
    response = client.get(
        meeting.get_absolute_url(), {"_pick": "statement-speaker", "find": "rubio"}, **HTMX
    )
    assert "<option" not in response.content.decode()[:200]  # the page, not options


def test_another_teams_page_serves_no_picker(client, outsider, meeting):
    client.force_login(outsider)
    response = client.get(
        meeting.get_absolute_url(), {"_pick": "claim-sources", "find": "a"}, **HTMX
    )
    assert response.status_code == 404


def test_the_body_and_commitment_pages_serve_their_pickers(
    client, editor, commitment, meeting, us, team
):
    rubio = Person.objects.create(team=team, name="Marco Rubio", party=us)
    source = make_source(team, title="Wire report")
    body = make_body(meeting)
    client.force_login(editor)
    assert f'value="{rubio.pk}"' in pick(
        client, body.get_absolute_url(), "members-0-person", "marco"
    )
    found = pick(client, commitment.get_absolute_url(), "sources", "wire")
    assert f'value="{source.pk}"' in found


def test_the_claims_page_serves_its_source_picker(client, editor, team, other_team):
    ours = make_source(team, title="Wire report")
    theirs = make_source(other_team, title="Wire of Europe")
    client.force_login(editor)
    found = pick(client, "/claims/", "source", "wire")
    assert f'value="{ours.pk}"' in found and f'value="{theirs.pk}"' not in found


@pytest.mark.parametrize(
    "query",
    [
        {"_pick": "participants-0-person", "find": "a\x00b"},
        {"_pick": "parties", "find": "a\x00b"},
    ],
)
def test_a_nul_byte_in_a_picker_search_is_not_a_500(client, editor, query):
    client.force_login(editor)
    assert client.get(NEW, query, **HTMX).status_code < 500


def offered(options: str) -> list[str]:
    """The values of the options (or, for a picker of ticked boxes, the boxes) a picker
    answered, in order."""
    found = re.findall(r'<option value="(\d+)"|type="checkbox" name="[^"]*" value="(\d+)"', options)
    return [option or box for option, box in found]


def test_pickers_find_names_whatever_accents_and_case_were_typed(client, editor, meeting, team, us):
    jose = Person.objects.create(team=team, name="José Rodríguez", party=us)
    other = Person.objects.create(team=team, name="Ana Ruiz", party=us)
    client.force_login(editor)
    url = meeting.get_absolute_url()
    for typed in ("rodriguez", "RODRIGUEZ", "Rodríguez", "jose rodr", "JOSÉ"):
        assert offered(pick(client, url, "statement-speaker", typed)) == [str(jose.pk)], typed
    assert offered(pick(client, url, "statement-speaker", "ruiz")) == [str(other.pk)]
    assert offered(pick(client, url, "statement-speaker", "jose ruiz")) == []  # every word
    # A pattern's own characters are letters here, not wildcards.
    assert offered(pick(client, url, "statement-speaker", "%")) == []
    assert offered(pick(client, url, "statement-speaker", "_")) == []


def test_a_party_is_found_by_its_code_its_name_without_accents_and_its_aliases(
    client, editor, us, mexico
):
    china = Party.objects.create(name="China", code="CN")
    mexico.name = "México"
    mexico.save()
    for alias in ("USA", "EE. UU.", "Estados Unidos", "United States of America"):
        PartyAlias.objects.create(party=us, name=alias)
    PartyAlias.objects.create(party=china, name="PRC")
    client.force_login(editor)
    for typed, party in [
        ("USA", us),
        ("usa", us),
        ("EE. UU.", us),
        ("ee.uu", None),  # typed otherwise than any of its names: not guessed
        ("Estados Unidos", us),
        ("estados", us),
        ("PRC", china),
        ("Méx", mexico),
        ("mex", mexico),
        ("MX", mexico),
        ("united", us),  # its name and an alias both match: offered once
    ]:
        for picker in ("parties", "participants-0-party"):
            found = offered(pick(client, NEW, picker, typed))
            assert found == ([str(party.pk)] if party else []), (picker, typed)


def test_a_records_admin_keeps_a_partys_aliases_in_the_admin(admin_client, us):
    url = admin_url(Party, "change", us.pk)
    response = post_page(admin_client, url, **{"aliases-0-name": "EE. UU."})
    assert response.status_code == 302
    assert list(us.aliases.values_list("name", flat=True)) == ["EE. UU."]
    # One alias names one party, whatever its case.
    mexico = Party.objects.create(name="Mexico", code="MX")
    response = post_page(
        admin_client, admin_url(Party, "change", mexico.pk), **{"aliases-0-name": "ee. uu."}
    )
    assert response.status_code == 200 and not mexico.aliases.exists()


def test_the_meeting_picker_finds_a_meeting_by_year_place_and_outcome_note(
    client, editor, meeting, team
):
    dialogue = make_meeting(
        team,
        title="High-Level Security Dialogue",
        start_date=datetime.date(2021, 10, 8),
        city="Ciudad de México",
        venue="Palacio Nacional",
        outcome_note="Bicentennial Framework agreed; MOU under discussion",
    )
    washington = make_meeting(
        team, title="Security talks", start_date=datetime.date(2023, 5, 2), city="Washington"
    )
    client.force_login(editor)
    url = meeting.get_absolute_url()  # its link form's picker: the team's other meetings
    for typed, found in [
        ("2021", [dialogue]),
        ("2023", [washington]),
        ("mexico", [dialogue]),
        ("palacio", [dialogue]),
        ("bicentennial", [dialogue]),
        ("mou 2021", [dialogue]),
        ("mou 2023", []),
        ("security washington", [washington]),
    ]:
        assert offered(pick(client, url, "link-other", typed)) == [str(m.pk) for m in found], typed
    assert Meeting.objects.count() == 3


def test_the_source_picker_labels_each_source_with_its_kind_publisher_date_and_meeting(
    client, editor, meeting, team
):
    earlier = make_meeting(team, title="Border talks", start_date=datetime.date(2024, 2, 1))
    first = make_source(
        team,
        title="Readout",
        kind=SourceKind.READOUT,
        publisher="State Department",
        published_on=datetime.date(2025, 9, 3),
        meeting=meeting,
    )
    second = make_source(
        team, title="Readout", publisher="SRE", published_on=datetime.date(2024, 2, 2)
    )
    second.meeting = earlier
    second.save()
    bare = make_source(team, title="Readout", publisher="")
    client.force_login(editor)
    options = pick(client, meeting.get_absolute_url(), "claim-sources", "readout")
    labels = dict(re.findall(r'<option value="(\d+)">([^<]*)</option>', options))
    assert labels[str(first.pk)] == (
        f"Readout — Official readout, State Department, 3 Sep 2025, on {meeting}"
    )
    assert labels[str(second.pk)] == f"Readout — SRE, 2 Feb 2024, on {earlier}"
    assert labels[str(bare.pk)] == "Readout"
    # Found by its publisher, its meeting or its year too; the chosen keep their label.
    assert offered(pick(client, meeting.get_absolute_url(), "claim-sources", "border")) == [
        str(second.pk)
    ]
    assert offered(pick(client, meeting.get_absolute_url(), "claim-sources", "readout 2024")) == [
        str(second.pk)
    ]
    kept = pick(
        client, meeting.get_absolute_url(), "claim-sources", "zzz", **{"claim-sources": first.pk}
    )
    assert "Official readout, State Department" in kept


def test_a_source_added_on_a_meetings_page_reports_on_that_meeting(client, editor, meeting):
    client.force_login(editor)
    response = client.post(
        meeting.get_absolute_url(),
        {
            "action": "add_source",
            "source-title": "Readout",
            "source-kind": "readout",
            "source-publisher": "SRE",
        },
    )
    assert response.status_code == 302
    source = meeting.sources.get()
    assert (source.kind, source.meeting) == ("readout", meeting)


@pytest.mark.perf
def test_the_source_pickers_labels_cost_no_query_a_source(client, editor, meeting, team, queries):
    def fill(n: int) -> None:
        for _i in range(n):
            make_source(team, title="Readout", meeting=meeting, kind=SourceKind.NEWS)

    client.force_login(editor)
    request = (meeting.get_absolute_url(), {"_pick": "claim-sources", "find": "readout"}, HTMX)
    queries.stay_flat(client, fill, request)


def test_the_fold_is_the_same_sql_function_on_each_database(db):
    """``agreements_fold`` lowercases and drops accents in SQL (unaccent on PostgreSQL, the
    Python fold registered on SQLite's connection)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT agreements_fold(%s)", ["Rodríguez MÉXICO Ñandú"])
        assert cursor.fetchone()[0] == "rodriguez mexico nandu"
