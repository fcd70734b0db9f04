"""Form machinery every page shares: fields of ids, date inputs, the marks of required fields,
the version a form was opened at (fast selects and pickers: ``selects``)."""

from __future__ import annotations

import datetime

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from ..ids import number_in, typed_id
from .selects import ListedChoices

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
