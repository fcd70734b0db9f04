"""Selects drawn fast: options written in one pass of Python (``FastSelect``), read as plain rows
(``ListedChoices``, ``ListedNames``, ``TeamNames``), and the search-as-you-type pickers for
choices that grow with the data (``SearchSelect``, its checkboxes)."""

from __future__ import annotations

import html

from django import forms
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..escaping import escaped
from ..ids import is_id, number_in
from ..models.teams import memberships


class ListedChoices(forms.models.ModelChoiceIterator):
    """A select's options read by one plain query. Django's iterator reads them through
    ``QuerySet.iterator()``, which on PostgreSQL opens a server-side cursor: three round trips
    (declare, fetch, close) for each select drawn, for a few dozen rows (issue #27)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class ListedNames(BaseChoiceIterator):
    """A select's options as plain rows, ``(id, column)``, read when the select is drawn: a
    filter offering many records (a party of every meeting), which ``ListedChoices`` reads
    as whole records, an object each. The column must be what the field's label shows
    (``label_from_instance``, the record's ``str``). Given to the widget alone
    (``field.widget.choices``): the field still checks a chosen value against its queryset.
    A ``BaseChoiceIterator``, so the widget keeps it as it is, read when drawn."""

    def __init__(self, field: forms.ModelChoiceField, column: str = "name") -> None:
        self.field = field
        self.column = column

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, label in self.field.queryset.values_list("pk", self.column):
            yield (self.field.prepare_value(pk), label)


class TeamNames(ListedNames):
    """A team filter's options, the teams the reader sees (``permissions.visible_teams``):
    a member's from their memberships, read once a request with the teams' names in name
    order (``memberships``, which the header and the lists' runs read too), where a query of
    their own cost a round trip and 0.4 ms a page; an admin's, every team, read when drawn."""

    def __init__(self, field: forms.ModelChoiceField, user) -> None:
        super().__init__(field)
        self.user = user

    def __iter__(self):
        if self.user.is_superuser or not self.user.is_active:
            yield from super().__iter__()
            return
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for team, (name, _role) in memberships(self.user).items():
            yield (self.field.prepare_value(team), name)


# What a picker of each kind finds a record by (``SearchSelect.search_fields``): accents and
# case aside (``views.common.picker_options``), each word typed in one of these.
PICK_BODY = ("name", "meeting__title")
PICK_MEETING = ("title", "city", "venue", "outcome_note", "start_date__year")
PICK_PARTY = ("name", "code", "aliases__name")  # aliases: kept by records admins
PICK_PERSON = ("name", "current_office")
PICK_SOURCE = ("title", "publisher", "meeting__title", "published_on__year")


class FastSelect(forms.Select):
    """A select whose options are rendered in Python, not through a template each: a filter
    listing every body or party then costs microseconds, however long the list grows."""

    def render(self, name, value, attrs=None, renderer=None) -> str:
        final = self.build_attrs(self.attrs, attrs) | {"name": name}
        chosen = {str(v) for v in self.format_value(value)}
        # What format_html_join writes, each value and label escaped as it escapes them,
        # without its formatting machinery per option (a third of a list's filter form).
        options = []
        for v, label in self.choices:
            v = str(v)
            selected = " selected" if v in chosen else ""
            options.append(f'<option value="{html.escape(v)}"{selected}>{escaped(label)}</option>')
        return mark_safe(f"<select{attributes(final)}>{''.join(options)}</select>")


def attributes(attrs: dict) -> str:
    """``flatatt(attrs)``: the valued attributes in name order, then the ones set ``True``
    in name order, ``False`` and ``None`` left out, each escaped as ``flatatt`` escapes
    them, without its formatting machinery (a select's half dozen each drawing)."""
    valued = sorted((n, v) for n, v in attrs.items() if v is not None and not isinstance(v, bool))
    bare = sorted(n for n, v in attrs.items() if v is True)
    return "".join(f' {escaped(n)}="{escaped(v)}"' for n, v in valued) + "".join(
        f" {escaped(n)}" for n in bare
    )


class SearchSelect(FastSelect):
    """A search-as-you-type picker for choices that grow with the data (bodies, persons): the
    select holds only the empty and the chosen options; typing in the search box beside it
    asks the page for up to ``PICK_LIMIT`` matches (``views.common.picker_options``), which
    replace the options. Without JavaScript the chosen value still submits as usual.
    """

    def __init__(
        self,
        search_fields: tuple[str, ...] = ("name",),
        attrs=None,
        include: str = "",
        describe: str = "",
    ) -> None:
        super().__init__(attrs)
        self.search_fields = search_fields
        # The option's label: this attribute of the record when named (a source's ``label``:
        # kind, publisher, date and meeting), else the field's ``label_from_instance``.
        self.describe = describe
        # Further fields the search sends (a CSS selector) when the choices depend on them:
        # a participant's person is one of the meeting's team's, as chosen on the form.
        self.include = include
        # The chosen options' labels, when a form of many rows fetched them once for all its
        # rows (``known_labels``): rendering a row then costs no query.
        self.labels: dict[str, str] | None = None
        # Options offered beside the chosen ones (id, label): the matches of a refused value.
        self.offered: list[tuple] = []

    def render(self, name, value, attrs=None, renderer=None) -> str:
        field = self.choices.field
        kind = getattr(field, "kind", "")
        chosen = [n for v in self.format_value(value) if (n := number_in(v, kind))]
        empty = getattr(field, "empty_label", None)
        choices = [] if self.allow_multiple_selected or empty is None else [("", empty)]
        if self.labels is not None:
            choices += [(pk, self.labels[pk]) for pk in chosen if pk in self.labels]
        elif chosen:  # nothing chosen (a list's filters, mostly): nothing to look up
            choices += [
                (obj.pk, self.label_of(field, obj)) for obj in field.queryset.filter(pk__in=chosen)
            ]
        choices += [(pk, label) for pk, label in self.offered if str(pk) not in chosen]
        # Each option's value as the field writes its ids (``party-3``, or a bare number).
        choices = [(field.prepare_value(pk) if pk != "" else pk, label) for pk, label in choices]
        select_id = self.build_attrs(self.attrs, attrs).get("id", f"id_{name}")
        # Written as format_html wrote it, each value escaped as it escapes them (``escaped``),
        # without its check for lazy arguments on each of them.
        finds = _("Type to find")
        named = _("%(field)s: type to find") % {"field": field.label or name}
        include = ", ".join(filter(None, [f"#{select_id}", self.include]))
        target = escaped(select_id)
        search = (
            f'<input type="search" name="find" form="" id="{target}_find" class="picker-find" '
            f'autocomplete="off" placeholder="{escaped(finds)}" aria-label="{escaped(named)}" '
            f'aria-controls="{target}" hx-get="?_pick={escaped(name)}" '
            'hx-trigger="input changed delay:250ms, search" '
            f'hx-target="#{target}" hx-swap="innerHTML" hx-include="{escaped(include)}" '
            'hx-sync="this:replace">'
        )
        if self.allow_multiple_selected:
            attrs = {**(attrs or {}), "multiple": True}
        self._drawn = choices  # what was drawn (``SearchCheckboxes`` draws them as boxes)
        original, self.choices = self.choices, choices
        try:
            select = super().render(name, value, attrs, renderer)
        finally:
            self.choices = original
        return mark_safe(f'<span class="picker">{search}{escaped(select)}</span>')

    def label_of(self, field: forms.Field, obj) -> str:
        """The option's label for ``obj`` (see ``describe``)."""
        return getattr(obj, self.describe) if self.describe else field.label_from_instance(obj)


def source_picker(*, multiple: bool = True) -> SearchSelect:
    """The picker of a record's sources (or of one source): found by title, publisher, meeting
    or year, each labelled with its kind, publisher, date and meeting (``Source.label``)."""
    widget = SearchSelectMultiple if multiple else SearchSelect
    return widget(search_fields=PICK_SOURCE, describe="label")


def know_choices(bound_fields: list[forms.BoundField]) -> None:
    """Fetch the records chosen in many rows' fields of one name at once (one query, among
    what the field offers), before the rows are validated: each row's field then finds its
    record without a query of its own (``IdChoiceField.known``)."""
    if not bound_fields:
        return
    chosen = {str(bound.data) for bound in bound_fields if is_id(bound.data)}
    queryset = bound_fields[0].field.queryset
    known = {str(obj.pk): obj for obj in queryset.filter(pk__in=chosen)} if chosen else {}
    for bound in bound_fields:
        bound.field.known = known


def known_labels(bound_fields: list[forms.BoundField]) -> None:
    """Fetch the chosen options of many rows' pickers of one field at once (one query, among
    what the field offers), so that rendering each row queries nothing: a form with many
    participant rows costs the same queries as one with a few."""
    if not bound_fields:
        return
    field = bound_fields[0].field
    chosen = set()
    for bound in bound_fields:
        values = bound.value()
        values = values if isinstance(values, list | tuple) else [values]
        chosen |= {str(v) for v in values if is_id(v)}
    found = field.queryset.filter(pk__in=chosen) if chosen else []
    labels = {str(obj.pk): field.widget.label_of(field, obj) for obj in found}
    for bound in bound_fields:
        bound.field.widget.labels = labels


class SearchSelectMultiple(SearchSelect):
    """``SearchSelect`` choosing several: the chosen stay selected while the search adds
    matches beside them."""

    allow_multiple_selected = True
    value_from_datadict = forms.SelectMultiple.value_from_datadict
    value_omitted_from_data = forms.SelectMultiple.value_omitted_from_data


class SearchCheckboxes(SearchSelectMultiple):
    """``SearchSelectMultiple`` as ticked boxes in a fieldset: the chosen are ticked, the
    search adds its matches as boxes beside them (``options_html``), and a plain click ticks
    or unticks one without dropping the others (a multiple select drops every other choice
    on a click without Ctrl). Without JavaScript the ticked boxes submit as usual."""

    use_fieldset = True

    def render(self, name, value, attrs=None, renderer=None) -> str:
        html = super().render(name, value, attrs, renderer)
        # The select that ``SearchSelect`` draws, redrawn as boxes in a group of the same id.
        select_id = self.build_attrs(self.attrs, attrs).get("id", f"id_{name}")
        chosen = set(map(str, self.format_value(value)))  # as the options write them
        start = html.index("<select")
        end = html.index("</select>") + len("</select>")
        rows = [(pk, label, str(pk) in chosen) for pk, label in self._drawn]
        boxes = format_html(
            '<div class="picker-choices" id="{}">{}</div>',
            select_id,
            self.options_html(name, rows, select_id),
        )
        return mark_safe(html[:start] + boxes + html[end:])

    def options_html(self, name: str, rows, select_id: str = "") -> str:
        """The boxes for ``rows`` of (id, label, ticked)."""
        select_id = select_id or f"id_{name}"
        return format_html_join(
            "",
            '<label class="picker-choice" for="{}_{}"><input type="checkbox" name="{}" '
            'value="{}" id="{}_{}"{}> {}</label>',
            (
                (select_id, pk, name, pk, select_id, pk, mark_safe(" checked") if on else "", label)
                for pk, label, on in rows
            ),
        )
