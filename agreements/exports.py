"""The lists as CSV files: what the page shows, with its filters and sort, for a spreadsheet.

Each list names its columns once (``COLUMNS``), with what its rows must carry for them
(``reads``: the dated facts, annotated by the database, so the queries stay the same whatever
the rows); ``csv_response`` streams the rows in chunks, so an export of 100,000 commitments
never holds them all in memory. Dated facts are written as the day they happened
(``status_since``, ``last_progress_on``, ``completed_on``, ``moved_on``, ``verified_on``), in
ISO 8601; an import reads back those it may set (``imports``).

A cell a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return) is written with a leading apostrophe, as the OWASP guidance on CSV
injection says: the text is kept and shown, never run.
"""

from __future__ import annotations

import csv
import datetime
import time
from collections.abc import Callable, Iterable, Iterator

from django.db import models
from django.http import StreamingHttpResponse
from django.utils import timezone, translation

from . import models as m

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2_000

type Column = tuple[str, Callable[[models.Model], object]]


class Columns(list):
    """A list's columns, and ``reads``: what its QuerySet must carry for them (annotations),
    applied by ``csv_response`` to whatever the page's filters selected."""

    def __init__(self, columns: list[Column], reads: Callable | None = None):
        super().__init__(columns)
        self.reads = reads


