"""The stored histories' tallies (``status_history``, ``compliance_history``): per team and
state, how counts changed by day, and the same summed by month, quarter or year
(``DatedTally``), each made from the spans' day deltas (``DatedTally.of``), rewritten with the
spans by the actions and written anew by a bulk load (``SpanQuerySet.rewrite``, ``rebuild``);
read by ``status_reads.StatusHistory`` and ``compliance_history.ComplianceHistory``."""

from __future__ import annotations

from collections import Counter

from django.db import connection, models

from .base import CoveringIndex
from .reference import Party
from .tallies import CommitmentTallyQuerySet, Tally, TallyQuerySet
from .teams import Team, TeamScopedQuerySet


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


# Each day and month tally's index by date alone, for the reader who sees every team (a records
# admin): the keys lead with the team, so a read of a date range across all teams found no
# index and read the whole table (the status day tally's 128,000 rows for 1,000 at 100,000:
# 20 ms, where an editor's read took under one). On PostgreSQL the index carries the columns
# those reads sum by, so they read the index alone. These are the states a status tally's rows
# are summed by, and a compliance tally's.
STATUS_STATE = ("theme", "status", "is_stalled", "cancelled", "active", "n")
COMPLIANCE_STATE = ("party", "score", "n")


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
        indexes = [CoveringIndex(fields=["day"], covers=STATUS_STATE, name="status_day_every")]

    @classmethod
    def recount(cls) -> list[tuple]:
        """The tally as computed from the stored spans: (key..., n), sorted."""
        from .status_history import StatusSpan  # the spans it counts, stored above this module

        deltas: Counter = Counter()
        for span in StatusSpan.objects.all():
            span.count_into(deltas, +1)
        return sorted((*key, n) for key, n in deltas.items() if n)


class StatusMonthTally(StatusTally):
    """``StatusDayTally`` summed by month (``month``: its first day): a past day's figures
    read its year's months before its own here (``StatusHistory.on``), a few rows a month,
    whatever the number of commitments and of days they changed on."""

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
        indexes = [CoveringIndex(fields=["month"], covers=STATUS_STATE, name="status_month_every")]


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


class ComplianceTallyFields(DatedTally):
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="+")
    score = models.CharField(max_length=3)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class ComplianceDayTally(ComplianceTallyFields):
    """Per team, party, score and day: how many commitments (that count) took or left the
    score as the party's latest that day."""

    key = ("team_id", "party_id", "score", "day")

    day = models.DateField()

    class Meta:
        constraints = [
            CountingKey(  # holding the counts, as the status day tally's
                fields=["team", "day", "party", "score"], name="compliance_day_tally_key"
            )
        ]
        indexes = [
            CoveringIndex(fields=["day"], covers=COMPLIANCE_STATE, name="compliance_day_every")
        ]

    @classmethod
    def recount(cls) -> list[tuple]:
        from .compliance_history import ComplianceSpan  # the spans it counts, stored above

        deltas: Counter = Counter()
        for span in ComplianceSpan.objects.all():
            span.count_into(deltas, +1)
        return sorted((*key, n) for key, n in deltas.items() if n)


class ComplianceMonthTally(ComplianceTallyFields):
    """``ComplianceDayTally`` summed by month (its first day): a curve's months, and a past
    day's year's months before its own."""

    key = ("team_id", "party_id", "score", "month")
    period = "month"

    # As ``StatusMonthTally``'s: read through its key, which holds the counts.
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()

    class Meta:
        constraints = [
            # By party before month: a curve reads the months of the few parties it draws.
            CountingKey(
                fields=["team", "party", "month", "score"], name="compliance_month_tally_key"
            )
        ]
        indexes = [
            CoveringIndex(fields=["month"], covers=COMPLIANCE_STATE, name="compliance_month_every")
        ]


class ComplianceQuarterTally(ComplianceTallyFields):
    """``ComplianceDayTally`` summed by quarter (its first day): a long curve, read at the
    quarters' ends, reads its quarters here (``ComplianceHistory.curves``), where it summed
    the months by quarter (PostgreSQL's quarter of ~2,300 month rows a page, for ~800)."""

    key = ("team_id", "party_id", "score", "quarter")
    period = "quarter"

    # As ``StatusMonthTally``'s: read through its key, which holds the counts.
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", db_index=False)
    quarter = models.DateField()

    class Meta:
        constraints = [
            # By party before quarter, as the month tally's: a curve's few parties.
            CountingKey(
                fields=["team", "party", "quarter", "score"], name="compliance_quarter_tally_key"
            )
        ]


class ComplianceYearTally(ComplianceTallyFields):
    """``ComplianceDayTally`` summed by year (its first day): a past day's figures read the
    years before its own here, where the months before it were ten years' worth (~9,500
    rows a reader at 100,000 commitments, ~10,000 at 1,000,000; ``ComplianceHistory.by_party``)."""

    key = ("team_id", "party_id", "score", "year")
    period = "year"

    # As ``StatusMonthTally``'s: read through its key, which holds the counts.
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", db_index=False)
    year = models.DateField()

    class Meta:
        constraints = [
            # By year before party: a day's figures read every party's years.
            CountingKey(fields=["team", "year", "party", "score"], name="compliance_year_tally_key")
        ]
