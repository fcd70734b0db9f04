"""How each commitment's official status stood over time, stored so that a past day is read,
never replayed.

A commitment's state on a day is that of its status change with the latest effective day up
to then (the later recorded on one day); before its first change, what that change changed
from; without changes, its state now (``spans_of``, the one statement of that rule). Stored
in these forms, all rewritten by the actions that move it (``actions.states_moved`` →
``StatusSpan.objects.rewrite``: a status change, saving or importing a meeting, archiving or
restoring, the admin's saves), in the same transaction; a bulk load writes them all anew at
once (``SpanQuerySet.rebuild``, the same rules and rows):

- ``StatusSpan``: per commitment, each state with the days it held (from, to), on an index by
  commitment: a page of commitments reads its state on any day in one probe each.
- ``StatusDayTally``: per team and state, the days on which counts changed (+1 for the state
  a commitment entered, −1 for the one it left), one row per key added to in place
  (``DatedTally.add``): a team's figures on a day are the sum of its rows up to that day.
- ``StatusMonthTally``: the same summed by month, and ``StatusYearTally`` by year, so that a
  day's figures read the years before its own, then its year's months before its month,
  then its month's days (``status_reads.StatusHistory``): a few rows a year, whatever the
  number of commitments.
- ``IndexMonthTally``: the month tally of the commitments that count (active, neither
  cancelled nor superseded) by status alone, the implementation index's: a curve reads a
  few rows a month.

The tallies live in ``history_tallies``. Tests (tests/test_status_history.py) compare them
all with a recount from the status changes.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.db import connection, models, transaction
from django.db.models import Max, Min, Q

from .base import CoveringIndex, active_q
from .commitment_vocabularies import ImplementationStatus
from .commitments import Commitment
from .history_tallies import (  # CountingKey: named here by the migrations
    CountingKey,  # noqa: F401
    IndexMonthTally,
    StatusDayTally,
    StatusMonthTally,
    StatusYearTally,
)
from .status_changes import StatusChange
from .teams import Team, TeamScopedQuerySet


class State(NamedTuple):
    """A commitment's official state: its status and flags."""

    status: int
    is_stalled: bool
    cancellation: str


class Span(NamedTuple):
    starts_on: datetime.date
    ends_on: datetime.date | None  # the day the next state began; None: it stands today
    state: State


def spans_of(
    meeting_date: datetime.date,
    now: State,
    changes: Sequence[tuple[datetime.date, State, State]],
) -> list[Span]:
    """A commitment's states over time from its changes ``(effective_on, from, to)``, sorted as
    they apply (effective day, then recording): from its meeting (or its first change, if dated
    earlier) the state its first change changed from, then each change's on its day (the last
    of one day standing); without changes, ``now`` since the meeting."""
    if not changes:
        return [Span(meeting_date, None, now)]
    points: list[tuple[datetime.date, State]] = [(min(meeting_date, changes[0][0]), changes[0][1])]
    for day, _before, after in changes:
        if points[-1][0] == day:
            points[-1] = (day, after)
        else:
            points.append((day, after))
    merged: list[tuple[datetime.date, State]] = []
    for day, state in points:
        if not merged or merged[-1][1] != state:
            merged.append((day, state))
    ends = [day for day, _ in merged[1:]] + [None]
    return [Span(day, end, state) for (day, state), end in zip(merged, ends, strict=True)]


type Ids = list[int] | range


def among(field: str, ids: Ids) -> Q:
    """``field`` is one of ``ids``: a list, or a range of them (``rebuild``'s, read as one
    index range rather than thousands of probes)."""
    if isinstance(ids, range):
        return Q(**{f"{field}__gte": ids.start, f"{field}__lt": ids.stop})
    return Q(**{f"{field}__in": ids})


