"""A list's pages: its rows read in runs along their indexes (a run per team the reader
sees), merged in the list's order, counted up to a cap, paged by number or after a row
(``?after=<id>``), and the shown rows' figures read for that page alone (issue #27).

``annotated_page`` is what a list view calls; ``capped_page`` and ``CappedPaginator`` page a
queryset as it is (the admin's changelists too, ``admin/scale.py``); ``runs``, ``merged`` and
``first_rows`` read the first rows of several runs (the dashboard's lists).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Q, QuerySet
from django.db.models.query import ModelIterable
from django.http import HttpRequest
from django.utils.functional import cached_property

from ..ids import is_id
from ..models.made_once import rows_of_ids_made_once, rows_of_made_once
from ..models.unions import orders_in_union


def runs(queryset: QuerySet, **values: list) -> list[QuerySet]:
    """``queryset`` (ordered) split into one run per combination of ``values`` (a field and
    the values it takes in the list: the teams the reader sees, a claim's open verifications).

    Each run is read along an index that leads with those fields, in the list's order, and
    stops at the rows a page needs; the list as one query over several teams is sorted in
    full first (PostgreSQL reads an index in order for one value of its leading column, not
    for a list of them): 90,000 rows sorted for a page of 25 (issue #27)."""
    names = list(values)
    return [
        queryset.filter(**dict(zip(names, combination, strict=True)))
        for combination in itertools.product(*values.values())
    ]


# How far into a list its page's ids are read by SQL made once (``merged``): the first five
# pages of 25, those most read; a deeper page's SQL is built each time, so that a list keeps
# a bounded number of SQL texts (each first and last row of a page: a short list's last page
# ends where it does).
MADE_ONCE_ROWS = 125


def merged(
    queryset: QuerySet, parts: list[QuerySet], start: int, stop: int, made: tuple | None = None
) -> list:
    """The primary keys of ``queryset[start:stop]``, read from its ``parts`` (``runs``): the
    first ``stop`` of each run, merged.

    On PostgreSQL the database merges them, in one query (``UNION ALL`` of the runs, each
    along its index, merged in the list's order) that answers only the page's ids: a deep
    page (the 400th: 10,000 rows of a run) costs a walk of the index, not 10,000 rows sent to
    Python. Elsewhere (SQLite takes no ORDER BY or LIMIT inside a UNION), ordered by numbers
    and dates that are never empty, they are merged here on their sort values; else those
    few rows are put in the list's order by the database (its own order of texts and empty
    values, which Python's would not match).

    ``made``: the list's query as made once a process, ``(key, build, values)``, where
    ``build(**values)`` gives ``queryset`` and ``parts`` again for those values: the page's
    query (the UNION) is then built and compiled once for its key and page (within
    ``MADE_ONCE_ROWS``), 1 to 2 ms of Python a page, and run with the request's values."""
    parts = [part for part in parts if not part.query.is_empty()]  # ``none()``: no rows
    if stop <= start or not parts:  # an empty list (``[:0]`` would be ``none()`` too)
        return []
    order = queryset.query.order_by
    names = [c.removeprefix("-") for c in order if isinstance(c, str)]
    if len(parts) == 1 or (
        orders_in_union(queryset)
        and names
        and len(names) == len(order)
        and names[-1] == "pk"
        # Not by an annotation (a past day's status): a list of ids selects none of them.
        and not any(name in queryset.query.annotations for name in names)
    ):
        if made and stop <= MADE_ONCE_ROWS:
            key, build, values = made
            rows = rows_of_made_once(
                (*key, start, stop),
                lambda **given: _page_read(*build(**given), start, stop),
                **values,
            )
        else:
            rows = _page_read(queryset, parts, start, stop)
        return [row[-1] for row in rows]
    if _merges_here(queryset.model, order):
        names = [column.removeprefix("-") for column in order]
        descending = [column.startswith("-") for column in order]

        def key(row: tuple) -> tuple:
            return tuple(_Reversed(v) if d else v for v, d in zip(row, descending, strict=True))

        rows = heapq.merge(*(part.values_list(*names)[:stop] for part in parts), key=key)
        return [row[-1] for row in itertools.islice(rows, start, stop)]
    firsts = [pk for part in parts for pk in part.values_list("pk", flat=True)[:stop]]
    return list(queryset.filter(pk__in=firsts).values_list("pk", flat=True)[start:stop])


def _page_read(queryset: QuerySet, parts: list[QuerySet], start: int, stop: int) -> QuerySet:
    """``merged``'s query of a page read in the database: its rows (the primary key last)
    from the one run, or from the runs' UNION, in the list's order."""
    parts = [part for part in parts if not part.query.is_empty()]
    if len(parts) == 1:
        return parts[0].values_list("pk")[start:stop]
    order = queryset.query.order_by
    firsts = [part.values_list(*(c.removeprefix("-") for c in order))[:stop] for part in parts]
    return firsts[0].union(*firsts[1:], all=True).order_by(*order)[start:stop]


class _Reversed:
    """A sort value in descending order (``merged``)."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and other.value == self.value


def _merges_here(model, order) -> bool:
    """Whether rows in ``order`` (column names, the last the primary key) sort the same in
    Python as in the database: numbers, dates and times, none of them ever empty."""
    if not order or not all(isinstance(column, str) for column in order):
        return False
    names = [column.removeprefix("-") for column in order]
    if names[-1] != "pk":
        return False
    for name in names[:-1]:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return False  # an annotation: the database's to sort
        target = field.target_field if field.many_to_one else field
        numeric = isinstance(target, models.IntegerField | models.AutoField | models.DateField)
        if field.null or not numeric or field.many_to_many or field.one_to_many:
            return False
    return True


def rows_of(queryset: QuerySet, ids: list) -> list:
    """The rows of ``queryset`` with these primary keys, in their order, with whatever it
    selects and prefetches (ids as they are when it yields no model instances)."""
    if not issubclass(queryset._iterable_class, ModelIterable):
        return ids
    rows = {row.pk: row for row in queryset.filter(pk__in=ids)}
    return [rows[pk] for pk in ids]


def first_rows(queryset: QuerySet, parts: list[QuerySet], count: int) -> list:
    """The first ``count`` rows of ``queryset``, read from its ``parts`` (``runs``)."""
    return rows_of(queryset, merged(queryset, parts, 0, count))


def after_row(queryset: QuerySet, order: tuple[str, ...], pk: object) -> Q | None:
    """The rows of ``queryset`` (in ``order``, which ends with the primary key) after the one
    with primary key ``pk``: a keyset cursor (``?after=<id>``), so the next page starts where
    the last one ended, along the index, instead of walking every row before it (a list's
    400th page: 10,000 rows). None when the row is not in the list (any more), or when a
    column of the order may be empty (its place among the rest is the database's to say):
    the list is then paged by number."""
    names = [field.removeprefix("-") for field in order]
    if not is_id(pk) or not _keyed(queryset.model, order):
        return None
    row = queryset.filter(pk=pk).values(*names).first()
    if row is None:
        return None
    after, equal = Q(pk__in=[]), Q()
    for column, name in zip(order, names, strict=True):
        beyond = "lt" if column.startswith("-") else "gt"
        after |= equal & Q(**{f"{name}__{beyond}": row[name]})
        equal &= Q(**{name: row[name]})
    # The first column's bound on its own too: where the index walk starts.
    lead = "lte" if order[0].startswith("-") else "gte"
    return Q(**{f"{names[0]}__{lead}": row[names[0]]}) & after


def _keyed(model, order: tuple[str, ...]) -> bool:
    """Whether a list in ``order`` may be paged by cursor (``after_row``)."""
    names = [field.removeprefix("-") for field in order]
    return names[-1] == "pk" and not any(model._meta.get_field(n).null for n in names[:-1])


class CappedPaginator(Paginator):
    """Counts at most ``CAP`` rows, or as far as the page asked for and the one after it, so a
    list's size costs a bounded walk of its index, never a count of the whole table. Past
    the cap the list says "more than" and offers the next page while there is one.

    ``count``, when given, is the list's exact size read from stored state (the commitment
    tallies): nothing is counted then. ``in_order`` counts along the list's order, for a list
    whose order is its index's (the open claims: team, verification, id), where the unordered
    count lets PostgreSQL pick a join that walks a whole parent table instead.

    ``parts``: the list split into ``runs`` (a queryset of ids each): a page is ``merged``
    from them and the count is theirs, each along its own index; ``made``: their page's
    query made once (``merged``), but for a page after a cursor's row."""

    CAP = 1_000

    def __init__(
        self,
        object_list,
        per_page,
        *,
        reach: int = 0,
        count: int | None = None,
        in_order: bool = False,
        parts: list[QuerySet] | None = None,
        after: Q | None = None,
        made: tuple | None = None,
    ):
        super().__init__(object_list, per_page)
        self.cap = max(self.CAP, reach + per_page)
        self.known = count
        self.in_order = in_order
        self.parts = parts
        self.after = after
        self.made = made

    def page(self, number) -> Page:
        if not self.parts and self.after is None:
            return super().page(number)
        number, bottom, top = self.bounds(number)
        rows, parts, made = self.object_list, self.parts or [self.object_list], self.made
        if self.after is not None:  # the page after the cursor's row, numbered as asked
            rows, parts = rows.filter(self.after), [part.filter(self.after) for part in parts]
            bottom, top, made = 0, self.per_page, None
        ids = merged(rows, parts, bottom, top, made)
        return self._get_page(rows_of(rows, ids), number, self)

    def bounds(self, number) -> tuple[int, int, int]:
        """Page ``number`` (validated) and its first and last rows' places, as Django's
        ``Paginator.page`` works them out (the last page taking the orphans)."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return number, bottom, top

    @cached_property
    def counted(self) -> int:
        if self.known is not None:
            return self.known
        if self.parts:  # each run counted on its own (along its index when in order), until
            # those counted hold more than the cap: the others would not change what it says
            parts = self.parts if self.in_order else [part.order_by() for part in self.parts]
            counted = 0
            for part in parts:
                counted += part[: self.cap + 1].count()
                if counted > self.cap:
                    break
            return counted
        # Any cap + 1 rows count the same as the first cap + 1: unordered, the database stops
        # at the first rows it finds instead of sorting every match (docs/benchmarks.md).
        rows = self.object_list
        if hasattr(rows, "order_by") and not self.in_order:
            rows = rows.order_by()
        return rows[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return self.counted if self.known is not None else min(self.counted, self.cap)

    @property
    def capped(self) -> bool:
        return self.known is None and self.counted > self.cap


MAX_PAGE = 1_000_000


def capped_page(
    request: HttpRequest,
    queryset: QuerySet,
    per_page: int = 25,
    count: int | None = None,
    *,
    in_order: bool = False,
    parts: list[QuerySet] | None = None,
    after: Q | None = None,
    paginator: type[CappedPaginator] = CappedPaginator,
    made: tuple | None = None,
) -> Page:
    """The page of ``queryset`` asked for (``?page=``), counted by ``paginator`` (a
    ``CappedPaginator``, or a list's own kind of one); ``made``: its query made once
    (``merged``)."""
    number = request.GET.get("page")
    try:
        # Past the end of any list, and a LIMIT every database takes (a page number of 20
        # digits overflowed SQLite's integers).
        reach = min(max(int(number), 1), MAX_PAGE) * per_page
    except (TypeError, ValueError):
        reach = 0
    return paginator(
        queryset,
        per_page,
        reach=reach,
        count=count,
        in_order=in_order,
        parts=parts,
        after=after,
        made=made,
    ).get_page(number)


def annotated_page(
    request: HttpRequest,
    queryset: QuerySet,
    annotate: Callable[[QuerySet], QuerySet],
    per_page: int = 25,
    count: int | None = None,
    *,
    split: dict[str, list] | None = None,
    order: tuple[str, ...] | None = None,
    made: tuple | None = None,
    values: dict | None = None,
    in_order: bool = False,
    record: Callable[[tuple], object] | None = None,
    ids_made: tuple | None = None,
) -> Page:
    """Paginate on the ordered ids, then fetch and ``annotate`` only the rows shown: per-row
    figures (counts, indexes) and joins then cost one page, not every row skipped on the way
    to a deep page. ``split``: the ``runs`` the ids are read in (e.g. ``{"team": [1, 3]}``).
    ``order``: the list's order, when its pages may follow a cursor (``?after=<id>``, the
    last row of the page before: ``after_row``); the page then offers its own last row as the
    next page's (``page.next_after``). ``made``: the key of the shown rows' query made once a
    process (``rows_of_ids_made_once``: ``annotate`` then depends on nothing but the ids; its
    select, joins and columns cost a millisecond a page to build and compile). ``values``:
    what ``annotate`` takes besides the rows (``annotate(rows, **values)``: a past day),
    parameters of that SQL. ``in_order``: counted along the list's order (``CappedPaginator``),
    for a list whose runs each walk an index in that order. ``record``: what each shown row
    is made from its values, when ``annotate`` gives a ``values_list`` whose first column is
    the primary key (a ``NamedTuple``'s ``_make``): no model instances built.
    ``ids_made``: the page's ids read by SQL made once a process (``merged``), ``(key,
    build, values)``, where ``build(**values)`` gives ``queryset`` and ``split`` again for
    those values (a list split in runs)."""
    ids = queryset.values_list("pk", flat=True)
    parts = runs(ids, **split) if split else None
    after = request.GET.get("after")
    after = after_row(queryset, order, after) if order and after else None
    page = capped_page(
        request,
        ids,
        per_page,
        count,
        in_order=in_order,
        parts=parts,
        after=after,
        made=ids_made and (ids_made[0], _ids_and_runs(ids_made[1]), ids_made[2]),
    )
    ids = list(page.object_list)
    keyed = order is not None and _keyed(queryset.model, order)
    page.next_after = ids[-1] if keyed and ids and page.has_next() else None
    values = values or {}
    if made and ids:  # the page's rows by SQL made once for as many ids
        shown = rows_of_ids_made_once(
            made,
            ids,
            lambda given, **given_values: annotate(
                queryset.model.objects.filter(pk__in=given), **given_values
            ),
            records=record is None,
            **values,
        )
    else:
        shown = annotate(queryset.model.objects.filter(pk__in=ids), **values)
    # Values (the primary key first) each made a ``record``, or model instances.
    rows = {row[0]: record(row) for row in shown} if record else {row.pk: row for row in shown}
    page.object_list = [rows[pk] for pk in ids]
    return page


def _ids_and_runs(build: Callable[..., tuple[QuerySet, dict]]) -> Callable[..., tuple]:
    """``build`` (a list's queryset and its split, for some values) made the ids and runs
    that ``merged`` reads, as ``annotated_page`` makes them."""

    def made(**given) -> tuple[QuerySet, list[QuerySet]]:
        queryset, split = build(**given)
        ids = queryset.values_list("pk", flat=True)
        return ids, runs(ids, **split)

    return made
