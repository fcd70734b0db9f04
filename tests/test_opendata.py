"""The open-data export (issue #11, point 4; issue #24, point 1): everything a user may see, each
record with its sources; the records it calls Popolo valid against Popolo's own JSON Schemas
(draft-03, tests/schemas/popolo/, origin and versions in its README), the whole document against
our stricter docs/open-data.schema.json."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from jsonschema import Draft3Validator, Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT3

from agreements import actions, opendata
from agreements.models import (
    Assessment,
    BodyMembership,
    Claim,
    Commitment,
    CommitmentParty,
    ContextEvent,
    ImplementationBody,
    Meeting,
    Milestone,
    Participant,
    Party,
    Person,
    Source,
    Statement,
)
from tests.conftest import make_body, make_commitment, make_meeting, make_source

User = get_user_model()

SCHEMA = json.loads((Path(__file__).parent.parent / "docs/open-data.schema.json").read_text())
URL = "/open-data.json"

POPOLO = {
    path.stem: json.loads(path.read_text())
    for path in (Path(__file__).parent / "schemas/popolo").glob("*.json")
}
# The sections that hold Popolo records, and the Popolo class of each.
POPOLO_SECTIONS = {
    "organizations": "organization",
    "persons": "person",
    "memberships": "membership",
    "events": "event",
    "speeches": "speech",
}


def _not_stored(uri: str):
    raise LookupError(f"{uri} is not among the stored Popolo schemas (tests/schemas/popolo/)")


# Popolo's schemas refer to each other by their published addresses: those are answered from
# the stored copies, and nothing is fetched.
POPOLO_REGISTRY = Registry(retrieve=_not_stored).with_resources(
    (schema["id"].removesuffix("#"), DRAFT3.create_resource(schema)) for schema in POPOLO.values()
)


def export(client) -> dict:
    response = client.get(URL)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/json"
    return json.loads(b"".join(response.streaming_content))


def valid(document: dict) -> list[str]:
    validator = Draft202012Validator(SCHEMA, format_checker=FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def popolo_errors(document: dict) -> list[str]:
    """What Popolo's own schemas find wrong with the document's Popolo records, formats
    (``uri``, ``date-time``) checked too, as a strict consumer would."""
    errors = []
    for section, kind in POPOLO_SECTIONS.items():
        validator = Draft3Validator(
            POPOLO[kind], registry=POPOLO_REGISTRY, format_checker=Draft3Validator.FORMAT_CHECKER
        )
        for record in document[section]:
            errors += [
                f"{record.get('id')} {list(e.absolute_path)}: {e.message}"
                for e in validator.iter_errors(record)
            ]
    return errors


@pytest.fixture
def everything(team, meeting, commitment, us, mexico, editor):
    """One record of every kind the export holds, sourced where records cite sources."""
    source = make_source(team, title="Wire report")
    meeting.parties.set([us, mexico])
    meeting.sources.add(source)
    commitment.sources.add(source)
    rubio = Person.objects.create(team=team, name="Marco Rubio", party=us)
    Participant.objects.create(
        meeting=meeting, person=rubio, party=us, office="Secretary of State", role="delegate"
    )
    body = make_body(meeting, name="High-level implementation group")
    body.commitments.add(commitment)
    BodyMembership.objects.create(body=body, party=mexico, confirmation="reported")
    statement = Statement.objects.create(
        meeting=meeting,
        speaker=rubio,
        party=us,
        kind="readout",
        text="We agreed.",
        said_on=meeting.start_date,
    )
    statement.commitments.add(commitment)
    ContextEvent.objects.create(meeting=meeting, title="Strike", relation="background")
    Milestone.objects.create(commitment=commitment, title="Report", due_date="2026-01-01")
    Milestone.objects.create(meeting=meeting, title="In force", due_date="2026-02-01")
    Assessment.objects.create(
        commitment=commitment,
        party=us,
        score="0",
        justification="Partly",
        as_of="2025-10-01",
        assessed_by=editor,
    )
    claim = actions.add_claim(
        claim=Claim(text="Seizures rose", commitment=commitment, verification="reported"),
        sources=[source],
        by=editor,
    )
    return {"source": source, "claim": claim, "statement": statement, "body": body}


def test_the_export_holds_every_kind_of_record_and_is_valid(client, editor, everything):
    client.force_login(editor)
    document = export(client)
    assert valid(document) == []
    counts = {name: len(rows) for name, rows in document.items() if name != "meta"}
    assert counts == {
        "organizations": 3,  # two parties and the body
        "persons": 1,
        "memberships": 2,  # a participant and a body member
        "events": 2,  # the meeting and its context event
        "speeches": 1,
        "commitments": 1,
        "milestones": 2,  # a commitment's and the meeting's own
        "assessments": 1,
        "claims": 1,
        "sources": 1,
    }
    source = everything["source"]
    link = {"url": source.url, "note": source.title}
    source_id = f"source-{source.pk}"
    (commitment,) = document["commitments"]
    assert (commitment["sources"], commitment["source_ids"]) == ([link], [source_id])
    assert document["claims"][0]["sources"] == [link]
    assert document["claims"][0]["source_ids"] == [source_id]
    (meeting,) = (e for e in document["events"] if e["classification"] == "meeting")
    assert (meeting["sources"], meeting["source_ids"]) == ([link], [source_id])
    (speech,) = document["speeches"]
    assert speech["commitment_ids"] == [commitment["id"]] and speech["type"] == "readout"
    assert speech["said_on"] == everything["statement"].said_on.isoformat()
    body = next(o for o in document["organizations"] if o["id"].startswith("body-"))
    assert body["commitment_ids"] == [commitment["id"]]
    owners = {m["title"]: (m["meeting_id"], m["commitment_id"]) for m in document["milestones"]}
    assert owners == {"Report": (None, commitment["id"]), "In force": (meeting["id"], None)}


def test_the_schema_catches_what_it_should(client, editor, everything):
    """The schema is strict: a missing field or a stray one is an error."""
    client.force_login(editor)
    document = export(client)
    del document["commitments"][0]["status"]
    document["sources"][0]["secret"] = "x"
    assert len(valid(document)) == 2


def test_its_popolo_records_are_valid_against_popolos_own_schemas(client, editor, everything):
    client.force_login(editor)
    document = export(client)
    assert all(document[section] for section in POPOLO_SECTIONS)  # every kind is checked
    assert popolo_errors(document) == []


def test_a_source_without_an_address_is_cited_by_id_only(client, editor, team, everything):
    """A Popolo link needs an address: a source without one (a printed report) is not made
    into a link with an empty one, and is still cited by id, described in ``sources``."""
    printed = make_source(team, title="Printed readout", url="")
    everything["statement"].sources.add(everything["source"], printed)
    client.force_login(editor)
    document = export(client)
    (speech,) = document["speeches"]
    assert [link["note"] for link in speech["sources"]] == ["Wire report"]
    assert sorted(speech["source_ids"]) == sorted(
        [f"source-{everything['source'].pk}", f"source-{printed.pk}"]
    )
    assert f"source-{printed.pk}" in {s["id"] for s in document["sources"]}
    assert popolo_errors(document) == [] and valid(document) == []


def test_an_internationalised_address_is_written_as_a_uri(client, editor, team, everything):
    everything["statement"].sources.add(
        make_source(team, title="Informe", url="https://méxico.example/año")
    )
    client.force_login(editor)
    document = export(client)
    (speech,) = document["speeches"]
    assert "https://m%C3%A9xico.example/a%C3%B1o" in {link["url"] for link in speech["sources"]}
    assert popolo_errors(document) == []


def test_popolos_schemas_catch_what_a_popolo_consumer_would_refuse(client, editor, everything):
    """The check is real: sources given as bare ids (as before issue #24), a link whose address
    is no URI, a speech's day where Popolo wants a date-time, each is an error."""
    client.force_login(editor)
    document = export(client)
    (meeting,) = (e for e in document["events"] if e["classification"] == "meeting")
    meeting["sources"] = meeting["source_ids"]
    body = next(o for o in document["organizations"] if o["id"].startswith("body-"))
    body["sources"] = [{"url": "not a uri", "note": "x"}]
    document["speeches"][0]["date"] = document["speeches"][0]["said_on"]
    errors = popolo_errors(document)
    assert len(errors) == 3, errors
    assert any("is not of type 'object'" in e for e in errors)
    assert any("is not a 'uri'" in e for e in errors)
    assert any("is not a 'date-time'" in e for e in errors)


def test_the_demos_export_is_valid_against_both_schemas(client, db):
    call_command("load_demo", stdout=io.StringIO())
    client.force_login(User.objects.get(username="staff"))
    document = export(client)
    assert all(document[section] for section in POPOLO_SECTIONS)
    assert popolo_errors(document) == []
    assert valid(document) == []


def test_the_export_holds_nothing_of_another_team(client, outsider, everything):
    client.force_login(outsider)
    document = export(client)
    assert valid(document) == []
    holdings = {name: rows for name, rows in document.items() if name != "meta"}
    # Parties are shared public facts; everything else belongs to a team.
    assert {name for name, rows in holdings.items() if rows} == {"organizations"}
    assert all(o["id"].startswith("party-") for o in holdings["organizations"])


def test_archived_records_are_left_out(client, editor, team, everything):
    archived = make_meeting(team, title="Archived talks")
    make_commitment(archived, title="Old promise")
    actions.archive_record(record=archived, by=editor, reason="Recorded twice")
    client.force_login(editor)
    document = export(client)
    assert "Archived talks" not in json.dumps(document)


@pytest.mark.perf
def test_its_queries_do_not_grow_with_the_records(client, editor, meeting, us):
    client.force_login(editor)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            b"".join(client.get(URL).streaming_content)
        return len(captured)

    for _ in range(5):
        make_commitment(meeting, parties=[us]).sources.add(make_source(meeting.team))
    few = count()
    for _ in range(45):
        make_commitment(meeting, parties=[us]).sources.add(make_source(meeting.team))
    assert count() == few


@pytest.mark.perf
def test_it_reads_each_kind_a_chunk_at_a_time(client, editor, meeting, us, monkeypatch):
    """Never a whole table in memory: 25 commitments read 10 at a time, each chunk with its
    own fetch of their sources."""
    monkeypatch.setattr(opendata, "CHUNK", 10)
    for _ in range(25):
        make_commitment(meeting, parties=[us])
    client.force_login(editor)
    with CaptureQueriesContext(connection) as captured:
        document = export(client)
    assert len(document["commitments"]) == 25
    fetches = [q for q in captured if 'FROM "agreements_commitmentparty"' in q["sql"]]
    assert len(fetches) == 3  # 10 + 10 + 5


# Dated facts (issue #21, point 5) -------------------------------------------------------------

OCT, NOV = datetime.date(2025, 10, 1), datetime.date(2025, 11, 1)  # the meeting: 3 Sep 2025


@pytest.fixture
def dated(team, meeting, commitment, mexico, editor, reviewer):
    """One of each dated fact, dated in the past and recorded today."""
    source = make_source(team)
    update = actions.submit_update(
        commitment=commitment,
        author=editor,
        narrative="Patrols began",
        proposed_status=1,
        happened_on=OCT,
        sources=[source],
    )
    actions.approve_update(update=update, by=reviewer)
    actions.change_commitment_status(  # an older fact entered after a newer one
        commitment=commitment, is_stalled=True, reason="Blocked", by=editor, via="admin",
        effective_on=datetime.date(2025, 9, 20),
    )  # fmt: skip
    actions.submit_update(  # awaiting review: not progress that counts yet
        commitment=commitment, author=editor, narrative="Claimed", happened_on=NOV
    )
    step = Milestone.objects.create(commitment=commitment, title="Report", due_date=NOV)
    actions.reschedule_milestone(
        milestone=step, expected=step.version, to_date=datetime.date(2026, 3, 1),
        reason="Extended", by=editor, moved_on=OCT,
    )  # fmt: skip
    step.refresh_from_db()
    actions.toggle_milestone(milestone=step, expected=step.version, by=editor, on=NOV)
    body = make_body(meeting, name="Working group")
    member = BodyMembership.objects.create(body=body, party=mexico, start_date=OCT)
    actions.set_membership_confirmation(
        membership=member, confirmation="confirmed", expected=member.version, by=editor, on=NOV
    )
    claim = Claim.objects.create(text="Seizures rose", commitment=commitment)
    actions.verify_claim(
        claim=claim, verification="disputed", source=source, expected=claim.version, by=editor,
        on=NOV,
    )  # fmt: skip
    return {"update": update, "source": source}


def test_the_export_carries_the_day_each_fact_happened(client, editor, commitment, dated):
    client.force_login(editor)
    document = export(client)
    assert valid(document) == [] and popolo_errors(document) == []
    today = timezone.localdate().isoformat()
    (shown,) = document["commitments"]
    assert shown["status_since"] == "2025-10-01"
    assert [
        (c["effective_on"], c["from_status"], c["to_status"], c["to_stalled"], c["via"])
        for c in shown["status_changes"]
    ] == [("2025-09-20", 0, 0, True, "admin"), ("2025-10-01", 0, 1, False, "review")]
    assert all(c["recorded_at"].startswith(today) for c in shown["status_changes"])
    assert shown["status_changes"][1]["progress_update_id"] == f"update-{dated['update'].pk}"
    (progress,) = shown["progress_updates"]  # the approved one only
    assert (progress["id"], progress["happened_on"], progress["narrative"]) == (
        f"update-{dated['update'].pk}",
        "2025-10-01",
        "Patrols began",
    )
    assert progress["recorded_at"].startswith(today)
    source = dated["source"]  # cited as every record cites its sources (issue #24)
    assert progress["sources"] == [{"url": source.url, "note": source.title}]
    assert progress["source_ids"] == [f"source-{source.pk}"]
    (milestone,) = document["milestones"]
    assert milestone["completed_on"] == "2025-11-01"
    (move,) = milestone["moves"]
    assert (move["from_date"], move["to_date"], move["moved_on"]) == (
        "2025-11-01",
        "2026-03-01",
        "2025-10-01",
    )
    member = next(m for m in document["memberships"] if m["id"].startswith("member-"))
    assert (member["start_date"], member["confirmed_on"]) == ("2025-10-01", "2025-11-01")
    (claim,) = document["claims"]
    assert claim["verified_on"] == "2025-11-01"


def test_the_schema_holds_the_dated_facts_to_their_shape(client, editor, dated):
    client.force_login(editor)
    document = export(client)
    document["commitments"][0]["status_changes"][0]["effective_on"] = "20 Sep 2025"
    del document["milestones"][0]["moves"][0]["moved_on"]
    document["claims"][0]["verified_on"] = "yesterday"
    document["commitments"][0]["progress_updates"][0]["sources"] = [f"source-{dated['source'].pk}"]
    assert len(valid(document)) == 4


@pytest.mark.perf
def test_its_queries_do_not_grow_with_the_dated_facts(client, editor, reviewer, meeting):
    client.force_login(editor)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            b"".join(client.get(URL).streaming_content)
        return len(captured)

    def fill(n: int) -> None:
        for _ in range(n):
            commitment = make_commitment(meeting)
            update = actions.submit_update(
                commitment=commitment, author=editor, narrative="x", proposed_status=1,
                happened_on=OCT, sources=[make_source(meeting.team)],
            )  # fmt: skip
            actions.approve_update(update=update, by=reviewer)
            step = Milestone.objects.create(commitment=commitment, title="x", due_date=NOV)
            actions.reschedule_milestone(
                milestone=step, expected=1, to_date=NOV.replace(year=2026), reason="x", by=editor
            )

    fill(5)
    few = count()
    fill(45)
    assert count() == few


# Drawn from plain rows (issue #27, point 5) ----------------------------------------------------

SHAPES = [
    (Party, opendata.as_organization),
    (ImplementationBody, opendata.as_body),
    (Person, opendata.as_person),
    (Participant, opendata.as_participation),
    (BodyMembership, opendata.as_membership),
    (Meeting, opendata.as_meeting),
    (ContextEvent, opendata.as_context_event),
    (Statement, opendata.as_speech),
    (Commitment, opendata.as_commitment),
    (Milestone, opendata.as_milestone),
    (Assessment, opendata.as_assessment),
    (Claim, opendata.as_claim),
    (Source, opendata.as_source),
]


def test_the_documents_records_are_the_apis_records_of_each_instance(
    client, editor, everything, dated
):
    """The document draws its records from rows (``opendata_rows``), the API from instances
    (``opendata.as_<kind>``): each record the same, key for key, in the same order."""
    client.force_login(editor)
    document = json.loads(
        b"".join(client.get(URL).streaming_content), object_pairs_hook=lambda pairs: pairs
    )
    written = {
        dict(record)["id"]: record
        for name, records in document
        if name != "meta"
        for record in records
    }
    for model, shape in SHAPES:
        compared = 0
        for record in model.objects.all():
            expected = json.loads(
                json.dumps(shape(record), cls=DjangoJSONEncoder),
                object_pairs_hook=lambda pairs: pairs,
            )
            if dict(expected)["id"] in written:
                assert written[dict(expected)["id"]] == expected, model.__name__
                compared += 1
        assert compared, model.__name__


def test_a_chunks_ids_are_read_as_one_parameter_with_the_same_rows_as_in(meeting, us):
    """``__any_of`` (what the downloads read per chunk of ids): the rows ``__in`` finds, the
    ids sent as one array on PostgreSQL, whatever their number."""
    first, second = make_commitment(meeting, parties=[us]), make_commitment(meeting)
    ids = [first.pk, second.pk, *range(10**9, 10**9 + 2_000)]  # and ids of nothing
    with CaptureQueriesContext(connection) as seen:
        found = set(Commitment.objects.filter(pk__any_of=ids).values_list("pk", flat=True))
        by_owner = set(
            CommitmentParty.objects.filter(commitment_id__any_of=ids).values_list(
                "commitment_id", flat=True
            )
        )
    assert found == {first.pk, second.pk}
    assert by_owner == {first.pk}
    if connection.vendor == "postgresql":
        assert all("= ANY(" in query["sql"] for query in seen.captured_queries)
