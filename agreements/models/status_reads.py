"""Teams' counts as they stood on past days, read from the stored history
(``status_history``): a day's figures read the years before its own from ``StatusYearTally``,
its year's months before its own from ``StatusMonthTally`` and its own month from
``StatusDayTally`` (``up_to``); a curve reads every month before its last one's from
``IndexMonthTally`` and that month by day (``StatusHistory``); several tallies' rows in one
query (``summed``)."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Sequence

from django.db import models

from .base import as_index
from .commitment_vocabularies import ImplementationStatus
from .history_tallies import IndexMonthTally, StatusDayTally, StatusMonthTally, StatusYearTally
from .made_once import rows_of_teams_made_once
from .tallies import CommitmentTallyQuerySet
from .teams import team_ids


class Scoped:
    """A history's tally rows: a queryset, scoped already, or a function making it, called
    when they are first read. A history whose reads are made once (its teams known) reads
    none of its querysets, whose building was 0.05 ms each (five a dashboard)."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = f"_{name}"

    def __get__(self, history, owner=None):
        if history is None:
            return self
        rows = history.__dict__[self.name]
        if callable(rows):  # a queryset is not: the function making it, first read now
            rows = history.__dict__[self.name] = rows()
        return rows

    def __set__(self, history, rows) -> None:
        history.__dict__[self.name] = rows


def bounds_of(day: datetime.date) -> dict[str, datetime.date]:
    """Where ``up_to`` cuts the tallies for ``day``: its year's first day, its month's, and
    the day itself (a made-once read's values)."""
    return {"year": day.replace(month=1, day=1), "first": day.replace(day=1), "last": day}


# The tallies a day's counts are read from (``up_to``), in its arguments' order.
ON_A_DAY = (StatusYearTally, StatusMonthTally, StatusDayTally)


def up_to(years, months, days, *, year, first, last) -> list[models.QuerySet]:
    """The rows of a year, a month and a day tally (querysets) that sum to the counts on
    ``last`` (``bounds_of``): the years before its own, its year's months before its month,
    its month's days up to it. About a tenth of the rows every month before it would be."""
    return [
        years.filter(year__lt=year),
        months.filter(month__gte=year, month__lt=first),
        days.filter(day__gte=first, day__lte=last),
    ]


class StatusHistory:
    """Teams' counts as they stood on past days, read from the stored tallies: a day's
    figures from the years before its own (``StatusYearTally``), its year's months before its
    own (``StatusMonthTally``) and its month's days up to it (``StatusDayTally``); a curve
    from every month before its last one's (``IndexMonthTally``: those that count, by status)
    and that month's days. A few rows a year or a month, whatever the number of commitments
    and of days they changed on."""

    years = Scoped()
    months = Scoped()
    days = Scoped()
    index_months = Scoped()

    def __init__(
        self,
        years,
        months,
        days,
        index_months,
        teams: list[int] | None = None,
        *,
        every: bool = False,
    ):
        # The tallies' rows, scoped already (or the functions making them: ``Scoped``).
        self.years, self.months, self.days = years, months, days
        self.index_months = index_months
        # What scopes them, when known: these teams' ids, or ``every`` team's (an admin's):
        # the curve's SQL is then made once a process (``sums_up_to``).
        self.teams, self.every = teams, every

    @classmethod
    def visible_to(cls, user) -> StatusHistory:
        tallies = tuple(  # each built when first read (``Scoped``)
            lambda tally=tally: tally.objects.visible_to(user)
            for tally in (StatusYearTally, StatusMonthTally, StatusDayTally, IndexMonthTally)
        )
        if not user.is_authenticated or not user.is_active:
            return cls(*tallies)
        if user.is_superuser:
            return cls(*tallies, every=True)
        return cls(*tallies, team_ids(user) or None)

    def on(self, day: datetime.date) -> _Summed:
        """The counts on ``day``, read as the tallies are (``status_counts``,
        ``implementation_index``, ``index_by_theme``, ``total``)."""
        return _Summed(
            lambda: up_to(self.years, self.months, self.days, **bounds_of(day)), on=(self, day)
        )

    def _made_once(self, key: tuple, read, tallies: tuple, **days) -> list[tuple] | None:
        """``read(*rows, **days)`` (a ``values_list`` of ``tallies``, each's rows scoped to
        the teams) run by SQL made once a process for the number of teams
        (``rows_of_teams_made_once``); None when the teams are not known."""
        return rows_of_teams_made_once(key, self.teams, self.every, tallies, read, **days)

    def sums_up_to(self, last: datetime.date) -> list[tuple[datetime.date, int, int]]:
        """Per date, the statuses' sum and how many they are, of the commitments that count,
        ascending: every month before ``last``'s (dated its first day; ``IndexMonthTally``)
        and ``last``'s own month by day up to it, in one query. (By month even for a curve
        read by quarter: a month's rows are few, and PostgreSQL's quarter of a date costs
        more to compute than the rows it saves cost to read.)"""

        def sums(index_months, days, first, last):
            return summed(
                index_months.filter(month__lt=first).values_list("month"),
                # the last day's own month, up to it (as ``on``)
                days.counting().filter(day__gte=first, day__lte=last).values_list("day"),
                scores=models.Sum(models.F("status") * models.F("n")),
                k=models.Sum("n"),
            )

        first = last.replace(day=1)
        tallies = (IndexMonthTally, StatusDayTally)
        rows = self._made_once(("team curve",), sums, tallies, first=first, last=last)
        if rows is None:
            rows = sums(self.index_months, self.days, first, last)
        return sorted(rows, key=lambda row: row[0])

    @staticmethod
    def first_counted(sums: list[tuple[datetime.date, int, int]]) -> datetime.date | None:
        """The first date of ``sums`` (``sums_up_to``) on which a commitment counted."""
        return next((day for day, _scores, k in sums if k), None)

    def curve(self, days: Sequence[datetime.date], sums=None) -> list[float | None]:
        """The implementation index on each of ``days`` (ascending; each the last of a month
        or a quarter, the last any day): the running sum of ``sums`` (``sums_up_to`` the last
        day, read when not given). The last month's days are dated as they are: each after
        every day but the last, so counted for it alone."""
        rows = self.sums_up_to(days[-1]) if sums is None else sums
        curve, scores, total, at = [], 0, 0, 0
        for day in days:
            while at < len(rows) and rows[at][0] <= day:
                _date, more_scores, more = rows[at]
                scores, total, at = scores + more_scores, total + more, at + 1
            curve.append(as_index(scores / total) if total else None)
        return curve


