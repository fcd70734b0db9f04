"""How each party's compliance stood over time, stored as the status history is
(``status_history``): so that a team's compliance on a past day, and its curve, read a few rows
a month.

A party's score for a commitment on a day is that of its latest assessment up to then (the
later recorded on one day); before the first, none. It counts on the days the commitment
counted (active, neither cancelled nor superseded then: its stored status history), as the
implementation index does; today, that is ``ComplianceTally``. Rewritten, in the writing
transaction, by the actions that move it (``ComplianceSpan.objects.rewrite``: an assessment
recorded, and ``actions.states_moved`` when a commitment leaves or rejoins the averages).
Tests (tests/test_status_history.py) compare it with a recount from the assessments.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Sequence

from django.db import models
from django.utils import timezone

from .assessments import SCORE_VALUE, Assessment
from .commitments import Commitment
from .history_tallies import (
    PERIODS,
    ComplianceDayTally,
    ComplianceMonthTally,
    ComplianceQuarterTally,
    ComplianceYearTally,
)
from .made_once import rows_of_teams_made_once
from .reference import Party
from .status_history import Ids, SpanQuerySet, StatusSpan, among
from .status_reads import Scoped, bounds_of, summed, up_to
from .tallies import ComplianceTally, NamedOnce
from .teams import Team, team_ids


class ComplianceSpanQuerySet(SpanQuerySet):
    """Rewritten when assessments are recorded, and when a commitment leaves or rejoins the
    averages (``actions.states_moved``)."""

    stored_order = ("party_id", "starts_on")  # as ``wanted`` (the id: not the names' order)

    def wanted(self, ids: Ids) -> dict[int, list[dict]]:
        return _wanted_spans(ids)

    def tallies(self):
        return ComplianceDayTally, ComplianceMonthTally, ComplianceQuarterTally, ComplianceYearTally


def _wanted_spans(ids: Ids) -> dict[int, list[dict]]:
    """Per commitment, each party's scores with the days they held, as rows to store; each cut
    where the commitment began or stopped counting (``counting_periods``)."""
    periods = counting_periods(ids)
    assessments = defaultdict(list)
    for commitment, party, team, as_of, score in (
        Assessment.objects.filter(among("commitment", ids))
        .order_by("commitment", "party", "as_of", "pk")
        .values_list("commitment_id", "party_id", "commitment__team_id", "as_of", "score")
    ):
        assessments[(commitment, party)].append((team, as_of, score))
    wanted = {pk: [] for pk in periods}
    for (commitment, party), scores in sorted(assessments.items()):
        # The later recorded of one day stands: keep each day's last.
        by_day = {as_of: (team, score) for team, as_of, score in scores}
        merged: list[tuple[datetime.date, int, str]] = []
        for day in sorted(by_day):
            team, score = by_day[day]
            if not merged or merged[-1][2] != score:
                merged.append((day, team, score))
        ends = [day for day, _team, _score in merged[1:]] + [None]
        for (start, team, score), end in zip(merged, ends, strict=True):
            for cut_start, cut_end, counts in _cut(start, end, periods.get(commitment, [])):
                wanted[commitment].append(
                    {
                        "team_id": team,
                        "party_id": party,
                        "counts": counts,
                        "score": score,
                        "starts_on": cut_start,
                        "ends_on": cut_end,
                    }
                )
    return wanted


def counting_periods(ids: Ids) -> dict[int, list[tuple]]:
    """Per commitment, its stored status spans as (from, to, counts): whether it counted then
    (active now, neither cancelled nor superseded then), as the implementation index reads it."""
    periods: dict[int, list[tuple]] = {pk: [] for pk in ids}
    for commitment, start, end, active, cancellation in (
        StatusSpan.objects.filter(among("commitment", ids))
        .order_by("commitment", "starts_on")
        .values_list("commitment_id", "starts_on", "ends_on", "active", "cancellation")
    ):
        periods[commitment].append((start, end, active and not cancellation))
    return periods


def _cut(start, end, periods) -> list[tuple]:
    """The days from ``start`` to ``end`` (None: still) cut by the periods they cross, each
    with whether the commitment counted then; before its first period, as in its first."""
    if not periods:
        return [(start, end, False)]
    pieces = []
    for i, (p_start, p_end, counts) in enumerate(periods):
        lower = start if i == 0 else max(start, p_start)
        upper = end if p_end is None else (p_end if end is None else min(end, p_end))
        if upper is not None and lower >= upper:
            continue
        if pieces and pieces[-1][2] == counts and pieces[-1][1] == lower:
            pieces[-1] = (pieces[-1][0], upper, counts)
        else:
            pieces.append((lower, upper, counts))
    return pieces


class ComplianceSpan(models.Model):
    """One party's latest score for one commitment and the days it held; with the commitment's
    team and whether it counted on those days. Derived: rewritten by the actions (after the
    status history, which it reads), edited nowhere."""

    team_lookups = ("team",)
    derived = True

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="+")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    counts = models.BooleanField()
    score = models.CharField(max_length=3)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True)

    objects = ComplianceSpanQuerySet.as_manager()

    ROW = ("team_id", "party_id", "counts", "score", "starts_on", "ends_on")

    class Meta:
        indexes = [
            models.Index(fields=["commitment", "party", "starts_on"], name="compliance_span_key")
        ]

    def __str__(self) -> str:
        return f"{self.commitment_id}/{self.party_id}: {self.score} from {self.starts_on}"

    def row(self) -> dict:
        return {field: getattr(self, field) for field in self.ROW}

    def count_into(self, deltas: Counter, sign: int) -> None:
        self.count_row(self.row(), deltas, sign)

    @staticmethod
    def count_row(row: dict, deltas: Counter, sign: int) -> None:
        """A span's effect on the day tally, as ``StatusSpan.count_row``: only while it counts."""
        if not row["counts"]:
            return
        key = (row["team_id"], row["party_id"], row["score"])
        deltas[(*key, row["starts_on"])] += sign
        if row["ends_on"] is not None:
            deltas[(*key, row["ends_on"])] -= sign


