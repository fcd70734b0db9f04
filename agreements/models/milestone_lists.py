"""The dashboard's lists of milestones (today's overdue and due soon, a past day's overdue),
their SQL made once a process for each number of teams read (``rows_of_teams_made_once``, the
teams' ids and the days its values): each is a UNION of parts of five joins (a milestone's
owners, for their team and whether archived), which cost ~2 ms a request to build and compile.
The rows are those of ``Milestone.objects.visible_to(user)``'s own methods. Where the database
takes no LIMIT inside a UNION (SQLite), a query a part."""

from __future__ import annotations

import datetime

from django.db.models import Value

from .lines_made_once import visible_rows
from .made_once import generic_plans
from .milestones import Milestone, MilestoneLine
from .unions import orders_in_union


def _made_for(user):
    """How to read made-once rows of the milestones ``user`` may see: a function of (key,
    read, **values), ``lines_made_once.visible_rows`` (nothing signed out, inactive, or in
    no team)."""

    def made(key, read, **values):
        return visible_rows(key, user, Milestone, read, **values)

    return made


def overdue_and_due_within_for(
    user, today: datetime.date, days: int, limit: int
) -> tuple[list[MilestoneLine], list[MilestoneLine]]:
    """``MilestoneQuerySet.overdue_and_due_within`` of the milestones ``user`` may see
    (``visible_to``), its SQL made once a process for each number of teams read: the
    dashboard's longest query, a UNION of the two lists' parts."""
    made = _made_for(user)

    def read(milestones):
        return milestones.open().values_list(*MilestoneLine.FIELDS)

    def first(rows):
        return rows.order_by("due_date", "pk")[:limit]

    def overdue(milestones, today):
        return read(milestones).filter(due_date__lt=today)

    def due(milestones, today, until):
        return read(milestones).filter(due_date__gte=today, due_date__lte=until)

    def union(milestones, today, until):
        lists = (overdue(milestones, today), due(milestones, today, until))
        first_overdue, first_due = (
            first(rows.annotate(in_part=Value(n))) for n, rows in enumerate(lists)
        )
        return first_overdue.union(first_due, all=True).order_by("in_part", "due_date", "pk")

    until = today + datetime.timedelta(days)
    key = ("dashboard milestones", limit)
    if orders_in_union(Milestone.objects.all()):
        lists: list[list] = [[], []]
        with generic_plans(Milestone):
            rows = made(key, union, today=today, until=until)
        for *row, in_part in rows:
            lists[in_part].append(row)
    else:
        lists = [
            made((*key, 0), lambda m, **v: first(overdue(m, **v)), today=today),
            made((*key, 1), lambda m, **v: first(due(m, **v)), today=today, until=until),
        ]
    lines = [
        [MilestoneLine.of(dict(zip(MilestoneLine.FIELDS, row, strict=True))) for row in rows]
        for rows in lists
    ]
    return lines[0], lines[1]


def overdue_on_for(user, day: datetime.date, limit: int) -> list[MilestoneLine]:
    """``MilestoneQuerySet.overdue_on`` of the milestones ``user`` may see (``visible_to``),
    its SQL made once a process for each number of teams read: its two parts (those not moved
    after ``day``, those moved after it) in one query on PostgreSQL, the day their value."""
    made = _made_for(user)
    fields = (*MilestoneLine.FIELDS, "due_then")

    def part(n):
        def read(milestones, day):
            rows = milestones.overdue_on_parts(day)[n].values_list(*fields)
            return rows.order_by("due_then", "pk")[:limit]

        return read

    def union(milestones, day):
        unmoved, moved = (
            rows.values_list(*fields).annotate(in_part=Value(n)).order_by("due_then", "pk")[:limit]
            for n, rows in enumerate(milestones.overdue_on_parts(day))
        )
        return unmoved.union(moved, all=True).order_by("in_part", "due_then", "pk")

    key = ("past overdue milestones", limit)
    if orders_in_union(Milestone.objects.all()):
        rows = [row[:-1] for row in made(key, union, day=day)]
    else:
        rows = [row for n in (0, 1) for row in made((*key, n), part(n), day=day)]
    rows.sort(key=lambda row: (row[-1], row[0]))  # due then, pk
    return [
        MilestoneLine.of(dict(zip(fields, row, strict=True)) | {"due_date": row[-1]})
        for row in rows[:limit]
    ]
