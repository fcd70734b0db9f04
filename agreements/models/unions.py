"""Reading a few rows from each of several parts in one query: a ``UNION ALL`` whose parts each
keep their own ORDER BY and LIMIT, so each is read along its own index and stops at its first
rows. PostgreSQL takes that; SQLite does not (a query a part there). And such a query's SQL
made once a process (``rows_of_made_once``), where the ORM built and compiled it every time."""

from __future__ import annotations

import contextlib
import copy
import datetime
import operator
from collections.abc import Callable

from django.db import connections, models, router
from django.db.models import BigIntegerField, F, TextField, Value, Window
from django.db.models.functions import Cast, RowNumber
from django.db.models.query import ModelIterable, ValuesIterable, ValuesListIterable
from psycopg.pq import TransactionStatus


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


# Where a query made once (``rows_of_made_once``) holds a value given each time it runs: a
# number no id takes, a day no record is dated (from the first of year 1 on), or a text no
# one types (control characters around it), so a parameter that equals it can only be the
# value's place.
STAND_IN = -(2**62)
STAND_IN_DAY = datetime.date(1, 1, 1)
STAND_IN_TEXT = "\x1fstand-in {}\x1f"
# A moment (an aware datetime) no record holds: midnight (UTC) of a day in year 2, so that no
# time zone's offset takes it out of the calendar.
STAND_IN_MOMENT = datetime.datetime(2, 1, 1, tzinfo=datetime.UTC)


def _is_day(value) -> bool:
    return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)


def _stand_in(n: int, value):
    """The ``n``-th value's stand-in, of its kind: a day's, a moment's, a text's or a
    number's."""
    if _is_day(value):
        return STAND_IN_DAY + datetime.timedelta(n)
    if isinstance(value, datetime.datetime):
        return STAND_IN_MOMENT + datetime.timedelta(n)
    return STAND_IN_TEXT.format(n) if isinstance(value, str) else STAND_IN - n


_MADE: dict[tuple, tuple] = {}


def rows_of_made_once(
    key: tuple | None, build: Callable[..., models.QuerySet], **values: int | datetime.date | str
) -> list[tuple]:
    """The rows of ``build(**values)`` (a ``values_list`` queryset, whose SQL depends on no
    more than ``key`` says and the ``values``, numbers, days, moments (aware datetimes) or
    texts: a text only where the SQL takes it whole as a parameter, as a search's words),
    its SQL made once a process
    and database for ``key``: built and compiled with a stand-in for each value, which the
    SQL takes as a parameter, then run with each request's values in their places. A page's
    longest queries (a UNION of parts, each built by the ORM) cost about 4 ms a request to
    build and compile, a millisecond or two of which the database then spends; made once,
    only the run. ``key`` None: built and run as it is (a shape too varied to keep). A day
    is compared as a date column takes it (``build`` computes nothing from a stand-in: a
    day it needs is a value of its own)."""
    if key is None:
        return list(build(**values))
    made = _MADE.get(key)
    if made is None:
        made = _MADE[key] = _made(build, values)
    db, compiler, sql, params, places, _built = made
    with connections[db].cursor() as cursor:
        cursor.execute(sql, _given(db, params, places, values))
        rows = cursor.fetchall()
    return list(compiler.results_iter([rows], tuple_expected=True))


@contextlib.contextmanager
def generic_plans(model: type[models.Model]):
    """Inside the block, PostgreSQL runs the queries of ``model``'s database with its generic
    plan (``plan_cache_mode``): the plan a prepared statement keeps (``prepare_threshold``),
    planned once a connection, whatever the values. PostgreSQL's own choice keeps planning
    anew a query whose generic plan it estimates dearer, which the dashboard's milestone
    lists' is (six tables joined for the owner's team: 1.4 ms planned for 0.2 ms run), though
    it runs as fast (it walks the milestones by their due date, an index each list's order
    has: ``milestone_open_due``). Only for a query whose generic plan is so checked
    (``tests/test_query_plans.py``). Inside another such block, nothing more: the outer one
    sets it and puts it back. Elsewhere, nothing."""
    connection = connections[router.db_for_read(model)]
    if connection.vendor != "postgresql" or getattr(connection, "_generic_plans", False):
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
    connection._generic_plans = True
    try:
        yield
    finally:
        connection._generic_plans = False
        # A transaction a failed query broke takes the setting back as it rolls back (and
        # would refuse the RESET, hiding the failure).
        if connection.connection.info.transaction_status != TransactionStatus.INERROR:
            with connection.cursor() as cursor:
                cursor.execute("RESET plan_cache_mode")


