"""Form machinery every page shares: fast selects, date inputs, the version a form was opened at."""

from __future__ import annotations

import datetime

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.html import conditional_escape, escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..ids import is_id, number_in, typed_id
from ..models.teams import memberships

# The largest id a database column holds (a signed 64-bit integer): a larger one in a request
# is no record's id, and SQLite refuses to even compare it (OverflowError).
MAX_ID = 2**63 - 1


def _out_of_range(value) -> bool:
    text = str(value).strip()
    digits = text.removeprefix("-")
    # Checked by length first: Python refuses to read a number of over 4,300 digits.
    return (
        digits.isascii()
        and digits.isdigit()
        and (len(digits) > 19 or not -MAX_ID - 1 <= int(text) <= MAX_ID)
    )


class TypedIds:
    """For a field naming records of ``kind`` as the open data, the API and the pages'
    addresses do (``party-3``): its options and the addresses that keep it write that form,
    and it reads a bare number too (as the lists' addresses were written before). Without a
    kind, ids are bare numbers (the forms that write: what they post is never shared)."""

    kind = ""

    def _number(self, value):
        """``value`` with the kind's prefix taken off (anything else is left as it is)."""
        if self.kind and isinstance(value, str):
            return value.removeprefix(f"{self.kind}-")
        return value

    def _typed(self, value):
        if self.kind and (number := number_in(value, self.kind)):
            return typed_id(self.kind, int(number))
        return value


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


class IdChoiceField(TypedIds, forms.ModelChoiceField):
    """A record chosen by id, where an id no column can hold is simply not a valid choice.

    ``known``: records of the field's queryset by id, fetched beforehand for many rows at once
    (``know_choices``); a chosen id found there is not looked up again."""

    iterator = ListedChoices
    known: dict[str, models.Model] | None = None

    def __init__(self, *args, kind: str = "", **kwargs):
        self.kind = kind
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        return self._typed(super().prepare_value(value))

    def to_python(self, value):
        value = self._number(value)
        if _out_of_range(value):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        if self.known is not None and str(value) in self.known:
            return self.known[str(value)]
        return super().to_python(value)

    def bound_data(self, data, initial):
        # Shown again with its error, the form must not look the impossible id up either.
        return None if _out_of_range(self._number(data)) else super().bound_data(data, initial)


class IdMultipleChoiceField(TypedIds, forms.ModelMultipleChoiceField):
    """Records chosen by id, where an id no column can hold is simply not a valid choice."""

    def __init__(self, *args, kind: str = "", **kwargs):
        self.kind = kind
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        value = super().prepare_value(value)  # a list of ids, or one
        return [self._typed(v) for v in value] if isinstance(value, list) else self._typed(value)

    def _check_values(self, value):
        value = [self._number(pk) for pk in value] if isinstance(value, list | tuple) else value
        for pk in value if isinstance(value, list | tuple) else ():
            if _out_of_range(pk):
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)

    def bound_data(self, data, initial):
        data = [pk for pk in data or () if not _out_of_range(self._number(pk))]
        return super().bound_data(data, initial)


class IdTypedMultipleChoiceField(TypedIds, forms.TypedMultipleChoiceField):
    """Records of ``kind`` chosen among given choices (their typed ids), not a queryset's:
    a bare number reads as its typed id, and the field cleans to the records' numbers."""

    def __init__(self, *args, kind: str, **kwargs):
        self.kind = kind
        super().__init__(*args, coerce=lambda value: int(self._number(value)), **kwargs)

    def prepare_value(self, value):
        return [self._typed(v) for v in value] if isinstance(value, list | tuple) else value

    def to_python(self, value):
        return [self._typed(v) for v in super().to_python(value)]


# The longest text any form takes (a summary, a statement, a justification): some 8,000 words.
TEXT_LIMIT = 50_000
# Dates a record can carry: the tracker's diplomacy is modern, and a date past 2100 is a typo.
EARLIEST, LATEST = datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)


def id_safe_formfield(db_field, **kwargs):
    """``formfield_callback`` of every form (pages and admin): foreign keys and many-to-many
    fields take ids through the fields above; long texts and dates have bounds."""
    if isinstance(db_field, models.ManyToManyField):
        kwargs.setdefault("form_class", IdMultipleChoiceField)
    elif isinstance(db_field, models.ForeignKey):
        kwargs.setdefault("form_class", IdChoiceField)
    elif isinstance(db_field, models.TextField):
        kwargs.setdefault("max_length", db_field.max_length or TEXT_LIMIT)
    field = db_field.formfield(**kwargs)
    is_date = isinstance(db_field, models.DateField) and not isinstance(
        db_field, models.DateTimeField
    )
    if is_date and field is not None:
        field.validators += [MinValueValidator(EARLIEST), MaxValueValidator(LATEST)]
    return field


class ModelForm(forms.ModelForm):
    """The base of every ModelForm of the tracker (see ``id_safe_formfield``): their ``Meta``
    inherits this one (``class Meta(ModelForm.Meta)``), since Django reads the callback from
    the form's own ``Meta``. The admin sets the same fields through ``admin.base.IdSafeFields``.
    """

    class Meta:
        formfield_callback = id_safe_formfield


