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
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import batched
from operator import itemgetter

from django.db import models
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.encoding import force_str

from . import exports_copy as copying
from . import models as m
from .ids import address_of

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2_000

type Row = dict
type Fetch = Callable[[list[int]], dict[int, object]]


@dataclass(frozen=True)
class Column:
    """A column of a list's file, named once: its cell from a plain row (``value``), and the
    same cell as PostgreSQL computes it (``copied``: an expression of ``exports_copy``), for
    the lists the database writes itself."""

    name: str
    value: Callable[[Row], object]
    copied: copying.Column | None = None


def taken(name: str, field: str | None = None, copied=None) -> Column:
    """A column that is a value of the row as it is (``field``, by default its name), and for
    PostgreSQL what ``copied`` makes of it (``copying.text``, ``copying.day``...)."""
    field = field or name
    return Column(name, itemgetter(field), copied(field) if copied else None)


class Columns(list):
    """A list's columns over plain rows (dicts from ``.values()``, never model instances: at
    a million rows the instances cost four times the rest), and what the rows carry:

    - ``fields``: what ``.values()`` reads, related fields by their lookups
      (``meeting__team__name``);
    - ``reads``: what the QuerySet must carry besides (annotations), applied by
      ``csv_response`` to whatever the page's filters selected;
    - ``fetches``: values read per chunk for the chunk's ids (a many-to-many's codes), set in
      each row under their name: one query per chunk, whatever its rows hold;
    - ``copied``: the columns as SQL expressions, when every column has one: PostgreSQL
      then writes the file itself, the same file."""

    def __init__(
        self,
        columns: list[Column],
        *,
        fields: tuple[str, ...],
        reads: Callable | None = None,
        fetches: dict[str, Fetch] | None = None,
    ):
        super().__init__(columns)
        self.fields = fields
        self.reads = reads
        self.fetches = fetches or {}
        self.names = [column.name for column in columns]
        self.copied = (
            {column.name: column.copied for column in columns}
            if all(column.copied for column in columns)
            else None
        )


def cell(value: object) -> str:
    """A value as a spreadsheet reads it back: dates in ISO 8601, yes/no, formulas disarmed."""
    kind = type(value)
    if kind is str:  # most cells: tested first
        return "'" + value if armed(value) else value
    if kind is int:
        return str(value)
    if value is None:
        return ""
    if kind is bool:
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


def chunks_of(columns: Columns, rows: Iterable[Row]) -> Iterator[list[Row]]:
    """``rows`` a chunk at a time, each row with the chunk's ``fetches`` set in it."""
    for chunk in batched(rows, CHUNK):
        ids = [row["id"] for row in chunk]
        for name, fetch in columns.fetches.items():
            found = fetch(ids)
            for row in chunk:
                row[name] = found.get(row["id"])
        yield chunk


def rows_of(columns: Columns, rows: Iterable[Row]) -> Iterator[str]:
    """The file, a piece per chunk of rows (a piece per row would cost a write to the socket
    each)."""
    writer = csv.writer(_Line())
    yield "\ufeff"  # a byte-order mark, so spreadsheets read the file as UTF-8
    yield writer.writerow(columns.names)
    values = [column.value for column in columns]
    for chunk in chunks_of(columns, rows):
        label.speak(translation.get_language())  # as ``in_language`` set it for this piece
        yield "".join(writer.writerow([cell(value(row)) for value in values]) for row in chunk)


def copied_file(columns: Columns, queryset: models.QuerySet) -> Iterator[str | bytes]:
    """The file as ``rows_of`` writes it, its records written by PostgreSQL."""
    yield "\ufeff"
    yield csv.writer(_Line()).writerow(columns.names)
    label.speak(translation.get_language())  # as ``in_language`` set it: the labels' language
    yield from copying.copied_rows(columns.copied, queryset)


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


def csv_response(name: str, columns: Columns, queryset: models.QuerySet):
    """``queryset`` as a CSV download named ``<name>-<date>.csv``, read in chunks through a
    server-side cursor (PostgreSQL). Its column names are fixed (a spreadsheet imports back by
    them); labels are in the reader's language."""
    if columns.reads:
        queryset = columns.reads(queryset)
    if columns.copied and copying.copies():
        pieces = copied_file(columns, queryset)
    else:
        rows = (
            queryset.select_related(None)
            .prefetch_related(None)
            .values(*columns.fields)
            .iterator(chunk_size=CHUNK)
        )
        pieces = rows_of(columns, rows)
    response = StreamingHttpResponse(
        in_language(translation.get_language(), pieces), content_type="text/csv; charset=utf-8"
    )
    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A proxy in front (nginx) passes the rows on as they come instead of storing the file.
    response["X-Accel-Buffering"] = "no"
    return response


