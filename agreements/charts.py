"""Implementation over time, drawn: the implementation index (and each party's compliance)
from a meeting's date to today, by month or by quarter as the span fits, with milestones due
and met marked.

The numbers come from the stored history (``StatusSpan``, ``StatusHistory``) and the dated
assessments and milestones; the pages show them in a table beside the picture, which is drawn
by pygal as an SVG image of its own (``views.charts``): no JavaScript, printed with the page,
and its cost never part of the page's.
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pygal
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pygal.adapters import decimal_to_float
from pygal.config import SerieConfig
from pygal.serie import Serie
from pygal.style import Style
from pygal.svg import Svg
from pygal.util import ident, merge

from .models import SCORE_VALUE, Assessment, Commitment, Milestone, StatusSpan, as_index

MONTHLY_UP_TO = 36  # months; a longer span is drawn by quarter


def _month_end(year: int, month: int) -> datetime.date:
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
        day = _month_end(year, month)
        if day >= end:
            days.append(end)
            return days, quarterly
        days.append(day)
        month += 3 if quarterly else 1
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1


def period_label(day: datetime.date, quarterly: bool) -> str:
    return _labeller(quarterly)(day)


def _labeller(quarterly: bool) -> Callable[[datetime.date], str]:
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
        label = _labeller(self.quarterly)
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

    Read in one pass over the spans' ends in date order, each day taking those up to it, where
    testing every span on every day cost spans × days."""
    moves = []  # (day, status, +1 | −1): a span held from its start, and no more from its end
    for start, end, status in spans:
        moves.append((start, status, 1))
        if end is not None:
            moves.append((end, status, -1))
    moves.sort(key=lambda move: move[0])
    values, total, held, at = [], 0, 0, 0
    for day in days:
        while at < len(moves) and moves[at][0] <= day:
            _day, status, sign = moves[at]
            total, held, at = total + sign * status, held + sign, at + 1
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

    Read in one pass in date order (the scores and the days commitments began and stopped
    counting), each party's sum and count of scores kept as they move, where recounting every
    party's latest scores on every day cost parties × commitments × spans × days."""
    moves = []  # (day, order, commitment, party, score): order 0 counts, 1 scores, in rows' order
    for commitment, spans in counted.items():
        for start, end in _joined(spans):
            moves.append((start, 0, commitment, None, 1))
            if end is not None:
                moves.append((end, 0, commitment, None, -1))
    parties = set()
    for party, commitment, as_of, score in assessments:
        if commitment in counted:  # else it never counted (archived, or cancelled all along)
            moves.append((as_of, 1, commitment, party, score))
            parties.add(party)
    moves.sort(key=lambda move: (move[0], move[1]))  # stable: one day's scores in rows' order
    covered: dict[int, int] = defaultdict(int)  # spans that hold: 1 while it counts, else 0
    latest: dict[int, dict[str, str]] = defaultdict(dict)  # commitment → party → score
    sums: dict[str, list[int]] = {party: [0, 0] for party in parties}  # [total, how many]

    def count(party: str, score: str | None, sign: int) -> None:
        if score in SCORE_VALUE:
            sums[party][0] += sign * SCORE_VALUE[score]
            sums[party][1] += sign

    curves: dict[str, list[float | None]] = {party: [] for party in sorted(parties)}
    at = 0
    for day in days:
        while at < len(moves) and moves[at][0] <= day:
            _day, kind, commitment, party, change = moves[at]
            at += 1
            if kind == 0:  # the commitment begins or stops counting: its latest scores with it
                was = covered[commitment] > 0
                covered[commitment] += change
                if was != (covered[commitment] > 0):
                    for scorer, score in latest[commitment].items():
                        count(scorer, score, 1 if not was else -1)
            else:
                if covered[commitment] > 0:
                    count(party, latest[commitment].get(party), -1)
                    count(party, change, 1)
                latest[commitment][party] = change
        for party, values in curves.items():
            total, scored = sums[party]
            values.append(round((total / scored + 1) / 2 * 100, 1) if scored else None)
    return curves


def _joined(spans: list[tuple]) -> list[tuple]:
    """``(starts_on, ends_on)`` spans, one following on from another joined: the days they
    hold, in fewer spans (a commitment's states that count, one after another, are one)."""
    joined: list[list] = []
    for start, end in sorted(spans, key=lambda span: span[0]):
        if joined and joined[-1][1] is not None and start <= joined[-1][1]:
            last = joined[-1][1]
            joined[-1][1] = None if end is None else max(end, last)
        else:
            joined.append([start, end])
    return [tuple(span) for span in joined]


def count_in_periods(dates: Iterable[datetime.date | None], days: Sequence[datetime.date]):
    """How many of ``dates`` fall in each period (after the previous day, up to this one)."""
    counts = [0] * len(days)
    for date in dates:
        if date is None or date > days[-1]:
            continue
        for i, day in enumerate(days):
            if date <= day:
                counts[i] += 1
                break
    return counts


STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#52606d",
    colors=("#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0e7490"),
    font_family="system-ui, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    stroke_width="2.5",
)


