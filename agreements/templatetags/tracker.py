"""Small presentational tags shared by the pages: badges and the index bar.

They only format what the view computed; no permission checks and no queries here.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable

from django import template
from django.conf import settings
from django.template import engines
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import numberformat
from django.utils.formats import get_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_info, pgettext
from django.utils.translation import gettext as _

from .. import system_texts
from ..escaping import escaped
from ..ids import address_of
from ..kept import kept_per_language

register = template.Library()


@register.filter
def system_text(text: str | None) -> str:
    """A stored reason in the reader's language (``system_texts.shown``)."""
    return system_texts.shown(text)


@register.simple_tag
def status_badge(commitment) -> str:
    """The official status on the 0–3 scale, as a labelled badge."""
    return format_html(
        '<span class="badge status-{}" title="{}">{}</span>',
        commitment.status,
        _("Implementation status %(status)s of 3") % {"status": commitment.status},
        commitment.get_status_display(),
    )


@register.simple_tag
def flag_badges(commitment, today=None) -> str:
    """Stalled, cancelled/superseded and overdue flags, which sit beside the score."""
    parts = []
    if commitment.cancellation:
        parts.append(
            format_html(
                '<span class="badge muted">{}</span>', commitment.get_cancellation_display()
            )
        )
    if commitment.is_stalled:
        parts.append(format_html('<span class="badge warn">{}</span>', _("Stalled")))
    if today is not None and commitment.is_overdue(today):
        parts.append(
            format_html(
                '<span class="badge danger">{}</span>', pgettext("commitment flag", "Overdue")
            )
        )
    # Each part is already safe (format_html): joined as such, never escaped again.
    return format_html_join("", "{}", ((part,) for part in parts))


@register.simple_tag
def state_badge(value: str, label: str) -> str:
    """A badge for a vocabulary value (verification, confirmation, review state, lifecycle)."""
    return format_html('<span class="badge state-{}">{}</span>', value.replace("/", ""), label)


@register.filter
def whole(number: float | int) -> str:
    """``floatformat:0`` for the figures (indexes, compliance: 0–100 %), without its
    localising: rounded half up from the number as written, as ``floatformat`` rounds; a
    whole number below a thousand is written alike in every language. The chart's table
    writes some three hundred a page."""
    if isinstance(number, int):
        return str(number)
    if isinstance(number, float) and abs(number) < _EXACT:
        # As the number as written rounds: the shortest text that reads back as a float lies
        # below n + ½ exactly when the float does (n + ½ is a float of its own), and the
        # float's part after its whole is exact; half away from zero, as ROUND_HALF_UP.
        size = abs(number)
        rounded = math.floor(size)
        rounded += size - rounded >= 0.5
        return str(-rounded if number < 0 else rounded)  # -0 is 0: "0", as floatformat
    # int(): "-0" (−0.3 rounded) is written 0, as floatformat writes it.
    return str(int(decimal.Decimal(str(number)).quantize(_ONE, decimal.ROUND_HALF_UP)))


_EXACT = 2.0**52  # below it, a float's whole and the rest are exact


_ONE = decimal.Decimal(1)


def index_bar(
    label: str,
    index: float | None,
    count: int | None = None,
    none: str | None = None,
    url: str = "",
    number=None,
) -> str:
    """A horizontal bar for an index (0–100 %), with its number as text; ``none`` says why
    there is no figure; ``url``, where the label leads (the records behind the figure);
    ``number``, how numbers are written (``_number_writer``, read once for many bars; as
    ``localize`` writes them). Formatted here, not through a template each: the dashboard
    draws some fifty (``index_bars``). Every value is escaped, as ``conditional_escape``
    escapes it (``escaping.escaped``)."""
    return mark_safe(_bar(label, index, count, none, url, number or _number_writer()))


def _bar(label, index, count, none, url, number) -> str:
    # ``index_bar`` as a plain string: ``index_bars`` marks their whole safe once.
    label = escaped(label)
    if url:
        label_html = f'<span class="index-label"><a href="{escaped(url)}">{label}</a></span>'
    else:
        label_html = f'<span class="index-label">{label}</span>'
    if index is None:
        if none is None:
            none = _("no commitments that count")
        figure = f'<span class="index-none muted">{escaped(none)}</span>'
    else:
        counted = "" if count is None else f' <span class="muted">({number(count)})</span>'
        value = escaped(number(index))
        figure = (
            '<svg class="index-bar" viewBox="0 0 100 8" preserveAspectRatio="none" role="img" '
            f'aria-label="{label}: {value}%"><rect x="0" y="0" width="100" '
            'height="8" class="track"></rect><rect x="0" y="0" '
            f'width="{index:.1f}" height="8" class="fill"></rect></svg>'
            f'<span class="index-value">{whole(index)}%{counted}</span>'
        )
    return f'<div class="index-row">{label_html}{figure}</div>'