def compliance_percent(total: float, scored: int) -> float | None:
    """The mean of ``scored`` scores summing to ``total`` (+1 … −1) as 100 … 0 %, to one
    decimal; None when nothing was scored. Every compliance figure and curve is this."""
    return round((total / scored + 1) / 2 * 100, 1) if scored else None


def _index(counts: Counter) -> float | None:
    """+1 … −1 as 100 … 0 % over the scored ("not assessed" left out), as the dashboard."""
    scored = sum(k for score, k in counts.items() if score in SCORE_VALUE)
    total = sum(SCORE_VALUE[score] * k for score, k in counts.items() if score in SCORE_VALUE)
    return compliance_percent(total, scored)


class ComplianceHistory:
    """Teams' compliance by party on past days and over time, from the stored tallies: a
    day's figures from the years before its own, its year's months before its own and its
    month's days (``status_reads.up_to``); a curve from the months before its last day's
    month (or the quarters before its quarter, then its quarter's months), and that month by
    day."""

    years = Scoped()
    quarters = Scoped()
    months = Scoped()
    days = Scoped()
    now = Scoped()

    def __init__(
        self,
        years,
        quarters,
        months,
        days,
        now=None,
        teams: list[int] | None = None,
        *,
        every=False,
    ):
        # The tallies' rows, scoped already (or the functions making them: ``Scoped``).
        self.years, self.quarters, self.months, self.days = years, quarters, months, days
        self.now = now  # the live tally (``ComplianceTally``) of the same teams, when given
        self.live = now is not None
        # What scopes them, when known (as ``StatusHistory``'s): a curve's SQL made once.
        self.teams, self.every = teams, every

    @classmethod
    def visible_to(cls, user) -> ComplianceHistory:
        tallies = tuple(  # each built when first read (``Scoped``)
            lambda tally=tally: tally.objects.visible_to(user)
            for tally in (
                ComplianceYearTally,
                ComplianceQuarterTally,
                ComplianceMonthTally,
                ComplianceDayTally,
                ComplianceTally,
            )
        )
        if not user.is_authenticated or not user.is_active:
            return cls(*tallies)
        if user.is_superuser:
            return cls(*tallies, every=True)
        return cls(*tallies, teams=team_ids(user) or None)

    def _made_once(self, key: tuple, read, tallies: tuple, **values) -> list | None:
        """``read(*rows, **values)`` (``rows``: each of ``tallies``' rows of the teams) by SQL
        made once a process for the number of teams (``rows_of_teams_made_once``); None when
        the teams are not known."""
        return rows_of_teams_made_once(key, self.teams, self.every, tallies, read, **values)

    def _parts(self, day: datetime.date) -> list[models.QuerySet]:
        """The tallies' rows that sum to ``day``'s counts (``status_reads.up_to``)."""
        return up_to(self.years, self.months, self.days, **bounds_of(day))

    def _rows_up_to(
        self, day: datetime.date, parties, *, by_quarter: bool = False, named: bool = True
    ) -> list:
        """Counts by (month, party, party's name, score) before ``day``'s month and by (day,
        party, name, score) in it up to ``day``, of ``parties`` (ids) only, in one query;
        ``by_quarter``: by quarter (dated its first day) before ``day``'s quarter, then by
        month (a third of the rows, for a curve read at quarters' ends); not ``named``:
        without the name (month, party, score), for a reader who has the names (the tallies
        read without joining the parties: a third less time in the database). (A row per
        score, not the scores summed by the database: its expressions cost more to write
        than the rows to read.)"""
        fields = ("party", "party__name", "score") if named else ("party", "score")

        def rows(tallies, parties, first, last, quarter=None):
            if by_quarter:
                quarters, months, days = tallies
                parts = [
                    quarters.filter(quarter__lt=quarter).values_list("quarter", *fields),
                    months.filter(month__gte=quarter, month__lt=first).values_list(
                        "month", *fields
                    ),
                ]
            else:
                months, days = tallies
                parts = [months.filter(month__lt=first).values_list("month", *fields)]
            parts.append(days.filter(day__gte=first, day__lte=last).values_list("day", *fields))
            return summed(*(part.filter(party__in=parties) for part in parts), k=models.Sum("n"))

        bounds = {"first": day.replace(day=1), "last": day}
        if by_quarter:
            bounds["quarter"] = PERIODS["quarter"](day)
        # Made once a process (``rows_of_teams_made_once``) for the numbers of teams and parties.
        chosen = {f"party_{n}": party for n, party in enumerate(parties)}

        def read(*tallies, **values):
            return rows(tallies, [values.pop(name) for name in chosen], **values)

        key = ("compliance curve", len(chosen), by_quarter, named)
        tallies = (ComplianceQuarterTally,) * by_quarter + (
            ComplianceMonthTally,
            ComplianceDayTally,
        )
        made = self._made_once(key, read, tallies, **bounds, **chosen)
        if made is None:
            own = (self.quarters,) * by_quarter + (self.months, self.days)
            return list(rows(own, parties, **bounds))
        return made

    def _sizes(self, day: datetime.date) -> Counter:
        """How many commitments (that count) each party held a score for on ``day``, "not
        assessed" included: one sum per party and part, however long the history, in one
        query."""
        sizes: Counter = Counter()
        parts = (part.values_list("party") for part in self._parts(day))
        for party, k in summed(*parts, k=models.Sum("n")):
            sizes[party] += k
        return sizes

    def _sizes_now(self) -> Counter | None:
        """``_sizes`` today, read from the live tally, which holds the same counts in a few
        hundred rows a team, where the history's months are thousands at 1,000,000
        commitments (by SQL made once a process, for known teams); None without it."""
        if not self.live:
            return None

        def read(now):
            return now.values_list("party").annotate(k=models.Sum("n")).order_by()

        key = ("compliance sizes now",)
        rows = rows_of_teams_made_once(key, self.teams, self.every, (ComplianceTally,), read)
        return Counter(dict(read(self.now) if rows is None else rows))

    def by_party(self, day: datetime.date) -> list[dict]:
        """Each party's compliance on ``day``, as ``ComplianceTally.by_party`` gives today."""
        counts: dict[int, Counter] = defaultdict(Counter)
        names: dict[int, str] = {}
        # Summed by the database over the years, months and days (a row per party and score,
        # not per period), the three read in one query; each sum named once it is made
        # (``NamedOnce``), not every month's row joined to its party's name and grouped by
        # it (~9,500 rows at 100,000 commitments: 5.4 → 3.4 ms).

        def read(*parts):
            named = (
                part.values_list("party", "score").annotate(name=NamedOnce(Party, "party"))
                for part in parts
            )
            return summed(*named, k=models.Sum("n"))

        def read_on(years, months, days, **bounds):
            return read(*up_to(years, months, days, **bounds))

        key = ("compliance by party",)
        tallies = (ComplianceYearTally, ComplianceMonthTally, ComplianceDayTally)
        rows = self._made_once(key, read_on, tallies, **bounds_of(day))
        if rows is None:
            rows = read(*self._parts(day))
        for party, score, name, k in rows:
            counts[party][score] += k
            names[party] = name
        rows = []
        for party in sorted((p for p in counts if any(counts[p].values())), key=names.get):
            scored = sum(k for score, k in counts[party].items() if score in SCORE_VALUE)
            index = _index(counts[party])
            rows.append(
                {
                    "key": names[party],
                    "party_id": party,
                    "mean": None if index is None else index / 50 - 1,
                    "index": index,
                    "count": scored,
                }
            )
        return rows

    def curves(
        self,
        days: Sequence[datetime.date],
        most: int,
        parties: Sequence[int] | None = None,
        *,
        quarterly: bool = False,
        names: dict[int, str] | None = None,
    ) -> dict[str, list[float | None]]:
        """Each party's compliance on each of ``days`` (ascending; the last any day, its month
        read by day), by name: the ``parties`` given (those assessed), else the ``most`` most
        assessed. ``quarterly``: every day but the last is a quarter's last day, so the months
        are read summed by quarter (a month counts on a quarter's last day exactly when its
        quarter does). ``names``: the parties' names by id, when the caller has read them
        (the dashboard, with each party's figures), so that the rows are read without."""
        if parties is None:  # the most assessed; of equal ones, the first added
            sizes = self._sizes_now() if days[-1] == timezone.localdate() else None
            sizes = sizes if sizes is not None else self._sizes(days[-1])
            chosen = sorted((p for p in sizes if sizes[p]), key=lambda p: (-sizes[p], p))[:most]
            if not chosen:
                return {}
        else:  # those given and assessed: their rows up to the last day add up to a size
            chosen = list(dict.fromkeys(parties))
            if not chosen:
                return {}
        # The chosen parties' rows only: a few hundred, however many parties were assessed.
        # The last day's month is read by day, each day after every day but the last: counted
        # for the last only, as its month would be.
        named = names is None or any(party not in names for party in chosen)
        rows = self._rows_up_to(days[-1], chosen, by_quarter=quarterly, named=named)
        if named:
            names = {party: name for _date, party, name, _score, _k in rows}
            rows = [(date, party, score, k) for date, party, _name, score, k in rows]
        rows.sort(key=lambda row: row[0])
        held: dict[int, list[int]] = {}  # each party's scores' sum, how many scored, held
        curves: dict[int, list] = defaultdict(list)
        taken = 0  # rows[:taken] are counted (an index: popping the front is quadratic)
        for day in days:
            while taken < len(rows) and rows[taken][0] <= day:
                _date, party, score, k = rows[taken]
                sums = held.setdefault(party, [0, 0, 0, None])
                if score in SCORE_VALUE:  # as ``_index`` reads them: "not assessed" left out
                    sums[0] += SCORE_VALUE[score] * k
                    sums[1] += k
                sums[2] += k
                sums[3] = None  # to be worked out again
                taken += 1
            for party, sums in held.items():
                if sums[3] is None:  # moved: its compliance again; else as the period before
                    sums[3] = (compliance_percent(sums[0], sums[1]),)
                curves[party].append((len(curves[party]), sums[3][0]))
        # Each drawn if it held a score on the last day ("not assessed" included).
        chosen = [party for party in chosen if party in held and held[party][2]]
        result = {}
        for party in sorted(chosen, key=names.get):
            values = [None] * len(days)
            offset = len(days) - len(curves[party])
            for i, value in curves[party]:
                values[offset + i] = value
            result[names[party]] = values
        return result