def draw(curve: Curve, *, title: str) -> str:
    """The curve as an SVG document: the index, each party's compliance, and milestones due
    (○) and met (●) as points on the index line of their period. A long curve's lines are
    drawn without a dot per period (the table beside gives each value): there, the dots are
    four fifths of the picture's bytes and of its drawing time."""
    chart = _line(
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
    return _rendered(chart)


DOTTED_UP_TO = 12  # periods: a short curve shows each one's dot (a lone value is a dot only)

PARTIES_DRAWN = 5  # unless the reader chooses, a team's chart draws its most assessed parties


def team_curve(
    history, compliance, first_day: datetime.date | None, end: datetime.date, parties=None
) -> Curve | None:
    """The index of the teams whose ``StatusHistory`` is ``history``, and the compliance
    (``ComplianceHistory``) of ``parties`` (ids), or else of their most assessed parties, from
    ``first_day`` (their earliest meeting) to ``end``."""
    if first_day is None or first_day > end:
        return None
    days, quarterly = periods(first_day, end)
    compliance_curves = compliance.curves(days, PARTIES_DRAWN, parties, quarterly=quarterly)
    return Curve(days, quarterly, history.curve(days), compliance_curves)


def records_curve(
    commitments, milestones, start: datetime.date, end: datetime.date, *, party=None
) -> Curve | None:
    """The index of ``commitments`` (a scoped queryset), each party's compliance with them (or
    only ``party``'s), and ``milestones`` (querysets, each read on its own index) due and met,
    from ``start`` to ``end``."""

    if start > end:
        return None
    days, quarterly = periods(start, end)
    spans = list(
        StatusSpan.objects.filter(commitment__in=commitments)
        .counting()
        .values_list("commitment_id", "starts_on", "ends_on", "status")
    )
    counted: dict[int, list] = defaultdict(list)  # each one's days that count: compliance then
    for commitment, starts_on, ends_on, _status in spans:
        counted[commitment].append((starts_on, ends_on))
    assessments = Assessment.objects.filter(commitment__in=commitments)
    if party is not None:
        assessments = assessments.filter(party=party)
    # One query, each part read on its own index (UNION ALL: a milestone in two parts counts
    # twice, as it did read part by part).
    first, *others = [
        part.values_list("due_date", "completed_on").order_by() for part in milestones
    ]
    dates = list(first.union(*others, all=True).order_by() if others else first)
    return Curve(
        days,
        quarterly,
        index_on_days([span[1:] for span in spans], days),
        compliance_on_days(
            assessments.order_by("as_of", "pk").values_list(
                "party__name", "commitment_id", "as_of", "score"
            ),
            days,
            counted,
        ),
        due=count_in_periods((due for due, _done in dates), days),
        met=count_in_periods((done for _due, done in dates), days),
    )


def meeting_curve(meeting, end: datetime.date) -> Curve | None:
    """A meeting's commitments and milestones (its own, its commitments' and its bodies')."""

    return records_curve(
        Commitment.objects.filter(meeting=meeting),
        [
            Milestone.objects.filter(meeting=meeting),
            Milestone.objects.filter(commitment__meeting=meeting),
            Milestone.objects.filter(body__meeting=meeting),
        ],
        meeting.start_date,
        end,
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


@dataclass
class Comparison:
    """Several meetings' indexes, each read from its own date: per quarter since the meeting."""

    quarters: list[int]
    curves: dict[str, list[float | None]]

    @property
    def labels(self) -> list[str]:
        return [since_label(q) for q in self.quarters]

    def rows(self) -> list[dict]:
        return [
            {"label": label, "values": [values[i] for values in self.curves.values()]}
            for i, label in enumerate(self.labels)
        ]


def since_label(quarters: int) -> str:
    """ "2 years, 3 months" after the meeting; "At the meeting" for none."""
    years, months = divmod(quarters * 3, 12)
    parts = []
    if years:
        parts.append(ngettext("%(n)s year", "%(n)s years", years) % {"n": years})
    if months:
        parts.append(ngettext("%(n)s month", "%(n)s months", months) % {"n": months})
    return ", ".join(parts) or _("At the meeting")


def _quarters_after(day: datetime.date, quarters: int) -> datetime.date:
    month = day.month - 1 + quarters * 3
    year, month = day.year + month // 12, month % 12 + 1
    return datetime.date(year, month, min(day.day, _month_end(year, month).day))


def compare_meetings(meetings, today: datetime.date) -> Comparison | None:
    """Each meeting's index on its own date and every quarter after it, up to today; a meeting
    younger than another has no values beyond its own age."""
    if not meetings:
        return None
    curves, longest = {}, 0
    for meeting in meetings:
        days = []
        while (day := _quarters_after(meeting.start_date, len(days))) <= today:
            days.append(day)
        spans = StatusSpan.objects.filter(commitment__meeting=meeting).counting()
        curves[f"{meeting.title} ({meeting.start_date:%Y})"] = index_on_days(
            spans.values_list("starts_on", "ends_on", "status"), days
        )
        longest = max(longest, len(days))
    for values in curves.values():
        values.extend([None] * (longest - len(values)))
    return Comparison(list(range(longest)), curves)


def draw_comparison(comparison: Comparison, *, title: str) -> str:
    chart = _line(
        title,
        height=380,
        x_labels_major_every=4,
        truncate_legend=60,
        x_title=_("Years since the meeting"),
        show_dots=len(comparison.quarters) <= DOTTED_UP_TO,
    )
    chart.x_labels = [f"{q / 4:g}" for q in comparison.quarters]
    for name, values in comparison.curves.items():
        chart.add(name, values)
    return _rendered(chart)


# A series' options and their defaults, read once: pygal lists a series' options (``dir``)
# again for every option of every series it draws, a third of a picture's drawing time.
_SERIE_DEFAULTS = dict(SerieConfig().__dict__)


class Line(pygal.Line):
    """pygal's line chart, the same picture (its class named as pygal's: the picture's class
    is "line-graph") with less of pygal's generic work, for lines of numbers (or None) only, as
    this module draws them: no dictionaries of values, no secondary axis.

    - Each series' options are read as pygal reads them (its defaults, the chart's, then its
      own), the option names and defaults listed once (``_SERIE_DEFAULTS``).
    - An attribute is read from the drawing's state as pygal's ``BaseGraph.__getattribute__``
      reads it, in one dictionary look-up: pygal reads thousands a picture through it.
    - pygal's tooltips script (its configuration as JSON) is not written: an image runs no
      script (``js=[]`` leaves out the script's file; this, its inline configuration).
    - Its stylesheet is made once for the pictures it is the same for (``_add_styles``).

    tests/test_charts.py compares its pictures with pygal's own ``Line``'s.
    """

    def __getattribute__(self, name: str):
        state = object.__getattribute__(self, "__dict__").get("state")
        if state is not None and name != "state" and not name.startswith("__"):
            try:
                return state.__dict__[name]
            except KeyError:
                pass
        return object.__getattribute__(self, name)

    def prepare_values(self, raw, offset=0):
        super().prepare_values([], offset)  # what pygal prepares before the values: labels
        if not raw:
            return None
        self._adapt = decimal_to_float if not self.strict else ident
        self._x_adapt = ident
        raw = [(list(values), options) for values, options in raw]
        width = max([len(values) for values, _options in raw] + [len(self.x_labels or [])])
        chart = {k: v for k, v in self.state.__dict__.items() if k in _SERIE_DEFAULTS}
        series = []
        for values, options in raw:
            config = SerieConfig.__new__(SerieConfig)  # as SerieConfig(), its defaults
            config.__dict__.update(_SERIE_DEFAULTS)
            merge(config.__dict__, chart)
            merge(config.__dict__, {k: v for k, v in options.items() if k in _SERIE_DEFAULTS})
            values = [self._adapt(v) for v in values] + [None] * (width - len(values))
            series.append(Serie(offset + len(series), values, config, {}))
        return series

    def _draw(self) -> None:
        super()._draw()
        self.svg.add_scripts = _no_script
        self.svg.add_styles = functools.partial(_add_styles, self.svg)


def _no_script() -> None:
    pass


# A picture's stylesheet as pygal writes it (three files read, templated and minified), by
# what it is made of, its picture's id left as this mark: pygal writes it anew for every
# picture, a quarter of its drawing time. Made of this module's style and pygal's files, it
# never changes while the code runs.
_STYLESHEETS: dict[tuple, str] = {}
_ID_MARK = "#chart-stylesheet "  # an id as pygal writes them: "#chart-<uuid> "


def _add_styles(svg: Svg) -> None:
    """pygal's ``Svg.add_styles``, its stylesheet made once for the pictures it is the same
    for (the same style and files, colours by series, strokes), their own id put in."""
    graph, own = svg.graph, svg.id
    svg.id = _ID_MARK
    try:
        key = (
            graph.style,
            tuple(graph.css),
            graph.style.get_colors(_ID_MARK, graph._order),
            svg.get_strokes(),
        )
        if key not in _STYLESHEETS:
            Svg.add_styles(svg)  # as pygal writes it, with the mark for an id
            if svg.processing_instructions:  # a stylesheet by address: not kept, left as is
                return
            _STYLESHEETS[key] = svg.defs[-1].text
            svg.defs.remove(svg.defs[-1])
    finally:
        svg.id = own
    # The id without its space: the minifier drops it before a brace, as in the mark.
    stylesheet = _STYLESHEETS[key].replace(_ID_MARK.rstrip(), own.rstrip())
    svg.node(svg.defs, "style", type="text/css").text = stylesheet


def _line(title: str, **settings) -> Line:
    """A line chart of percentages in the house style, its legend below, with no script."""
    return Line(
        style=STYLE,
        title=title,
        range=(0, 100),
        width=760,
        show_minor_x_labels=False,
        truncate_label=-1,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        value_formatter=lambda v: f"{v:.0f} %",
        disable_xml_declaration=True,
        js=[],
        **{"show_dots": False, "dots_size": 3, **settings},  # unless asked: lines only
    )


def _rendered(chart: Line) -> str:
    """The SVG, with no script (``Line``)."""
    return chart.render(is_unicode=True)