def _number_writer():
    """A number written as ``localize`` writes it, the reader's separators read once (each
    ``localize`` looks up the language and its three formats)."""
    lang = get_language()
    separator = get_format("DECIMAL_SEPARATOR", lang)
    grouping = get_format("NUMBER_GROUPING", lang)
    thousands = get_format("THOUSAND_SEPARATOR", lang)
    # ``numberformat.format``'s own first case, taken before the call (some fifty counts a
    # dashboard): a whole number not grouped is written as its digits.
    grouped = settings.USE_THOUSAND_SEPARATOR and grouping != 0

    def write(value) -> str:
        if type(value) is int and not grouped:
            return str(value)
        return numberformat.format(value, separator, None, grouping, thousands)

    return write


@register.simple_tag
def index_bars(rows: list[dict], none: str | None = None) -> str:
    """``index_bar`` for each of ``rows`` (``key``, ``index``, ``count``, ``url``)."""
    number = _number_writer()
    return mark_safe(
        "".join(
            _bar(row["key"], row["index"], row["count"], none, row.get("url", ""), number)
            for row in rows
        )
    )


@register.filter
def grouped(number: int) -> str:
    """A count as the reader writes it: 10,000 in English, 10.000 in Spanish. (Not the global
    USE_THOUSAND_SEPARATOR: it would group every id written into an address or attribute.)"""
    return number_format(number, force_grouping=True)


@register.filter
def language_name(code: str) -> str:
    """A record's language (a BCP 47 tag) by its name in the reader's language where Django
    knows the tag (es → Spanish, español), else the tag itself."""
    try:
        return get_language_info(code)["name_translated"]
    except KeyError:
        return code


@register.simple_tag
def source_notes(numbers: list[int]) -> str:
    """A briefing's references to its numbered sources, "[1, 3]", each a link to the source
    in the list at the end (printed, the numbers alone)."""
    if not numbers:
        return ""
    links = format_html_join(
        ", ",
        '<a href="#source-{}"><span class="visually-hidden">{} </span>{}</a>',
        ((n, _("Source"), n) for n in numbers),
    )
    return format_html('<sup class="notes">[{}]</sup>', links)


@register.simple_tag(takes_context=True)
def jinja2(context: template.Context, template_name: str, **values) -> str:
    """The Jinja2 template ``template_name`` (under templates/jinja2/: a list's rows, see
    agreements/jinja2.py) drawn with ``values`` and the request, as ``{% include … with %}``
    would draw a Django one."""
    rows = engines["jinja2"].get_template(template_name)
    # Jinja2 escaped every value it wrote (autoescape): its HTML is safe as it stands.
    return mark_safe(rows.render(values, context.get("request")))


@register.simple_tag(takes_context=True)
def add_form(context: template.Context, adding, form=None) -> str:
    """An add form of a record's page (includes/add_form.html: ``adding`` says what it adds),
    drawn open with its ``form`` by that template; without one, closed and empty, written
    here: fetched when opened (``?add=<kind>``, the page's view answers with the partial
    ``add-form``), its link opening the page with it without JavaScript. A meeting's page
    draws eight closed, each some 55 µs through the template (its include, a dozen lookups,
    its link's text translated each time) for some 15 µs written here, each value escaped
    as the template escapes it (``escaping.escaped``), the link's text translated once a drawing."""
    if form:
        drawn = context.template.engine.get_template("agreements/includes/add_form.html")
        with context.push(adding=adding, form=form):
            return drawn.render(context)
    # What it adds: a registry's entry (``meeting_additions.Addition``), or a page's dict.
    kind, title = (adding[n] if isinstance(adding, dict) else getattr(adding, n) for n in KNOWN)
    opened = " open" if context.get("open_form") == kind else ""
    kind = escaped(kind)
    drawing = context.render_context
    if (written := drawing.get(add_form)) is None:
        # As ``{% translate %}`` writes a text of the template's: unescaped.
        written = drawing[add_form] = (escaped(context["request"].path), _("Open the form"))
    path, opens = written
    # The template's six lines before its form (comments, a load), and its last line's end.
    return mark_safe(
        f'\n\n\n\n\n\n<details id="add-form-{kind}" class="card add-form"{opened} '
        f'hx-get="{path}?add={kind}" hx-trigger="toggle once" hx-target="find .form-slot">\n'
        f'  <summary>{escaped(title)}</summary>\n  <div class="form-slot">\n  \n'
        f'  <p><a href="?add={kind}#add-form-{kind}">{opens}</a></p>\n  \n  </div>\n</details>\n'
    )


