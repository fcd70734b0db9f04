"""A record read by SQL made once a process (``record_made_once``): ``rows_of_made_once``'s
way (``unions.py``: built and compiled once with a stand-in for each value given, then run
with each request's values in their places) for a query of model instances, which that one
refuses (its rows are the compiler's). A record's page whose query carries several
subqueries beside the record (the commitment page's facts: 6 ms of the ORM's building and
compiling, of about 20 ms of Python) then costs the run alone."""

from __future__ import annotations

import types
from collections.abc import Callable

from django.db import connections, models
from django.db.models.query import ModelIterable

from .unions import STAND_IN

_MADE: dict[tuple, tuple] = {}


def record_made_once(
    key: tuple, build: Callable[..., models.QuerySet], **values: int
) -> models.Model | None:
    """The one record of ``build(**values)`` (``records_made_once``, of at most one row:
    filtered by its primary key), None when it has none."""
    found = records_made_once(key, build, **values)
    if len(found) > 1:
        raise found[0].MultipleObjectsReturned
    return found[0] if found else None


def records_made_once(
    key: tuple, build: Callable[..., models.QuerySet], **values: int
) -> list[models.Model]:
    """The records of ``build(**values)`` (a queryset of model instances, with whatever it
    selects and annotates, no prefetch), its SQL made once a process for ``key`` (which says
    all the SQL depends on but ``values``: numbers, each a parameter of its own)."""
    made = _MADE.get(key)
    if made is None:
        made = _MADE[key] = _made(build, values)
    queryset, compiler, sql, params, places = made
    params = list(params)
    for name, at, kind in places:
        params[at] = kind(values[name])
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return list(ModelIterable(_ran(queryset, _GivenRows(compiler, rows))))


def _made(build: Callable[..., models.QuerySet], values: dict) -> tuple:
    """``build``'s SQL with a stand-in number for each value, and their parameters' places
    (name, place, the type the ORM gave the number)."""
    stand_ins = {name: STAND_IN - n for n, name in enumerate(values)}
    queryset = build(**stand_ins)
    if (
        queryset._iterable_class is not ModelIterable
        or queryset._prefetch_related_lookups
        or queryset._known_related_objects
    ):
        raise ValueError("Not a queryset of model instances alone")
    compiler = queryset.query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    places = [
        (name, at, type(param))
        for at, param in enumerate(params)
        for name, stand_in in stand_ins.items()
        if isinstance(param, int) and not isinstance(param, bool) and param == stand_in
    ]
    if set(values) - {name for name, _at, _kind in places} or any(
        str(stand_in) in sql for stand_in in stand_ins.values()
    ):
        raise ValueError(f"Not parameters of the query: {list(values)}")
    return queryset, compiler, sql, tuple(params), places


class _GivenRows:
    """The compiler made once, answering the rows already read (``ModelIterable`` asks it
    to run the query, then reads its columns and converts its rows)."""

    def __init__(self, compiler, rows: list) -> None:
        self._compiler = compiler
        self._rows = rows

    def execute_sql(self, *args, **kwargs) -> list:
        return [self._rows]

    def __getattr__(self, name):
        return getattr(self._compiler, name)


def _ran(queryset: models.QuerySet, compiler: _GivenRows):
    """What ``ModelIterable`` reads of a queryset, its compiler the one given."""
    query = types.SimpleNamespace(get_compiler=lambda using=None, **kw: compiler)
    return types.SimpleNamespace(
        db=queryset.db,
        query=query,
        model=queryset.model,
        _fetch_mode=queryset._fetch_mode,
        _known_related_objects={},
    )
