"""The Jinja2 environment of the templates under ``templates/jinja2/``: a list's rows.

When a template is Jinja2: the rows of a list page, drawn once per row (25 and more a page),
where Django's template engine spends most of the page's time resolving each variable and
tag. Jinja2 compiles a template to Python; the commitment list's 25 rows cost about a fifth
of the Django template's. The page around them (its form, headings, pagination, partials)
stays a Django template, which includes the rows with ``{% jinja2 "<name>" %}`` (the
``tracker`` tags): one page, one view, one template, the rows' HTML in a file of their own.

The rows read what the view computed, as the Django templates do, through the helpers below,
which write what Django's filters and tags write: dates in the reader's language and time
zone (``date``), translated strings (``_``, ``ngettext``, ``pgettext``) and badges.
"""

from __future__ import annotations

import datetime

from django.template import defaultfilters, engines
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext, pgettext
from jinja2 import Environment
from markupsafe import Markup, escape

from .ids import address_of
from .system_texts import shown
from .templatetags.tracker import flag_badges, state_badge, status_badge, whole


def date(value: datetime.date | datetime.datetime | None, format: str = "j M Y") -> str:
    """Django's ``date`` filter, a moment first put in the current time zone as Django's
    templates put it; "" for no date. The lists' own format ("j M Y", some fifty a page)
    written as Django's ``DateFormat`` writes its three parts (``j``, ``M``, ``Y``), without
    parsing the format and building a formatter for each date; so the review queue's moments
    ("j M Y, H:i", 25 a page: 25 µs each through the filter, 7 µs so), ``H`` and ``i`` as
    two digits each."""
    if value is None or value == "":
        return ""
    value = timezone.template_localtime(value)
    if format == "j M Y":
        return f"{value.day} {MONTHS_3[value.month].title()} {value.year:04d}"
    if format == "j M Y, H:i" and isinstance(value, datetime.datetime):
        day = f"{value.day} {MONTHS_3[value.month].title()} {value.year:04d}"
        return f"{day}, {value.hour:02d}:{value.minute:02d}"
    return defaultfilters.date(value, format)


def day_writer():
    """``date`` in the lists' own format ("j M Y") for the many dates of one drawing, each
    month's name translated once for them all (``{% set day = day_writer() %}``, then
    ``day(value)``), where each date translated its own (a gettext each, some fifty)."""
    months: dict[int, str] = {}

    def day(value: datetime.date | datetime.datetime | None) -> str:
        if value is None or value == "":
            return ""
        value = timezone.template_localtime(value)
        month = months.get(value.month)
        if month is None:
            month = months[value.month] = MONTHS_3[value.month].title()
        return f"{value.day} {month} {value.year:04d}"

    return day


def status_badge_writer():
    """``status_badge`` for the many rows of one drawing, each status's badge written once for
    them all (``{% set status_badge_of = status_badge_writer() %}``, then
    ``status_badge_of(commitment)``): four statuses, where each row translated and formatted
    its own (17 µs a badge, 25 a review queue page)."""
    badges: dict[int, str] = {}

    def badge(commitment) -> str:
        written = badges.get(commitment.status)
        if written is None:
            written = badges[commitment.status] = status_badge(commitment)
        return written

    return badge


def chart_rows(rows: list[dict], has_milestones: bool) -> Markup:
    """The rows of a chart's table of numbers (chart.html: a row per period, ``Curve.rows``),
    written in one pass, as the template's loop wrote them: some forty rows of up to eight
    cells, where the loop's tests, filters and escaping of each cell cost about half a
    millisecond a chart. Only the period's name is text to escape (as Jinja2 escapes it);
    the figures are ``whole`` numbers, or "–" where there is none."""

    def figure(value: float | None) -> str:
        return "–" if value is None else f"{whole(value)}%"

    lines = []
    for row in rows:
        parties = "".join(f"<td>{figure(value)}</td>" for value in row["compliance"])
        milestones = f"<td>{row['due']}</td><td>{row['met']}</td>" if has_milestones else ""
        lines.append(
            f'<tr>\n          <th scope="row">{escape(row["label"])}</th>\n'
            f"          <td>{figure(row['index'])}</td>\n"
            f"          {parties}\n          {milestones}\n        </tr>"
        )
    return Markup("".join(lines))


def django_include(template_name: str, **values) -> SafeString:
    """A Django template drawn inside a Jinja2 one: a part that other pages draw in Django's
    engine, which a row shows only now and then (a milestone's moves)."""
    html = engines["django"].get_template(template_name).render(values)
    return SafeString(html)


class RowsEnvironment(Environment):
    """Jinja2's environment, each template's globals a dict of its own rather than a
    ``ChainMap`` over the environment's: every drawing copies its template's globals into its
    context, and copying the ``ChainMap`` (some twenty names, each looked up through its
    maps in Python) cost some 25 µs a drawing, several times what a list's row template
    takes to write a short section. A dict of its own, made when the template is loaded,
    still keeps a template's globals from changing the environment's; the environment's
    are all set here, before any template is loaded."""

    def make_globals(self, d: dict | None) -> dict:
        return {**self.globals, **(d or {})}


def environment(**options) -> Environment:
    env = RowsEnvironment(**options)
    # Old-style: ``_("target %(date)s")|format(date=...)``, the form ``makemessages`` reads
    # (it reads these files as Django templates: a constant ``_("...")`` before any filter);
    # the formatted text is escaped when written, values and all.
    env.install_gettext_callables(gettext, ngettext, newstyle=False)
    env.globals.update(
        address=address_of,
        chart_rows=chart_rows,
        day_writer=day_writer,
        django_include=django_include,
        pgettext=pgettext,
        status_badge=status_badge,
        status_badge_writer=status_badge_writer,
        flag_badges=flag_badges,
        state_badge=state_badge,
    )
    env.filters["date"] = date
    env.filters["system_text"] = shown  # a stored reason in the reader's language
    env.filters["whole"] = whole  # Django's floatformat:0, for the figures
    env.filters["linebreaksbr"] = defaultfilters.linebreaksbr  # a timeline's texts
    return env
