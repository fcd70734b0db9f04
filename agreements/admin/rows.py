"""A changelist's rows, the cells Django's admin writes, with what is the same for every row
worked out once per column (issue #27, point 7).

Django's ``items_for_result`` finds each cell's field, its CSS class, its empty text, whether
it links, and for a field with choices builds the dictionary of its labels, again for every
cell; it resolves the change page's address once per row to keep the list's filters; and the
template then writes each cell as a variable of its own. Here a column's plan (``Column``) is
made once per page: a cell costs reading its value and writing it, the link's address is made
from one with the key left out (as ``PageList.url_for_result`` does), and a row reaches the
template as one piece of HTML (``admin/change_list_results.html`` writes a row's items one
after the other, so the page is the same). Every value is shown as Django shows it: its
``display_for_field`` / ``display_for_value`` for all but choices, booleans, dates and times,
which it formats here the same way (``admin/dates.py``: the names of months and days read once),
and a foreign key's record, written once a page for every row naming it; what a plan does not
know (an editable list, a popup, a key that is not a number) is left to Django's own
``items_for_result``.
"""

from __future__ import annotations

import contextlib
import datetime
import html
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cached_property
from typing import Any

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    _boolean_icon,
    _coerce_field_name,
    items_for_result,
    result_headers,
    result_hidden_fields,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    display_for_field,
    display_for_value,
    get_fields_from_path,
    lookup_field,
)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.urls import NoReverseMatch
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from ..escaping import escaped
from .dates import Dates
from .scale import AtScale, PageList


@dataclass
class Column:
    """What Django's ``items_for_result`` works out for a column, worked out once."""

    name: Any  # a field's name, an attribute's, or a callable
    field: models.Field | None  # a concrete field of the model, read as an attribute
    classes: list[str]
    link: bool
    empty: str
    choices: dict | None = None  # a field with choices: its labels, translated once
    icons: dict | None = None  # a boolean field: its icons, by value

    checkbox: str | None = None  # the row checkbox's words, translated once
    call: Any = None  # a callable column (a function of the record): called, read once
    dates: Dates | None = None  # the page's dates and times, as Django writes them
    named: dict = dataclass_field(default_factory=dict)  # a foreign key's text, by its key

    def cell(self, result, changelist) -> tuple[str, Any]:
        """The cell's CSS class and what it shows."""
        field = self.field
        if self.checkbox is not None:
            return self.classes_html, self._checkbox(result)
        if self.call is not None:
            return self._called(result)
        if field is None:
            return self._other(result, changelist)
        if field.many_to_one:  # the record it names, as Django shows it: once a page
            key = getattr(result, field.attname)
            if key is None:
                return self.classes_html, self.empty
            try:
                return self.classes_html, self.named[key]
            except KeyError:
                value = getattr(result, self.name)
                shown = self.named[key] = SafeString(escaped(value))
                return self.classes_html, shown
        value = getattr(result, self.name)
        if self.choices is not None:
            try:
                shown = self.choices.get(value, self.empty)
            except TypeError:  # a value no dictionary holds: as Django reads it
                shown = display_for_field(value, field, self.empty, avoid_link=self.link)
        elif self.icons is not None:
            if value not in self.icons:
                self.icons[value] = _boolean_icon(value)
            shown = self.icons[value]
        elif value in field.empty_values:
            shown = self.empty
        elif isinstance(field, models.DateTimeField):
            shown = self.dates.shown(value, local=True)
        elif isinstance(field, models.DateField | models.TimeField):
            shown = self.dates.shown(value)
        else:
            shown = display_for_field(value, field, self.empty, avoid_link=self.link)
        return self.classes_html, shown

    def _checkbox(self, result) -> SafeString:
        """``AtScale.action_checkbox`` (Django's row checkbox), its words translated once."""
        pk = html.escape(str(result.pk))
        label = self.checkbox.format(html.escape(str(result)))
        return SafeString(
            f'<input type="checkbox" name="{ACTION_CHECKBOX_NAME}" value="{pk}" '
            f'class="action-select" aria-label="{label}">'
        )

    def _called(self, result) -> tuple[str, Any]:
        """A callable column, as ``_other`` reads it (Django's ``lookup_field``, then
        ``display_for_value``), what is the callable's read once; a record it gives is written
        once a page for every row that gives it, as a foreign key's."""
        call = self.call
        try:
            value = call(result)
        except ObjectDoesNotExist:
            return self.classes_html, self.empty
        boolean = getattr(call, "boolean", False)
        if isinstance(value, models.Model) and value.pk is not None and not boolean:
            key = (type(value), value.pk)
            try:
                return self.classes_html, self.named[key]
            except KeyError:
                shown = self.named[key] = SafeString(escaped(str(value)))
                return self.classes_html, shown
        shown = display_for_value(value, getattr(call, "empty_value_display", self.empty), boolean)
        if isinstance(value, datetime.date | datetime.time):
            return _classes([*self.classes, "nowrap"]), shown
        return self.classes_html, shown

    def _other(self, result, changelist) -> tuple[str, Any]:
        """A column Django reads another way (a method, a property, a path): as it reads it."""
        name = self.name
        classes = list(self.classes)
        empty = self.empty
        try:
            field, attr, value = lookup_field(name, result, changelist.model_admin)
        except ObjectDoesNotExist:
            return _classes(classes), empty
        empty = getattr(attr, "empty_value_display", empty)
        if field is None and isinstance(name, str) and LOOKUP_SEP in name:
            with contextlib.suppress(FieldDoesNotExist):
                field = get_fields_from_path(changelist.model, name)[-1]
        if field is None or field.auto_created:
            if name == "action_checkbox":
                classes = ["action-checkbox"]
            boolean = getattr(attr, "boolean", False)
            if isinstance(attr, property) and hasattr(attr, "fget"):
                boolean = getattr(attr.fget, "boolean", False)
            shown = display_for_value(value, empty, boolean)
            if isinstance(value, datetime.date | datetime.time):
                classes.append("nowrap")
        else:
            if isinstance(field.remote_field, models.ManyToOneRel):
                shown = empty if value is None else value
            else:
                shown = display_for_field(value, field, empty, avoid_link=self.link)
            if isinstance(field, models.DateField | models.TimeField | models.ForeignKey):
                classes.append("nowrap")
        return _classes(classes), shown

    @cached_property
    def classes_html(self) -> str:
        return _classes(self.classes)


