"""CSV exports of the lists (issue #11, point 1): the page's filters and sort, only what the user
may see, formulas disarmed, streamed in chunks."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from agreements import actions, exports, opendata
from agreements.models import Claim, Milestone
from tests.conftest import HTMX, make_commitment, make_meeting, make_source


def read(response) -> list[dict]:
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)  # never built whole in memory
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheets then read it as UTF-8
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_commitments_export_has_the_pages_filters_and_sort(client, editor, meeting, us, mexico):
    make_commitment(meeting, title="Halt fentanyl", theme="drugs", parties=[us, mexico])
    make_commitment(meeting, title="Stop guns", theme="arms", status=2)
    make_commitment(meeting, title="Seize precursors", theme="drugs", status=1)
    client.force_login(editor)
    rows = read(client.get("/commitments/", {"theme": "drugs", "sort": "title", "format": "csv"}))
    assert [r["title"] for r in rows] == ["Halt fentanyl", "Seize precursors"]
    first = rows[0]
    assert first["theme"] == "Drugs"
    assert (first["status"], first["status_label"]) == ("0", "Not started")
    assert first["party_roles"] == "MX: Joint; US: Joint"
    assert first["meeting"] == meeting.title and first["meeting_date"] == "2025-09-03"
    assert first["page"] == f"/commitments/commitment-{rows[0]['id']}/"


def test_the_list_links_to_its_export_with_the_filters_applied(client, editor, commitment):
    client.force_login(editor)
    html = client.get("/commitments/", {"theme": "drugs", "page": "1"}, **HTMX).content.decode()
    assert 'href="?theme=drugs&amp;format=csv" download' in html
    html = client.get("/meetings/", {"outcome_type": "joint_statement"}).content.decode()
    assert 'href="?outcome_type=joint_statement&amp;format=csv" download' in html


def test_an_export_holds_only_what_the_user_may_see(client, outsider, editor, commitment):
    client.force_login(outsider)
    assert read(client.get("/commitments/", {"format": "csv"})) == []
    assert read(client.get("/meetings/", {"format": "csv"})) == []
    client.force_login(editor)
    assert len(read(client.get("/commitments/", {"format": "csv"}))) == 1


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\n", "  ="])
def test_a_cell_a_spreadsheet_would_run_is_disarmed(client, editor, meeting, start):
    formula = f'{start}HYPERLINK("http://evil.example","click")'
    make_commitment(meeting, title=formula, text="plain")
    client.force_login(editor)
    (row,) = read(client.get("/commitments/", {"format": "csv"}))
    assert row["title"] == "'" + formula  # kept, shown as text, never run
    assert row["text"] == "plain"


def test_meetings_export_has_counts_and_index(client, editor, team, us, mexico):
    meeting = make_meeting(team, title="Border talks", city="Mexico City")
    meeting.parties.add(us, mexico)
    make_commitment(meeting, status=3)
    make_commitment(meeting, status=0)
    make_meeting(team, title="Trade talks")
    client.force_login(editor)
    rows = read(client.get("/meetings/", {"q": "Border", "format": "csv"}))
    assert [(r["title"], r["city"], r["commitments"]) for r in rows] == [
        ("Border talks", "Mexico City", "2")
    ]
    assert rows[0]["implementation_index"] == "50.0"
    assert rows[0]["parties"] == "MX; US"


def test_open_claims_export(client, editor, meeting, commitment):
    Claim.objects.create(text="Warnings were given", meeting=meeting)
    Claim.objects.create(
        text="Se duplicaron los decomisos",
        language="es",
        commitment=commitment,
        verification="disputed",
    )
    client.force_login(editor)
    rows = read(client.get("/claims/", {"format": "csv"}))
    # Each claim's language goes with its words, as the API and the open data give it.
    assert {(r["text"], r["language"], r["verification"], r["about"]) for r in rows} == {
        ("Warnings were given", "en", "Unconfirmed", f"meeting: {meeting.title}"),
        ("Se duplicaron los decomisos", "es", "Disputed", f"commitment: {commitment.title}"),
    }


def test_each_export_carries_the_days_its_facts_happened(
    client, editor, reviewer, meeting, commitment
):
    """Dated facts as the day they happened (issue #21, point 5), not the day they were typed."""
    oct_, nov = datetime.date(2025, 10, 1), datetime.date(2025, 11, 1)
    update = actions.submit_update(
        commitment=commitment,
        author=editor,
        narrative="Patrols began",
        proposed_status=1,
        happened_on=oct_,
    )
    actions.approve_update(update=update, by=reviewer)
    actions.submit_update(  # submitted, not approved: not yet progress that counts
        commitment=commitment, author=editor, narrative="Claimed", happened_on=nov
    )
    never = make_commitment(meeting, title="Never changed")
    done = Milestone.objects.create(commitment=commitment, title="Report", due_date=nov)
    actions.toggle_milestone(milestone=done, expected=done.version, by=editor, on=oct_)
    moved = Milestone.objects.create(commitment=commitment, title="Audit", due_date=nov)
    actions.reschedule_milestone(
        milestone=moved,
        expected=moved.version,
        to_date=datetime.date(2026, 3, 1),
        reason="Extended",
        by=editor,
        moved_on=oct_,
    )
    claim = Claim.objects.create(text="Seizures rose", commitment=commitment)
    actions.verify_claim(  # disputed: still open, on the day the denial came
        claim=claim,
        verification="disputed",
        source=make_source(meeting.team),
        expected=claim.version,
        by=editor,
        on=nov,
    )
    client.force_login(editor)
    commitments = {r["title"]: r for r in read(client.get("/commitments/", {"format": "csv"}))}
    assert commitments[commitment.title]["status_since"] == "2025-10-01"
    assert commitments[commitment.title]["last_progress_on"] == "2025-10-01"
    # Never changed: as it stood since its meeting; no progress yet.
    assert commitments[never.title]["status_since"] == "2025-09-03"
    assert commitments[never.title]["last_progress_on"] == ""
    milestones = {r["title"]: r for r in read(client.get("/milestones/", {"format": "csv"}))}
    assert (milestones["Report"]["completed_on"], milestones["Report"]["moved_on"]) == (
        "2025-10-01",
        "",
    )
    assert (milestones["Audit"]["first_due_date"], milestones["Audit"]["moved_on"]) == (
        "2025-11-01",
        "2025-10-01",
    )
    (open_claim,) = read(client.get("/claims/", {"format": "csv"}))
    assert (open_claim["verification"], open_claim["verified_on"]) == ("Disputed", "2025-11-01")


@pytest.mark.perf
def test_an_exports_queries_do_not_grow_with_its_rows(client, editor, meeting, us):
    client.force_login(editor)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            b"".join(client.get("/commitments/", {"format": "csv"}).streaming_content)
        return len(captured)

    for _ in range(5):
        make_commitment(meeting, parties=[us])
    few = count()
    for _ in range(45):
        make_commitment(meeting, parties=[us])
    assert count() == few


@pytest.mark.perf
@pytest.mark.parametrize("url", ["/meetings/", "/claims/", "/milestones/"])
def test_the_other_exports_queries_do_not_grow_with_their_rows(
    client, editor, team, us, mexico, url
):

    client.force_login(editor)

    def fill(n):
        for _ in range(n):
            m = make_meeting(team)
            m.parties.add(us, mexico)
            c = make_commitment(m)
            claim = Claim.objects.create(text="x", commitment=c)
            claim.sources.add(make_source(team))
            step = Milestone.objects.create(commitment=c, title="x", due_date=m.start_date)
            actions.reschedule_milestone(
                milestone=step, expected=1, to_date=datetime.date(2027, 1, 1), reason="x", by=editor
            )

    def count():
        with CaptureQueriesContext(connection) as captured:
            b"".join(client.get(url, {"format": "csv"}).streaming_content)
        return len(captured)

    fill(5)
    few = count()
    fill(45)
    assert count() == few


@pytest.mark.perf
def test_an_export_reads_its_rows_a_chunk_at_a_time(client, editor, meeting, us, monkeypatch):
    """Never the whole list in memory: rows come in chunks (each with its own prefetch of party
    roles), so a list of 100,000 holds one chunk at a time. (Written by PostgreSQL, the file
    comes a chunk of records at a time too: tests/test_exports_copied.py.)"""
    monkeypatch.setattr(exports, "CHUNK", 10)
    monkeypatch.setattr(exports.copying, "copies", lambda: False)  # the Python writer
    for _ in range(25):
        make_commitment(meeting, parties=[us])
    client.force_login(editor)
    with CaptureQueriesContext(connection) as captured:
        rows = read(client.get("/commitments/", {"format": "csv"}))
    assert len(rows) == 25
    prefetches = [q for q in captured if 'FROM "agreements_commitmentparty"' in q["sql"]]
    assert len(prefetches) == 3  # 10 + 10 + 5


@pytest.mark.parametrize(
    "path", ["/commitments/?format=csv", "/meetings/?format=csv", "/open-data.json"]
)
def test_a_download_tells_the_proxy_not_to_buffer_it(client, editor, commitment, path):
    client.force_login(editor)
    response = client.get(path)
    assert response.status_code == 200
    assert response.streaming
    assert response["X-Accel-Buffering"] == "no"


@pytest.mark.parametrize("url", ["/meetings/", "/commitments/", "/milestones/", "/claims/"])
def test_every_lists_csv_is_rfc_4180_as_a_spreadsheet_reads_it(client, editor, team, meeting, url):
    """What a spreadsheet's CSV import expects (RFC 4180, as Excel, LibreOffice and Google
    Sheets read it): a UTF-8 byte-order mark; records ending in CRLF; a header of distinct names;
    every record as long as the header; a field holding a comma, a quote or a line break quoted,
    its quotes doubled; nothing else. The file is exactly what a strict RFC 4180 writer makes of
    the rows a strict reader finds in it, and a hard text comes back as it was."""
    hard = 'He said "yes", then\nleft — año'
    commitment = make_commitment(meeting, title=hard)
    Milestone.objects.create(commitment=commitment, title=hard, due_date="2026-01-01")
    Claim.objects.create(text=hard, commitment=commitment)
    meeting.title = hard
    meeting.save(update_fields=["title"])
    client.force_login(editor)
    response = client.get(url, {"format": "csv"})
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8").removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    rewritten = io.StringIO(newline="")
    csv.writer(rewritten, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    assert rewritten.getvalue() == text
    header, *records = rows
    assert len(set(header)) == len(header) and records
    assert all(len(record) == len(header) for record in records)
    assert hard in {value for record in records for value in record}


@pytest.mark.django_db(transaction=True)  # autocommit, as production serves a download
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's server-side cursors")
@pytest.mark.parametrize("path", ["/milestones/?format=csv", "/open-data.json"])
def test_a_download_reads_its_rows_as_it_sends_them(client, editor, meeting, path, monkeypatch):
    """A download's rows are read inside one transaction, through a cursor PostgreSQL runs
    as its rows are fetched. Outside one, Django's cursor is holdable, and PostgreSQL reads
    every row into it before the first is sent (22 s for the milestones at 1,000,000)."""
    monkeypatch.setattr(exports, "CHUNK", 2)
    monkeypatch.setattr(opendata, "CHUNK", 2)
    monkeypatch.setattr(exports.copying, "copies", lambda: False)  # the Python writer
    for n in range(5):
        Milestone.objects.create(
            meeting=meeting, title=f"Step {n}", due_date=meeting.start_date + datetime.timedelta(n)
        )
    client.force_login(editor)
    response = client.get(path)
    pieces = iter(response.streaming_content)
    with connection.cursor() as cursor:
        for _ in range(100):  # up to the milestones' rows: a cursor open, rows still to fetch
            next(pieces)
            cursor.execute("SELECT is_holdable FROM pg_cursors")
            open_cursors = [holdable for (holdable,) in cursor.fetchall()]
            if open_cursors:
                break
    assert open_cursors and not any(open_cursors)
    assert b"Step 4" in b"".join(pieces)
    response.close()
