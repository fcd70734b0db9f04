"""The read API (issue #11, point 5; issue #24, points 2 to 4): per-user keys that users and
admins revoke, the pages' filters and visibility, pages of 50 with the next address, and an
OpenAPI 3 document that is the truth: every answer documented (422 too), closed vocabularies as
enums, bounds, one form of id followed through OpenAPI links. Tools this project did not write
check it against a live server holding the demo: schemathesis with all its checks and its
stateful phase, and a client generated from the document by openapi-python-client."""

from __future__ import annotations

import datetime
import importlib
import io
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements import actions, api
from agreements import models as m
from agreements.forms import CommitmentFilterForm
from agreements.models import ApiToken, Claim, Milestone, Theme
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
    assert token.history.latest().history_change_reason == "Revoked by an admin"


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


# --- The document is the truth (issue #24, point 2) --------------------------------------------


def document() -> dict:
    return Client().get(f"{API}/openapi.json").json()


def parameters(doc: dict, path: str) -> dict[str, dict]:
    return {p["name"]: p["schema"] for p in doc["paths"][f"{API}/{path}"]["get"]["parameters"]}


def closed(schema: dict, doc: dict) -> list:
    """The values a parameter's schema allows, wherever its enum is written."""
    for option in [schema, *schema.get("anyOf", [])]:
        if "enum" in option:
            return option["enum"]
        if "$ref" in option:
            return closed(doc["components"]["schemas"][option["$ref"].rpartition("/")[2]], doc)
    return []