class KeepsItsLanguage:
    """For a ModelForm with its record's ``language`` (the language of its own words): left
    empty, the record keeps the language it has (a new one: the model's default, English), and
    an empty field is no change (an untouched extra row of a formset stays empty)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].required = False
        self.fields["language"].widget.attrs.update(size=6, autocomplete="off")

    def clean_language(self) -> str:
        return self.cleaned_data["language"] or self.instance.language

    @property
    def changed_data(self) -> list[str]:
        changed = super().changed_data
        return [name for name in changed if name != "language" or self["language"].data]


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
            options.append(
                f'<option value="{escape(v)}"{selected}>{conditional_escape(label)}</option>'
            )
        return mark_safe(f"<select{flatatt(final)}>{''.join(options)}</select>")


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
        search = format_html(
            '<input type="search" name="find" form="" id="{}_find" class="picker-find" '
            'autocomplete="off" placeholder="{}" aria-label="{}" '
            'aria-controls="{}" hx-get="?_pick={}" hx-trigger="input changed delay:250ms, search" '
            'hx-target="#{}" hx-swap="innerHTML" hx-include="{}" hx-sync="this:replace">',
            select_id,
            _("Type to find"),
            _("%(field)s: type to find") % {"field": field.label or name},
            select_id,
            name,
            select_id,
            ", ".join(filter(None, [f"#{select_id}", self.include])),
        )
        if self.allow_multiple_selected:
            attrs = {**(attrs or {}), "multiple": True}
        self._drawn = choices  # what was drawn (``SearchCheckboxes`` draws them as boxes)
        original, self.choices = self.choices, choices
        try:
            select = super().render(name, value, attrs, renderer)
        finally:
            self.choices = original
        return format_html('<span class="picker">{}{}</span>', search, select)

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


class MarkedBoundField(forms.BoundField):
    """A field marked required before the first submit: its label carries the form's
    ``required_css_class`` (drawn as "*", explained once on the page) and its control
    ``aria-required``, also when it is required only in some cases (``field.marked_required``:
    a participant's person, or a new name; a held meeting's outcome)."""

    def marked(self) -> bool:
        return self.field.required or getattr(self.field, "marked_required", False)

    def label_tag(self, contents=None, attrs=None, label_suffix=None, tag=None):
        css = getattr(self.form, "required_css_class", "")
        if css and not self.field.required and self.marked():
            attrs = {**(attrs or {})}
            attrs["class"] = f"{attrs['class']} {css}" if attrs.get("class") else css
        return super().label_tag(contents, attrs, label_suffix, tag)

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.marked() and not (widget or self.field.widget).use_fieldset:
            attrs["aria-required"] = "true"
        return attrs


class MarksRequired:
    """For a form whose required fields are marked before the first submit (issue #26): the
    page says once what the mark means ("* required")."""

    required_css_class = "required"
    bound_field_class = MarkedBoundField


class VersionedForm(ModelForm):
    """Carries the version the form was opened at; saving over a newer version raises
    ``VersionConflict`` instead of overwriting someone else's change.

    The one locking path of the pages and the admin (whose forms subclass this one): the
    version travels in a hidden field, and the save goes through ``Versioned.save_versioned``
    (row locked, version compared, then bumped).
    """

    version_field = "version"
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields[self.version_field].initial = self.instance.version

    def opened_at(self) -> int:
        """The version the form was opened at (0, which never matches, when missing)."""
        return self.cleaned_data.get(self.version_field) or 0

    def save(self, commit: bool = True):
        if not commit or self.instance.pk is None:
            return super().save(commit=commit)
        record = super().save(commit=False)
        record.save_versioned(expected=self.opened_at())
        self.save_m2m()
        return record

    def conflicts(self) -> list[dict]:
        """The fields where what is stored now differs from what the user submitted."""
        stored = type(self.instance).objects.get(pk=self.instance.pk)
        rows = []
        for name, field in self.fields.items():
            if name == self.version_field or not hasattr(stored, name):
                continue
            mine = (
                self.data.getlist(self.add_prefix(name))
                if isinstance(field, forms.ModelMultipleChoiceField)
                else self.data.get(self.add_prefix(name), "")
            )
            theirs = getattr(stored, name)
            if isinstance(field, forms.ModelMultipleChoiceField):
                theirs_text = ", ".join(str(x) for x in theirs.all())
                mine_text = ", ".join(str(x) for x in field.queryset.filter(pk__in=mine))
            elif isinstance(field, forms.ModelChoiceField):
                theirs_text = str(theirs or "")
                mine_text = str(field.queryset.filter(pk=mine).first() or "") if mine else ""
            else:
                theirs_text = "" if theirs is None else str(theirs)
                mine_text = str(mine)
            if theirs_text != mine_text:
                rows.append({"label": field.label, "stored": theirs_text, "yours": mine_text})
        return rows


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