_COUNTED: dict[tuple, tuple] = {}


def count_of_made_once(
    key: tuple, build: Callable[..., models.QuerySet], **values: int | datetime.date | str
) -> int:
    """How many rows ``build(**values)`` has (a queryset, sliced for a count up to a cap), as
    its ``count()`` counts them (``SELECT COUNT(*)`` over them, a sliced one's as a subquery),
    its SQL made once a process and database for ``key`` as ``rows_of_made_once`` makes it:
    the ORM built and compiled a count every time (about 0.6 ms) for a database's 0.5 ms."""
    made = _COUNTED.get(key)
    if made is None:
        made = _COUNTED[key] = _made(lambda **given: build(**given).values_list("pk"), values)
    db, _compiler, sql, params, places, _built = made
    with connections[db].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) subquery", _given(db, params, places, values))
        return cursor.fetchone()[0]


def _given(db: str, params: tuple, places: list, values: dict) -> list:
    """The parameters of SQL made once, each value in its places (``_made``)."""
    params = list(params)
    ops = connections[db].ops
    for name, at, kind in places:
        value = values[name]
        if kind is _DAY:
            params[at] = ops.adapt_datefield_value(value)
        elif kind is _MOMENT:
            params[at] = ops.adapt_datetimefield_value(value)
        else:
            params[at] = value if kind is None else kind(value)
    return params


_KEPT: dict[tuple, tuple] = {}


def records_of_made_once(
    key: tuple, build: Callable[..., models.QuerySet], **values: int | datetime.date
) -> list[models.Model]:
    """The records of ``build(**values)`` (a queryset of model instances, with its joined
    records, annotations and prefetches, or of ``values()`` dicts), its SQL made once a
    process and database for ``key`` as ``rows_of_made_once`` makes it. A section's query of
    a few rows costs about half a millisecond to build and as much to compile, more than it
    takes to run.

    Each run reads through a copy of the compiler kept (which knows the columns, their
    converters and the joined records) that gives its SQL as made, on this thread's
    connection: the ORM's own iterable builds the records from its rows."""
    made = _KEPT.get(key)
    if made is None:
        made = _KEPT[key] = _made(build, values, iterable=None)
    db, compiler, sql, params, places, built = made
    params = _given(db, params, places, values)
    run = copy.copy(compiler)
    run.connection = connections[db]
    run.as_sql = lambda *args, **kwargs: (sql, params)
    rows = models.QuerySet(built.model, query=_Made(run), using=db)
    # Its records as the queryset built gives them: instances (with their prefetches), or dicts.
    rows._iterable_class, rows._fields = built._iterable_class, built._fields
    rows._prefetch_related_lookups = built._prefetch_related_lookups
    rows._fetch_mode = built._fetch_mode
    return list(rows)


class _Made:
    """The query of a queryset run by SQL made once: its compiler, given; what else its
    iterable reads of it (the names of a ``values()`` row's columns), the query made."""

    def __init__(self, compiler):
        self.compiler = compiler

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        return self.compiler

    def __getattr__(self, name: str):
        return getattr(self.compiler.query, name)


def _made(
    build: Callable[..., models.QuerySet], values: dict, iterable: type | None = ValuesListIterable
) -> tuple:
    """``build``'s SQL with stand-ins for ``values`` (a number's, a day's or a text's), and
    the places of their parameters: (name, place, how the value is given: ``_DAY`` as the
    database takes a day, ``adapt_datefield_value``, which is the day itself on PostgreSQL,
    its text on SQLite; a number as the type its stand-in was given, where the ORM wrapped it,
    as ``Int8`` for an expression declared a big integer; else None, as it is)."""
    stand_ins = {name: _stand_in(n, value) for n, (name, value) in enumerate(values.items())}
    queryset = build(**stand_ins)
    compiler = queryset.query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    _keep_converters(compiler)
    ops = connections[queryset.db].ops
    places = [
        (name, at, _kind(param, stand_in, ops))
        for at, param in enumerate(params)
        for name, stand_in in stand_ins.items()
        if _kind(param, stand_in, ops) is not _NOT
    ]
    # Each value a parameter, never written into the SQL itself (it would stay the stand-in),
    # a text's stand-in nowhere in it either (nor a part of a parameter: a text built from it).
    missing = set(values) - {name for name, _at, _kind in places}
    texts = [stand_in for stand_in in stand_ins.values() if isinstance(stand_in, str)]
    built_from = [param for param in params if isinstance(param, str) and param not in texts]
    if (
        missing
        or any(str(stand_in) in sql for stand_in in stand_ins.values())
        or any(text.strip("\x1f") in sql or text in param for text in texts for param in built_from)
    ):
        raise ValueError(f"Not parameters of the query: {sorted(missing) or list(values)}")
    if iterable and queryset._iterable_class is not iterable:  # its rows are the compiler's
        raise ValueError(f"Not a {iterable.__name__} queryset")
    return queryset.db, compiler, sql, tuple(params), places, queryset