class SpanQuerySet(TeamScopedQuerySet):
    """Stored history per commitment (``StatusSpan``, ``ComplianceSpan``): rows with the days
    they held, rewritten from the facts they come from, their tallies told the difference.
    Each kind says ``wanted(ids)``: each commitment's rows as they should be stored (as a
    stored one's ``row()``), and ``tallies()``: the tallies that count them, each from the
    day deltas (``DatedTally.of``)."""

    CHUNK = 1000  # commitments rewritten per round of queries
    stored_order: tuple[str, ...] = ("starts_on",)  # as ``wanted`` lists each one's rows

    def rewrite(self, commitment_ids: Iterable[int]) -> None:
        """Bring these commitments' stored history in line with the facts and their state now
        (theme, archiving, meeting date): rows replaced where they differ, and the tallies told
        the difference. Called by the actions that move them, inside their transaction,
        holding their meetings' rows (``Meeting.lock``, ``actions.states_moved``), so that
        concurrent rewrites of one commitment queue rather than read stale rows."""
        ids = sorted(set(commitment_ids))
        if len(ids) > self.CHUNK:  # a whole meeting at once; a bulk load a chunk at a time
            for start in range(0, len(ids), self.CHUNK):
                self.rewrite(ids[start : start + self.CHUNK])
            return
        if not ids:
            return
        spans = self.model.objects
        wanted = self.wanted(ids)
        stored = defaultdict(list)
        for span in spans.filter(commitment__in=ids).order_by(*self.stored_order):
            stored[span.commitment_id].append(span)
        changed = [pk for pk in ids if [s.row() for s in stored[pk]] != wanted.get(pk, [])]
        if not changed:
            return
        deltas: Counter = Counter()
        for pk in changed:
            for span in stored[pk]:
                span.count_into(deltas, -1)
        spans.filter(commitment__in=changed).delete()
        new = [self.model(commitment_id=pk, **row) for pk in changed for row in wanted.get(pk, [])]
        for span in new:
            span.count_into(deltas, +1)
        spans.bulk_create(new)
        for tally in self.tallies():
            tally.add(tally.of(deltas))

    REBUILD_CHUNK = 5000  # commitments read per round when every one is written anew

    def rebuild(self) -> int:
        """Write every commitment's stored history anew, and its tallies: for a bulk load
        (``synthetic_data``), where ``rewrite`` would read back, compare and add to the tallies
        a thousand commitments at a time. The same rows and sums as ``rewrite`` of every
        commitment (tests/test_status_history.py compares them), from the same rules
        (``wanted``), without reading what was stored: the table and its tallies are emptied,
        the rows copied in (COPY on PostgreSQL), and the tallies given their sums once, at the
        end, a row per key. One transaction; on PostgreSQL it locks the tables against
        writes until it commits, so an action's ``rewrite`` meanwhile waits for it and then
        reads the new rows. Returns the number of rows written."""
        tallies = self.tallies()
        tables = [connection.ops.quote_name(t._meta.db_table) for t in (self.model, *tallies)]
        deltas: Counter = Counter()
        written = 0
        with transaction.atomic():
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":  # read on; writers wait until it commits
                    cursor.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")
                for table in tables:  # not TRUNCATE: refused beside the caller's deferred checks
                    cursor.execute(f"DELETE FROM {table}")
            bounds = Commitment.objects.aggregate(first=Min("pk"), last=Max("pk"))
            first, last = bounds["first"] or 0, bounds["last"] or -1
            for start in range(first, last + 1, self.REBUILD_CHUNK):
                wanted = self.wanted(range(start, min(start + self.REBUILD_CHUNK, last + 1)))
                rows = [(pk, row) for pk in sorted(wanted) for row in wanted[pk]]
                for _pk, row in rows:
                    self.model.count_row(row, deltas, +1)
                self._copy_in(rows)
                written += len(rows)
            for tally in tallies:
                tally.fill(tally.of(deltas))
        return written

    def _copy_in(self, rows: list[tuple[int, dict]]) -> None:
        """Rows (commitment, ``row()``) added as they are: COPY on PostgreSQL."""
        if connection.vendor != "postgresql":
            self.model.objects.bulk_create(
                [self.model(commitment_id=pk, **row) for pk, row in rows], batch_size=500
            )
            return
        fields = ["commitment_id", *self.model.ROW]
        meta = self.model._meta
        columns = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in fields)
        table = connection.ops.quote_name(meta.db_table)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for pk, row in rows:
                copy.write_row((pk, *map(row.get, self.model.ROW)))


class StatusSpanQuerySet(SpanQuerySet):
    def wanted(self, ids: Ids) -> dict[int, list[dict]]:
        return _wanted_spans(ids)

    def tallies(self):
        return StatusDayTally, StatusMonthTally, StatusYearTally, IndexMonthTally

    def on(self, day: datetime.date):
        """The spans that held on ``day``: one per commitment that existed then."""
        return self.filter(Q(ends_on__gt=day) | Q(ends_on__isnull=True), starts_on__lte=day)

    def counting(self):
        """Spans of commitments that count: active, neither cancelled nor superseded then."""
        return self.filter(active=True, cancellation="")

    def overdue_on(self, day: datetime.date):
        """The spans of the commitments overdue as they stood on ``day``: a row each, as
        ``Commitment.objects.overdue_on(day)`` has them (counting then, past their target
        date, not complete then), read from the spans alone, which carry the commitment's
        team, archiving and target date as they are now, on their index by target date."""
        return (
            self.on(day)
            .counting()
            .filter(target_date__lt=day)
            .exclude(status=ImplementationStatus.COMPLETE)
        )

    def index_by_body(self, body_ids, day: datetime.date) -> dict[int, tuple[float, int]]:
        """Per body: the mean status on ``day`` of the commitments it oversees that counted
        then, and how many they were."""
        return {body: (mean, n) for body, mean, n in self.index_by_body_rows(body_ids, day)}

    def index_by_body_rows(self, body_ids, day: datetime.date):
        """``index_by_body``'s rows: (body, mean status, count)."""
        return (
            self.on(day)
            .counting()
            .filter(commitment__bodies__in=body_ids)
            .values_list("commitment__bodies")
            .annotate(mean=models.Avg("status"), n=models.Count("*"))
            .order_by()
        )