def summed(*parts: models.QuerySet, **sums: models.Aggregate) -> models.QuerySet:
    """Tally rows (``values_list`` querysets, each by its own fields, the same in number and
    kind) with ``sums`` (of their counts, ``n``) by them: the parts read as one query (UNION
    ALL), a row per part and key; a key in two parts is two rows, for the reader to add."""
    first, *others = [part.annotate(**sums).order_by() for part in parts]
    return first.union(*others, all=True)


class _Summed:
    """Tally querysets read as one: each method sums theirs."""

    # The querysets, or the function making them, called when they are first read (``Scoped``):
    # a day's counts read by SQL made once build none of them.
    parts = Scoped()

    def __init__(self, parts, on=None, lookups=None):
        self.parts = parts
        # (history, day): the parts are ``history.on(day)``'s as they stand, whose states'
        # SQL is made once (``active_states_named``); or, with ``lookups``, theirs filtered
        # by these (``total``'s SQL made once).
        self.on = on
        self.lookups = lookups or {}

    def filter(self, **lookups):
        return _Summed(
            lambda: [part.filter(**lookups) for part in self.parts],
            on=self.on,
            lookups={**self.lookups, **lookups},
        )

    def counting(self):
        return _Summed([part.counting() for part in self.parts])

    def total(self, **conditions) -> int:
        """Their sum, the parts read as one query (``summed``: a row per part and team): by
        SQL made once for the lookups' names (and their flags' values) on a day's counts of
        known teams (``StatusHistory.on``: a past day's list's size, its filters' values
        parameters), where building and compiling it was a millisecond a page."""
        rows = self._total_made_once({**self.lookups, **conditions}) if self.on else None
        if rows is None:
            parts = [part.filter(**conditions).values_list("team") for part in self.parts]
            rows = summed(*parts, k=models.Sum("n"))
        return sum(k for _team, k in rows)

    def _total_made_once(self, lookups: dict) -> list[tuple] | None:
        """``total``'s rows by SQL made once (``StatusHistory._made_once``), None where a
        lookup's value is neither a flag nor a status (a part of the key: a flag is written
        into the SQL, and a number's stand-in is out of a status's small range, which the ORM
        reads as no rows), a number nor a text (nor a record, given as its id)."""
        flags, values = [], {}
        for name, value in sorted(lookups.items()):
            if isinstance(value, models.Model):
                value = value.pk
            if isinstance(value, bool) or name == "status":
                flags.append((name, value))
            elif isinstance(value, int | str):
                values[name] = value
            else:
                return None
        history, day = self.on
        bounds = bounds_of(day)

        def read(years, months, days, year, first, last, **values):
            parts = up_to(years, months, days, year=year, first=first, last=last)
            by = dict(flags) | values
            return summed(
                *(part.filter(**by).values_list("team") for part in parts), k=models.Sum("n")
            )

        key = ("total on a day", tuple(flags), tuple(values))
        return history._made_once(key, read, ON_A_DAY, **bounds, **values)

    def active_states(self) -> Counter:
        """As ``CommitmentTallyQuerySet.active_states``, the parts read in one query."""
        states: Counter = Counter()
        rows = summed(*(part.active_state_keys() for part in self.parts), k=models.Sum("n"))
        for theme, status, stalled, cancelled, k in rows:
            states[theme, status, stalled, cancelled] += k
        return states

    def active_states_named(self) -> tuple[Counter, dict[str, str]]:
        """As ``CommitmentTallyQuerySet.active_states_named``, the parts read in one query
        (by SQL made once, for a day's counts, ``StatusHistory.on``, of known teams)."""
        states: Counter = Counter()
        names = {}

        def read(*parts):
            named = (part.active_state_keys(named=True) for part in parts)
            return summed(*named, k=models.Sum("n"))

        def read_on(years, months, days, **bounds):
            return read(*up_to(years, months, days, **bounds))

        rows = None
        if self.on is not None and not self.lookups:
            history, day = self.on
            key = ("states on a day",)
            rows = history._made_once(key, read_on, ON_A_DAY, **bounds_of(day))
        if rows is None:
            rows = read(*self.parts)
        for theme, status, stalled, cancelled, name, k in rows:
            states[theme, status, stalled, cancelled] += k
            names[theme] = name
        return states, names

    def status_counts(self) -> dict[int, int]:
        counts = [part.status_counts() for part in self.parts]
        return {s: sum(c[s] for c in counts) for s in ImplementationStatus.values}

    def implementation_index(self) -> float | None:
        counts = self.status_counts()
        total = sum(counts.values())
        return as_index(sum(s * k for s, k in counts.items()) / total) if total else None

    def index_by_theme(self) -> list[dict]:
        rows = defaultdict(lambda: [0, 0])
        for part in self.parts:
            for row in part.index_by_theme_raw():
                rows[row[0]][0] += row[1]
                rows[row[0]][1] += row[2]
        return CommitmentTallyQuerySet.theme_rows(rows)
