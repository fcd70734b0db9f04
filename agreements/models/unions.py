"""Reading a few rows from each of several parts in one query: a ``UNION ALL`` whose parts each
keep their own ORDER BY and LIMIT, so each is read along its own index and stops at its first
rows. PostgreSQL takes that; SQLite does not (a query a part there). And such a query's SQL
made once a process (``made_once.rows_of_made_once``), where the ORM built and compiled it
every time."""

from __future__ import annotations

import datetime
import operator
from collections.abc import Callable

from django.db import connections, models
from django.db.models import BigIntegerField, F, TextField, Value, Window
from django.db.models.functions import Cast, RowNumber
from django.db.models.query import ModelIterable, ValuesIterable, ValuesListIterable

from .made_once import records_of_made_once, rows_of_made_once


def orders_in_union(queryset: models.QuerySet) -> bool:
    """Whether ``queryset``'s database takes an ORDER BY and a LIMIT inside a UNION."""
    return connections[queryset.db].features.supports_slicing_ordering_in_compound


def first_rows_of(parts: list[models.QuerySet], order: tuple[str, ...], limit: int) -> list[list]:
    """The first ``limit`` rows of each of ``parts`` (querysets of one model, selecting the
    same columns: model instances, or ``values()`` dicts) in ``order``. Where the database
    takes an ORDER BY and a LIMIT inside a UNION (PostgreSQL), in one query (each part along
    its own index): a short list's query costs about a millisecond of compiling and a round
    trip, whatever its rows; elsewhere, a query each."""
    if len(parts) < 2 or not orders_in_union(parts[0]):
        return [list(part.order_by(*order)[:limit]) for part in parts]
    firsts = [
        part.annotate(in_part=Value(n)).order_by(*order)[:limit] for n, part in enumerate(parts)
    ]
    lists: list[list] = [[] for _ in parts]
    for row in firsts[0].union(*firsts[1:], all=True).order_by("in_part", *order):
        lists[row.pop("in_part") if isinstance(row, dict) else row.in_part].append(row)
    return lists


def labels_of(
    parts: dict[str, tuple[models.QuerySet, str, str]], made: tuple | None = None
) -> dict[str, dict]:
    """Short lists of labels (a filter's options), each ``name: (queryset, key, label)`` read
    as ``{key: label}`` in its labels' order, all in one query on every database (``UNION
    ALL``, sorted as a whole by part and label): the keys read as text, then given back as
    their field's kind (a number or a text). ``made``: the key of the query's SQL made once a
    process (``rows_of_made_once``), where the parts' querysets are the same for every
    reader (reference data)."""
    if len(parts) < 2:
        return {
            name: dict(rows.order_by(label).values_list(key, label))
            for name, (rows, key, label) in parts.items()
        }
    numeric = {}
    for n, (rows, key, _label) in enumerate(parts.values()):
        field = rows.model._meta.pk if key == "pk" else rows.model._meta.get_field(key)
        numeric[n] = isinstance(field, models.IntegerField | models.AutoField)

    def union():
        selected = [
            rows.order_by()
            .annotate(in_part=Value(n), key_text=Cast(key, TextField()), label=F(label))
            .values_list("in_part", "key_text", "label")
            for n, (rows, key, label) in enumerate(parts.values())
        ]
        return selected[0].union(*selected[1:], all=True).order_by("in_part", "label")

    lists: list[dict] = [{} for _ in parts]
    for n, key, label in rows_of_made_once(made, union):
        lists[n][int(key) if numeric[n] else key] = label
    return dict(zip(parts, lists, strict=True))


# The kinds of column parts of one query share (``rows_in_one``): a text (of any length), a
# whole number (of any size); any other field's column, its own kind.
_TEXTS = {"CharField", "TextField", "SlugField", "EmailField", "URLField"}
_NUMBERS = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
}
_SHAPES: dict[tuple, tuple] = {}


