"""Implementation over time, drawn: the implementation index (and each party's compliance)
from a meeting's date to today, by month or by quarter as the span fits, with milestones due
and met marked.

The numbers come from the stored history (``StatusSpan``, ``StatusHistory``) and the dated
assessments and milestones; the pages show them in a table beside the picture, which is drawn
by pygal as an SVG image of its own (``chart_svg``, served by ``views.charts``): no JavaScript,
printed with the page, and its cost never part of the page's.
"""

from __future__ import annotations

import datetime
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.utils import formats
from django.utils.translation import gettext as _

from .chart_svg import line
from .models import (
    SCORE_VALUE,
    Assessment,
    Commitment,
    Milestone,
    StatusSpan,
    as_index,
    compliance_percent,
)
from .models.made_once import rows_of_made_once

MONTHLY_UP_TO = 36  # months; a longer span is drawn by quarter


def month_end(year: int, month: int) -> datetime.date:
    first_of_next = datetime.date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - datetime.timedelta(days=1)


def periods(start: datetime.date, end: datetime.date) -> tuple[list[datetime.date], bool]:
    """The days a curve is read on, from ``start`` to ``end``: each month's last day (each
    quarter's, when the span is longer than ``MONTHLY_UP_TO`` months), ending on ``end``
    itself; and whether they are quarters."""
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    quarterly = months > MONTHLY_UP_TO
    days = []
    year, month = start.year, start.month
    if quarterly:
        month = (month - 1) // 3 * 3 + 3
    while True:
        day = month_end(year, month)
        if day >= end:
            days.append(end)
            return days, quarterly
        days.append(day)
        month += 3 if quarterly else 1
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1


