"""Reading a few rows from each of several parts in one query: a ``UNION ALL`` whose parts each
keep their own ORDER BY and LIMIT, so each is read along its own index and stops at its first
rows. PostgreSQL takes that; SQLite does not (a query a part there). And such a query's SQL
made once a process (``rows_of_made_once``), where the ORM built and compiled it every time."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connections, models
from django.db.models import F, TextField, Value
from django.db.models.functions import Cast
from django.db.models.query import ValuesListIterable


def orders_in_union(queryset: models.QuerySet) -> bool:
    """Whether ``queryset``'s database takes an ORDER BY and a LIMIT inside a UNION."""
    return connections[queryset.db].features.supports_slicing_ordering_in_compound


def first_of_each(parts: list[models.QuerySet], order, limit: int) -> list:
    """The first ``limit`` rows of all of ``parts`` together, in ``order``, each part read only
    up to its own first ``limit`` (the order may hold expressions, empty dates first). None
    where the database cannot do it in one query (``first_rows`` then)."""
    if not orders_in_union(parts[0]):
        return None
    firsts = [part.order_by(*order)[:limit] for part in parts]
    return list(firsts[0].union(*firsts[1:], all=True).order_by(*order)[:limit])


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


def labels_of(parts: dict[str, tuple[models.QuerySet, str, str]]) -> dict[str, dict]:
    """Short lists of labels (a filter's options), each ``name: (queryset, key, label)`` read
    as ``{key: label}`` in its labels' order, all in one query on every database (``UNION
    ALL``, sorted as a whole by part and label): the keys read as text, then given back as
    their field's kind (a number or a text)."""
    if len(parts) < 2:
        return {
            name: dict(rows.order_by(label).values_list(key, label))
            for name, (rows, key, label) in parts.items()
        }
    numeric = {}
    selected = []
    for n, (rows, key, label) in enumerate(parts.values()):
        field = rows.model._meta.pk if key == "pk" else rows.model._meta.get_field(key)
        numeric[n] = isinstance(field, models.IntegerField | models.AutoField)
        selected.append(
            rows.order_by()
            .annotate(in_part=Value(n), key_text=Cast(key, TextField()), label=F(label))
            .values_list("in_part", "key_text", "label")
        )
    lists: list[dict] = [{} for _ in parts]
    for n, key, label in selected[0].union(*selected[1:], all=True).order_by("in_part", "label"):
        lists[n][int(key) if numeric[n] else key] = label
    return dict(zip(parts, lists, strict=True))


# Where a query made once (``rows_of_made_once``) holds a value given each time it runs: a
# number no id takes, so a parameter that equals it can only be the value's place.
STAND_IN = -(2**62)
_MADE: dict[tuple, tuple] = {}


def rows_of_made_once(
    key: tuple | None, build: Callable[..., models.QuerySet], **values: int
) -> list[tuple]:
    """The rows of ``build(**values)`` (a ``values_list`` queryset, whose SQL depends on no
    more than ``key`` says and the numbers ``values``), its SQL made once a process and
    database for ``key``: built and compiled with a stand-in for each value, which the SQL
    takes as a parameter, then run with each request's values in their places. A page's
    longest queries (a UNION of parts, each built by the ORM) cost about 4 ms a request to
    build and compile, a millisecond or two of which the database then spends; made once,
    only the run. ``key`` None: built and run as it is (a shape too varied to keep)."""
    if key is None:
        return list(build(**values))
    made = _MADE.get(key)
    if made is None:
        made = _MADE[key] = _made(build, list(values))
    db, compiler, sql, params, places = made
    params = list(params)
    for name, at in places:
        params[at] = values[name]
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return list(compiler.results_iter([rows], tuple_expected=True))


def _made(build: Callable[..., models.QuerySet], names: list[str]) -> tuple:
    """``build``'s SQL with stand-ins for ``names``, and the places of their parameters."""
    stand_ins = {name: STAND_IN - n for n, name in enumerate(names)}
    queryset = build(**stand_ins)
    compiler = queryset.query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    places = [
        (name, at)
        for at, param in enumerate(params)
        for name, stand_in in stand_ins.items()
        if type(param) is int and param == stand_in
    ]
    # Each value a parameter, never written into the SQL itself (it would stay the stand-in).
    missing = set(names) - {name for name, _at in places}
    if missing or any(str(stand_in) in sql for stand_in in stand_ins.values()):
        raise ValueError(f"Not parameters of the query: {sorted(missing) or names}")
    if queryset._iterable_class is not ValuesListIterable:  # its rows are the compiler's
        raise ValueError("Not a values_list() queryset")
    return queryset.db, compiler, sql, tuple(params), places
