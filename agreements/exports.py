"""The lists as CSV files: what the page shows, with its filters and sort, for a spreadsheet.

Each list names its columns once (``export_lists``), with what its rows must carry for them
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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import batched
from operator import itemgetter

from django.db import models, transaction
from django.http import StreamingHttpResponse
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.encoding import force_str

from . import exports_copy as copying
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


def in_one_transaction(pieces: Iterable[str]) -> Iterator[str]:
    """``pieces`` made inside one transaction, opened with the first and closed after the
    last (or when the reader goes away). Inside one, Django declares a download's server-side
    cursor WITHOUT HOLD, so PostgreSQL runs its query as its rows are fetched, a chunk at a
    time. Outside one (autocommit), it is WITH HOLD, which PostgreSQL fills with the whole
    result as the statement declaring it commits: the milestones' CSV at 1,000,000
    commitments sent its first bytes after 22 s, once every row had been read."""
    with transaction.atomic():
        yield from pieces


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
        in_language(translation.get_language(), in_one_transaction(pieces)),
        content_type="text/csv; charset=utf-8",
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
