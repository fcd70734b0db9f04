"""One matrix over every page URL × persona × method (pretix's permission-matrix test).

Adding a URL to ``agreements.urls`` without a row here fails ``test_matrix_covers_every_url``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.urls import get_resolver, reverse

from agreements.models import CalendarFeed
from agreements.urls import FORMER
from agreements.views import PAGE_ACTIONS

User = get_user_model()


def checklist_posts(key: str) -> dict[str, Callable[[dict], dict]]:
    """The checklist's two actions on the world's milestone ``key`` (a page's own)."""
    return {
        "toggle_milestone": lambda w: {"milestone": w[key].pk, "version": w[key].version},
        "reschedule_milestone": lambda w: {
            "milestone": w[key].pk,
            "version": w[key].version,
            "to_date": "2026-03-01",
            "reason": "Extended by 90 days",
        },
    }


@dataclass
class Row:
    """How to reach one URL: its kwargs from the world, and a POST body for each thing the page
    does: each of its ``ACTIONS`` (the body gets ``action``), or "save" for a form page."""

    kwargs: Callable[[dict], dict] = lambda w: {}
    # The GET's query string, for a URL that draws what it names (a comparison's meetings).
    query: Callable[[dict], dict] = lambda w: {}
    posts: dict[str, Callable[[dict], dict]] = field(default_factory=dict)
    # GET status for an outsider: lists show an empty page, records are hidden (404).
    outsider_get: int = 200
    # POST status for an outsider: another team's record is hidden (404).
    outsider_post: int = 404
    # A form page that only editors may open: reviewers get 403 on GET too.
    editors_only: bool = False
    # What any signed-in user does for themselves (their calendar address): no team role needed.
    everyone: bool = False
    # Reached without a session (a calendar feed: its secret address is the credential).
    public: bool = False
    # A page's former address (a bare number): a permanent redirect for anyone signed in,
    # whoever may see the record (nothing is looked up), to the page, which decides.
    moved: bool = False


EMPTY_MEETING_FORM = {"title": "", "commitments-TOTAL_FORMS": "0", "commitments-INITIAL_FORMS": "0"}

MATRIX: dict[str, Row] = {
    "dashboard": Row(),
    "search": Row(),
    "meeting_list": Row(),
    "meeting_create": Row(
        posts={"save": lambda w: EMPTY_MEETING_FORM},
        # An outsider edits their own team, so they may record a meeting (for their team).
        outsider_post=422,
        editors_only=True,
    ),
    "meeting_detail": Row(
        kwargs=lambda w: {"pk": w["meeting"].pk},
        posts={
            "add_milestone": lambda w: {"milestone-title": "Plan"},
            "add_statement": lambda w: {"statement-text": "Words"},
            "add_claim": lambda w: {"claim-text": "New claim", "claim-verification": "unconfirmed"},
            "add_source": lambda w: {"source-title": "Readout"},
            "keep_file": lambda w: {"source": w["source"].pk},
            "add_link": lambda w: {"link-relation": "same_series", "link-other": w["earlier"].pk},
            "add_planned": lambda w: {
                "planned-title": "Next round",
                "planned-start_date": "2026-01-20",
                "planned-parties": [p.pk for p in w["meeting"].parties.all()],
            },
            "unlink": lambda w: {"link": w["link"].pk},
            "add_body": lambda w: {"body-name": "Working group", "body-lifecycle": "announced"},
            "add_event": lambda w: {
                "event-title": "Talks resume",
                "event-relation": "follow_up",
                "event-timing_note": "next month",
            },
            "edit_event": lambda w: {
                "event": w["event"].pk,
                f"event-{w['event'].pk}-version": w["event"].version,
                f"event-{w['event'].pk}-title": "Strike at sea",
                f"event-{w['event'].pk}-relation": "background",
                f"event-{w['event'].pk}-timing_note": "the day before",
            },
            "archive_event": lambda w: {"event": w["event"].pk, "reason": "Recorded twice"},
            **checklist_posts("meeting_milestone"),
            "archive": lambda w: {"reason": "Recorded twice"},
        },
        outsider_get=404,
    ),
    "meeting_edit": Row(
        kwargs=lambda w: {"pk": w["meeting"].pk},
        posts={"save": lambda w: EMPTY_MEETING_FORM},
        outsider_get=404,
        editors_only=True,
    ),
    "meeting_import": Row(
        kwargs=lambda w: {"pk": w["meeting"].pk},
        posts={"save": lambda w: {"filename": "x.csv", "content": "title\nNew commitment\n"}},
        outsider_get=404,
        editors_only=True,
    ),
    "meeting_briefing": Row(kwargs=lambda w: {"pk": w["meeting"].pk}, outsider_get=404),
    "body_briefing": Row(kwargs=lambda w: {"pk": w["body"].pk}, outsider_get=404),
    # Parties are shared reference data: an outsider's briefing on one holds only their own
    # team's records (none of the world's: test_outsider_pages_do_not_leak_the_records).
    "party_briefing": Row(kwargs=lambda w: {"pk": w["us"].pk}),
    # Each page's chart: an image of the records it draws, scoped as its page is. An outsider
    # has none of the world's records to draw: nothing is found (404), never another team's.
    "dashboard_chart": Row(outsider_get=404),
    "meeting_chart": Row(kwargs=lambda w: {"pk": w["meeting"].pk}, outsider_get=404),
    "body_chart": Row(kwargs=lambda w: {"pk": w["body"].pk}, outsider_get=404),
    "party_chart": Row(kwargs=lambda w: {"pk": w["us"].pk}, outsider_get=404),
    "meeting_comparison": Row(query=lambda w: {"meetings": w["meeting"].pk}),
    "meeting_comparison_chart": Row(
        query=lambda w: {"meetings": w["meeting"].pk}, outsider_get=404
    ),
    "commitment_list": Row(),
    "commitment_detail": Row(
        kwargs=lambda w: {"pk": w["commitment"].pk},
        posts={
            "follow": lambda w: {"follow": "1"},
            **checklist_posts("milestone"),
            "post_update": lambda w: {"narrative": "Seizures rose"},
            "submit_draft": lambda w: {"update": w["draft"].pk},
            "assess": lambda w: {"assessment-party": w["us"].pk},
            "archive": lambda w: {"reason": "Recorded twice"},
        },
        outsider_get=404,
    ),
    "milestone_list": Row(),
    "open_data": Row(),
    "api_keys": Row(
        posts={"save": lambda w: {"action": "make", "name": "portal"}}, everyone=True
    ),  # everyone's own: an outsider's holds only their team's records
    "calendar": Row(posts={"save": lambda w: {}}, everyone=True),
    "calendar_feed": Row(
        kwargs=lambda w: {"token": CalendarFeed.of(User.objects.get(username="editor")).token},
        public=True,
    ),
    "body_list": Row(
        posts={
            "save": lambda w: {
                "body-meeting": w["meeting"].pk,
                "body-name": "Working group",
                "body-lifecycle": "announced",
            }
        },
        # An outsider edits their own team: the form is theirs, the world's meeting is not one
        # of its choices.
        outsider_post=422,
    ),
    "body_detail": Row(
        kwargs=lambda w: {"pk": w["body"].pk},
        posts={
            "edit_body": lambda w: {
                "body-version": w["body"].version,
                "body-name": "Renamed group",
                "body-lifecycle": "constituted",
            },
            "add_member": lambda w: {
                "members-TOTAL_FORMS": "1",
                "members-INITIAL_FORMS": "0",
                "members-0-party": w["us"].pk,
                "members-0-confirmation": "reported",
            },
            "set_confirmation": lambda w: {
                "membership": w["membership"].pk,
                "version": w["membership"].version,
                "confirmation": "confirmed",
            },
            "end_membership": lambda w: {
                "membership": w["membership"].pk,
                "version": w["membership"].version,
            },
            "add_milestone": lambda w: {
                "milestone-title": "Second session",
                "milestone-due_date": "2026-02-01",
            },
            **checklist_posts("body_milestone"),
        },
        outsider_get=404,
    ),
    "review_queue": Row(
        posts={
            "approve": lambda w: {"update": w["update"].pk},
            "return": lambda w: {"update": w["update"].pk, "comment": "Cite a source"},
        },
    ),
    "record_history": Row(
        kwargs=lambda w: {"kind": "commitment", "pk": w["commitment"].pk},
        outsider_get=404,
    ),
    "source_file": Row(kwargs=lambda w: {"pk": w["file"].pk}, outsider_get=404),
    "claim_list": Row(
        posts={
            "verify": lambda w: {
                "claim": w["claim"].pk,
                "version": w["claim"].version,
                "verification": "verified",
                "source": w["source"].pk,
            },
        },
    ),
}


# Each page that names a record by its id (``commitments/commitment-9/``) keeps its former
# address (``commitments/9/``) as a redirect: a row each, reached with the page's kwargs.
MATRIX |= {
    former.name: Row(
        kwargs=MATRIX[former.name.removesuffix("_former")].kwargs,
        query=lambda w: {"as_of": "2025-10-01"},
        outsider_get=301,
        moved=True,
    )
    for former in FORMER
}


def app_url_names() -> set[str]:
    resolver = get_resolver()
    _, app_resolver = next(
        (ns, r) for ns, (_, r) in resolver.namespace_dict.items() if ns == "agreements"
    )
    return {p.name for p in app_resolver.url_patterns if getattr(p, "name", None)}


def test_matrix_covers_every_url():
    assert app_url_names() == set(MATRIX)


@pytest.mark.parametrize("name", sorted(PAGE_ACTIONS))
def test_matrix_covers_every_action_of_every_page(name):
    assert set(MATRIX[name].posts) == set(PAGE_ACTIONS[name])


def writers(name: str, action: str) -> set[str]:
    """Who may do it: editors (and admins), or reviewers (and admins) where they decide, or
    anyone who sees the record (following a commitment)."""
    permission = PAGE_ACTIONS[name][action].permission if name in PAGE_ACTIONS else "edit"
    if permission == "view":
        return {"admin", "reviewer", "editor"}
    return {"admin", "reviewer" if permission == "review" else "editor"}


CASES = [(name, "get", "") for name in MATRIX] + [
    (name, "post", action) for name, row in MATRIX.items() for action in row.posts or [""]
]


def expected(persona: str, name: str, method: str, action: str) -> set[int]:
    row = MATRIX[name]
    if row.public:
        return {200} if method == "get" else {405}
    if persona == "anonymous":
        return {302}
    if row.moved:  # a GET is moved for good; a form's POST is sent on with its body
        return {301} if method == "get" else {308}
    if method == "get":
        if persona == "outsider":
            return {row.outsider_get}
        if persona == "reviewer" and row.editors_only:
            return {403}
        return {200}
    if not row.posts:
        return {405}
    if row.everyone:
        return {200, 302}
    if persona == "outsider":
        return {row.outsider_post}
    # Past the permission check: a redirect, 200 for an in-place answer, 422 for a form with
    # errors (some bodies are deliberately incomplete), 409 for a refusal by a rule.
    return {200, 302, 303, 409, 422} if persona in writers(name, action) else {403}


@pytest.mark.parametrize("persona", ["anonymous", "outsider", "reviewer", "editor", "admin"])
@pytest.mark.parametrize(("name", "method", "action"), CASES)
def test_permission_matrix(client, world, request, persona, name, method, action):
    if persona != "anonymous":
        user = request.getfixturevalue("admin_user" if persona == "admin" else persona)
        client.force_login(user)
    row = MATRIX[name]
    url = reverse(f"agreements:{name}", kwargs=row.kwargs(world))
    if method == "get":
        response = client.get(url, row.query(world))
    else:
        body = row.posts[action](world) if action else {}
        if name in PAGE_ACTIONS:
            body = {"action": action, **body}
        response = client.post(url, body)
    assert response.status_code in expected(persona, name, method, action), response.content[:300]
    if persona == "anonymous" and not row.public:
        assert "/accounts/login/" in response.headers["Location"]
    elif row.moved:
        page = reverse(f"agreements:{name.removesuffix('_former')}", kwargs=row.kwargs(world))
        query = "?as_of=2025-10-01" if method == "get" else ""
        assert response.headers["Location"] == page + query


@pytest.mark.parametrize("persona", ["outsider", "reviewer", "editor", "admin"])
@pytest.mark.parametrize("former", [f.name for f in FORMER])
def test_a_former_address_leads_to_what_its_page_answers(client, world, request, persona, former):
    """Followed, the redirect ends where the page itself would: the page for those who see
    the record, 404 for an outsider (the redirect told them nothing on the way)."""
    user = request.getfixturevalue("admin_user" if persona == "admin" else persona)
    client.force_login(user)
    name = former.removesuffix("_former")
    row = MATRIX[name]
    kwargs = row.kwargs(world)
    response = client.get(reverse(f"agreements:{former}", kwargs=kwargs), follow=True)
    assert response.redirect_chain == [(reverse(f"agreements:{name}", kwargs=kwargs), 301)]
    assert response.status_code == expected(persona, name, "get", "").pop()


def test_a_former_address_is_answered_alike_whether_the_record_exists(client, editor, world):
    """Nothing is looked up: a number no record has is moved as one the editor sees."""
    client.force_login(editor)
    for number in (world["commitment"].pk, 999_999_999):
        response = client.get(f"/commitments/{number}/?sort=due")
        assert response.status_code == 301
        assert response.headers["Location"] == f"/commitments/commitment-{number}/?sort=due"
    assert client.get("/history/claim/1/").status_code == 404  # a kind with no page


def test_outsider_pages_do_not_leak_the_records(client, world, outsider):
    client.force_login(outsider)
    for name, row in MATRIX.items():
        if row.outsider_get != 200 or row.public:  # a feed shows its address's owner's
            continue
        url = reverse(f"agreements:{name}", kwargs=row.kwargs(world))
        response = client.get(url, row.query(world))
        html = b"".join(response) if response.streaming else response.content
        for record in (world["meeting"].title, world["commitment"].title, world["body"].name):
            assert record.encode() not in html, (name, record)