def labeller(quarterly: bool) -> Callable[[datetime.date], str]:
    """How a period's day is named: its quarter's name translated once for them all."""
    if quarterly:
        quarter = _("Q%(quarter)s %(year)s")
        return lambda day: quarter % {"quarter": (day.month - 1) // 3 + 1, "year": day.year}
    return lambda day: formats.date_format(day, "M Y")


@dataclass
class Curve:
    """Values per period: the index, each party's compliance, milestones due and met."""

    days: list[datetime.date]
    quarterly: bool
    index: list[float | None]
    compliance: dict[str, list[float | None]] = field(default_factory=dict)
    due: list[int] = field(default_factory=list)
    met: list[int] = field(default_factory=list)

    @property
    def height(self) -> int:
        """The picture's height: room for its legend, two names a line."""
        lines = (1 + len(self.compliance) + 2 * self.has_milestones + 1) // 2
        return 300 + 20 * lines

    @property
    def has_milestones(self) -> bool:
        return any(self.due) or any(self.met)

    @property
    def labels(self) -> list[str]:
        label = labeller(self.quarterly)
        return [label(day) for day in self.days]

    def rows(self) -> list[dict]:
        """The table beside the picture: one row per period."""
        parties = list(self.compliance)
        return [
            {
                "label": label,
                "day": day,
                "index": self.index[i],
                "compliance": [self.compliance[p][i] for p in parties],
                "due": self.due[i] if self.due else 0,
                "met": self.met[i] if self.met else 0,
            }
            for i, (label, day) in enumerate(zip(self.labels, self.days, strict=True))
        ]


def index_on_days(spans: Iterable[tuple], days: Sequence[datetime.date]) -> list[float | None]:
    """The implementation index on each of ``days`` (ascending) from ``(starts_on, ends_on,
    status)`` spans of the commitments that count (a commitment counts on a day when a span of
    it holds then: from its first day, up to and not on its last).

    Each span's start and end are put on the first of ``days`` they reach (a bisection), and
    the days' sums run over them once, where sorting the spans' ends in date order cost more
    than the rest (some 650 spans for a summit's page), and testing every span on every day
    cost spans × days."""
    last = len(days)
    statuses, counts = [0] * (last + 1), [0] * (last + 1)  # the changes from each day on
    for start, end, status in spans:
        at = bisect_left(days, start)
        statuses[at] += status
        counts[at] += 1
        if end is not None:
            at = bisect_left(days, end)
            statuses[at] -= status
            counts[at] -= 1
    values, total, held = [], 0, 0
    for at in range(last):
        total, held = total + statuses[at], held + counts[at]
        values.append(as_index(total / held) if held else None)
    return values


def compliance_on_days(
    assessments: Iterable[tuple], days: Sequence[datetime.date], counted: dict[int, list[tuple]]
) -> dict[str, list[float | None]]:
    """Each party's compliance on each of ``days`` (ascending), from ``(party, commitment,
    as_of, score)`` rows sorted by ``as_of``: the latest score per commitment up to the day,
    over the commitments that counted that day (``counted``: each one's ``(starts_on,
    ends_on)`` spans that count), +1 … −1 as 100 … 0 % ("not assessed" left out), as on the
    dashboard.

    Read in one pass over the days, each party's sum and count of scores kept as they move:
    each day takes the changes since the one before, the commitments that began or stopped
    counting and the scores given, each put on the first day it reaches by bisection (rather
    than all sorted in date order); where recounting every party's latest scores on every day
    cost parties × commitments × spans × days. The sums hold the latest scores of the
    commitments counting after each change, whatever the order of one day's changes (a
    day's scores keep their rows' order: the later stands).

    Only the spans of the commitments scored by the last day are followed: an unscored one's
    beginning or ceasing to count moves no sum (a summit's page: 83 of its 295 commitments
    assessed, their spans a third of the work)."""
    last = len(days)
    scored: list[list[tuple]] = [[] for _ in range(last)]  # (commitment, party, score)
    parties, assessed = set(), set()
    for party, commitment, as_of, score in assessments:
        if commitment in counted:  # else it never counted (archived, or cancelled all along)
            parties.add(party)
            if (at := bisect_left(days, as_of)) < last:
                scored[at].append((commitment, party, score))
                assessed.add(commitment)
    # Each day's change in the spans that hold, by commitment: one span following on from
    # another (most commitments' states that count) changes nothing on the day it does.
    changes: list[dict[int, int]] = [{} for _ in range(last)]
    for commitment in assessed:
        for start, end in counted[commitment]:
            at = bisect_left(days, start)
            if at < last:
                held = changes[at]
                held[commitment] = held.get(commitment, 0) + 1
                if end is not None and (at := bisect_left(days, end)) < last:
                    held = changes[at]
                    held[commitment] = held.get(commitment, 0) - 1
    covered: dict[int, int] = defaultdict(int)  # spans that hold: > 0 while it counts
    latest: dict[int, dict[str, str]] = defaultdict(dict)  # commitment → party → score
    sums: dict[str, list[int]] = {party: [0, 0] for party in parties}  # [total, how many]

    def count(party: str, score: str | None, sign: int) -> None:
        if score in SCORE_VALUE:
            sums[party][0] += sign * SCORE_VALUE[score]
            sums[party][1] += sign

    curves: dict[str, list[float | None]] = {party: [] for party in sorted(parties)}
    for at in range(last):
        for commitment, change in changes[at].items():  # its latest scores begin or stop
            if not change:
                continue
            was = covered[commitment] > 0
            covered[commitment] += change
            if was != (covered[commitment] > 0):
                for scorer, score in latest[commitment].items():
                    count(scorer, score, -1 if was else 1)
        for commitment, party, score in scored[at]:
            if covered[commitment] > 0:
                count(party, latest[commitment].get(party), -1)
                count(party, score, 1)
            latest[commitment][party] = score
        for party, values in curves.items():
            total, how_many = sums[party]
            values.append(compliance_percent(total, how_many))
    return curves


def count_in_periods(dates: Iterable[datetime.date | None], days: Sequence[datetime.date]):
    """How many of ``dates`` fall in each period (after the previous day, up to this one):
    each date's period found by bisection, not by walking the periods."""
    counts = [0] * len(days)
    last = days[-1]
    for date in dates:
        if date is not None and date <= last:
            counts[bisect_left(days, date)] += 1
    return counts


def draw(curve: Curve, *, title: str) -> str:
    """The curve as an SVG document: the index, each party's compliance, and milestones due
    (○) and met (●) as points on the index line of their period. A long curve's lines are
    drawn without a dot per period (the table beside gives each value): there, the dots are
    four fifths of the picture's bytes and of its drawing time."""
    chart = line(
        title,
        height=curve.height,
        x_labels_major_every=max(1, len(curve.days) // 8),
        truncate_legend=40,
        show_dots=len(curve.days) <= DOTTED_UP_TO,
    )
    chart.x_labels = curve.labels
    chart.add(_("Implementation index"), curve.index)
    for party, values in curve.compliance.items():
        chart.add(party, values, stroke_style={"dasharray": "6,4"})  # dashed: compliance
    if any(curve.due):
        chart.add(
            _("Milestones due"),
            [v if n else None for v, n in zip(curve.index, curve.due, strict=True)],
            stroke=False,
            show_dots=True,
            dots_size=6,
        )
    if any(curve.met):
        chart.add(
            _("Milestones met"),
            [v if n else None for v, n in zip(curve.index, curve.met, strict=True)],
            stroke=False,
            show_dots=True,
            dots_size=4,
        )
    return chart.render(is_unicode=True)


DOTTED_UP_TO = 12  # periods: a short curve shows each one's dot (a lone value is a dot only)

PARTIES_DRAWN = 5  # unless the reader chooses, a team's chart draws its most assessed parties


def team_curve(history, compliance, end: datetime.date, parties=None, names=None) -> Curve | None:
    """The index of the teams whose ``StatusHistory`` is ``history``, and the compliance
    (``ComplianceHistory``) of ``parties`` (ids; ``names``, their names by id, when known),
    or else of their most assessed parties, from the month their history first counts a
    commitment (their earliest meeting's) to ``end``; None before it. The index's rows tell
    where it starts: no query of its own."""
    sums = history.sums_up_to(end)
    first_day = history.first_counted(sums)
    if first_day is None:
        return None
    days, quarterly = periods(first_day, end)
    compliance_curves = compliance.curves(
        days, PARTIES_DRAWN, parties, quarterly=quarterly, names=names
    )
    return Curve(days, quarterly, history.curve(days, sums), compliance_curves)


def records_curve(
    commitments, milestones, start: datetime.date, end: datetime.date, *, party=None
) -> Curve | None:
    """The index of ``commitments`` (a scoped queryset), each party's compliance with them (or
    only ``party``'s), and ``milestones`` (querysets, each read on its own index) due and met,
    from ``start`` to ``end``."""

    if start > end:
        return None
    return _curve(start, end, *(list(rows) for rows in _reads(commitments, milestones, party)))


def _reads(commitments, milestones, party=None) -> tuple:
    """What a curve reads (``_curve``), as three ``values_list`` querysets: the spans of
    ``commitments`` that count, the dates of ``milestones`` (one query, each part read on its
    own index; UNION ALL: a milestone in two parts counts twice, as it did read part by part)
    and the assessments of ``commitments`` (only ``party``'s, if given) in their order."""
    spans = (
        StatusSpan.objects.filter(commitment__in=commitments)
        .counting()
        .values_list("commitment_id", "starts_on", "ends_on", "status")
    )
    first, *others = [
        part.values_list("due_date", "completed_on").order_by() for part in milestones
    ]
    dates = first.union(*others, all=True).order_by() if others else first
    assessments = Assessment.objects.filter(commitment__in=commitments)
    if party is not None:
        assessments = assessments.filter(party=party)
    scores = assessments.order_by("as_of", "pk").values_list(
        "party__name", "commitment_id", "as_of", "score"
    )
    return spans, dates, scores


def _curve(start: datetime.date, end: datetime.date, spans, dates, assessments) -> Curve:
    """The curve from ``start`` to ``end`` (not after it) of the rows ``_reads`` reads."""
    days, quarterly = periods(start, end)
    counted: dict[int, list] = defaultdict(list)  # each one's days that count: compliance then
    for commitment, starts_on, ends_on, _status in spans:
        counted[commitment].append((starts_on, ends_on))
    return Curve(
        days,
        quarterly,
        index_on_days([span[1:] for span in spans], days),
        compliance_on_days(assessments, days, counted),
        due=count_in_periods((due for due, _done in dates), days),
        met=count_in_periods((done for _due, done in dates), days),
    )


def meeting_curve(meeting, end: datetime.date) -> Curve | None:
    """A meeting's commitments and milestones (its own, its commitments' and its bodies').
    Its three queries, the same for every meeting but its id, are made once a process
    (``rows_of_made_once``): built and compiled, they cost more than they take to run."""

    if meeting.start_date > end:
        return None
    rows = [
        rows_of_made_once(
            ("meeting_curve", n), lambda of, n=n: _meeting_reads(of)[n], of=meeting.pk
        )
        for n in range(3)
    ]
    return _curve(meeting.start_date, end, *rows)


def _meeting_reads(meeting: int) -> tuple:
    return _reads(
        Commitment.objects.filter(meeting=meeting),
        [
            Milestone.objects.filter(meeting=meeting),
            Milestone.objects.filter(commitment__meeting=meeting),
            Milestone.objects.filter(body__meeting=meeting),
        ],
    )


def body_curve(body, end: datetime.date) -> Curve | None:
    """The commitments a body oversees, with its own milestones and theirs."""

    commitments = Commitment.objects.filter(bodies=body)
    return records_curve(
        commitments,
        [Milestone.objects.filter(body=body), Milestone.objects.filter(commitment__in=commitments)],
        body.meeting.start_date,
        end,
    )


def party_curve(commitments, party, end: datetime.date) -> Curve | None:
    """The commitments in which ``party`` has a role (scoped already), and its compliance."""

    first = commitments.order_by("meeting_date").values_list("meeting_date", flat=True).first()
    if first is None:
        return None
    return records_curve(
        commitments, [Milestone.objects.filter(commitment__in=commitments)], first, end, party=party
    )
