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

Tests (tests/test_status_history.py) compare them all with a recount from the status changes.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.db import connection, models, transaction
from django.db.models import Max, Min, Q

from .base import CoveringIndex, active_q
from .commitments import Commitment
from .status_changes import StatusChange
from .tallies import CommitmentTallyQuerySet, Tally, TallyQuerySet
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
        )
    )
    wanted = {}
    for pk, team, theme, meeting_date, active, *now in commitments:
        wanted[pk] = [
            {
                "team_id": team,
                "theme": theme,
                "active": active,
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
    (neither it nor its meeting archived) as they are now."""

    team_lookups = ("team",)
    derived = True  # rewritten by the actions, edited nowhere (not in the admin)

    # Joined to its commitment as "status_span" (``CommitmentQuerySet.agreed_by``).
    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="+", related_query_name="status_span"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    theme = models.CharField(max_length=30)
    active = models.BooleanField()
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
        ]

    def __str__(self) -> str:
        return f"{self.commitment_id}: {self.status} from {self.starts_on} to {self.ends_on}"

    ROW = ("team_id", "theme", "active", "starts_on", "ends_on", *State._fields)

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


class CountingKey(models.UniqueConstraint):
    """A month or day tally's key whose index, on PostgreSQL, holds the count too
    (``INCLUDE (n)``): a team's months (or days) are read from the index alone, never
    visiting the table (at 1,000,000 commitments a team's curve reads its ~8,000 month rows
    in a third of the time; a past day's own month, 700 day rows at 100,000, in a fifth).
    Elsewhere a plain unique key: Django's own ``include`` would make no key at all on
    SQLite, where the tally's upsert needs one."""

    def _as_made(self, schema_editor) -> models.UniqueConstraint:
        covering = schema_editor.connection.features.supports_covering_indexes
        return models.UniqueConstraint(
            fields=self.fields, name=self.name, include=["n"] if covering else None
        )

    def constraint_sql(self, model, schema_editor):
        return self._as_made(schema_editor).constraint_sql(model, schema_editor)

    def create_sql(self, model, schema_editor):
        return self._as_made(schema_editor).create_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        return self._as_made(schema_editor).remove_sql(model, schema_editor)


# Each period's first day, of a day in it.
PERIODS = {
    "month": lambda day: day.replace(day=1),
    "quarter": lambda day: day.replace(month=day.month - (day.month - 1) % 3, day=1),
    "year": lambda day: day.replace(month=1, day=1),
}


class DatedTally(Tally):
    """A tally per state and date, one row per key, added to in place (``add``), not appended
    and folded as the dashboard's tallies: its keys are many (a team's days × states), so
    folding would cost as much as the rows it saves. Writers add to the same rows in one order
    (sorted keys), so they queue on a row rather than deadlock."""

    class Meta:
        abstract = True

    # What its date is the first day of: a day, a month, a quarter or a year (``PERIODS``).
    period = "day"

    @classmethod
    def of(cls, deltas: Counter) -> Counter:
        """Day deltas (keys ending with a day, as the spans' ``count_row`` writes them) as this
        tally counts them: summed by its period, dated its first day."""
        if cls.period == "day":
            return deltas
        first_of = PERIODS[cls.period]
        summed: Counter = Counter()
        for (*state, day), n in deltas.items():
            summed[(*state, first_of(day))] += n
        return summed

    @classmethod
    def fill(cls, deltas: Counter) -> None:
        """Write each key's count into the emptied tally (``SpanQuerySet.rebuild``): a row per
        key that is not zero, as ``add`` would make them, copied in at once on PostgreSQL."""
        if connection.vendor != "postgresql":
            cls.add(deltas)
            return
        table = connection.ops.quote_name(cls._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in (*cls.key, "n"))
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for key, n in sorted(deltas.items()):
                if n:
                    copy.write_row((*key, n))

    @classmethod
    def add(cls, deltas: Counter) -> None:
        """Add each key's change of count to its row (made when missing)."""
        rows = sorted((key, n) for key, n in deltas.items() if n)
        if not rows:
            return
        table, columns = cls._meta.db_table, ", ".join(cls.key)
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 200):  # within every database's parameter limit
                chunk = rows[start : start + 200]
                values = []
                for (*state, day), n in chunk:
                    values += [*state, connection.ops.adapt_datefield_value(day), n]
                row = "(" + ", ".join(["%s"] * (len(cls.key) + 1)) + ")"
                cursor.execute(
                    f"INSERT INTO {table} ({columns}, n) VALUES {', '.join([row] * len(chunk))} "
                    f"ON CONFLICT ({columns}) DO UPDATE SET n = {table}.n + excluded.n",
                    values,
                )


class StatusTally(DatedTally):
    """The states a commitment is counted by, as in ``CommitmentTally``."""

    theme = models.CharField(max_length=30)
    status = models.PositiveSmallIntegerField()
    is_stalled = models.BooleanField()
    cancelled = models.BooleanField()
    active = models.BooleanField()

    objects = CommitmentTallyQuerySet.as_manager()

    class Meta:
        abstract = True


class StatusDayTally(StatusTally):
    """Per team and state (as ``CommitmentTally``) and day: how the count of commitments in
    that state changed on that day. Summed up to a day, the ``CommitmentTally`` of that day."""

    key = ("team_id", "theme", "status", "is_stalled", "cancelled", "active", "day")

    day = models.DateField()

    class Meta:
        constraints = [
            # Holding the counts: a day's own month (a past day's figures, a curve's last
            # month) is read from the index alone, where it visited a table page a row.
            CountingKey(
                fields=["team", "day", "theme", "status", "is_stalled", "cancelled", "active"],
                name="status_day_tally_key",
            )
        ]

    @classmethod
    def recount(cls) -> list[tuple]:
        """The tally as computed from the stored spans: (key..., n), sorted."""
        deltas: Counter = Counter()
        for span in StatusSpan.objects.all():
            span.count_into(deltas, +1)
        return sorted((*key, n) for key, n in deltas.items() if n)


class StatusMonthTally(StatusTally):
    """``StatusDayTally`` summed by month (``month``: its first day): a team's curve reads a
    few rows a month, whatever the number of commitments and of days they changed on
    (``StatusHistory.sums_up_to``), and a past day's figures its year's months before its
    own (``StatusHistory.on``)."""

    key = ("team_id", "theme", "status", "is_stalled", "cancelled", "active", "month")
    period = "month"

    # Read by team through its key, which leads with it: a team's own index would only lure
    # the planner off the key's, which holds the counts (``CountingKey``).
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()

    class Meta:
        constraints = [
            CountingKey(
                fields=["team", "month", "theme", "status", "is_stalled", "cancelled", "active"],
                name="status_month_tally_key",
            )
        ]


class StatusYearTally(StatusTally):
    """``StatusDayTally`` summed by year (``year``: its first day): a past day's figures read
    the years before its own here, a few rows a year, where the months before it were ten
    years' worth (~6,000 rows a reader at 100,000 commitments; ``StatusHistory.on``)."""

    key = ("team_id", "theme", "status", "is_stalled", "cancelled", "active", "year")
    period = "year"

    # Read by team through its key, which holds the counts, as the month tally's.
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", db_index=False)
    year = models.DateField()

    class Meta:
        constraints = [
            CountingKey(
                fields=["team", "year", "theme", "status", "is_stalled", "cancelled", "active"],
                name="status_year_tally_key",
            )
        ]


class IndexMonthTally(DatedTally):
    """Per team, status and month: how the count of commitments that count (active, neither
    cancelled nor superseded: ``CommitmentTallyQuerySet.counting``) in that status changed,
    the month tally's rows that count summed over theme and flags. A team's curve of the
    implementation index reads its months here (``StatusHistory.sums_up_to``): about 4 rows
    a month, where the month tally's were about 20 (~4,800 a reader at 100,000 commitments)."""

    key = ("team_id", "status", "month")
    period = "month"

    # Read by team through its key, which holds the counts, as the month tally's.
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", db_index=False)
    status = models.PositiveSmallIntegerField()
    month = models.DateField()

    objects = TallyQuerySet.as_manager()

    class Meta:
        constraints = [
            CountingKey(fields=["team", "month", "status"], name="index_month_tally_key")
        ]

    @classmethod
    def of(cls, deltas: Counter) -> Counter:
        """The status day deltas (``StatusSpan.count_row``'s) of the commitments that count,
        by team, status and month."""
        months: Counter = Counter()
        for (team, _theme, status, _stalled, cancelled, active, day), n in deltas.items():
            if active and not cancelled:
                months[(team, status, day.replace(day=1))] += n
        return months
