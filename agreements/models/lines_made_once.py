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
from .made_once import rows_of_made_once, rows_of_teams_made_once
from .reviews import QUEUE_ORDER, ProgressUpdate, UpdateLine
from .status_history import StatusSpan
from .teams import team_ids
from .unions import orders_in_union


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


def queue_lines(user, teams: list[int], limit: int) -> list[UpdateLine]:
    """The first ``limit`` updates of ``user``'s review queue among ``teams`` (the teams they
    review: ``ProgressUpdateQuerySet.queue_of``), oldest first, as ``UpdateLine``s: each run
    (a team and a state awaiting review) read along the queue's index to its first ``limit``
    and the runs merged, in one query (``UNION ALL``) by SQL made once a process for the
    number of teams. Read as one list over the teams (the commitment's team among them), the
    statement's generic plan walked every team's waiting updates in time to find a small
    team's (180 to 280 ms at 100,000 for a reviewer of a team of 4)."""
    _rows, split = ProgressUpdate.objects.queue_of(user, teams)
    if not split:
        return []
    ids = {f"team_{n}": team for n, team in enumerate(split["team"])}

    def build(me: int, **given):
        mine = ProgressUpdate.objects.decided_by(me).values_list(*UpdateLine.FIELDS, "pk")
        if not orders_in_union(mine):  # SQLite: no ORDER BY or LIMIT inside a UNION
            chosen = [given[name] for name in ids]
            rows = mine.filter(team__in=chosen, review_state__in=split["review_state"])
            return rows.order_by(*QUEUE_ORDER)[:limit]
        parts = [
            mine.filter(team=given[name], review_state=state).order_by(*QUEUE_ORDER)[:limit]
            for name in ids
            for state in split["review_state"]
        ]
        return parts[0].union(*parts[1:], all=True).order_by("created_at", "pk")[:limit]

    rows = rows_of_made_once(("queue lines", len(ids), limit), build, me=user.pk, **ids)
    return [UpdateLine.of(row[:-1]) for row in rows]


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
