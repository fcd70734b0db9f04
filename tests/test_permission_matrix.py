"""One matrix over every page URL × persona × method (pretix's permission-matrix test).

Adding a URL to ``agreements.urls`` without a row here fails ``test_matrix_covers_every_url``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import get_resolver, reverse

from agreements.actions import submit_update
from agreements.models import BodyMembership, Claim, Milestone
from tests.conftest import make_body, make_source, make_user


@dataclass
class Row:
    """How to reach one URL: its kwargs from the world, and a POST body that writes (if any)."""

    kwargs: Callable[[dict], dict] = lambda w: {}
    post: Callable[[dict], dict] | None = None
    # GET status for an outsider: lists show an empty page, records are hidden (404).
    outsider_get: int = 200
    # POST status for an outsider: another team's record is hidden (404).
    outsider_post: int = 404
    # A form page that only editors may open: reviewers get 403 on GET too.
    editors_only: bool = False
    # Who may write here: editors, except where reviewers decide (then editors get 403).
    writers: tuple[str, ...] = ("editor", "admin")


MATRIX: dict[str, Row] = {
    "dashboard": Row(),
    "meeting_list": Row(),
    "meeting_create": Row(
        post=lambda w: {
            "title": "",
            "commitments-TOTAL_FORMS": "0",
            "commitments-INITIAL_FORMS": "0",
        },
        # An outsider edits their own team, so they may record a meeting (for their team).
        outsider_post=422,
        editors_only=True,
    ),
    "meeting_detail": Row(
        kwargs=lambda w: {"pk": w["meeting"].pk},
        post=lambda w: {
            "form": "claim",
            "claim-text": "New claim",
            "claim-verification": "unconfirmed",
        },
        outsider_get=404,
    ),
    "meeting_edit": Row(
        kwargs=lambda w: {"pk": w["meeting"].pk},
        post=lambda w: {
            "title": "",
            "commitments-TOTAL_FORMS": "0",
            "commitments-INITIAL_FORMS": "0",
        },
        outsider_get=404,
        editors_only=True,
    ),
    "commitment_list": Row(),
    "commitment_detail": Row(
        kwargs=lambda w: {"pk": w["commitment"].pk},
        post=lambda w: {
            "action": "toggle_milestone",
            "milestone": w["milestone"].pk,
            "version": w["milestone"].version,
        },
        outsider_get=404,
    ),
    "body_list": Row(),
    "body_detail": Row(
        kwargs=lambda w: {"pk": w["body"].pk},
        post=lambda w: {
            "action": "set_confirmation",
            "membership": w["membership"].pk,
            "version": w["membership"].version,
            "confirmation": "confirmed",
        },
        outsider_get=404,
    ),
    "review_queue": Row(
        post=lambda w: {"update": w["update"].pk, "decision": "approve", "comment": ""},
        writers=("reviewer", "admin"),
    ),
    "record_history": Row(
        kwargs=lambda w: {"kind": "commitment", "pk": w["commitment"].pk},
        outsider_get=404,
    ),
    "claim_list": Row(
        post=lambda w: {
            "claim": w["claim"].pk,
            "version": w["claim"].version,
            "verification": "verified",
            "source": w["source"].pk,
        },
    ),
}


@pytest.fixture
def world(meeting, commitment, team, us):
    body = make_body(meeting)
    body.commitments.add(commitment)
    return {
        "meeting": meeting,
        "commitment": commitment,
        "body": body,
        "membership": BodyMembership.objects.create(body=body, party=us),
        "milestone": Milestone.objects.create(
            commitment=commitment, title="First", due_date=meeting.start_date
        ),
        "claim": Claim.objects.create(text="Unclear", meeting=meeting),
        "source": make_source(team),
        "update": submit_update(
            commitment=commitment, author=make_user("author", team=team), narrative="Seizures"
        ),
    }


def app_url_names() -> set[str]:
    resolver = get_resolver()
    _, app_resolver = next(
        (ns, r) for ns, (_, r) in resolver.namespace_dict.items() if ns == "agreements"
    )
    return {p.name for p in app_resolver.url_patterns if getattr(p, "name", None)}


def test_matrix_covers_every_url():
    assert app_url_names() == set(MATRIX)


CASES = [(name, method) for name in MATRIX for method in ("get", "post")]


def expected(persona: str, method: str, row: Row) -> set[int]:
    if persona == "anonymous":
        return {302}
    if method == "get":
        if persona == "outsider":
            return {row.outsider_get}
        if persona == "reviewer" and row.editors_only:
            return {403}
        return {200}
    if row.post is None:
        return {405}
    # A write that got past the permission check: a redirect, 200 for an in-place answer,
    # or 422 when the (deliberately incomplete) data is refused with errors.
    if persona == "outsider":
        return {row.outsider_post}
    return {200, 302, 303, 422} if persona in row.writers else {403}


@pytest.mark.parametrize("persona", ["anonymous", "outsider", "reviewer", "editor", "admin"])
@pytest.mark.parametrize(("name", "method"), CASES)
def test_permission_matrix(client, world, request, persona, name, method):
    if persona != "anonymous":
        user = request.getfixturevalue("admin_user" if persona == "admin" else persona)
        client.force_login(user)
    row = MATRIX[name]
    url = reverse(f"agreements:{name}", kwargs=row.kwargs(world))
    if method == "get":
        response = client.get(url)
    else:
        response = client.post(url, row.post(world) if row.post else {})
    assert response.status_code in expected(persona, method, row), response.content[:300]
    if persona == "anonymous":
        assert "/accounts/login/" in response.headers["Location"]


def test_outsider_pages_do_not_leak_the_records(client, world, outsider):
    client.force_login(outsider)
    for name, row in MATRIX.items():
        if row.outsider_get != 200:
            continue
        html = client.get(reverse(f"agreements:{name}", kwargs=row.kwargs(world))).content
        for record in (world["meeting"].title, world["commitment"].title, world["body"].name):
            assert record.encode() not in html, (name, record)
