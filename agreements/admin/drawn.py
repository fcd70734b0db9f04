"""Django's admin templates of a changelist, written as Python writes text: its table
(``admin/change_list_results.html``), each of its filters (``admin/filter.html``), and the
bars around them: the actions (``admin/actions.html``), the search form
(``admin/search_form.html``), the add link (``admin/change_list_object_tools.html``) and the
pages (the project's ``admin/pagination.html``).

On a changelist of 50 rows Django's template engine spent about 2 ms drawing the table
(a loop, an ``if`` and a loop again for every row, already one piece of HTML: ``admin/rows.py``)
and 0.3 ms drawing each filter (seven on the commitments'), a sixth of the page's time; the
bars, 1.3 ms more (the actions' alone 0.7 ms: three nested blocks, a translated plural and a
template chosen among three, for a line of text). These write the same characters the
templates write, every value shown as the templates show it
(``render_value_in_context``: localized, escaped unless already HTML); the tests compare the
pages with Django's own. Only Django's own templates are written so: where a project or a
model has its own ``change_list_results.html`` or a filter its own template, that one is drawn
(``templatetags/admin_rows.py``). A form's fields are still drawn by their widgets.
"""

from __future__ import annotations

from pathlib import Path

import django.contrib.admin
from django.conf import settings
from django.contrib.admin.templatetags.admin_list import paginator_number
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.template import Context
from django.template.base import render_value_in_context
from django.templatetags.static import static
from django.urls import reverse
from django.utils.encoding import iri_to_uri
from django.utils.html import escape
from django.utils.safestring import SafeData, SafeString
from django.utils.translation import get_language, gettext, ngettext

from ..kept import kept_per_language
from ..templatetags.tracker import grouped

TEMPLATES = Path(django.contrib.admin.__file__).parent / "templates"
TABLE = str(TEMPLATES / "admin" / "change_list_results.html")
FILTER = str(TEMPLATES / "admin" / "filter.html")
ACTIONS = str(TEMPLATES / "admin" / "actions.html")
SEARCH = str(TEMPLATES / "admin" / "search_form.html")
OBJECT_TOOLS = str(TEMPLATES / "admin" / "change_list_object_tools.html")
PAGINATION = str(settings.BASE_DIR / "templates" / "admin" / "pagination.html")
BASE = str(TEMPLATES / "admin" / "base.html")
BASE_SITE = str(TEMPLATES / "admin" / "base_site.html")

# Words of Django's templates that its own Spanish catalogue leaves in English ("Run", "Search
# %(name)s"), read through it unmarked: the project's catalogue, which translates every string
# it holds, would otherwise take them over, and the page would no longer read as Django's.
djangos = gettext

# What the templates' ``{{ value }}`` is given: an escaping context (autoescape, the time zone
# and formats as a page's). It holds no values.
_SHOWN = Context(autoescape=True)


def _shown(value) -> str:
    """``{{ value }}``."""
    return render_value_in_context(value, _SHOWN)


def _filtered(value, text: str) -> str:
    """``{{ value|<filter> }}`` of a string filter marked ``is_safe`` (``capfirst``,
    ``iriencode``) which made ``text`` of ``value``: escaped unless ``value`` was HTML."""
    return text if isinstance(value, SafeData) else escape(text)


def table(context: dict) -> SafeString:
    """``admin/change_list_results.html`` drawn with ``context`` (``rows.result_list``)."""
    out = ["\n"]
    if hidden := context["result_hidden_fields"]:
        out.append('\n<div class="hiddenfields">\n')
        out.extend(_shown(item) for item in hidden)
        out.append("\n</div>\n")
    out.append("\n")
    if results := context["results"]:
        out.append('\n<div class="results">\n<table id="result_list">\n<thead>\n<tr>\n')
        several = context["num_sorted_fields"] > 1
        for header in context["result_headers"]:
            out.append(f'\n<th scope="col"{_shown(header["class_attrib"])}>\n   ')
            if header["sortable"] and header["sort_priority"] > 0:
                priority = header["sort_priority"]
                out.append(
                    '\n       <div class="sortoptions">\n'
                    f'         <a class="sortremove" href="{_shown(header["url_remove"])}" '
                    f'title="{_shown(gettext("Remove from sorting"))}"></a>\n         '
                )
                if several:
                    title = gettext("Sorting priority: %(priority_number)s") % {
                        "priority_number": _shown(priority)
                    }
                    out.append(
                        f'<span class="sortpriority" title="{title}">{_shown(priority)}</span>'
                    )
                direction = "ascending" if header["ascending"] else "descending"
                out.append(
                    f'\n         <a href="{_shown(header["url_toggle"])}" class="toggle '
                    f'{direction}" title="{_shown(gettext("Toggle sorting"))}"></a>\n'
                    "       </div>\n   "
                )
            text = header["text"]
            written = str(text)
            written = _filtered(text, written and written[0].upper() + written[1:])
            if header["sortable"]:
                heading = f'<a role="button" href="{_shown(header["url_primary"])}">{written}</a>'
            else:
                heading = f"<span>{written}</span>"
            out.append(
                f'\n   <div class="text">{heading}</div>\n   <div class="clear"></div>\n</th>'
            )
        out.append("\n</tr>\n</thead>\n<tbody>\n")
        for result in results:
            out.append("\n")
            if result.form and result.form.non_field_errors:
                errors = _shown(result.form.non_field_errors)
                out.append(f'\n    <tr><td colspan="{_shown(len(result))}">{errors}</td></tr>\n')
            out.append("\n<tr>")
            out.extend(_shown(item) for item in result)
            out.append("</tr>\n")
        out.append("\n</tbody>\n</table>\n</div>\n")
    out.append("\n")
    return SafeString("".join(out))