def rows_in_one(
    key: tuple, parts: dict[str, Callable[..., models.QuerySet]], **values: int | datetime.date
) -> dict[str, list]:
    """Each of ``parts``' rows: ``parts`` are functions of ``values`` giving a ``values()``
    queryset (dicts), a ``values_list()`` one (tuples) or one of records of its model alone
    (no joined or prefetched ones: each built as the ORM builds it, ``Model.from_db``, with
    its annotations), each in its own order, sliced or not, whose columns the ORM gives as
    the database does (no field's ``from_db_value``).
    Where the database takes an ORDER BY and a LIMIT inside a UNION (PostgreSQL), in one
    query, its SQL made once a process for ``key`` (``rows_of_made_once``): a ``UNION ALL``
    of the parts, each read along its own index and stopping at its LIMIT, each column in
    a place its kind shares with the other parts' (an empty place a typed NULL). A small
    section's query cost some 0.15 ms of Python and a round trip to the database, more than
    its rows; each part's rows are put back as its own queryset gives them. Elsewhere, a
    query each (``records_of_made_once``)."""
    shape = _SHAPES.get(key)
    if shape is None:
        shape = _SHAPES[key] = _shape_of({name: part(**values) for name, part in parts.items()})
    if shape is _APART:
        return {
            name: records_of_made_once((*key, name), part, **values) for name, part in parts.items()
        }
    places, kinds = shape

    def union(**given) -> models.QuerySet:
        selected = []
        for n, (name, part) in enumerate(parts.items()):
            rows = part(**given)
            limits = rows.query.low_mark, rows.query.high_mark
            rows.query.clear_limits()
            query = rows.query
            order = query.order_by or (query.get_meta().ordering if query.default_ordering else ())
            rows = rows.order_by(*order)  # its own, explicitly (a model's: ``Meta.ordering``)
            names, at = places[name][1], places[name][2]
            blanks = {
                f"blank_{place}": Cast(Value(None), output_field=field)
                for place, (_, field) in enumerate(kinds)
                if place not in at
            }
            numbered = Window(RowNumber(), order_by=list(order))
            rows = rows.annotate(in_part=Value(n), at=numbered, **blanks)
            rows.query.set_limits(*limits)
            by_place = dict(zip(at, names, strict=True))
            columns = [by_place.get(place, f"blank_{place}") for place in range(len(kinds))]
            selected.append(rows.values_list("in_part", "at", *columns))
        return selected[0].union(*selected[1:], all=True).order_by("in_part", "at")

    lists: list[list] = [[] for _ in parts]
    for row in rows_of_made_once(key, union, **values):
        lists[row[0]].append(row)
    found = {}
    for (name, (form, names, at)), rows in zip(places.items(), lists, strict=True):
        pick = operator.itemgetter(*(2 + place for place in at))
        picked = [pick(row) for row in rows] if len(at) > 1 else [(row[2 + at[0]],) for row in rows]
        if form is ValuesIterable:
            found[name] = [dict(zip(names, row, strict=True)) for row in picked]
        elif form is ValuesListIterable:
            found[name] = picked
        else:
            found[name] = [_record(form, names, row) for row in picked]
    return found


def _record(made: tuple, names: list[str], row: tuple) -> models.Model:
    """A record of ``row``, as ``ModelIterable`` builds one: its model's columns loaded
    (``from_db``), then its annotations."""
    model, db, loaded = made
    record = model.from_db(db, names[:loaded], row[:loaded])
    for name, value in zip(names[loaded:], row[loaded:], strict=True):
        setattr(record, name, value)
    return record


_APART = object()


def _shape_of(parts: dict[str, models.QuerySet]) -> tuple | object:
    """Where each part's columns go in ``rows_in_one``'s query: ``({name: (its rows' form:
    ``ValuesIterable``, ``ValuesListIterable``, or for records (their model, database, how
    many of its columns are the model's), its columns' names, their places)}, each place's
    kind and field)``; ``_APART`` where the parts are read apart (a database that takes no
    ORDER BY inside a UNION)."""
    kinds: list[tuple[str, models.Field]] = []
    places = {}
    for name, rows in parts.items():
        query = rows.query
        form = rows._iterable_class
        if form in (ValuesIterable, ValuesListIterable):
            names = [*query.extra_select, *query.values_select, *query.annotation_select]
        elif form is ModelIterable and not (query.select_related or rows._prefetch_related_lookups):
            # The columns the ORM would load (``only()``) and the annotations, as it reads them.
            compiler = query.get_compiler(rows.db)
            compiler.setup_query()
            info = compiler.klass_info
            names = [compiler.select[i][0].target.attname for i in info["select_fields"]]
            form = (rows.model, rows.db, len(names))
            names += list(compiler.annotation_col_map)
        else:
            raise ValueError(f"Not plain rows, nor records of one model: {name}")
        at: list[int] = []
        for column in names:
            kind, field = _kind_of(rows, column)
            place = next(
                (p for p, (k, _f) in enumerate(kinds) if k == kind and p not in at), len(kinds)
            )
            if place == len(kinds):
                kinds.append((kind, field))
            at.append(place)
        places[name] = (form, names, at)
    if len(parts) < 2 or not orders_in_union(rows):  # each part refused alike on every database
        return _APART
    return places, kinds


def _kind_of(rows: models.QuerySet, column: str) -> tuple[str, models.Field]:
    """The kind of ``rows``' column and the field an empty place of it is cast to: a text, a
    whole number, or its field's own; a field with a ``from_db_value`` is refused (the
    query's converters are its first part's columns', not its own)."""
    query = rows.query
    if column in query.annotations:
        field = query.annotations[column].output_field
    else:  # a column of the model or of a joined one (a lookup: ``members__role``)
        field = query.resolve_ref(column).output_field
    if field.is_relation:
        field = field.target_field
    if hasattr(field, "from_db_value"):
        raise ValueError(f"A column converted as it is read: {column}")
    kind = field.get_internal_type()
    if kind in _TEXTS:
        return "text", TextField()
    if kind in _NUMBERS:
        return "number", BigIntegerField()
    return kind, field
