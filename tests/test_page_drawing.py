"""Every page is drawn by its view, with the request, on every view: a change shows at once,
a reader sees their own teams' records and their own tools, a form posts with the reader's own
CSRF token, what was typed is shown as typed, and a GET writes nothing to the database."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agreements.models import Claim, Follow, ProgressUpdate, TeamRole
from tests.conftest import HTMX, make_body, make_commitment, make_meeting, make_user

pytestmark = pytest.mark.django_db


def add_commitment(meeting, word):
    make_commitment(meeting, title=f"{word} task force", text=f"Dismantle {word} networks")


def add_meeting(meeting, word):
    make_meeting(meeting.team, title=f"{word} dialogue")


def add_body(meeting, word):
    make_body(meeting, name=f"{word} working group")


def add_claim(meeting, word):
    Claim.objects.create(text=f"The {word} schedule is agreed", meeting=meeting)


# Each list, and how to add a record it shows under a given word.
LISTS = [
    ("/commitments/", add_commitment),
    ("/meetings/", add_meeting),
    ("/bodies/", add_body),
    ("/claims/", add_claim),
    ("/search/?q=zanzibar", add_commitment),
]


@pytest.mark.parametrize("url, add", LISTS, ids=[url for url, _ in LISTS])
def test_a_list_shows_a_change_at_once(client, editor, meeting, url, add):
    add(meeting, "Zanzibar")
    client.force_login(editor)
    assert "Zanzibar" in client.get(url).content.decode()
    add(meeting, "Zanzibari")
    assert "Zanzibari" in client.get(url).content.decode()


@pytest.mark.parametrize("url, add", LISTS, ids=[url for url, _ in LISTS])
def test_a_list_shows_another_team_none_of_it(client, editor, outsider, meeting, url, add):
    add(meeting, "Zanzibar")
    client.force_login(editor)
    assert "Zanzibar" in client.get(url).content.decode()
    client.force_login(outsider)
    assert "Zanzibar" not in client.get(url).content.decode()
    assert "Zanzibar" not in client.get(url, **HTMX).content.decode()


def test_the_filters_answer_htmx_with_the_page_s_table(client, editor, meeting):
    make_commitment(meeting, title="Seize fentanyl precursors", theme="drugs")
    make_commitment(meeting, title="Stop gun smuggling", theme="arms")
    client.force_login(editor)
    page = client.get("/commitments/", {"theme": "drugs"}).content.decode()
    assert "Seize fentanyl precursors" in page and "Stop gun smuggling" not in page
    other = client.get("/commitments/", {"theme": "arms"}).content.decode()
    assert "Stop gun smuggling" in other and "Seize fentanyl precursors" not in other
    table = client.get("/commitments/", {"theme": "drugs"}, **HTMX)
    assert table.content.decode().startswith('\n<div id="commitment-table"')
    assert table.content.decode() in page
    assert "HX-Request" in table["Vary"]


def test_an_editor_and_a_reviewer_of_a_team_see_their_own_tools_on_the_claims(
    client, editor, reviewer, meeting
):
    add_claim(meeting, "Zanzibar")
    client.force_login(editor)
    assert "Update verification" in client.get("/claims/").content.decode()
    client.force_login(reviewer)
    html = client.get("/claims/").content.decode()
    assert "Zanzibar" in html and "Update verification" not in html


def test_each_language_gets_its_own_list(client, editor, meeting):
    add_commitment(meeting, "Zanzibar")
    client.force_login(editor)
    assert "1 commitment" in client.get("/commitments/").content.decode()
    client.post("/accounts/language/", {"language": "es", "next": "/"})
    html = client.get("/commitments/").content.decode()
    assert "1 compromiso" in html and "1 commitment" not in html


def csrf_token_in(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_a_form_on_a_page_posts_with_its_reader_s_own_csrf_token(meeting, team):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(make_user("first", team=team, role=TeamRole.EDITOR))
    second.force_login(make_user("second", team=team, role=TeamRole.EDITOR))
    url = meeting.get_absolute_url()
    theirs = csrf_token_in(first.get(url).content.decode())
    html = second.get(url).content.decode()
    assert csrf_token_in(html) != theirs
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


@pytest.mark.parametrize("url", ["/search/", "/commitments/", "/meetings/"])
def test_a_typed_word_is_shown_as_typed_even_one_named_like_a_token(client, editor, url):
    """A page drawn once for every reader once replaced a placeholder with the reader's CSRF
    token, typed text included: what is typed is what the box shows."""
    client.force_login(editor)
    typed = "csrf-token-of-the-reader"
    html = client.get(url, {"q": typed}).content.decode()
    assert f'value="{typed}"' in html
    # …and never becomes the reader's token, in a form or in htmx's headers (#22's probe 3).
    assert csrf_token_in(html) != typed
    assert f'"X-CSRFToken": "{typed}"' not in html
    assert re.search(r'"X-CSRFToken": "[A-Za-z0-9]{64}"', html)


def test_readers_who_may_not_edit_a_meeting_see_its_page_without_the_editor_s_tools(
    client, editor, reviewer, meeting
):
    client.force_login(editor)
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert "Edit meeting" in html and "Archive this meeting" in html
    client.force_login(reviewer)
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert meeting.title in html
    assert "Edit meeting" not in html and "Archive this meeting" not in html


def test_a_commitment_page_shows_its_reader_their_drafts_and_whether_they_follow(
    client, editor, team, commitment
):
    url = commitment.get_absolute_url()
    client.force_login(editor)
    client.post(url, {"action": "post_update", "narrative": "Early notes", "save_draft": "1"})
    assert "Submit this draft for review" in client.get(url).content.decode()  # the author's
    colleague = make_user("colleague", team=team, role=TeamRole.EDITOR)
    client.force_login(colleague)
    html = client.get(url).content.decode()
    assert "Early notes" in html and "Submit this draft for review" not in html
    assert "Stop following" not in html
    Follow.objects.create(user=colleague, commitment=commitment)
    assert "Stop following" in client.get(url).content.decode()


def test_a_user_s_new_name_shows_at_once(client, editor, team, commitment):
    author = make_user("agarcia", team=team, role=TeamRole.EDITOR)
    ProgressUpdate.objects.create(commitment=commitment, author=author, narrative="Seizures up")
    client.force_login(editor)
    url = commitment.get_absolute_url()
    assert "agarcia" in client.get(url).content.decode()  # the timeline names its author
    author.username = "agarcia.mx"
    author.save()
    assert "agarcia.mx" in client.get(url).content.decode()


WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


def test_no_page_writes_to_the_database_when_read(client, world, editor, reviewer):
    """A GET draws; it writes nothing: no cache rows, no folding of tallies, no records. (The
    session's idle clock is written at most once a minute: the first request sets it.)"""
    meeting, commitment, body = world["meeting"], world["commitment"], world["body"]
    pages = [
        "/",
        "/commitments/",
        "/commitments/?status=0&sort=-updated",
        "/meetings/",
        "/bodies/",
        "/claims/",
        "/reviews/",
        "/milestones/",
        "/search/?q=border",
        meeting.get_absolute_url(),
        commitment.get_absolute_url(),
        body.get_absolute_url(),
        f"/meetings/meeting-{meeting.pk}/briefing/",
        f"/parties/party-{world['us'].pk}/briefing/",
        f"/history/commitment-{commitment.pk}/",
    ]
    for reader in (editor, reviewer):
        client.force_login(reader)
        client.get("/")  # sets the session's idle clock
        for url in pages:
            with CaptureQueriesContext(connection) as captured:
                for headers in ({}, HTMX):
                    assert client.get(url, **headers).status_code == 200, url
            writes = [q["sql"] for q in captured if WRITES.match(q["sql"])]
            assert writes == [], (url, writes)


def test_the_headers_links_are_reversed_once_for_each_script_prefix(client, editor):
    """The header's links and a record's (``{% page_url %}``: reversed once a process for each
    script prefix, URLconf and language, not on every page) are those ``reverse`` gives,
    under another prefix too, and every one of the header's is on the page."""
    from django.template import engines
    from django.urls import get_script_prefix, reverse, set_script_prefix

    link = engines["django"].from_string(
        "{% load tracker %}{% page_url 'agreements:search' %} {% page_url name pk %}"
    )
    record = {"name": "agreements:meeting_edit", "pk": 7}
    edit = reverse("agreements:meeting_edit", args=[7])
    assert link.render(record) == f"{reverse('agreements:search')} {edit}"
    assert link.render(record) == "/search/ /meetings/meeting-7/edit/"
    prefix = get_script_prefix()
    set_script_prefix("/tracker/")
    try:
        assert link.render(record) == "/tracker/search/ /tracker/meetings/meeting-7/edit/"
    finally:
        set_script_prefix(prefix)
    assert link.render(record | {"pk": 8}) == "/search/ /meetings/meeting-8/edit/"
    client.force_login(editor)
    html = client.get(reverse("agreements:meeting_list")).text
    names = ("dashboard", "meeting_list", "commitment_list", "milestone_list", "body_list")
    names += ("claim_list", "review_queue", "search")
    for name in [f"agreements:{name}" for name in names] + ["two_factor", "logout", "language_set"]:
        assert f'="{reverse(name)}"' in html, name
    assert 'href="/meetings/" aria-current="page"' in html


def test_the_headers_navigation_marks_the_current_page_in_the_readers_language(rf, editor):
    """The header's navigation (the ``site_nav`` tag: its template drawn once for each page
    name, staff or not, script prefix and language): a link to each list, the current page's
    marked, the admin's for staff only, the texts in the reader's language."""
    from django.contrib.auth.models import AnonymousUser
    from django.template import engines
    from django.template.loader import render_to_string
    from django.urls import get_script_prefix, resolve, set_script_prefix
    from django.utils import translation

    nav = engines["django"].from_string("{% load tracker %}{% site_nav %}")
    request = rf.get("/meetings/")
    request.resolver_match = resolve("/meetings/meeting-7/")
    html = nav.render({"request": request, "user": editor})
    assert html == render_to_string(
        "includes/site_nav.html", {"current": "meeting_detail", "staff": False}
    )
    assert html.count('aria-current="page"') == 1
    assert '<a href="/meetings/" aria-current="page">Meetings</a>' in html
    for path in ["/", "/commitments/", "/milestones/", "/bodies/", "/claims/", "/reviews/"]:
        assert f'<a href="{path}">' in html
    assert '<a href="/search/">Search</a>' in html and "/admin/" not in html
    editor.is_staff = True
    staff = nav.render({"request": request, "user": editor})
    assert '<li><a href="/admin/">Admin</a></li>' in staff
    assert 'aria-current="page"' not in nav.render({"request": rf.get("/"), "user": editor})
    assert "/admin/" not in nav.render({"user": AnonymousUser()})  # no request: none current
    with translation.override("es"):
        spanish = nav.render({"request": request, "user": editor})
    assert '<nav aria-label="Principal">' in spanish
    assert '<a href="/meetings/" aria-current="page">Reuniones</a>' in spanish
    assert '<a href="/admin/">Administración</a>' in spanish
    prefix = get_script_prefix()
    set_script_prefix("/tracker/")
    try:
        moved = nav.render({"request": request, "user": editor})
    finally:
        set_script_prefix(prefix)
    assert '<a href="/tracker/meetings/" aria-current="page">' in moved


def test_what_a_failed_request_says_is_in_the_readers_language():
    """What a failed request says (the ``request_errors`` tag: its template drawn once a
    language), in the reader's language."""
    from django.template import engines
    from django.utils import translation

    errors = engines["django"].from_string("{% load tracker %}{% request_errors %}")
    written = errors.render({})
    assert '<div id="request-error" role="alert" tabindex="-1"\n' in written
    assert '\n         data-http-403="You are not allowed to do that"\n' in written
    assert written.rstrip().endswith(' and try again; nothing you typed was lost."></div>')
    with translation.override("es"):
        assert 'data-http-403="No tiene permiso para hacer eso"' in errors.render({})
    assert errors.render({}) == written
