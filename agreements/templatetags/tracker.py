"""Small presentational tags shared by the pages: badges and the index bar.

They only format what the view computed; no permission checks and no queries here.
"""

from __future__ import annotations

from django import template
from django.template import engines
from django.template.defaultfilters import date, floatformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import localize, number_format
from django.utils.html import conditional_escape, escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language_info, pgettext
from django.utils.translation import gettext as _

from .. import system_texts

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


@register.simple_tag
def index_bar(
    label: str,
    index: float | None,
    count: int | None = None,
    none: str | None = None,
    url: str = "",
) -> str:
    """A horizontal bar for an index (0–100 %), with its number as text; ``none`` says why
    there is no figure; ``url``, where the label leads (the records behind the figure).
    Formatted here, not through a template each: the dashboard draws some fifty."""
    if url:
        label_html = format_html('<span class="index-label"><a href="{}">{}</a></span>', url, label)
    else:
        label_html = format_html('<span class="index-label">{}</span>', label)
    if index is None:
        if none is None:
            none = _("no commitments that count")
        figure = format_html('<span class="index-none muted">{}</span>', none)
    else:
        counted = (
            ""
            if count is None
            else format_html(' <span class="muted">({})</span>', localize(count))
        )
        figure = format_html(
            '<svg class="index-bar" viewBox="0 0 100 8" preserveAspectRatio="none" role="img" '
            'aria-label="{}: {}%"><rect x="0" y="0" width="100" height="8" class="track"></rect>'
            '<rect x="0" y="0" width="{}" height="8" class="fill"></rect></svg>'
            '<span class="index-value">{}%{}</span>',
            label,
            localize(index),
            f"{index:.1f}",
            floatformat(index, 0),
            counted,
        )
    return format_html('<div class="index-row">{}{}</div>', label_html, figure)


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


def _said(text: str, **values) -> str:
    """A translated sentence with its values escaped in it, as ``{% blocktranslate %}`` does."""
    return mark_safe(text % {name: conditional_escape(value) for name, value in values.items()})


@register.simple_tag(takes_context=True)
def commitment_row(context, commitment, today) -> str:
    """A commitment as a meeting's page lists it: its title (linked), status and flags, theme,
    target, lead and parties' roles, then its milestones. Drawn here rather than by a template
    a row (issue #27): a summit's page draws fifty at a time. Needs ``theme``,
    ``party_roles__party`` and ``milestones__reschedules`` read with it. What rows share (a
    status's badge, a role's name, a day written out) is made once per drawing, keyed by
    what it is made of."""
    seen = context.render_context.setdefault("commitment_row", {})

    def once(key, make):
        if key not in seen:
            seen[key] = make()
        return seen[key]

    def day(value) -> str:
        return once(("day", value), lambda: date(value, "j M Y"))

    head = format_html(
        '<p><a href="{}" lang="{}"><strong>{}</strong></a>\n  {}{}{}',
        reverse("agreements:commitment_detail", args=[commitment.pk]),
        commitment.language,
        commitment.title,
        once(("status", commitment.status), lambda: status_badge(commitment)),
        flag_badges(commitment, today),
        format_html('<span class="badge muted">{}</span>', _("Archived"))
        if commitment.is_archived
        else "",
    )
    facts = [once(("theme", commitment.theme_id), lambda: escape(commitment.theme.label))]
    if commitment.target_date:
        facts.append(_said(_("target %(date)s"), date=day(commitment.target_date)))
    if commitment.lead_agency:
        facts.append(_said(_("lead: %(agency)s"), agency=commitment.lead_agency))
    roles = format_html_join(
        ", ",
        '<abbr title="{}">{}</abbr>: {}',
        (
            (
                role.party.name,
                role.party.code,
                once(("role", role.role), lambda role=role: str(role.get_role_display()).lower()),
            )
            for role in commitment.party_roles.all()
        ),
    )
    if roles:
        facts.append(roles)
    line = format_html('\n  <br><span class="muted">{}</span></p>', mark_safe(" · ".join(facts)))
    milestones = commitment.milestones.all()
    if not milestones:
        return head + line
    items = format_html_join(
        "",
        '<li>{} <span class="muted">{}</span> {}{}</li>',
        (
            (
                milestone.title,
                _said(_("due %(date)s"), date=day(milestone.due_date)),
                once(
                    ("milestone", milestone.status),
                    lambda milestone=milestone: state_badge(
                        milestone.status, milestone.get_status_display()
                    ),
                ),
                render_to_string(
                    "agreements/includes/milestone_moves.html", {"milestone": milestone}
                )
                if milestone.reschedules.all()
                else "",
            )
            for milestone in milestones
        ),
    )
    return head + line + format_html('\n  <ul class="milestones">{}</ul>', items)
