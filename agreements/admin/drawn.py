"""Two of Django's admin templates, written as Python writes text: a changelist's table
(``admin/change_list_results.html``) and each of its filters (``admin/filter.html``).

On a changelist of 50 rows Django's template engine spent about 2 ms drawing the table
(a loop, an ``if`` and a loop again for every row, already one piece of HTML: ``admin/rows.py``)
and 0.3 ms drawing each filter (seven on the commitments'), a sixth of the page's time. These
write the same characters the templates write, every value shown as the templates show it
(``render_value_in_context``: localized, escaped unless already HTML); the tests compare the
pages with Django's own. Only Django's own templates are written so: where a project or a
model has its own ``change_list_results.html`` or a filter its own template, that one is drawn
(``templatetags/admin_rows.py``).
"""

from __future__ import annotations

from pathlib import Path

import django.contrib.admin
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.encoding import iri_to_uri
from django.utils.html import escape
from django.utils.safestring import SafeData, SafeString
from django.utils.translation import gettext

TEMPLATES = Path(django.contrib.admin.__file__).parent / "templates"
TABLE = str(TEMPLATES / "admin" / "change_list_results.html")
FILTER = str(TEMPLATES / "admin" / "filter.html")

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
