"""The read API (issue #11, point 5; issue #24, point 2): per-user keys that users and admins
revoke, the pages' filters and visibility, pages of 50 with the next address, one form of id
across the API, the open data and the pages, and the day each fact happened. Its OpenAPI
document, and the tools others wrote that check it, are in test_api_document.py."""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements import actions
from agreements.models import ApiToken, Claim, Milestone
from agreements.system_texts import shown
from tests.conftest import make_body, make_commitment, make_meeting, make_source

User = get_user_model()

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
    assert outside.get(f"{API}/meetings/meeting-{meeting.pk}").status_code == 404


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
    detail = client.get(f"{API}/commitments/commitment-{commitment.pk}").json()
    assert detail["title"] == commitment.title


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
    assert shown(token.history.latest().history_change_reason) == "Revoked by an admin"


# --- One form of id (issue #24, point 2) ------------------------------------------------------


def test_a_detail_takes_the_id_its_list_returns_and_no_other_form(editor, meeting, commitment):
    client, _ = reader(editor)
    for record, plural in ((meeting, "meetings"), (commitment, "commitments")):
        (item,) = client.get(f"{API}/{plural}").json()["items"]
        assert item["id"] == f"{plural[:-1]}-{record.pk}"
        assert client.get(f"{API}/{plural}/{item['id']}").json() == item
    # The bare number, or another kind's id, is not this operation's id: the caller's mistake.
    for path in (f"commitments/{commitment.pk}", f"commitments/meeting-{meeting.pk}"):
        refused = client.get(f"{API}/{path}")
        assert refused.status_code == 422
        (problem,) = refused.json()["detail"]
        assert problem["loc"] == ["path", "commitment_id"]
    assert client.get(f"{API}/commitments/commitment-999999").status_code == 404


def test_an_id_the_api_or_the_open_data_gives_is_the_one_in_the_pages_address(
    client, editor, meeting, commitment, us
):
    """One form of id across the API, the open data and the pages' addresses: an id read in
    one opens the record's page, and the page links to the others by the same ids."""
    body = make_body(meeting, name="Working group")
    body.commitments.add(commitment)
    api_client, _ = reader(editor)
    client.force_login(editor)
    data = b"".join(client.get("/open-data.json").streaming_content)
    organizations = {o["id"] for o in json.loads(data)["organizations"]}
    assert {f"body-{body.pk}", f"party-{us.pk}"} <= organizations
    ids = {
        "meetings": api_client.get(f"{API}/meetings").json()["items"][0]["id"],
        "commitments": api_client.get(f"{API}/commitments").json()["items"][0]["id"],
        "bodies": api_client.get(f"{API}/bodies").json()["items"][0]["id"],
    }
    assert ids == {
        "meetings": f"meeting-{meeting.pk}",
        "commitments": f"commitment-{commitment.pk}",
        "bodies": f"body-{body.pk}",
    }
    for plural, typed in ids.items():
        assert client.get(f"/{plural}/{typed}/").status_code == 200
    assert client.get(f"/parties/party-{us.pk}/briefing/").status_code == 200
    assert client.get(f"/history/commitment-{commitment.pk}/").status_code == 200
    assert commitment.get_absolute_url() == f"/commitments/{ids['commitments']}/"
    page = client.get(f"/meetings/{ids['meetings']}/").content.decode()
    assert f'href="/commitments/{ids["commitments"]}/"' in page
    # Another kind's id is no page's address.
    assert client.get(f"/commitments/meeting-{meeting.pk}/").status_code == 404


def test_the_filters_name_records_by_the_same_ids(editor, team, meeting, us, mexico):
    make_commitment(meeting, title="Ours", parties=[us])
    make_commitment(meeting, title="Theirs", parties=[mexico])
    client, _ = reader(editor)
    (roles,) = [
        c["party_roles"]
        for c in client.get(f"{API}/commitments").json()["items"]
        if c["title"] == "Ours"
    ]
    party = roles[0]["organization_id"]  # as a record names it
    listed = client.get(f"{API}/commitments", {"party": party}).json()["items"]
    assert [c["title"] for c in listed] == ["Ours"]
    by_team = client.get(f"{API}/meetings", {"team": f"team-{team.pk}"}).json()["items"]
    assert [found["id"] for found in by_team] == [f"meeting-{meeting.pk}"]
    # A well-formed id that names nothing the user may see matches nothing (not every record).
    for path, name, value in (
        ("commitments", "party", "party-999999"),
        ("commitments", "body", "body-999999"),
        ("meetings", "year", "1999"),
        ("milestones", "team", "team-999999"),
    ):
        answer = client.get(f"{API}/{path}", {name: value})
        assert (answer.status_code, answer.json()["items"]) == (200, []), (path, name)
    refused = client.get(f"{API}/commitments", {"party": str(us.pk)})  # the bare number
    assert refused.status_code == 422
    assert [p["loc"] for p in refused.json()["detail"]] == [["query", "party"]]