def test_every_operation_documents_its_422_and_its_body(db):
    doc = document()
    operations = [op for path in doc["paths"].values() for op in path.values()]
    assert len(operations) == 8
    for operation in operations:
        answers = operation["responses"]
        assert {"200", "401", "422"} <= set(answers), operation["operationId"]
        refused = answers["422"]["content"]["application/json"]["schema"]
        assert refused == {"$ref": "#/components/schemas/Refused"}
    problem = doc["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "loc", "msg"}


def test_every_closed_vocabulary_is_an_enum_and_pages_have_bounds(db):
    Theme.objects.create(code="cyber", name="Cybersecurity")
    doc = document()
    commitments = parameters(doc, "commitments")
    assert closed(commitments["sort"], doc) == list(CommitmentFilterForm.SORTS)
    assert closed(commitments["status"], doc) == [0, 1, 2, 3]
    # Themes are data: the document lists them as they are when it is served.
    themes = closed(commitments["theme"], doc)
    assert themes == sorted(Theme.objects.values_list("code", flat=True)) and "cyber" in themes
    milestones = parameters(doc, "milestones")
    assert closed(milestones["when"], doc) == ["overdue", "30", "90"]
    assert closed(milestones["status"], doc) == list(m.MilestoneStatus.values)
    assert closed(parameters(doc, "claims")["verification"], doc) == list(m.Verification.values)
    assert closed(parameters(doc, "meetings")["outcome_type"], doc) == list(m.OutcomeType.values)
    for path in ("meetings", "commitments", "bodies", "milestones", "claims"):
        page = parameters(doc, path)["page"]
        assert (page["minimum"], page["maximum"]) == (1, 10_000), path
        listed = doc["paths"][f"{API}/{path}"]["get"]["responses"]["200"]
        shape = listed["content"]["application/json"]["schema"]["$ref"].rpartition("/")[2]
        assert doc["components"]["schemas"][shape]["properties"]["items"]["maxItems"] == 50


def test_a_lists_ids_are_declared_as_links_to_its_detail(db):
    doc = document()
    operations = {op["operationId"]: op for path in doc["paths"].values() for op in path.values()}
    detail_parameter = {"get_meeting": "meeting_id", "get_commitment": "commitment_id"}
    links = {
        (name, link["operationId"], *link["parameters"].items())
        for name, op in operations.items()
        for link in op["responses"]["200"].get("links", {}).values()
    }
    assert links == {
        ("list_meetings", "get_meeting", ("meeting_id", "$response.body#/items/0/id")),
        ("list_commitments", "get_commitment", ("commitment_id", "$response.body#/items/0/id")),
        ("list_commitments", "get_meeting", ("meeting_id", "$response.body#/items/0/event_id")),
        ("get_commitment", "get_meeting", ("meeting_id", "$response.body#/event_id")),
        ("list_bodies", "get_meeting", ("meeting_id", "$response.body#/items/0/founding_event_id")),
    }
    for target, parameter in detail_parameter.items():
        (declared,) = operations[target]["parameters"]
        assert declared["name"] == parameter
        assert declared["schema"]["pattern"] == f"^{target[4:]}-[1-9][0-9]{{0,17}}$"


@pytest.mark.parametrize(
    "path, query, where",
    [
        ("commitments", {"page": "0"}, "page"),
        ("commitments", {"page": "10001"}, "page"),
        ("bodies", {"page": "-2264250427604640"}, "page"),
        ("commitments", {"sort": "anything"}, "sort"),
        ("commitments", {"theme": "no-such-theme"}, "theme"),
        ("commitments", {"status": "7"}, "status"),
        ("milestones", {"when": "soon"}, "when"),
        ("meetings", {"q": "x" * 201}, "q"),
        ("meetings", {"q": "a\x00b"}, "q"),
    ],
)
def test_a_value_outside_the_document_is_a_422_saying_where(editor, commitment, path, query, where):
    client, _ = reader(editor)
    answer = client.get(f"{API}/{path}", query)
    assert answer.status_code == 422
    problems = answer.json()["detail"]
    assert [p["loc"][-1] for p in problems] == [where]
    assert all(isinstance(p["msg"], str) and p["msg"] for p in problems)


# --- Tools that others wrote, against a live server (issue #24, points 3 and 4) ---------------


@pytest.fixture
def demo_api(transactional_db, live_server) -> tuple[str, str]:
    """The demo, served by a live server, and a key of its editor's ("staff"). The sample desk
    brings every dated fact (status changes made by approved updates, milestones done and
    moved, bodies' meetings); added here, on the reference meeting, what it lacks: a source
    with an address (a Popolo link), an approved update citing it, a claim re-verified on a
    day."""
    call_command("load_demo", stdout=io.StringIO())
    staff, reviewer = (User.objects.get(username=name) for name in ("staff", "reviewer"))
    reference = m.Meeting.objects.get(start_date=datetime.date(2025, 9, 3))
    commitment = reference.commitments.order_by("pk").first()
    source = actions.add_source(  # the demo's own source is a report without an address
        source=m.Source(
            team=reference.team, title="Joint patrols begin", url="https://news.example/patrols"
        ),
        meeting=reference,
        by=staff,
    )
    update = actions.submit_update(
        commitment=commitment,
        author=staff,
        narrative="The first joint patrols began.",
        happened_on=datetime.date(2025, 10, 1),
        sources=[source],
    )
    actions.approve_update(update=update, by=reviewer)
    claim = m.Claim.objects.filter(meeting=reference).order_by("pk").first()
    actions.verify_claim(
        claim=claim,
        verification="disputed" if claim.verification != "disputed" else "verified",
        source=source,
        expected=claim.version,
        by=staff,
        on=datetime.date(2025, 11, 1),
    )
    _, key = ApiToken.issue(staff, "interchange")
    return live_server.url, key


def test_schemathesis_with_all_its_checks_and_stateful_finds_nothing(demo_api, tmp_path):
    """Every check schemathesis has (status codes, content types, response schemas, negative
    data refused, positive data accepted, auth enforced, …), every phase (the document's
    examples, coverage of its bounds and enums, fuzzing, and the stateful phase following the
    OpenAPI links), over HTTP as any client would. Bounded and derandomized: a fixed number of
    cases a operation, the same ones each run."""
    url, key = demo_api
    # The stateful phase follows the links the document declares. Left out: the links
    # schemathesis would guess from field names, such as a milestone's ``commitment_id`` to a
    # commitment, which is null for a body's meeting (the guess sends "None" as an id).
    (tmp_path / "schemathesis.toml").write_text("[phases.stateful.inference]\nalgorithms = []\n")
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "--config-file=schemathesis.toml",
            "run",
            f"{url}{API}/openapi.json",
            f"--header=Authorization: Bearer {key}",
            "--checks=all",
            "--phases=examples,coverage,fuzzing,stateful",
            "--max-examples=10",
            "--generation-deterministic",
            "--workers=1",
            "--no-color",
        ],
        cwd=tmp_path,  # its reports and caches stay out of the clone
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert "No issues found" in run.stdout
    assert "Stateful" in run.stdout


def test_a_client_generated_from_the_document_reads_the_whole_demo(demo_api, tmp_path, monkeypatch):
    """openapi-python-client makes a client package from the served document, untouched; it
    reads every list page by page and every detail, and each record it makes reads back as the
    JSON the API sent (nothing lost, nothing it did not expect). Generated here, each run, from
    the document as it is now: a committed copy would be one more thing to keep in step.
    Pages of 2, so that the demo's lists come in several."""
    monkeypatch.setattr(api, "PAGE_SIZE", 2)
    url, key = demo_api
    (tmp_path / "openapi.json").write_bytes(httpx.get(f"{url}{API}/openapi.json").content)
    # No post hooks: what the generator writes is used as written.
    (tmp_path / "config.yaml").write_text("post_hooks: []\n")
    subprocess.run(
        [
            str(Path(sys.executable).parent / "openapi-python-client"),
            "generate",
            "--path=openapi.json",
            "--config=config.yaml",
            "--meta=none",
            "--output-path=tracker_client",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
    )
    sys.path.insert(0, str(tmp_path))
    try:
        read_all(url, key)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.split(".")[0] == "tracker_client"]:
            del sys.modules[name]


def operation(name: str):
    """The generated client's module for an operation (``list_meetings``…)."""
    return importlib.import_module(f"tracker_client.api.default.{name}")


