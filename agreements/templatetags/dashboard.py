"""The dashboard's sections written in Python (``{% load dashboard %}``, dashboard.html).

Both dashboards (today's and a past day's) draw them once a page; through the template each
was some thirty nodes (lookups, ifs, a loop and a translation each), written here with the
same characters: each value escaped as the templates escape it (``tracker._escape``), the
texts translated as their tags translate them (``{% translate %}`` writes a text of the
template's unescaped; ``{% blocktranslate %}`` puts its values in the translation), and each
count written as the templates write a number (``localize``).
"""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .tracker import _escape, _number_writer, whole

register = template.Library()


@register.simple_tag
def dashboard_summary(
    index: float | None,
    counting: int,
    overdue: int,
    overdue_cap: int,
    stalled: int,
    cancelled: int,
    status_rows: list[dict],
) -> str:
    """The summary at the top of the figures: the implementation ``index`` over the
    ``counting`` commitments that count (``floatformat:0``, as ``whole`` writes it; "–" for
    none), what needs attention (the ``overdue`` commitments, "more than" past
    ``overdue_cap``, the ``stalled`` and the ``cancelled``), and the counts by status
    (``status_rows``: ``status``, ``label``, ``count``)."""
    number = _number_writer()  # as ``localize`` writes a count, the formats read once
    figure = "–" if index is None else f"{whole(index)}%"
    means = ngettext(
        "Mean status ÷ 3 over %(counter)s commitment that counts.",
        "Mean status ÷ 3 over %(counter)s commitments that count.",
        counting,
    ) % {"counter": number(counting)}
    if overdue > overdue_cap:
        late = ngettext(
            "<strong>More than %(counter)s</strong> overdue commitment",
            "<strong>More than %(counter)s</strong> overdue commitments",
            overdue_cap,
        ) % {"counter": number(overdue_cap)}
    else:
        late = ngettext(
            "<strong>%(counter)s</strong> overdue commitment",
            "<strong>%(counter)s</strong> overdue commitments",
            overdue,
        ) % {"counter": number(overdue)}
    stuck = ngettext(
        "<strong>%(counter)s</strong> stalled", "<strong>%(counter)s</strong> stalled", stalled
    ) % {"counter": number(stalled)}
    dropped = ngettext(
        "<strong>%(counter)s</strong> cancelled or superseded (not counted)",
        "<strong>%(counter)s</strong> cancelled or superseded (not counted)",
        cancelled,
    ) % {"counter": number(cancelled)}
    rows = "".join(
        f'\n          <tr><td><span class="badge status-{_escape(row["status"])}">'
        f"{_escape(row['label'])}</span></td><td>{number(row['count'])}</td></tr>\n        "
        for row in status_rows
    )
    heading = _("Implementation index")
    return mark_safe(
        f'<section class="grid" aria-label="{_("Summary")}">\n'
        f'  <div class="card">\n    <h2 class="visually-hidden">{heading}</h2>\n'
        f'    <p class="muted">{heading}</p>\n    <p class="stat">{figure}</p>\n'
        f'    <p class="muted">{means}</p>\n  </div>\n'
        f'  <div class="card">\n    <p class="muted">{_("Needs attention")}</p>\n'
        f'    <ul class="plain">\n      <li>{late}</li>\n      <li>{stuck}</li>\n'
        f"      <li>{dropped}</li>\n    </ul>\n  </div>\n"
        f'  <div class="card">\n    <h2>{_("By status")}</h2>\n    <table class="data">\n'
        f'      <caption class="visually-hidden">{_("Commitments by implementation status")}'
        "</caption>\n"
        f'      <thead><tr><th scope="col">{_("Status")}</th>'
        f'<th scope="col">{_("Commitments")}</th></tr></thead>\n'
        f"      <tbody>\n        {rows}\n      </tbody>\n    </table>\n  </div>\n</section>"
    )