@register.simple_tag
def section_pager(shown, target: str, label: str) -> str:
    """The pages of a long section of a record's page (``shown``: its page of rows,
    ``views/meeting_sections.Shown``): which rows are shown of how many, and the links to the
    others, each the page without JavaScript and, with htmx, the section (``#target``)
    swapped in place; ``label`` names the section. Nothing for a section shown whole.
    Written here, each value escaped as the templates escape it (``escaping.escaped``), the texts
    translated as their tags translate them (``blocktranslate``: the values put in the
    translation): a meeting's page draws six, some 85 µs a drawn one through a template."""
    if not shown.is_partial:
        return mark_safe("\n\n")  # the template's lines around it, kept for the same bytes
    target = escaped(target)
    links = []
    for shows, url, text in (
        (shown.has_previous, "previous_url", "← " + pgettext("page", "Previous")),
        (shown.has_next, "next_url", pgettext("page", "Next") + " →"),
    ):
        url = escaped(getattr(shown, url)) if shows else ""
        links.append(
            f'<a href="{url}#{target}" hx-get="{url}" hx-target="#{target}" hx-swap="outerHTML" '
            f'hx-push-url="true">{text}</a>'
            if shows
            else ""
        )
    pages = _("Pages of %(label)s") % {"label": escaped(label)}
    showing = _("Showing %(first)s–%(last)s of %(total)s") % {
        "first": shown.first,
        "last": shown.last,
        "total": shown.total,
    }
    return mark_safe(
        f'\n\n<nav class="pagination" aria-label="{pages}">\n  {links[0]}\n'
        f"  <span>{showing}</span>\n  {links[1]}\n</nav>\n\n"
    )


@register.simple_tag(takes_context=True)
def action_outcome(context: template.Context, section: str) -> str:
    """What the last action did, in the section that answered it (``section`` is this one's
    name; ``answered``, the one that did, ``views.common.render_page``): a live notice, and
    why the action was refused if it was (``outcome``: ``views.common.Outcome``). The empty
    live region stays so that screen readers announce what a later swap puts in it. Written
    here, each value escaped as the templates escape it (``escaping.escaped``), with the blank lines
    its template wrote: a meeting's page draws seven, some 35 µs each through a template."""
    if context.get("answered") != section:
        return mark_safe('\n\n\n<p role="status" class="notice"></p>\n')
    done = context.get("outcome")
    notice = escaped(getattr(done, "notice", ""))
    refused = getattr(done, "refusal", "")
    refusal = f'<p role="alert" class="refusal">{escaped(refused)}</p>' if refused else ""
    return mark_safe(f'\n\n\n<p role="status" class="notice">{notice}</p>\n{refusal}\n\n')


@register.simple_tag(takes_context=True)
def site_nav(context: template.Context) -> str:
    """The header's main navigation (base.html, every page of a signed-in reader;
    ``includes/site_nav.html``): a link to each list, the current page's marked
    (``aria-current``, by its URL's name), the admin's for staff. Nothing else in it changes:
    drawn once a process for each page name, staff or not, script prefix, URLconf and
    language (``_NAVS``), where its thirty-five nodes cost some 0.3 ms on every page."""
    request = context.get("request")
    current = getattr(getattr(request, "resolver_match", None), "url_name", None) or ""
    staff = bool(getattr(context.get("user"), "is_staff", False))
    urlconf = get_urlconf(settings.ROOT_URLCONF)
    key = (current, staff, get_script_prefix(), urlconf, get_language())
    if (drawn := _NAVS.get(key)) is None:
        drawn = _NAVS[key] = render_to_string(
            "includes/site_nav.html", {"current": current, "staff": staff}
        )
    return drawn


# The header's navigation as drawn for a page name, staff or not, script prefix, URLconf and
# language (``site_nav``).
_NAVS: dict[tuple, str] = kept_per_language({})


KNOWN = ("kind", "title")


# Each page's address, or how a record's is written, for a script prefix, URLconf and language.
_ADDRESSES: dict[tuple, str | Callable[[object], str]] = {}


@register.simple_tag
def page_url(name: str, pk=None) -> str:
    """``{% url name %}`` for a page that takes no argument (the header's dozen links, on every
    page), or ``{% url name pk %}`` for a record's page (``ids.address_of``): reversed once a
    process for each script prefix, URLconf and language rather than on every page (some
    15 µs a link), the answer being the same for the same key."""
    # The URLconf a request set, else the setting (a test may change it).
    urlconf = get_urlconf(settings.ROOT_URLCONF)
    key = (name, pk is None, get_script_prefix(), urlconf, get_language())
    found = _ADDRESSES.get(key)
    if found is None:
        found = _ADDRESSES[key] = reverse(name) if pk is None else address_of(name)
    return found if pk is None else found(pk)


@register.simple_tag
def request_errors() -> str:
    """What static/js/tracker.js says when an htmx request fails (base.html's
    ``#request-error``, on every page; ``includes/request_errors.html``), in the reader's
    language: drawn once a process for each language (``_ERRORS``)."""
    language = get_language()
    if (drawn := _ERRORS.get(language)) is None:
        drawn = _ERRORS[language] = render_to_string("includes/request_errors.html")
    return drawn


# The failed requests' texts as drawn for a language (``request_errors``).
_ERRORS: dict[str, str] = kept_per_language({})
