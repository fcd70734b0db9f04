"""The read API (issue #11, point 5): per-user keys that users and admins revoke, the pages'
filters and visibility, pages of 50 with the next address, an OpenAPI 3 document, and a
schema-driven fuzzer (schemathesis) finding no server error and no answer outside the schema."""

from __future__ import annotations

import datetime

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings

from agreements import actions
from agreements.models import ApiToken, Claim, Milestone
from tests.conftest import make_body, make_commitment, make_meeting, make_source

API = "/api/v1"


def reader(user) -> tuple[Client, ApiToken]:
    """A client sending a fresh key of ``user``'s, as a script would (no session)."""
    token, key = ApiToken.issue(user, "script")
    return Client(headers={"Authorization": f"Bearer {key}"}), token


def test_a_key_is_needed_and_a_revoked_one_is_refused(editor, commitment):
    assert Client().get(f"{API}/commitments").status_code == 401
    bad = Client(headers={"Authorization": "Bearer at_not-a-key"})
    assert bad.get(f"{API}/commitments").status_code == 401
    client, token = reader(editor)
    response = client.get(f"{API}/commitments")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token.refresh_from_db()
    assert token.last_used_at is not None
    token.revoke()
    assert client.get(f"{API}/commitments").status_code == 401


def test_a_deactivated_users_keys_stop(editor, commitment):
    client, _ = reader(editor)
    editor.is_active = False
    editor.save()
    assert client.get(f"{API}/commitments").status_code == 401


def test_only_a_digest_is_stored(editor):
    token, key = ApiToken.issue(editor, "portal")
    assert key not in {token.digest, token.prefix} and key.startswith(token.prefix)
    assert not ApiToken.objects.filter(digest=key).exists()


def test_the_api_reads_what_the_user_sees_with_the_pages_filters(
    editor, outsider, team, meeting, us
):
    make_commitment(meeting, title="Halt fentanyl", theme="drugs", parties=[us])
    make_commitment(meeting, title="Stop guns", theme="arms")
    client, _ = reader(editor)
    listed = client.get(f"{API}/commitments", {"theme": "drugs"}).json()
    assert [c["title"] for c in listed["items"]] == ["Halt fentanyl"]
    assert listed["items"][0]["party_roles"] == [
        {"organization_id": f"party-{us.pk}", "role": "joint"}
    ]
    (only,) = client.get(f"{API}/meetings").json()["items"]
    assert only["id"] == f"meeting-{meeting.pk}"
    outside, _ = reader(outsider)
    assert outside.get(f"{API}/commitments").json()["items"] == []
    assert outside.get(f"{API}/meetings/{meeting.pk}").status_code == 404


def test_every_list_answers(editor, meeting, commitment):
    body = make_body(meeting)
    Milestone.objects.create(body=body, title="Sitting", due_date="2026-01-01")
    Claim.objects.create(text="Said", commitment=commitment)
    client, _ = reader(editor)
    for path, field in (
        ("bodies", "founding_event_id"),
        ("milestones", "due_date"),
        ("claims", "about_id"),
    ):
        (item,) = client.get(f"{API}/{path}").json()["items"]
        assert field in item
    assert client.get(f"{API}/commitments/{commitment.pk}").json()["title"] == commitment.title


def test_a_claims_filter_names_a_verification_and_anything_else_is_refused(editor, commitment):
    Claim.objects.create(text="Said", commitment=commitment, verification="disputed")
    client, _ = reader(editor)
    listed = client.get(f"{API}/claims", {"verification": "disputed"}).json()["items"]
    assert [claim["text"] for claim in listed] == ["Said"]
    assert client.get(f"{API}/claims", {"verification": "verified"}).json()["items"] == []
    # A value outside the vocabulary, a NUL byte included (which PostgreSQL cannot compare
    # with text), is the caller's mistake, not the server's.
    for value in ("maybe", "\x00"):
        assert client.get(f"{API}/claims", {"verification": value}).status_code == 422


@pytest.mark.parametrize(
    "path, field",
    [
        ("meetings", "q"),
        ("meetings", "outcome_type"),
        ("commitments", "q"),
        ("commitments", "theme"),
        ("commitments", "sort"),
        ("milestones", "q"),
        ("milestones", "status"),
    ],
)
def test_a_nul_byte_in_a_text_filter_is_no_server_error(editor, commitment, path, field):
    client, _ = reader(editor)
    assert client.get(f"{API}/{path}", {field: "a\x00b"}).status_code in (200, 422)


def test_pages_of_fifty_with_the_next_address(editor, team):
    meeting = make_meeting(team)
    for i in range(51):
        make_commitment(meeting, title=f"C{i:02d}")
    client, _ = reader(editor)
    first = client.get(f"{API}/commitments", {"sort": "title"}).json()
    assert len(first["items"]) == 50
    assert first["next"] == "http://testserver/api/v1/commitments?sort=title&page=2"
    second = client.get(first["next"]).json()
    assert [c["title"] for c in second["items"]] == ["C50"] and second["next"] is None


def test_the_openapi_document_is_served(db):
    document = Client().get(f"{API}/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/commitments", "/api/v1/meetings/{meeting_id}"} <= set(document["paths"])


