"""The read API's OpenAPI document is the truth (issue #24, points 2 to 4): every answer
documented (422 too), closed vocabularies as enums, bounds, one form of id followed through
OpenAPI links; and tools this project did not write check it against a live server holding the
demo: schemathesis with all its checks and its stateful phase, and a client generated from the
document by openapi-python-client."""

from __future__ import annotations

import datetime
import importlib
import io
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from agreements import actions, api
from agreements import models as m
from agreements.forms import CommitmentFilterForm
from agreements.models import ApiToken, Theme
from tests.test_api import API, reader

User = get_user_model()

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
