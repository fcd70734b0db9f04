"""SQL made once a process: a query whose shape is the same for every reader but for ids,
days, moments and texts is built and compiled by the ORM once (``rows_of_made_once``,
``records_of_made_once``; per number of ids or teams: ``rows_of_ids_made_once``,
``rows_of_teams_made_once``; capped counts: ``count_of_made_once``), then run with each
request's values as parameters; nothing read is kept, only the SQL and how its columns are
converted. And PostgreSQL's generic plan for a block of such queries (``generic_plans``)."""

from __future__ import annotations

import contextlib
import copy
import datetime
import operator
from collections.abc import Callable

from django.core.exceptions import EmptyResultSet
from django.db import connections, models, router
from django.db.models.query import ValuesListIterable
from psycopg.pq import TransactionStatus

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


# How many SQL texts each store below keeps (each with its compiler, which holds the query it
# was made from: some tens of kilobytes). The pages make a few hundred shapes of query; a
# reader asking every combination of filters, sorts and pages could make far more, and a
# store then starts again rather than grow (``_kept``).
MOST_KEPT = 2_000


def _kept(store: dict, key: tuple, make: Callable[[], tuple]) -> tuple:
    """``store[key]``, made by ``make`` the first time (``MOST_KEPT`` at most)."""
    made = store.get(key)
    if made is None:
        if len(store) >= MOST_KEPT:
            store.clear()
        made = store[key] = make()
    return made


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
    made = _kept(_MADE, key, lambda: _made(build, values))
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
    made = _kept(
        _COUNTED, key, lambda: _made(lambda **given: build(**given).values_list("pk"), values)
    )
    return _count_run(made, values)


def _count_run(made: tuple, values: dict) -> int:
    """How many rows SQL made once (``_made``'s, of the rows' keys) reads with ``values``."""
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
    return _records_run(_kept(_KEPT, key, lambda: _made(build, values, iterable=None)), values)


def _records_run(made: tuple, values: dict) -> list:
    """The records of SQL made once (``_made``'s), run with ``values`` through a copy of its
    compiler that gives its SQL as made, on this thread's connection."""
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


# Queries built by a caller (an admin's changelist) whose SQL depends on nothing but its key
# and the values given (``MOST_KEPT`` at most, as the stores above).
_BUILT: dict[tuple, tuple] = {}


def records_of_built_once(key: tuple, queryset: models.QuerySet, **values) -> list:
    """``queryset``'s records (built already, with these ``values`` in it), its SQL compiled
    once a process for ``key`` (what else it depends on), then run with each request's
    values in their places, as ``records_of_made_once`` runs its own. A value's place is the
    one parameter that equals it when first compiled: where none or several do (an id that
    equals a filter's number), the query runs as it is, and is compiled again next time."""
    made = _built(("records", *key), queryset, values)
    return list(queryset) if made is None else _records_run(made, values)


def count_of_built_once(key: tuple, queryset: models.QuerySet, **values) -> int:
    """``queryset.count()`` (a queryset built already, sliced for a count up to a cap), its
    SQL compiled once a process for ``key`` (``records_of_built_once``)."""
    made = _built(("count", *key), queryset.values_list("pk"), values)
    return queryset.count() if made is None else _count_run(made, values)


def _built(key: tuple, queryset: models.QuerySet, values: dict) -> tuple | None:
    """What ``_made`` keeps of ``queryset``, its values found among its parameters; None
    when one of them is not found once (nothing kept: compiled again next time)."""
    key = (queryset.db, *key)
    made = _BUILT.get(key)
    if made is not None:
        return made
    compiler = queryset.query.get_compiler(queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # a query that reads nothing (``none()``): run as it is
        return None
    ops = connections[queryset.db].ops
    places = [
        (name, at, _kind(param, value, ops))
        for name, value in values.items()
        for at, param in enumerate(params)
        if _kind(param, value, ops) is not _NOT
    ]
    found = [name for name, _at, _how in places]
    texts = [value for value in values.values() if isinstance(value, str)]
    if sorted(found) != sorted(values) or any(text in sql for text in texts):
        return None
    _keep_converters(compiler)
    return _kept(_BUILT, key, lambda: (queryset.db, compiler, sql, tuple(params), places, queryset))