def test_the_pages_lists_filter_by_the_ids_the_api_and_the_open_data_write(
    client, editor, team, meeting, us, mexico
):
    """The lists' filters write their choices as the API and the open data name the records
    (``party-3``), so an id read in one filters the other; a bare number, as the lists'
    addresses were written before, still reads the same (old links and bookmarks work)."""
    make_commitment(meeting, title="Ours", parties=[us])
    make_commitment(meeting, title="Theirs", parties=[mexico])
    body = make_body(meeting, name="Working group")
    api_client, _ = reader(editor)
    client.force_login(editor)
    (ours,) = [
        c for c in api_client.get(f"{API}/commitments").json()["items"] if c["title"] == "Ours"
    ]
    party = ours["party_roles"][0]["organization_id"]
    assert party == f"party-{us.pk}"
    for asked in (party, str(us.pk)):
        page = client.get("/commitments/", {"party": asked}).content.decode()
        assert f'<option value="{party}" selected>' in page, asked
        assert "Ours" in page and "Theirs" not in page
    for path, name, typed in (
        ("/meetings/", "team", f"team-{team.pk}"),
        ("/meetings/", "party", f"party-{mexico.pk}"),
        ("/milestones/", "team", f"team-{team.pk}"),
        ("/commitments/", "team", f"team-{team.pk}"),
        ("/commitments/", "body", f"body-{body.pk}"),
        ("/claims/", "team", f"team-{team.pk}"),
        ("/claims/", "meeting", f"meeting-{meeting.pk}"),
    ):
        page = client.get(path, {name: typed}).content.decode()
        assert f'<option value="{typed}" selected>' in page, (path, name)
    # The party briefing's link to its commitments names the party the same way.
    briefing = client.get(f"/parties/party-{us.pk}/briefing/").content.decode()
    assert f"/commitments/?party={party}" in briefing
    # An id of another kind names nothing here: the filter is ignored, as any bad value is.
    page = client.get("/commitments/", {"party": f"body-{body.pk}"}).content.decode()
    assert (
        "Ours" in page
        and "Theirs" in page
        and " selected>" not in page.split('name="party"')[1].split("</select>")[0]
    )


# --- Dated facts (issue #21, point 5) ----------------------------------------------------------


def test_the_api_carries_the_day_each_fact_happened(editor, reviewer, meeting, commitment):
    """Issue #21, point 5: dated facts with their day, beside when they were recorded."""
    oct_, nov = datetime.date(2025, 10, 1), datetime.date(2025, 11, 1)
    source = make_source(meeting.team, title="Wire report")
    update = actions.submit_update(
        commitment=commitment,
        author=editor,
        narrative="Patrols began",
        proposed_status=2,
        happened_on=oct_,
        sources=[source],
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
        source=source,
        expected=claim.version,
        by=editor,
        on=nov,
    )
    client, _ = reader(editor)
    shown = client.get(f"{API}/commitments/commitment-{commitment.pk}").json()
    assert shown["status_since"] == "2025-10-01"
    (change,) = shown["status_changes"]
    assert (change["effective_on"], change["to_status"], change["via"]) == (
        "2025-10-01",
        2,
        "review",
    )
    assert change["recorded_at"].startswith(timezone.localdate().isoformat())
    (progress,) = shown["progress_updates"]
    assert (progress["id"], progress["happened_on"]) == (f"update-{update.pk}", "2025-10-01")
    assert change["progress_update_id"] == progress["id"]  # one form of id (issue #24)
    assert progress["sources"] == [{"url": source.url, "note": "Wire report"}]
    assert progress["source_ids"] == [f"source-{source.pk}"]
    listed = client.get(f"{API}/commitments").json()["items"]
    assert listed[0]["status_changes"] == shown["status_changes"]
    (milestone,) = client.get(f"{API}/milestones").json()["items"]
    assert [(move["from_date"], move["moved_on"]) for move in milestone["moves"]] == [
        ("2025-11-01", "2025-10-01")
    ]
    (said,) = client.get(f"{API}/claims").json()["items"]
    assert said["verified_on"] == "2025-11-01"


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
