"""The commitments' CSV as PostgreSQL writes it (``agreements/exports_copy.py``, issue #27
point 5) is the very file the Python writer makes: byte for byte, over rows holding every
kind of cell (formulas to disarm, quotes, line breaks, empty and missing values, labels in
the reader's language, dated facts, several parties' roles)."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.db import connection

from agreements import actions, exports
from agreements import exports_copy as copying
from agreements.models import Cancellation, CommitmentParty, PartyRole
from tests.conftest import make_commitment, make_party

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL writes the file (COPY); elsewhere the Python writer is the only one",
)


@pytest.fixture
def hard_rows(editor, reviewer, meeting, us, mexico):
    """Commitments holding every kind of cell the file has."""
    canada = make_party("CA", name="Canada")
    texts = [
        '=HYPERLINK("http://evil.example")',
        "  -1+1",
        "\tTabbed",
        "\nBroken",
        "\u3000@ideographic space",
        'He said "yes", then\nleft — año',
        "plain, with a comma",
        "",
        "- a list item",
    ]
    for n, text in enumerate(texts):
        make_commitment(
            meeting,
            title=text or "Untitled",
            text=text,
            reference=text,
            lead_agency=text,
            indicator=text,
            parties=[us, mexico, canada][: n % 4],
            target_date=datetime.date(2025, 10, 1) if n % 2 else None,
            is_stalled=bool(n % 3 == 0),
            cancellation=Cancellation.SUPERSEDED if n == 4 else "",
            status=n % 4,
        )
    joint = make_commitment(meeting, title="Jointly")
    CommitmentParty.objects.create(commitment=joint, party=us, role=PartyRole.JOINT)
    CommitmentParty.objects.create(commitment=joint, party=canada, role=PartyRole.COMMITTED)
    update = actions.submit_update(
        commitment=joint,
        author=editor,
        narrative="Began",
        proposed_status=1,
        happened_on=datetime.date(2025, 10, 2),
    )
    actions.approve_update(update=update, by=reviewer)


def download(client, monkeypatch, query: dict, *, copied: bool) -> bytes:
    monkeypatch.setattr(copying, "copies", lambda: copied)
    response = client.get("/commitments/", {"format": "csv", **query})
    return b"".join(
        piece.encode() if isinstance(piece, str) else piece for piece in response.streaming_content
    )


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("query", [{}, {"sort": "-status"}, {"status": "1"}], ids=str)
def test_postgresql_writes_the_same_file_as_python(
    client, editor, hard_rows, monkeypatch, language, query
):
    client.force_login(editor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    by_python = download(client, monkeypatch, query, copied=False)
    by_postgresql = download(client, monkeypatch, query, copied=True)
    assert by_python.count(b"\r\n") > 3  # the rows are there
    assert ("Comprometida" if language == "es" else "Committed").encode() in by_python
    assert by_postgresql == by_python


def test_the_copy_is_used_on_postgresql_a_chunk_at_a_time(client, editor, hard_rows, monkeypatch):
    """Not a Python row in sight: PostgreSQL's records go out as it wrote them, in pieces of
    ``CHUNK`` records (never the whole file in memory)."""
    monkeypatch.setattr(exports, "rows_of", None)  # the Python writer, unreachable
    monkeypatch.setattr(copying, "CHUNK", 4)
    client.force_login(editor)
    pieces = list(client.get("/commitments/", {"format": "csv"}).streaming_content)
    body, header = pieces[2:], pieces[1]
    assert b"Jointly" in b"".join(body) and header.startswith(b"id,title,")
    assert [piece.count(b"\r\n") for piece in body] == [4, 4, 2]  # 10 records
