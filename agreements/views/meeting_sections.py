"""A meeting's long sections, drawn a page of rows at a time (issue #27: a summit holds some
300 commitments and 40 participants; its page drew them all, 185 ms). Each section shows its
first rows and says how many there are ("Showing 1–25 of 295"); the rest are a link away,
``?<section>_page=<n>``, which works without JavaScript (the page with that section's next
rows) and, with htmx, fetches them in place from the same view: the commitments' next rows
appended under the ones shown, another section's page swapped for its next one.

The meeting briefing (``views/briefings.py``) still prints everything."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Count, QuerySet, Window
from django.http import HttpRequest, QueryDict

from ..models.made_once import records_of_made_once
from ..models.unions import rows_in_one

# A page of commitments as the commitment list shows them (its PAGE_SIZE): 25 rows, each with its
# milestones, where 50 drew twice the rows (issue #27: a summit's page, 58–67 ms).
COMMITMENTS_SHOWN = 25
SECTION_SHOWN = 25

# The sections drawn a page at a time: their name (the query parameter is ``<name>_page``)
# and the partial of templates/agreements/meeting_detail.html that answers for their next rows.
PAGED = {
    "commitments": "commitment-rows",
    "milestones": "meeting-milestones",
    "participants": "participants",
    "statements": "statements",
    "claims": "claims",
    "events": "events",
    "sources": "sources",
}


@dataclass(frozen=True)
class Shown:
    """One page of a section's rows: ``rows`` (at most ``size``), page ``number`` (from 1) of
    ``total`` rows. ``asked``: the page's query parameters, whose others its links keep
    (``query``). ``since``: the first row on the reader's screen, when the rows are appended
    to those of earlier pages (the commitments' "Show more")."""

    name: str
    rows: list
    total: int
    number: int
    size: int
    asked: QueryDict
    since: int = 0

    @cached_property
    def query(self) -> str:
        """The page's other query parameters, kept by the section's links: put together only
        for a section that draws links, not for each of the page's sections (a copy of the
        request's parameters each, some 30 µs). A page link opens no form: those are the
        page's own (``?add=``, ``?reschedule=``…)."""
        name = self.name
        dropped = (f"{name}_page", f"{name}_since", "add", "keep", "reschedule", "edit_event")
        kept = QueryDict(mutable=True)
        for param, values in self.asked.lists():
            if param not in dropped:
                kept.setlist(param, values)
        return kept.urlencode()

    @property
    def start(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first(self) -> int:
        return self.since or (self.start + 1 if self.rows else 0)

    @property
    def last(self) -> int:
        return self.start + len(self.rows)

    @property
    def has_next(self) -> bool:
        return self.last < self.total

    @property
    def has_previous(self) -> bool:
        """Whether rows come before the first shown (appended ones included)."""
        return self.first > 1

    @property
    def is_partial(self) -> bool:
        """Whether some of the section's rows are not on the page."""
        return self.has_next or self.has_previous

    def url(self, number: int) -> str:
        param = f"{self.name}_page={number}"
        return f"?{self.query}&{param}" if self.query else f"?{param}"

    @property
    def next_url(self) -> str:
        return self.url(self.number + 1)

    @property
    def more_url(self) -> str:
        """The next rows, to append to these (htmx): they say where the reader's list began."""
        return f"{self.next_url}&{self.name}_since={self.first}"

    @property
    def previous_url(self) -> str:
        """The page before the first row on the reader's screen."""
        return self.url((self.first - 1) // self.size)


def page_number(request: HttpRequest, name: str) -> int:
    """The page of section ``name`` asked for: 1 unless a number from 1 to 99,999."""
    value = request.GET.get(f"{name}_page", "")
    number = int(value) if value.isascii() and value.isdigit() and len(value) < 6 else 0
    return number or 1


def shown(
    request: HttpRequest,
    name: str,
    queryset: QuerySet | Callable[..., QuerySet],
    *,
    size: int | None = None,
    total: int | None = None,
    prepare: Callable[[QuerySet], QuerySet] = lambda rows: rows,
    finish: Callable[[list], list] = lambda rows: rows,
    key: tuple | None = None,
    values: dict | None = None,
    together: FirstPages | None = None,
) -> Shown:
    """The page of ``queryset`` (totally ordered) that ``?<name>_page=`` asks for: one query,
    its rows counted with them (a window over the section's rows, few), unless ``total`` is
    known; ``prepare`` adds what the rows show (prefetches), ``finish`` acts on the rows read
    (a past day's state). A page past the last is the last.

    ``queryset`` may be a function of ``values`` (a record's id, a day): given a ``key`` (what
    else its SQL depends on, ``prepare`` included), the first page, the one every view of the
    record draws, is read by SQL made once a process (``records_of_made_once``: building and
    compiling a section's query cost more than running it), or with others ``together``
    where it was added to them (``FirstPages``); the other pages, as they come."""
    size = size or SECTION_SHOWN
    number = page_number(request, name)
    values = values or {}
    build = queryset if callable(queryset) else lambda: queryset

    def read(**given) -> QuerySet:
        rows = prepare(build(**given))
        return rows.annotate(section_total=Window(Count("pk"))) if total is None else rows

    if key is not None and number == 1 and total is None and name in (together or ()):
        page = together.page(name)
    elif key is not None and number == 1 and total is None:
        first = first_page_of(build, size, prepare)
        page = records_of_made_once(("shown", name, size, *key), first, **values)
    else:
        queryset = read(**values)
        page = list(queryset[(number - 1) * size : number * size])
    if total is None:
        total = _total(page[0]) if page else (queryset.count() if number > 1 else 0)
    last_page = max(1, -(-total // size))
    if number > last_page:  # a link kept from when the section was longer
        number = last_page
        page = list(queryset[(number - 1) * size : number * size])
    page = finish(page)
    since = _number_param(request, f"{name}_since", limit=(number - 1) * size)
    return Shown(name, page, total, number, size, request.GET, since)


def first_page_of(
    rows_of: Callable[..., QuerySet],
    size: int | None = None,
    prepare: Callable[[QuerySet], QuerySet] = lambda rows: rows,
) -> Callable[..., QuerySet]:
    """The first page of a section's rows (``shown``), a function of what ``rows_of`` is: its
    first ``size`` rows, each counting the section's rows (a window over them)."""
    size = size or SECTION_SHOWN

    def first(**given) -> QuerySet:
        return prepare(rows_of(**given)).annotate(section_total=Window(Count("pk")))[:size]

    return first


class FirstPages:
    """What several sections of plain rows read on a page drawn whole, read together when the
    first of them is drawn (``unions.rows_in_one``: one query on PostgreSQL, where a section's
    own cost some 0.15 ms of Python and a round trip more than its rows): each ``add``ed, a
    function of ``values`` (a record's id) giving a ``values()`` or ``values_list()``
    queryset (a section's first page: ``first_page_of``), its SQL made once a process."""

    def __init__(self, key: tuple, values: dict) -> None:
        self.key, self.values = key, values
        self.parts: dict[str, Callable[..., QuerySet]] = {}
        self.shape: list[tuple[str, int | None]] = []
        self.sections: dict[str, tuple[Callable[..., QuerySet], int]] = {}
        self.pages: dict[str, list] | None = None

    def add(self, name: str, rows_of: Callable[..., QuerySet], *, paged: bool = False) -> None:
        """Part ``name``: ``rows_of``'s rows, or those of a section's first page (``paged``,
        as ``shown`` reads it)."""
        if self.pages is not None:
            raise ValueError(f"Added after the rows were read: {name}")
        size = SECTION_SHOWN if paged else None
        self.parts[name] = first_page_of(rows_of, size) if paged else rows_of
        self.shape.append((name, size))
        if paged:
            self.sections[name] = (rows_of, size)

    def add_links(self, name: str, section: str, read: Callable[[QuerySet], QuerySet]) -> None:
        """Part ``name``: ``read(ids)`` of the rows on ``section``'s first page (``ids``, a
        query of their ids, run within the same query: the same rows)."""
        rows_of, size = self.sections[section]
        self.add(name, lambda **given: read(rows_of(**given).values("pk")[:size]))
        self.shape.append((section, size))

    def links(self, name: str) -> list | None:
        """The rows of part ``name`` if one was added, else None (its section reads them)."""
        return self.page(name) if name in self.parts else None

    def __contains__(self, name: str) -> bool:
        return name in self.parts

    def page(self, name: str) -> list:
        """The rows of part ``name`` (those of every part read with the first asked for)."""
        if self.pages is None:
            key = ("first_pages", *self.key, *self.shape)
            self.pages = rows_in_one(key, self.parts, **self.values)
        return self.pages[name]


def _total(row) -> int:
    """The section's rows, as counted beside one of them (a record, or a plain row)."""
    return row["section_total"] if isinstance(row, dict) else row.section_total


def _number_param(request: HttpRequest, key: str, *, limit: int) -> int:
    """A positive number in the query, at most ``limit`` (0 when absent or not one)."""
    value = request.GET.get(key, "")
    number = int(value) if value.isascii() and value.isdigit() and len(value) < 6 else 0
    return number if 0 < number <= limit else 0


def fragment_of(request: HttpRequest) -> str | None:
    """The partial answering a section's next rows (``?<section>_page=``), if one is asked."""
    return next((partial for name, partial in PAGED.items() if f"{name}_page" in request.GET), None)
