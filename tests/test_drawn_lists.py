"""The lists and the meeting and commitment pages drawn once per revision of the records and
kept in the shared cache (views/common.py, ``drawn_once``): served again without being drawn,
drawn anew after a committed change, never served to a reader who would see something else,
and their forms posting with each reader's own CSRF token."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import update_last_login
from django.test import Client

from agreements.models import Claim, Follow, ProgressUpdate, Revision, TeamRole
from agreements.views.common import CSRF_DRAWN
from tests.conftest import (
    HTMX,
    make_body,
    make_commitment,
    make_meeting,
    make_user,
)

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


def test_filters_are_drawn_apart_and_htmx_is_answered_the_page_s_table(client, editor, meeting):
    make_commitment(meeting, title="Seize fentanyl precursors", theme="drugs")
    make_commitment(meeting, title="Stop gun smuggling", theme="arms")
    client.force_login(editor)
    page = client.get("/commitments/", {"theme": "drugs"}).content.decode()
    assert "Seize fentanyl precursors" in page and "Stop gun smuggling" not in page
    other = client.get("/commitments/", {"theme": "arms"}).content.decode()
    assert "Stop gun smuggling" in other and "Seize fentanyl precursors" not in other
    # The filters' change asks for the table alone: drawn once too, as the page shows it.
    table = client.get("/commitments/", {"theme": "drugs"}, **HTMX)
    again = client.get("/commitments/", {"theme": "drugs"}, **HTMX)
    assert table.context is not None and again.context is None
    assert again.content.decode().startswith('\n<div id="commitment-table"')
    assert again.content.decode() in page
    assert "HX-Request" in again["Vary"]


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


def csrf_token_in(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_a_drawn_meeting_page_carries_each_reader_s_own_csrf_token(meeting, team):
    """The meeting page is drawn once for every editor of its team; a form on it, served from
    the cache to another editor, posts with that editor's token (checked, as in production)."""
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(make_user("first", team=team, role=TeamRole.EDITOR))
    second.force_login(make_user("second", team=team, role=TeamRole.EDITOR))
    url = meeting.get_absolute_url()
    assert "commitments" in first.get(url).context  # drawn for the first editor
    served = second.get(url)
    assert "commitments" not in served.context  # the same drawing, from the cache
    html = served.content.decode()
    assert CSRF_DRAWN not in html
    response = second.post(
        url,
        {
            "action": "archive",
            "reason": "Recorded twice",
            "csrfmiddlewaretoken": csrf_token_in(html),
        },
    )
    assert response.status_code == 302  # accepted: the token is the second editor's own
    meeting.refresh_from_db()
    assert meeting.is_archived


def test_readers_who_may_not_edit_a_meeting_are_drawn_its_page_without_the_editor_s_tools(
    client, editor, reviewer, meeting
):
    client.force_login(editor)
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert "Edit meeting" in html and "Archive this meeting" in html
    client.force_login(reviewer)
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert meeting.title in html
    assert "Edit meeting" not in html and "Archive this meeting" not in html


def test_a_commitment_page_is_drawn_for_its_reader_their_drafts_and_whether_they_follow(
    client, editor, team, commitment
):
    url = commitment.get_absolute_url()
    client.force_login(editor)
    client.post(url, {"action": "post_update", "narrative": "Early notes", "save_draft": "1"})
    assert "Submit this draft for review" in client.get(url).content.decode()  # the author's
    colleague = make_user("colleague", team=team, role=TeamRole.EDITOR)
    client.force_login(colleague)
    page = client.get(url)
    assert "timeline" in page.context  # drawn for the colleague
    html = page.content.decode()
    assert "Early notes" in html and "Submit this draft for review" not in html
    assert "Stop following" not in html
    Follow.objects.create(user=colleague, commitment=commitment)  # no change to the records
    assert "Stop following" in client.get(url).content.decode()


def test_a_user_s_new_name_is_drawn_at_once_and_a_sign_in_redraws_nothing(
    client, editor, team, commitment
):
    author = make_user("agarcia", team=team, role=TeamRole.EDITOR)
    ProgressUpdate.objects.create(commitment=commitment, author=author, narrative="Seizures up")
    client.force_login(editor)
    url = commitment.get_absolute_url()
    assert "agarcia" in client.get(url).content.decode()  # the timeline names its author
    before = Revision.current()
    update_last_login(None, author)  # what every sign-in writes
    assert Revision.current() == before
    client.force_login(editor)
    author.username = "agarcia.mx"
    author.save()
    assert Revision.current() == before + 1
    assert "agarcia.mx" in client.get(url).content.decode()