def _classes(classes: list[str]) -> str:
    return SafeString(' class="{}"'.format(" ".join(classes)))


def plan(changelist) -> list[Column] | None:
    """Each column's plan, or None when the rows are Django's to draw (see the module)."""
    if changelist.formset or changelist.is_popup or not isinstance(changelist, PageList):
        return None
    admin = changelist.model_admin
    opts = changelist.lookup_opts
    links = changelist.list_display_links
    columns = []
    dates = Dates()
    first = True  # Django's rule: the first column named a link, or the first of all
    for index, name in enumerate(changelist.list_display):
        link = False if links is None else (first and not links) or name in links
        first = first and not link
        empty = admin.get_empty_value_display()
        classes = [f"field-{_coerce_field_name(name, index)}"]
        field = None
        if isinstance(name, str) and not hasattr(admin, name):
            try:
                field = opts.get_field(name)
            except FieldDoesNotExist:
                field = None
            if field is not None and (
                field.name != name  # a foreign key's column ("meeting_id"): Django's to read
                or field.auto_created
                or not field.concrete
                or (field.is_relation and not field.many_to_one)
                or getattr(field, "fk_field", None)  # a generic key: Django's to read
            ):
                field = None
        column = Column(name, field, classes, link, empty, dates=dates)
        if callable(name) and not isinstance(name, str):
            column.call = name
        if name == "action_checkbox" and getattr(admin.action_checkbox, "__func__", None) is (
            AtScale.action_checkbox
        ):
            column.classes = ["action-checkbox"]
            column.checkbox = gettext("Select this object for an action - {}")
        if field is not None:
            if field.flatchoices:
                column.choices = {value: str(label) for value, label in field.flatchoices}
            elif isinstance(field, models.BooleanField):
                column.icons = {}
            if isinstance(field, models.DateField | models.TimeField | models.ForeignKey):
                classes.append("nowrap")
        columns.append(column)
    return columns


def rows(changelist, columns: list[Column]) -> list[ResultList]:
    """The page's rows, each one piece of HTML (its cells), as ``results(cl)`` would write
    them."""
    context = {"preserved_filters": changelist.preserved_filters, "opts": changelist.opts}
    mark = PageList.MARK
    try:
        address = add_preserved_filters(context, changelist.change_url)
    except NoReverseMatch:
        address = None
    pk_name = changelist.pk_attname
    drawn = []
    for result in changelist.result_list:
        pk = str(getattr(result, pk_name))
        if not pk.isdigit() or address is None:  # a key quoted as the admin does: Django's
            drawn.append(ResultList(None, items_for_result(changelist, result, None)))
            continue
        cells = []
        first = True
        for column in columns:
            classes, shown = column.cell(result, changelist)
            if column.link:
                tag = "th" if first else "td"
                first = False
                url = address.replace(f"/{mark}/", f"/{pk}/", 1)
                shown = f'<a href="{escaped(url)}">{escaped(shown)}</a>'
                cells.append(f"<{tag}{classes}>{shown}</{tag}>")
            else:
                cells.append(f"<td{classes}>{escaped(shown)}</td>")
        drawn.append(ResultList(None, [mark_safe("".join(cells))]))
    return drawn


def result_list(changelist, columns: list[Column] | None = None) -> dict:
    """The context of ``admin/change_list_results.html``, as Django's ``result_list`` tag
    makes it, the rows drawn by ``rows`` (with ``columns``, their plan, when it is made)."""
    if columns is None:
        columns = plan(changelist)
    if columns is None:
        from django.contrib.admin.templatetags.admin_list import result_list as djangos

        return djangos(changelist)
    headers = list(result_headers(changelist))
    return {
        "cl": changelist,
        "result_hidden_fields": list(result_hidden_fields(changelist)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": rows(changelist, columns),
    }
