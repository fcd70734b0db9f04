"""Reading a few rows from each of several parts in one query: a ``UNION ALL`` whose parts each
keep their own ORDER BY and LIMIT, so each is read along its own index and stops at its first
rows. PostgreSQL takes that; SQLite does not (a query a part there)."""

from __future__ import annotations

from django.db import connections, models
from django.db.models import F, TextField, Value
from django.db.models.functions import Cast


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