def instants(value):
    """A record as JSON, each date-time read as the instant it names: the API writes them as
    Django's encoder does (RFC 3339 to the millisecond, ``Z`` for UTC), the client writes them
    back as Python's ``isoformat`` (``+00:00``); the same instant spelt two ways is no
    difference, and any other (a lost field, an unexpected one, a changed value) still is."""
    if isinstance(value, dict):
        return {key: instants(item) for key, item in value.items()}
    if isinstance(value, list):
        return [instants(item) for item in value]
    if isinstance(value, str) and "T" in value:
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def read_all(url: str, key: str) -> None:
    """Every list, page by page, and every detail, through the generated client."""
    client = importlib.import_module("tracker_client").AuthenticatedClient(
        base_url=url, token=key, raise_on_unexpected_status=True
    )
    raw = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"})
    staff = User.objects.get(username="staff")
    expected = {
        "list_meetings": m.Meeting.objects.visible_to(staff).active(),
        "list_commitments": m.Commitment.objects.visible_to(staff).active(),
        "list_bodies": m.ImplementationBody.objects.visible_to(staff).active(),
        "list_milestones": m.Milestone.objects.visible_to(staff).active(),
        "list_claims": m.Claim.objects.visible_to(staff).active(),
        "list_sources": m.Source.objects.visible_to(staff),
    }
    details = {"list_meetings": "get_meeting", "list_commitments": "get_commitment"}
    read = {}
    for name, records in expected.items():
        path = name.removeprefix("list_")
        ids, items, number = [], [], 1
        while number:
            page = operation(name).sync(client=client, page=number)
            sent = raw.get(f"{API}/{path}", params={"page": number}).json()
            read_back = [item.to_dict() for item in page.items]
            assert instants(read_back) == instants(sent["items"]), name
            ids += [item.id for item in page.items]
            items += page.items
            number = page.page + 1 if page.next_ else None
        assert len(ids) == records.count() > 0, name
        assert sorted(int(i.rpartition("-")[2]) for i in ids) == sorted(
            records.values_list("pk", flat=True)
        )
        read[name] = items
        if name in details:
            for record_id in ids:  # the list's ids are the detail's
                detail = operation(details[name])
                record = detail.sync(client=client, **{f"{path[:-1]}_id": record_id})
                sent = raw.get(f"{API}/{path}/{record_id}").json()
                assert instants(record.to_dict()) == instants(sent)
    dated_facts_read_as_typed_values(read)


def dated_facts_read_as_typed_values(read: dict) -> None:
    """The dated facts nested in the records (issue #21, point 5) came through the client as
    its own typed values, not left as loose JSON: each kind was there to be read."""
    changes = [c for item in read["list_commitments"] for c in item.status_changes]
    updates = [u for item in read["list_commitments"] for u in item.progress_updates]
    moves = [move for item in read["list_milestones"] for move in item.moves]
    assert changes and updates and moves
    assert all(isinstance(c.effective_on, datetime.date) for c in changes)
    assert all(isinstance(c.recorded_at, datetime.datetime) for c in changes)
    assert all(isinstance(item.status_since, datetime.date) for item in read["list_commitments"])
    made = {c.progress_update_id for c in changes if isinstance(c.progress_update_id, str)}
    assert made and made <= {u.id for u in updates}  # an update id names a listed update
    assert all(isinstance(u.happened_on, datetime.date) for u in updates)
    assert any(link.url and link.note for u in updates for link in u.sources)
    assert all(isinstance(move.moved_on, datetime.date) for move in moves)
    done = [item.completed_on for item in read["list_milestones"]]
    assert any(isinstance(day, datetime.date) for day in done)
    verified = [item.verified_on for item in read["list_claims"]]
    assert any(isinstance(day, datetime.date) for day in verified)


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


def test_the_openapi_document_describes_the_dates(db):
    doc = document()
    schemas = doc["components"]["schemas"]
    change = schemas["StatusChange"]["properties"]
    assert change["effective_on"]["format"] == "date"
    assert change["recorded_at"]["format"] == "date-time"
    assert "status_changes" in schemas["Commitment"]["required"]
    assert schemas["Move"]["properties"]["moved_on"]["description"] == "The day its date was moved."
    assert "verified_on" in schemas["Claim"]["properties"]
    # Issue #24's rules hold for them: closed vocabularies as enums, ids in one form, sources as
    # Popolo links; where a change came from stays open (a command writes its own name).
    update = schemas["ProgressUpdate"]["properties"]
    for status in (change["from_status"], change["to_status"], update["proposed_status"]):
        assert closed(status, doc) == list(m.ImplementationStatus.values)
    for cancellation in (change["from_cancellation"], change["to_cancellation"]):
        assert closed(cancellation, doc) == ["", *m.Cancellation.values]
    assert closed(change["via"], doc) == []
    assert update["id"]["pattern"] == "^update-[1-9][0-9]{0,17}$"
    (named, _null) = change["progress_update_id"]["anyOf"]
    assert named["pattern"] == update["id"]["pattern"]
    assert update["sources"]["items"] == {"$ref": "#/components/schemas/Link"}


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
