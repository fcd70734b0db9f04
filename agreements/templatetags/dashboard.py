"""The dashboard's sections written in Python (``{% load dashboard %}``, dashboard.html).

Both dashboards (today's and a past day's) draw them once a page; through the template each
was some thirty nodes (lookups, ifs, a loop and a translation each), written here with the
same characters: each value escaped as the templates escape it (``escaping.escaped``), the
texts translated as their tags translate them (``{% translate %}`` writes a text of the
template's unescaped; ``{% blocktranslate %}`` puts its values in the translation), and each
count written as the templates write a number (``localize``).
"""

from __future__ import annotations

from django import template
from django.template import engines
from django.template.defaultfilters import date
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..escaping import escaped
from .tracker import _number_writer, index_bars, page_url, whole

register = template.Library()

# The texts the sections write, each marked where makemessages finds it: xgettext does not look
# inside an f-string's braces. Lazy: each written in the reader's language.
SUMMARY = gettext_lazy("Summary")
NEEDS_ATTENTION = gettext_lazy("Needs attention")
BY_STATUS = gettext_lazy("By status")
BY_STATUS_CAPTION = gettext_lazy("Commitments by implementation status")
STATUS = gettext_lazy("Status")
COMMITMENTS = gettext_lazy("Commitments")
BACK_TO_TODAY = gettext_lazy("Back to today")
DASHBOARD = gettext_lazy("Dashboard")
OPEN_DATA_LINK = gettext_lazy("Everything you can see, as open data (JSON)")
API_KEYS = gettext_lazy("API keys")
AS_OF_LABEL = gettext_lazy("Show the dashboard as it stood on a day")
SHOW = gettext_lazy("Show")
IMPLEMENTATION_OVER_TIME = gettext_lazy("Implementation over time")
DRAW = gettext_lazy("Draw")
INDEX_BY_THEME = gettext_lazy("Index by theme")
NO_COMMITMENTS_YET = gettext_lazy("No commitments yet.")
COMPLIANCE_BY_PARTY = gettext_lazy("Compliance by party")
NO_PARTY_ASSESSED = gettext_lazy("No party has been assessed yet.")
NOT_ASSESSED = gettext_lazy("not assessed")
INDEX_BY_BODY = gettext_lazy("Index by body")
NO_BODY_OVERSEES = gettext_lazy("No body oversees a commitment yet.")


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
        f'\n          <tr><td><span class="badge status-{escaped(row["status"])}">'
        f"{escaped(row['label'])}</span></td><td>{number(row['count'])}</td></tr>\n        "
        for row in status_rows
    )
    heading = _("Implementation index")
    return mark_safe(
        f'<section class="grid" aria-label="{SUMMARY}">\n'
        f'  <div class="card">\n    <h2 class="visually-hidden">{heading}</h2>\n'
        f'    <p class="muted">{heading}</p>\n    <p class="stat">{figure}</p>\n'
        f'    <p class="muted">{means}</p>\n  </div>\n'
        f'  <div class="card">\n    <p class="muted">{NEEDS_ATTENTION}</p>\n'
        f'    <ul class="plain">\n      <li>{late}</li>\n      <li>{stuck}</li>\n'
        f"      <li>{dropped}</li>\n    </ul>\n  </div>\n"
        f'  <div class="card">\n    <h2>{BY_STATUS}</h2>\n    <table class="data">\n'
        f'      <caption class="visually-hidden">{BY_STATUS_CAPTION}'
        "</caption>\n"
        f'      <thead><tr><th scope="col">{STATUS}</th>'
        f'<th scope="col">{COMMITMENTS}</th></tr></thead>\n'
        f"      <tbody>\n        {rows}\n      </tbody>\n    </table>\n  </div>\n</section>"
    )