def list_filter(title, choices) -> SafeString:
    """``admin/filter.html`` drawn for a filter of ``title`` offering ``choices``."""
    by = gettext(" By %(filter_title)s ") % {"filter_title": _shown(title)}
    out = [f'\n<details data-filter-title="{_shown(title)}" open>\n  <summary>\n    {by}\n']
    out.append("  </summary>\n  <ul>\n  ")
    for choice in choices:
        selected = ' class="selected"' if choice.get("selected") else ""
        query = choice.get("query_string", "")
        address = _filtered(query, iri_to_uri(str(query)))
        out.append(
            f"\n    <li{selected}>\n"
            f'    <a href="{address}">{_shown(choice.get("display", ""))}</a></li>\n  '
        )
    out.append("\n  </ul>\n</details>\n")
    return SafeString("".join(out))


def actions(values) -> SafeString:
    """``admin/actions.html`` drawn with ``values`` (the changelist's context, as
    ``admin_actions`` gives it): the action form's fields as their widgets draw them."""
    fields = _action_fields(values["action_form"])
    index = values.get("action_index") or 0
    out = [
        f'\n<div class="actions">\n  \n    \n    {fields}\n    \n    \n    '
        f'<button type="submit" class="button" name="index" value="{_shown(index)}">'
        f"{_shown(djangos('Run'))}</button>\n    \n    \n    "
    ]
    if values.get("actions_selection_counter"):
        cl = values["cl"]
        shown = len(cl.result_list)
        out.append(
            f'\n        <span class="action-counter" data-actions-icnt="{_shown(shown)}" '
            'aria-live="polite" aria-atomic="true">'
            f"{_shown(values.get('selection_note', ''))}</span>\n        "
        )
        if cl.result_count != shown:
            every = gettext("Select all %(total_count)s %(module_name)s") % {
                "total_count": _shown(cl.result_count),
                "module_name": _shown(values.get("module_name", "")),
            }
            out.append(
                f'\n        <span class="all hidden">{_shown(values.get("selection_note_all", ""))}'
                '</span>\n        <span class="question hidden">\n            '
                f'<a role="button" href="#">{every}</a>\n        </span>\n        '
                '<span class="clear hidden"><a role="button" href="#">'
                f"{_shown(gettext('Clear selection'))}</a></span>\n        "
            )
        out.append("\n    ")
    out.append("\n    \n  \n</div>\n")
    return SafeString("".join(out))


# The action forms' fields drawn (``_action_fields``), by all they are drawn from.
ACTION_FIELDS: dict[tuple, str] = kept_per_language({})


def _action_fields(form) -> str:
    """The action form's fields, each as its widget draws it (with its label, as
    ``admin/actions.html``). An unbound form's (every changelist's: Django makes it anew for
    each page) are drawn once for all they are drawn from: the form's class and the choices
    the page gives it, in the language of the page (0.25 ms of a changelist's time: a select
    and its options, a hidden input, each a template of Django's form renderer)."""
    offered = [getattr(field, "choices", ()) for field in form.fields.values()]
    if form.is_bound or not all(isinstance(choices, list | tuple) for choices in offered):
        return _fields_drawn(form)  # its data, or choices read from the database: as drawn
    key = (
        type(form),
        form.auto_id,
        form.prefix,
        get_language(),
        tuple(form.fields),
        tuple(tuple((value, str(label)) for value, label in choices) for choices in offered),
    )
    try:
        return ACTION_FIELDS[key]
    except KeyError:
        pass
    if len(ACTION_FIELDS) >= 500:  # models' actions, users' permissions, languages: a few
        ACTION_FIELDS.clear()
    drawn = ACTION_FIELDS[key] = _fields_drawn(form)
    return drawn


def _fields_drawn(form) -> str:
    return "".join(
        f"<label>{_shown(field.label)} {_shown(field)}</label>" if field.label else _shown(field)
        for field in form
    )


