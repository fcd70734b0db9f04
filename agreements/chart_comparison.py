"""Meetings compared: each one's implementation index from its own date, a value every
quarter since (the compare page, ``views.charts``), drawn by the same line chart as a
meeting's curve (``charts``)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .chart_svg import line
from .charts import DOTTED_UP_TO, index_on_days, month_end
from .models import StatusSpan


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
    return datetime.date(year, month, min(day.day, month_end(year, month).day))


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
    chart = line(
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
    return chart.render(is_unicode=True)