def _wanted_spans(ids: Ids) -> dict[int, list[dict]]:
    """Each commitment's spans as rows to store (``StatusSpan.row``), from its changes."""
    changes = defaultdict(list)
    for pk, day, *states in (
        StatusChange.objects.filter(among("commitment", ids))
        .order_by("commitment", "effective_on", "changed_at", "pk")
        .values_list(
            "commitment_id",
            "effective_on",
            "from_status",
            "from_stalled",
            "from_cancellation",
            "to_status",
            "to_stalled",
            "to_cancellation",
        )
    ):
        changes[pk].append((day, State(*states[:3]), State(*states[3:])))
    commitments = (
        Commitment.objects.filter(among("pk", ids))
        .annotate(
            active=models.ExpressionWrapper(
                active_q(Commitment), output_field=models.BooleanField()
            )
        )
        .values_list(
            "pk",
            "team_id",
            "theme_id",
            "meeting_date",
            "active",
            "status",
            "is_stalled",
            "cancellation",
            "target_date",
        )
    )
    wanted = {}
    for pk, team, theme, meeting_date, active, *now, target in commitments:
        wanted[pk] = [
            {
                "team_id": team,
                "theme": theme,
                "active": active,
                "target_date": target,
                "starts_on": span.starts_on,
                "ends_on": span.ends_on,
                **span.state._asdict(),
            }
            for span in spans_of(meeting_date, State(*now), changes[pk])
        ]
    return wanted


class StatusSpan(models.Model):
    """One state of a commitment's official status and the days it held: from ``starts_on``
    up to (not including) ``ends_on``, or still, when that is empty. Derived, stored by
    ``StatusSpan.objects.rewrite``; with the commitment's team, theme and whether it is active
    (neither it nor its meeting archived) and target date as they are now: a past day's overdue
    count reads the spans alone (``StatusSpanQuerySet.overdue_on``)."""

    team_lookups = ("team",)
    derived = True  # rewritten by the actions, edited nowhere (not in the admin)

    # Joined to its commitment as "status_span" (``CommitmentQuerySet.agreed_by``).
    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="+", related_query_name="status_span"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    theme = models.CharField(max_length=30)
    active = models.BooleanField()
    target_date = models.DateField(null=True)
    status = models.PositiveSmallIntegerField()
    is_stalled = models.BooleanField()
    cancellation = models.CharField(max_length=20, blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True)

    objects = StatusSpanQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["commitment", "starts_on"], name="status_span_commitment"),
            # A team's spans by status, then commitment, with their days: a past day's list
            # sorted by the state then reads a page's rows along it (``agreed_by``).
            CoveringIndex(
                fields=["team", "status", "commitment"],
                covers=("starts_on", "ends_on"),
                name="status_span_team_status",
            ),
            # A team's spans by target date, with what says whether one was overdue on a day:
            # a past day's overdue count (``overdue_on``) walks the spans past their target
            # then in this index alone, never a commitment's row.
            CoveringIndex(
                fields=["team", "target_date"],
                covers=("starts_on", "ends_on", "status", "cancellation", "active"),
                name="status_span_team_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commitment_id}: {self.status} from {self.starts_on} to {self.ends_on}"

    ROW = ("team_id", "theme", "active", "target_date", "starts_on", "ends_on", *State._fields)

    def row(self) -> dict:
        return {field: getattr(self, field) for field in self.ROW}

    def count_into(self, deltas: Counter, sign: int) -> None:
        self.count_row(self.row(), deltas, sign)

    @staticmethod
    def count_row(row: dict, deltas: Counter, sign: int) -> None:
        """Add a span's effect on the day tally (the span as ``row`` gives it), times ``sign``:
        its state counted from its first day, and no more from the day it ended."""
        state = (row["team_id"], row["theme"], row["status"], row["is_stalled"])
        flags = (bool(row["cancellation"]), row["active"])
        deltas[(*state, *flags, row["starts_on"])] += sign
        if row["ends_on"] is not None:
            deltas[(*state, *flags, row["ends_on"])] -= sign
