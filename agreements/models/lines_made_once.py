"""A reader's rows, and a short list's lines (``as_lines``: what a list shows of each record in
a line), read by SQL made once a process (``rows_of_teams_made_once``): the dashboard's lists
of recent meetings, updates, changes and bodies, of updates awaiting review, and its counts,
each a query the ORM built and compiled every request (about a millisecond each) for rows the
database reads in a tenth of that."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db import models

from .bodies import ImplementationBody
from .status_history import StatusSpan
from .teams import team_ids
from .unions import rows_of_made_once, rows_of_teams_made_once


def visible_rows(
    key: tuple,
    user,
    model: type[models.Model],
    read: Callable[..., models.QuerySet],
    *,
    role: str | None = None,
    records: bool = False,
    **values: int | datetime.date,
) -> list[tuple]:
    """The rows of ``read(rows, **values)`` (a ``values_list`` queryset; of model instances,
    ``records``), ``rows`` being ``model``'s rows ``user`` may see (``visible_to``; with
    ``role``, those of the teams where they hold it, as ``editable_by`` and
    ``reviewable_by_team`` read), its SQL made once for ``key`` (``values`` given each
    time). Signed out, inactive, or in no such team: nothing."""
    if not user.is_authenticated or not user.is_active:
        return []
    every = user.is_superuser
    teams = None if every else team_ids(user, role=role)
    read_once = rows_of_teams_made_once
    return read_once(key, teams, every, (model,), read, records=records, **values) or []


def visible_count(
    key: tuple,
    user,
    model: type[models.Model],
    read: Callable[..., models.QuerySet],
    **values: int | datetime.date,
) -> int:
    """How many rows ``read(rows, **values)`` has (a queryset, sliced for a count up to a
    cap), ``rows`` being ``model``'s rows ``user`` may see (``visible_to``), as its
    ``count()`` counts them, its SQL made once for ``key`` (``count_of_made_once``)."""
    if not user.is_authenticated or not user.is_active:
        return 0
    every = user.is_superuser
    teams = None if every else team_ids(user)
    return rows_of_teams_made_once(key, teams, every, (model,), read, counted=True, **values) or 0


def visible_lines(
    key: tuple,
    user,
    model: type[models.Model],
    line: type,
    read: Callable[..., models.QuerySet],
    *,
    role: str | None = None,
    **values: int | datetime.date,
) -> list:
    """``read(rows, **values)`` as ``line`` objects, ``rows`` being ``model``'s rows ``user``
    may see (``visible_to``; with ``role``, those of the teams where they hold it, as
    ``editable_by`` and ``reviewable_by_team`` read), read as ``line.FIELDS``: ``read``
    filters, orders and slices them (its SQL made once for ``key``, ``values`` given each
    time, ``visible_rows``)."""

    def lines(rows, **given):
        return read(rows.values_list(*line.FIELDS), **given)

    return [line.of(row) for row in visible_rows(key, user, model, lines, role=role, **values)]


def index_by_body(
    body_ids: list[int], day: datetime.date | None = None
) -> dict[int, tuple[float, int]]:
    """``ImplementationBody.objects.index_by_body(body_ids)`` (on a past ``day``,
    ``StatusSpan.objects.index_by_body(body_ids, day)``), its SQL made once a process for
    each number of bodies (the ids and the day its values): a short list's figures."""
    if not body_ids:
        return {}
    ids = {f"body_{n}": pk for n, pk in enumerate(body_ids)}
    then = {"day": day} if day else {}

    def build(**given):
        chosen = [given.pop(name) for name in ids]
        if day:
            return StatusSpan.objects.index_by_body_rows(chosen, given["day"])
        return ImplementationBody.objects.index_by_body_rows(chosen)

    rows = rows_of_made_once(("index by body", bool(day), len(ids)), build, **ids, **then)
    return {body: (mean, n) for body, mean, n in rows}
