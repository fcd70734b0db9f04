"""Search-as-you-type pickers: choices that grow with the data (persons, sources, bodies) are
fetched as the user types, from the page that shows the form, among what the user may see."""

from __future__ import annotations

import pytest

from agreements.models import Person
from tests.conftest import HTMX, make_body, make_source

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
    assert f'value="{rubio.pk}"' in pick(client, body.get_absolute_url(), "person", "marco")
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