def test_users_make_and_revoke_their_keys(client, editor, reviewer):
    client.force_login(editor)
    made = client.post("/api-keys/", {"action": "make", "name": "data portal"})
    key = made.context["key"]
    assert key and key in made.content.decode()  # shown this once
    assert key not in client.get("/api-keys/").content.decode()
    token = ApiToken.objects.get(user=editor)
    assert token.history.get().history_user == editor
    client.force_login(reviewer)  # another user's key is not theirs to revoke
    assert client.post("/api-keys/", {"action": "revoke", "token": token.pk}).status_code == 404
    client.force_login(editor)
    assert client.post("/api-keys/", {"action": "revoke", "token": token.pk}).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_an_admin_revokes_a_key(admin_client, editor):
    token, _ = ApiToken.issue(editor, "portal")
    admin_client.post(
        "/admin/agreements/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.history.latest().history_change_reason == "Revoked by an admin"


def test_schemathesis_finds_no_error_and_no_answer_outside_the_schema(
    django_settings_for_api, editor, meeting, commitment
):
    from tracker.wsgi import application

    make_body(meeting)
    Claim.objects.create(text="Said", commitment=commitment)
    _, key = ApiToken.issue(editor, "fuzzer")
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 7
    for operation in operations:

        @settings(
            max_examples=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {key}"})

        check()


@pytest.fixture
def django_settings_for_api(settings, db):
    """schemathesis calls the app in process as host "localhost", through the WSGI handler
    itself: the start and end of each request must not close the test's database connection
    (Django's own test client disconnects the same signals)."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield settings
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def test_the_api_carries_the_day_each_fact_happened(editor, reviewer, meeting, commitment):
    """Issue #21, point 5: dated facts with their day, beside when they were recorded."""
    oct_, nov = datetime.date(2025, 10, 1), datetime.date(2025, 11, 1)
    update = actions.submit_update(
        commitment=commitment,
        author=editor,
        narrative="Patrols began",
        proposed_status=2,
        happened_on=oct_,
    )
    actions.approve_update(update=update, by=reviewer)
    step = Milestone.objects.create(commitment=commitment, title="Report", due_date=nov)
    actions.reschedule_milestone(
        milestone=step,
        expected=step.version,
        to_date=datetime.date(2026, 3, 1),
        reason="Extended",
        by=editor,
        moved_on=oct_,
    )
    claim = Claim.objects.create(text="Said", commitment=commitment)
    actions.verify_claim(
        claim=claim,
        verification="disputed",
        source=make_source(meeting.team),
        expected=claim.version,
        by=editor,
        on=nov,
    )
    client, _ = reader(editor)
    shown = client.get(f"{API}/commitments/{commitment.pk}").json()
    assert shown["status_since"] == "2025-10-01"
    (change,) = shown["status_changes"]
    assert (change["effective_on"], change["to_status"], change["via"]) == (
        "2025-10-01",
        2,
        "review",
    )
    assert change["recorded_at"].startswith(timezone.localdate().isoformat())
    assert [u["happened_on"] for u in shown["progress_updates"]] == ["2025-10-01"]
    listed = client.get(f"{API}/commitments").json()["items"]
    assert listed[0]["status_changes"] == shown["status_changes"]
    (milestone,) = client.get(f"{API}/milestones").json()["items"]
    assert [(m["from_date"], m["moved_on"]) for m in milestone["moves"]] == [
        ("2025-11-01", "2025-10-01")
    ]
    (said,) = client.get(f"{API}/claims").json()["items"]
    assert said["verified_on"] == "2025-11-01"


def test_the_openapi_document_describes_the_dates(db):
    schemas = Client().get(f"{API}/openapi.json").json()["components"]["schemas"]
    change = schemas["StatusChange"]["properties"]
    assert change["effective_on"]["format"] == "date"
    assert change["recorded_at"]["format"] == "date-time"
    assert "status_changes" in schemas["Commitment"]["required"]
    assert schemas["Move"]["properties"]["moved_on"]["description"] == "The day its date was moved."
    assert "verified_on" in schemas["Claim"]["properties"]


@pytest.mark.perf
def test_a_lists_queries_do_not_grow_with_its_dated_facts(editor, reviewer, meeting):
    client, _ = reader(editor)

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{API}/{path}").status_code == 200
        return len(captured)

    def fill(n: int) -> None:
        for _ in range(n):
            commitment = make_commitment(meeting)
            update = actions.submit_update(
                commitment=commitment, author=editor, narrative="x", proposed_status=1
            )
            actions.approve_update(update=update, by=reviewer)
            step = Milestone.objects.create(
                commitment=commitment, title="x", due_date=datetime.date(2025, 11, 1)
            )
            actions.reschedule_milestone(
                milestone=step, expected=1, to_date=datetime.date(2026, 1, 1), reason="x", by=editor
            )

    fill(5)
    count("commitments")  # the key's first use is written down once; not a list's query
    few = [count("commitments"), count("milestones")]
    fill(40)
    assert [count("commitments"), count("milestones")] == few