class label:
    """``get_<field>_display()`` for a plain value: its label in the language of the chunk
    being written (``label.speak``, called per chunk inside ``in_language``), each translated
    once per language: a gettext call per row would cost a fifth of the export. The language
    spoken is the thread's own (a threaded server streams several downloads at once)."""

    speaking = threading.local()

    def __init__(self, model: type[models.Model], field: str) -> None:
        self.labels = dict(model._meta.get_field(field).flatchoices)
        self.by_language: dict[str | None, dict] = {}

    @classmethod
    def speak(cls, language: str | None) -> None:
        cls.speaking.language = language

    def __call__(self, value: object) -> str:
        language = getattr(label.speaking, "language", None)
        shown = self.by_language.setdefault(language, {})
        try:
            return shown[value]
        except KeyError:
            with translation.override(language):
                text = force_str(self.labels.get(value, value), strings_only=True)
            shown[value] = text
            return text


def page_of(url_name: str) -> Callable[[Row], str]:
    """A row's ``get_absolute_url()``, from its id: the address reversed once per script
    prefix (``ids.address_of``), not once per row."""

    @cache
    def link(prefix: str) -> Callable[[object], str]:
        return address_of(url_name)

    return lambda row: link(get_script_prefix())(row["id"])


def joined(model: type[models.Model], owner: str, *values: str, order: tuple[str, ...]) -> Fetch:
    """Per chunk: each owner's related ``values``, in ``order``, as a list (of tuples when
    more than one value)."""

    def fetch(ids: list[int]) -> dict[int, list]:
        found: dict[int, list] = {}
        rows = model.objects.filter(**{f"{owner}__any_of": ids}).order_by(*order)
        for key, *item in rows.values_list(owner, *values):
            found.setdefault(key, []).append(tuple(item) if len(values) > 1 else item[0])
        return found

    return fetch


def _today() -> datetime.date:
    """Today, read once a second at most: a long export asks it for every row."""
    now = time.monotonic()
    if now - _TODAY[1] > 1:
        _TODAY[:] = [timezone.localdate(), now]
    return _TODAY[0]


_TODAY: list = [None, float("-inf")]


_role = label(m.CommitmentParty, "role")
_status = label(m.Commitment, "status")
_cancellation = label(m.Commitment, "cancellation")
_roles = joined(m.CommitmentParty, "commitment_id", "party__code", "role", order=("party__name",))


def _party_roles(row: Row) -> str:
    return "; ".join(f"{code}: {_role(role)}" for code, role in row["party_roles"] or ())


def _overdue(row: Row) -> bool:
    """``Commitment.is_overdue`` on a plain row."""
    return bool(
        not row["cancellation"]
        and row["target_date"]
        and row["target_date"] < _today()
        and row["status"] != m.ImplementationStatus.COMPLETE
    )


_commitment_page = page_of("agreements:commitment_detail")


def _with_dates(commitments: models.QuerySet) -> models.QuerySet:
    """Commitments with the day their status took effect and their latest approved progress."""
    progress = m.ProgressUpdate.objects.approved().filter(commitment=models.OuterRef("pk"))
    latest = progress.order_by("-happened_on").values("happened_on")[:1]
    return commitments.with_status_since().annotate(last_progress_on=models.Subquery(latest))


def _overdue_then(context: copying.CopyContext) -> Q:
    return Q(cancellation="", target_date__lt=context.today) & ~Q(
        status=m.ImplementationStatus.COMPLETE
    )


COMMITMENTS = Columns(
    [
        taken("id", copied=copying.number),
        taken("title", copied=copying.text),
        taken("reference", copied=copying.text),
        taken("text", copied=copying.text),
        taken("language", copied=copying.text),
        taken("theme", "theme__name", copied=copying.text),
        taken("status", copied=copying.number),
        Column(
            "status_label",
            lambda c: _status(c["status"]),
            lambda context: copying.labelled(_status, "status"),
        ),
        taken("status_since", copied=copying.day),
        Column(
            "stalled", itemgetter("is_stalled"), copying.yes_no(lambda context: Q(is_stalled=True))
        ),
        Column(
            "cancellation",
            lambda c: _cancellation(c["cancellation"]),
            lambda context: copying.labelled(_cancellation, "cancellation"),
        ),
        taken("target_date", copied=copying.day),
        Column("overdue", _overdue, copying.yes_no(_overdue_then)),
        taken("lead_agency", copied=copying.text),
        Column("party_roles", _party_roles, copying.roles_in_order(_role)),
        taken("indicator", copied=copying.text),
        taken("meeting_id", copied=copying.number),
        taken("meeting", "meeting__title", copied=copying.text),
        taken("meeting_date", copied=copying.day),
        taken("team", "meeting__team__name", copied=copying.text),
        taken("last_progress_on", copied=copying.day),
        taken("updated_at", copied=copying.moment),
        Column("page", _commitment_page, copying.page(_commitment_page)),
    ],
    fields=(
        "id",
        "title",
        "reference",
        "text",
        "language",
        "theme__name",
        "status",
        "status_since",
        "is_stalled",
        "cancellation",
        "target_date",
        "lead_agency",
        "indicator",
        "meeting_id",
        "meeting__title",
        "meeting_date",
        "meeting__team__name",
        "last_progress_on",
        "updated_at",
    ),
    reads=_with_dates,
    fetches={"party_roles": _roles},
)
_outcome = label(m.Meeting, "outcome_type")
_parties = joined(m.Meeting.parties.through, "meeting_id", "party__code", order=("party__name",))