@register.simple_tag(takes_context=True)
def dashboard_head(context: template.Context) -> str:
    """The page's heading and its day (``today``: today's, or the past day shown), the links
    to the reader's open data and API keys, and the form that shows the dashboard as it
    stood on a day (``as_of_form``), keeping the parties the chart draws (``parties_form``);
    on a past day (``as_of``), the way back to today and what the figures then are."""
    request, as_of, parties = context["request"], context.get("as_of"), context["parties_form"]
    path = escaped(request.path)
    day = _("As of %(date)s") % {"date": escaped(date(context["today"], "j F Y"))}
    kept = ""
    if parties.is_bound:
        kept = '<input type="hidden" name="drawn" value="1">' + "".join(
            f'<input type="hidden" name="party" value="party-{escaped(localize(party))}">'
            for party in parties.chosen()
        )
    back, banner = "", ""
    if as_of:
        back = f'<a href="{path}">{BACK_TO_TODAY}</a>'
        then = _(
            "<strong>As it stood on %(date)s</strong>: the figures, milestones overdue, "
            "meetings held and status changes in effect that day. What needs doing today "
            "(reviews waiting, milestones due soon, commitments without news) is on "
            "today's dashboard."
        ) % {"date": escaped(date(as_of, "j F Y"))}
        banner = f'\n  <p class="past-banner" role="note">{then}</p>\n'
    field = context["as_of_form"]["as_of"].as_field_group()
    return mark_safe(
        f'<div class="page-head">\n  <h1>{DASHBOARD}</h1>\n'
        f'  <p class="muted">{day} · <a href="{page_url("agreements:open_data")}" download>'
        f"{OPEN_DATA_LINK}</a> · "
        f'<a href="{page_url("agreements:api_keys")}">{API_KEYS}</a></p>\n</div>\n\n'
        f'<form method="get" action="{path}" class="as-of" '
        f'aria-label="{AS_OF_LABEL}">\n'
        f'  <div class="field">{field}</div>\n  {kept}\n'
        f'  <button type="submit" class="secondary">{SHOW}</button>\n  {back}\n</form>\n'
        f"{banner}"
    )


@register.simple_tag(takes_context=True)
def dashboard_curve_section(context: template.Context) -> str:
    """The implementation over time (``curve``, nothing without one): its chart, drawn by
    the Jinja2 template includes/chart.html draws (``chart_url``, the picture), and the
    form choosing whose compliance it draws among the parties assessed (``parties_form``;
    on a past day, ``as_of``, kept)."""
    curve = context.get("curve")
    if not curve:
        return ""
    request = context["request"]
    chart = engines["jinja2"].get_template("agreements/chart.html")
    drawn = chart.render({"curve": curve, "chart_url": context.get("chart_url")}, request)
    written = (
        '\n<section class="card over-time" aria-labelledby="over-time">\n'
        f'  <h2 id="over-time">{IMPLEMENTATION_OVER_TIME}</h2>\n  {drawn}\n\n  '
    )
    parties = context["parties_form"]
    if assessed := len(parties.fields["party"].choices):
        choose = ngettext(
            "Choose whose compliance is drawn (%(counter)s party assessed)",
            "Choose whose compliance is drawn (%(counter)s parties assessed)",
            assessed,
        ) % {"counter": escaped(localize(assessed))}
        as_of = context.get("as_of")
        kept = (
            f'<input type="hidden" name="as_of" value="{escaped(date(as_of, "Y-m-d"))}">'
            if as_of
            else ""
        )
        written += (
            f'\n  <details class="drawn-parties"{" open" if parties.is_bound else ""}>\n'
            f"    <summary>{choose}</summary>\n"
            f'    <form method="get" action="{escaped(request.path)}#over-time">\n'
            f'      {kept}\n      <input type="hidden" name="drawn" value="1">\n'
            f'      <div class="field">{parties["party"].as_field_group()}</div>\n'
            f'      <button type="submit" class="secondary">{DRAW}</button>\n'
            "    </form>\n  </details>\n  "
        )
    return mark_safe(written + "\n</section>\n")


@register.simple_tag
def dashboard_indexes(by_theme: list[dict], by_party: list[dict], by_body: list[dict]) -> str:
    """The index by theme, the compliance by party and the index by body of the latest
    meetings, each a bar a row (``index_bars``), or why there is none."""

    def bars(rows: list[dict], none: str, missing: str | None = None) -> str:
        return index_bars(rows, missing) if rows else f'<p class="muted">{none}</p>'

    # As ``{% translate %}`` writes a text with "%": doubled in its message, then undoubled.
    shown = _(
        "Latest reviewer assessments, +1 … −1 shown as 100 … 0 %%; “not assessed” is left out."
    ).replace("%%", "%")
    bodies = _(
        'Bodies of the latest meetings; every body on <a href="%(body_list_url)s">the bodies '
        "page</a>."
    ) % {"body_list_url": escaped(page_url("agreements:body_list"))}
    return mark_safe(
        '<section class="grid">\n  <div class="card">\n'
        f"    <h2>{INDEX_BY_THEME}</h2>\n"
        f"    {bars(by_theme, NO_COMMITMENTS_YET)}\n  </div>\n"
        f'  <div class="card">\n    <h2>{COMPLIANCE_BY_PARTY}</h2>\n'
        f'    <p class="muted">{shown}</p>\n'
        f"    {bars(by_party, NO_PARTY_ASSESSED, NOT_ASSESSED)}\n"
        "  </div>\n"
        f'  <div class="card">\n    <h2>{INDEX_BY_BODY}</h2>\n'
        f'    <p class="muted">{bodies}</p>\n'
        f"    {bars(by_body, NO_BODY_OVERSEES)}\n  </div>\n</section>"
    )