def cell(value: object) -> str:
    """A value as a spreadsheet reads it back: dates in ISO 8601, yes/no, formulas disarmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if armed(text) else text


def armed(text: str) -> bool:
    """Whether a spreadsheet might run ``text`` as a formula (leading spaces too: some
    spreadsheets trim them before reading the cell)."""
    return text[:1] in ("\t", "\r", "\n") or text.lstrip().startswith(FORMULA_START)


class _Line:
    """The file-like object ``csv.writer`` writes one line to, handed straight back."""

    def write(self, line: str) -> str:
        return line


def rows_of(columns: list[Column], records: Iterable) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield "\ufeff"  # a byte-order mark, so spreadsheets read the file as UTF-8
    yield writer.writerow([name for name, _ in columns])
    for record in records:
        yield writer.writerow([cell(value(record)) for _, value in columns])


def in_language(language: str, pieces: Iterable[str]) -> Iterator[str]:
    """``pieces``, each made with ``language`` active: a streamed download is read after its
    view returned, and labels in it (a status's name) must stay in the reader's language."""
    pieces = iter(pieces)
    while True:
        with translation.override(language):
            piece = next(pieces, None)
        if piece is None:
            return
        yield piece


def csv_response(name: str, columns: list[Column], queryset: models.QuerySet):
    """``queryset`` as a CSV download named ``<name>-<date>.csv``, read in chunks. Its column
    names are fixed (a spreadsheet imports back by them); labels are in the reader's language."""
    if reads := getattr(columns, "reads", None):
        queryset = reads(queryset)
    response = StreamingHttpResponse(
        in_language(
            translation.get_language(), rows_of(columns, queryset.iterator(chunk_size=CHUNK))
        ),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A proxy in front (nginx) passes the rows on as they come instead of storing the file.
    response["X-Accel-Buffering"] = "no"
    return response


def _today() -> datetime.date:
    """Today, read once a second at most: a long export asks it for every row."""
    now = time.monotonic()
    if now - _TODAY[1] > 1:
        _TODAY[:] = [timezone.localdate(), now]
    return _TODAY[0]


_TODAY: list = [None, float("-inf")]


def _roles(commitment: m.Commitment) -> str:
    return "; ".join(
        f"{r.party.code}: {r.get_role_display()}" for r in commitment.party_roles.all()
    )


def _absolute(record) -> str:
    return record.get_absolute_url()


def _with_dates(commitments: models.QuerySet) -> models.QuerySet:
    """Commitments with the day their status took effect and their latest approved progress."""
    progress = m.ProgressUpdate.objects.approved().filter(commitment=models.OuterRef("pk"))
    latest = progress.order_by("-happened_on").values("happened_on")[:1]
    return commitments.with_status_since().annotate(last_progress_on=models.Subquery(latest))


COMMITMENTS = Columns(
    [
        ("id", lambda c: c.pk),
        ("title", lambda c: c.title),
        ("reference", lambda c: c.reference),
        ("text", lambda c: c.text),
        ("language", lambda c: c.language),
        ("theme", lambda c: c.theme.name),
        ("status", lambda c: c.status),
        ("status_label", lambda c: c.get_status_display()),
        ("status_since", lambda c: c.status_since),
        ("stalled", lambda c: c.is_stalled),
        ("cancellation", lambda c: c.get_cancellation_display()),
        ("target_date", lambda c: c.target_date),
        ("overdue", lambda c: c.is_overdue(_today())),
        ("lead_agency", lambda c: c.lead_agency),
        ("party_roles", _roles),
        ("indicator", lambda c: c.indicator),
        ("meeting_id", lambda c: c.meeting_id),
        ("meeting", lambda c: c.meeting.title),
        ("meeting_date", lambda c: c.meeting_date),
        ("team", lambda c: c.meeting.team.name),
        ("last_progress_on", lambda c: c.last_progress_on),
        ("updated_at", lambda c: c.updated_at),
        ("page", _absolute),
    ],
    reads=_with_dates,
)

MEETINGS: list[Column] = [
    ("id", lambda mt: mt.pk),
    ("title", lambda mt: mt.title),
    ("start_date", lambda mt: mt.start_date),
    ("end_date", lambda mt: mt.end_date),
    ("city", lambda mt: mt.city),
    ("venue", lambda mt: mt.venue),
    ("parties", lambda mt: "; ".join(p.code for p in mt.parties.all())),
    ("outcome", lambda mt: mt.get_outcome_type_display()),
    ("outcome_note", lambda mt: mt.outcome_note),
    ("commitments", lambda mt: mt.commitment_count or 0),
    ("implementation_index", lambda mt: None if mt.index is None else round(mt.index, 1)),
    ("team", lambda mt: mt.team.name),
    ("page", _absolute),
]


def _subject(claim: m.Claim) -> str:
    if claim.commitment_id:
        return f"commitment: {claim.commitment.title}"
    if claim.body_id:
        return f"body: {claim.body.name}"
    return f"meeting: {claim.meeting.title}"


CLAIMS: list[Column] = [
    ("id", lambda c: c.pk),
    ("text", lambda c: c.text),
    ("verification", lambda c: c.get_verification_display()),
    ("about", _subject),
    ("sources", lambda c: "; ".join(s.url or s.title for s in c.sources.all())),
    ("verified_on", lambda c: c.verified_on),
    ("note", lambda c: c.note),
    ("team", lambda c: c.team.name),
    ("updated_at", lambda c: c.updated_at),
]


def _of(milestone: m.Milestone) -> str:
    if milestone.commitment_id:
        return f"commitment: {milestone.commitment.title}"
    return f"body: {milestone.body.name}"


MILESTONES = Columns(
    [
        ("id", lambda ms: ms.pk),
        ("title", lambda ms: ms.title),
        ("due_date", lambda ms: ms.due_date),
        ("first_due_date", lambda ms: ms.original_due_date),
        ("status", lambda ms: ms.get_status_display()),
        (
            "overdue",
            lambda ms: ms.status == m.MilestoneStatus.PLANNED and ms.due_date < _today(),
        ),
        ("completed_on", lambda ms: ms.completed_on),
        ("moved_on", lambda ms: ms.moved_on),
        # The name the last move gave its date ("extended suspension ends"), if any.
        ("moved_as", lambda ms: ms.moved_as or ""),
        ("owner", lambda ms: ms.owner),
        ("of", _of),
        ("meeting", lambda ms: ms.meeting.title),
    ],
    reads=lambda milestones: milestones.with_moved_on(),
)