def _index(row: Row) -> float | None:
    index = m.as_index(row["mean_status"])
    return None if index is None else round(index, 1)


MEETINGS = Columns(
    [
        taken("id"),
        taken("title"),
        taken("start_date"),
        taken("end_date"),
        taken("city"),
        taken("venue"),
        Column("parties", lambda mt: "; ".join(mt["parties"] or ())),
        Column("outcome", lambda mt: _outcome(mt["outcome_type"])),
        taken("outcome_note"),
        Column("commitments", lambda mt: mt["commitment_count"] or 0),
        Column("implementation_index", _index),
        taken("team", "team__name"),
        Column("page", page_of("agreements:meeting_detail")),
    ],
    fields=(
        "id",
        "title",
        "start_date",
        "end_date",
        "city",
        "venue",
        "outcome_type",
        "outcome_note",
        "commitment_count",
        "mean_status",
        "team__name",
    ),
    fetches={"parties": _parties},
)


def _subject(claim: Row) -> str:
    if claim["commitment_id"]:
        return f"commitment: {claim['commitment__title']}"
    if claim["body_id"]:
        return f"body: {claim['body__name']}"
    return f"meeting: {claim['meeting__title']}"


_verification = label(m.Claim, "verification")
_claim_sources = joined(
    m.Claim.sources.through,
    "claim_id",
    "source__url",
    "source__title",
    order=("-source__published_on", "source__title", "source__pk"),
)

CLAIMS = Columns(
    [
        taken("id"),
        taken("text"),
        taken("language"),
        Column("verification", lambda c: _verification(c["verification"])),
        Column("about", _subject),
        Column("sources", lambda c: "; ".join(url or title for url, title in c["sources"] or ())),
        taken("verified_on"),
        taken("note"),
        taken("team", "team__name"),
        taken("updated_at"),
    ],
    fields=(
        "id",
        "text",
        "language",
        "verification",
        "commitment_id",
        "commitment__title",
        "body_id",
        "body__name",
        "meeting__title",
        "verified_on",
        "note",
        "team__name",
        "updated_at",
    ),
    fetches={"sources": _claim_sources},
)


def _of(milestone: Row) -> str:
    if milestone["meeting_id"]:
        return f"meeting: {milestone['meeting__title']}"
    if milestone["commitment_id"]:
        return f"commitment: {milestone['commitment__title']}"
    return f"body: {milestone['body__name']}"


def _meeting_of(milestone: Row) -> str:
    """``Milestone.of_meeting``'s title: its own meeting, its commitment's, or its body's."""
    if milestone["meeting_id"]:
        return milestone["meeting__title"]
    if milestone["commitment_id"]:
        return milestone["commitment__meeting__title"]
    return milestone["body__meeting__title"]


_milestone_status = label(m.Milestone, "status")

MILESTONES = Columns(
    [
        taken("id"),
        taken("title"),
        taken("due_date"),
        taken("first_due_date", "original_due_date"),
        Column("status", lambda ms: _milestone_status(ms["status"])),
        Column(
            "overdue",
            lambda ms: ms["status"] == m.MilestoneStatus.PLANNED and ms["due_date"] < _today(),
        ),
        taken("completed_on"),
        taken("moved_on"),
        # The name the last move gave its date ("extended suspension ends"), if any.
        Column("moved_as", lambda ms: ms["moved_as"] or ""),
        taken("owner"),
        Column("of", _of),
        Column("meeting", _meeting_of),
    ],
    fields=(
        "id",
        "title",
        "due_date",
        "original_due_date",
        "status",
        "completed_on",
        "moved_on",
        "moved_as",
        "owner",
        "meeting_id",
        "meeting__title",
        "commitment_id",
        "commitment__title",
        "body__name",
        "commitment__meeting__title",
        "body__meeting__title",
    ),
    reads=lambda milestones: milestones.with_moved_on(),
)
