"""The lists' rows drawn once per revision of the records and kept in the shared cache
(views/common.py, ``render_drawn``): served again without being drawn, drawn anew after a
committed change, and never served to a reader who would see other rows."""

from __future__ import annotations

import pytest

from agreements.models import Claim
from tests.conftest import HTMX, make_body, make_commitment, make_meeting

pytestmark = pytest.mark.django_db(transaction=True)  # each write commits, as in production


def add_commitment(meeting, word):
    make_commitment(meeting, title=f"{word} task force", text=f"Dismantle {word} networks")


def add_meeting(meeting, word):
    make_meeting(meeting.team, title=f"{word} dialogue")


def add_body(meeting, word):
    make_body(meeting, name=f"{word} working group")


def add_claim(meeting, word):
    Claim.objects.create(text=f"The {word} schedule is agreed", meeting=meeting)


# Each list, what its drawing puts in the context (absent when served from the cache), and
# how to add a record it shows under a given word.
LISTS = [
    ("/commitments/", "page", add_commitment),
    ("/meetings/", "page", add_meeting),
    ("/bodies/", "page", add_body),
    ("/claims/", "rows", add_claim),
    ("/search/?q=zanzibar", "sections", add_commitment),
]


@pytest.mark.parametrize("url, drawn, add", LISTS, ids=[url for url, *_ in LISTS])
def test_a_list_is_drawn_once_and_again_after_a_committed_change(
    client, editor, meeting, queries, url, drawn, add
):
    add(meeting, "Zanzibar")
    client.force_login(editor)
    first = client.get(url)
    assert drawn in first.context and "Zanzibar" in first.content.decode()
    drawing = queries.of(client, url)  # the revision and the cache are read first
    again = client.get(url)
    assert drawn not in again.context  # served from the cache
    assert again.content.decode().count("Zanzibar") == first.content.decode().count("Zanzibar")
    assert queries.of(client, url) == drawing
    add(meeting, "Zanzibari")  # committed: the next view draws the list anew
    after = client.get(url)
    assert drawn in after.context and "Zanzibari" in after.content.decode()


def test_a_cached_list_costs_a_few_queries_whatever_it_shows(client, editor, meeting, queries):
    for n in range(30):
        make_commitment(meeting, title=f"Commitment {n}", parties=[])
    client.force_login(editor)
    with_drawing = queries.of(client, "/commitments/")
    served = queries.of(client, "/commitments/")
    assert served < with_drawing
    assert served <= 10  # session, user, teams, revision, cache, the filter form's choices


@pytest.mark.parametrize("url, drawn, add", LISTS, ids=[url for url, *_ in LISTS])
def test_a_list_drawn_for_one_team_is_never_served_to_another(
    client, editor, outsider, meeting, url, drawn, add
):
    add(meeting, "Zanzibar")
    client.force_login(editor)
    assert "Zanzibar" in client.get(url).content.decode()  # now in the cache
    client.force_login(outsider)
    page = client.get(url)
    assert drawn in page.context  # drawn for the outsider's teams
    assert "Zanzibar" not in page.content.decode()
    assert "Zanzibar" not in client.get(url, **HTMX).content.decode()


def test_filters_and_pages_are_drawn_apart_and_htmx_shares_the_page_s_drawing(
    client, editor, meeting
):
    make_commitment(meeting, title="Seize fentanyl precursors", theme="drugs")
    make_commitment(meeting, title="Stop gun smuggling", theme="arms")
    client.force_login(editor)
    page = client.get("/commitments/", {"theme": "drugs"}).content.decode()
    assert "Seize fentanyl precursors" in page and "Stop gun smuggling" not in page
    other = client.get("/commitments/", {"theme": "arms"}).content.decode()
    assert "Stop gun smuggling" in other and "Seize fentanyl precursors" not in other
    fragment = client.get("/commitments/", {"theme": "drugs"}, **HTMX)
    assert fragment.context is None  # the page's drawing, served as it was kept
    assert fragment.content.decode() in page
    assert "HX-Request" in fragment["Vary"]


def test_an_editor_and_a_reviewer_of_a_team_are_drawn_their_own_claims(
    client, editor, reviewer, meeting
):
    add_claim(meeting, "Zanzibar")
    client.force_login(editor)
    assert "Update verification" in client.get("/claims/").content.decode()
    client.force_login(reviewer)
    html = client.get("/claims/").content.decode()
    assert "Zanzibar" in html and "Update verification" not in html


def test_each_language_is_drawn_its_own_list(client, editor, meeting):
    add_commitment(meeting, "Zanzibar")
    client.force_login(editor)
    assert "1 commitment" in client.get("/commitments/").content.decode()
    client.post("/accounts/language/", {"language": "es", "next": "/"})
    html = client.get("/commitments/").content.decode()
    assert "1 compromiso" in html and "1 commitment" not in html