def search_form(values) -> SafeString:
    """``admin/search_form.html`` drawn with ``values`` (``search_form(cl)``'s)."""
    cl = values["cl"]
    if not cl.search_fields:
        return SafeString("\n")
    described = ' aria-describedby="searchbar_helptext"' if cl.search_help_text else ""
    name = djangos("Search %(name)s") % {"name": _shown(cl.opts.verbose_name_plural)}
    out = [
        '\n\n<div id="toolbar">\n<h2 id="changelist-search-form" class="visually-hidden">'
        f"{name}</h2>\n"
        '<form id="changelist-search" method="get" role="search" '
        'aria-labelledby="changelist-search-form">\n<div><!-- DIV needed for valid HTML -->\n'
        f'<label for="searchbar"><img src="{_shown(static("admin/img/search.svg"))}" '
        'alt="Search"></label>\n'
        f'<input type="text" size="40" name="{_shown(values["search_var"])}" '
        f'value="{_shown(cl.query)}" id="searchbar"{described}>\n'
        f'<input type="submit" value="{_shown(gettext("Search"))}">\n'
    ]
    if values["show_result_count"]:
        counted = ngettext("%(counter)s result", "%(counter)s results", cl.result_count) % {
            "counter": _shown(cl.result_count)
        }
        query = ""
        if cl.is_popup:
            query = f"{_shown(values['is_popup_var'])}=1" + ("&" if cl.add_facets else "")
        if cl.add_facets:
            query += _shown(values["is_facets_var"])
        if cl.show_full_result_count:
            every = gettext("%(full_result_count)s total") % {
                "full_result_count": _shown(cl.full_result_count)
            }
        else:
            every = _shown(gettext("Show all"))
        out.append(
            f'\n    <span class="small quiet">{counted} (<a href="?{query}">{every}</a>)</span>\n'
        )
    out.append("\n")
    for key, value in cl.params.items():
        out.append("\n    ")
        if key != values["search_var"]:
            out.append(f'<input type="hidden" name="{_shown(key)}" value="{_shown(value)}">')
        out.append("\n")
    out.append("\n</div>\n")
    if cl.search_help_text:
        out.append(
            '\n<br class="clear">\n'
            f'<div class="help" id="searchbar_helptext">{_shown(cl.search_help_text)}</div>\n'
        )
    out.append("\n</form></div>\n\n")
    return SafeString("".join(out))


def object_tools(values) -> SafeString:
    """``admin/change_list_object_tools.html`` drawn with ``values`` (the changelist's
    context): the link to add a record, keeping the list's filters."""
    out = ["\n\n\n  "]
    if values.get("has_add_permission"):
        opts = values["cl"].opts
        address = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_add",
            current_app=values["cl"].model_admin.admin_site.name,
        )
        address = add_preserved_filters(
            values, address, values.get("is_popup"), values.get("to_field")
        )
        name = gettext("Add %(name)s") % {"name": _shown(opts.verbose_name)}
        out.append(
            f'\n  <li>\n    \n    <a href="{_shown(address)}" class="addlink">\n'
            f"      {name}\n    </a>\n  </li>\n  "
        )
    out.append("\n\n")
    return SafeString("".join(out))


def pagination(values) -> SafeString:
    """The project's ``admin/pagination.html`` (Django's, saying "more than" past the count's
    cap) drawn with ``values`` (``pagination(cl)``'s)."""
    cl = values["cl"]
    paginator = cl.paginator
    name = gettext("Pagination %(name)s") % {"name": _shown(cl.opts.verbose_name_plural)}
    out = [
        '\n\n\n<nav class="paginator" aria-labelledby="pagination">\n'
        f'    <h2 id="pagination" class="visually-hidden">{name}</h2>\n    '
    ]
    if values["pagination_required"]:
        out.append("\n    <ul>\n    ")
        for number in values["page_range"]:
            out.append(f"\n        <li>{paginator_number(cl, number)}</li>\n    ")
        out.append("\n    </ul>\n    ")
    out.append("\n")
    if getattr(paginator, "past", False):
        past = gettext(
            "Page %(number)s is past the last numbered page (%(last)s): to reach rows further "
            "on, search or filter the list, or sort it the other way."
        ) % {
            "number": _shown(grouped(cl.page_num)),
            "last": _shown(grouped(paginator.last_numbered)),
        }
        out.append(f"<p>{past}</p>\n")
    if getattr(paginator, "capped", False):
        out.append(
            gettext("More than %(shown)s %(name)s")
            % {
                "shown": _shown(grouped(cl.result_count)),
                "name": _shown(cl.opts.verbose_name_plural),
            }
        )
    else:
        one = cl.opts.verbose_name if cl.result_count == 1 else cl.opts.verbose_name_plural
        out.append(f"{_shown(cl.result_count)} {_shown(one)}")
    out.append("\n")
    if show_all := values.get("show_all_url"):
        out.append(
            f'<a href="{_shown(show_all)}" class="showall">{_shown(gettext("Show all"))}</a>'
        )
    out.append("\n</nav>\n")
    return SafeString("".join(out))