def _keep_converters(compiler) -> None:
    """The converters of ``compiler``'s columns (what turns each column's value from the
    database into its field's), worked out once with its SQL: each run's ``results_iter``
    worked them out anew, asking each column's field and the backend (some 30 µs a query of a
    few columns, whatever its rows), for the same columns every time. Asked for others, it
    works them out as before."""
    columns = [column for column, *_ in compiler.select[: compiler.col_count]]
    converters = compiler.get_converters(columns)
    work_out = compiler.get_converters

    def get_converters(expressions):
        same = len(expressions) == len(columns) and all(map(operator.is_, expressions, columns))
        return converters if same else work_out(expressions)

    compiler.get_converters = get_converters


_DAY, _MOMENT, _NOT = object(), object(), object()


def _kind(param, stand_in, ops):
    """How a parameter holds ``stand_in`` (``_made``'s places), ``_NOT`` where it does not."""
    if type(param) is type(stand_in) and param == stand_in:
        return None
    if _is_day(stand_in) and type(param) is str and param == ops.adapt_datefield_value(stand_in):
        return _DAY
    if (
        isinstance(stand_in, datetime.datetime)
        and type(param) is str
        and param == ops.adapt_datetimefield_value(stand_in)
    ):
        return _MOMENT
    number = type(stand_in) is int and isinstance(param, int) and not isinstance(param, bool)
    return type(param) if number and param == stand_in else _NOT


def rows_of_teams_made_once(
    key: tuple,
    teams: list[int] | None,
    every: bool,
    scoped: tuple,
    read,
    *,
    records: bool = False,
    counted: bool = False,
    **values,
) -> list | int | None:
    """``read(*rows, **values)`` (a ``values_list`` queryset; a queryset of ``records``; the
    number of its rows, ``counted``) run by SQL made once a process (``rows_of_made_once``,
    ``records_of_made_once``, ``count_of_made_once``) for the
    number of ``teams`` (ids), or for ``every`` team (an admin's): ``rows``, the ``scoped``
    models' rows (team-scoped querysets) of those teams, the teams' ids given as values of
    their own. None when neither is known (a history given its querysets, a reader in no
    team): the caller reads them, or nothing."""
    if not (teams or every):
        return None
    ids = {f"team_{n}": team for n, team in enumerate(teams or [])}

    def build(**given):
        chosen = [given.pop(name) for name in ids]
        rows = [model.objects.all() for model in scoped]
        if not every:
            rows = [part.in_teams(chosen) for part in rows]
        return read(*rows, **given)

    whose = "every" if every else len(ids)
    made_once = (
        count_of_made_once if counted else records_of_made_once if records else rows_of_made_once
    )
    return made_once((*key, whose), build, **values, **ids)


def rows_of_ids_made_once(
    key: tuple,
    ids: list[int],
    build: Callable[..., models.QuerySet],
    *,
    records: bool = False,
    **values,
) -> list:
    """``build(ids, **values)`` (a ``values_list`` queryset reading the rows of a page's
    records, ``ids``; a queryset of ``records``) run by SQL made once a process
    (``rows_of_made_once``, ``records_of_made_once``) for each number of ``ids``, each id a
    value of its own: a page of rows has at most a page's size of them, so a few SQL texts a
    query, where the ORM built and compiled it for every page."""
    if not ids:
        return []
    named = {f"id_{n}": pk for n, pk in enumerate(ids)}

    def made(**given):
        return build([given.pop(name) for name in named], **given)

    made_once = records_of_made_once if records else rows_of_made_once
    return made_once((*key, len(ids)), made, **values, **named)


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
