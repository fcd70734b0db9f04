"""The lists' per-request queries whose SQL is made once a process (``rows_of_made_once``):
where the ORM's building and compiling of a short query was a real share of a list page's
Python time (a millisecond or more a query, for a page of 25 rows)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import models

from ..models.unions import rows_of_made_once


def rows_of_ids(
    key: tuple, build: Callable[..., models.QuerySet], ids: list[int], **values
) -> list[tuple]:
    """The rows of ``build(ids, **values)`` (a ``values_list`` queryset), its SQL made once a
    process for each number of ``ids`` (a page's rows: at most a page's size of them), each
    id a value of its own. No ids, no rows (an empty ``IN`` is no query at all)."""
    if not ids:
        return []
    named = {f"id_{n}": pk for n, pk in enumerate(ids)}

    def made(**given):
        return build([given.pop(name) for name in named], **given)

    return rows_of_made_once((*key, len(named)), made, **values, **named)
