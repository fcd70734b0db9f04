"""A form field drawn in one pass of Python: the lists' filter forms (GET), on every list page.

``{{ field.as_field_group }}`` draws a field through three or four Jinja2 templates (its group,
its label, its widget, the widget's attributes), some 85–360 µs a field: the commitment list's
filters cost about 1.7 ms a request. ``{% field_group field %}`` writes the same HTML as
Django's ``django/forms/field.html`` and its label and input templates write it, each value
escaped as Jinja2 escapes it (``markupsafe.escape``), for the widgets the filter forms use:
text and search inputs, dates, checkboxes, hidden inputs, and the selects that draw
themselves in Python (``FastSelect``). Django's own Python still works out everything else:
the value shown, the widget's attributes (``build_widget_attrs``: ``aria-invalid``,
``aria-describedby``, ``required``), the label's text and suffix, and the errors, drawn by
Django when there are any (a rare case). A field these tags do not know (a fieldset, a field
with a template of its own, a label drawn by a subclass) is drawn by Django as before.

tests/test_field_tags.py compares each filter form field, in both languages, bound and
unbound, valid and invalid, with Django's own drawing: it fails if Django's markup changes.
"""

from __future__ import annotations

from django import forms, template
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from markupsafe import escape

from ..escaping import escaped
from ..forms.renderer import FormRenderer

register = template.Library()

# Inputs drawn by Django's ``input.html`` and nothing else (their class's template, its
# attributes as ``attrs.html`` writes them).
INPUTS = (
    forms.TextInput,
    forms.SearchInput,
    forms.DateInput,
    forms.CheckboxInput,
    forms.HiddenInput,
)

# The punctuation after which a label takes no suffix, translated by Django's own catalogue as
# ``label_tag`` translates it (named, not written in the call, so that makemessages leaves it
# to Django's catalogue rather than gathering it into ours).
STOPS = ":?.!"


@register.simple_tag
def field_group(bound: forms.BoundField) -> str:
    """``{{ bound.as_field_group }}``: the label, help text, errors and widget, with the blank
    lines Django's ``field.html`` leaves between them (its output stripped, as Django's
    renderer strips it)."""
    field = bound.field
    if bound.use_fieldset or field.template_name or not _plain_group(bound):
        return bound.as_field_group()
    text = _read(bound.label)
    label = _label(bound, text) if text else ""
    help_text = ""
    if bound.help_text:
        auto_id = bound.auto_id
        named = f' id="{escape(auto_id)}_helptext"' if auto_id else ""
        help_text = f'<div class="helptext"{named}>{bound.help_text}</div>'
    errors = str(bound.errors) if bound.errors else ""  # Django draws them: a rare case
    return mark_safe(f"\n  {label}\n\n{help_text}\n{errors}\n{field_widget(bound)}\n".strip())


@register.simple_tag
def field_widget(bound: forms.BoundField) -> str:
    """``{{ bound }}``: the widget, its attributes worked out by Django (``as_widget``)."""
    widget = bound.field.widget
    if not _plain_input(widget) or bound.field.show_hidden_initial or not _ours(bound):
        return str(bound)
    if bound.field.localize:
        widget.is_localized = True
    attrs = bound.build_widget_attrs({}, widget)
    if bound.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound.auto_id)
    drawn = widget.get_context(bound.html_name, bound.value(), attrs)["widget"]
    value = drawn["value"]
    shown = "" if value is None else f' value="{escape(value)}"'
    return mark_safe(
        f'<input type="{escape(drawn["type"])}" name="{escape(drawn["name"])}"{shown}'
        f"{_attributes(drawn['attrs'])}>"
    )


@register.simple_tag
def field_label(bound: forms.BoundField) -> str:
    """``{{ bound.label_tag }}``: the label, its text followed by the form's suffix (":")
    unless it ends in punctuation, ``for`` the widget's id."""
    return _label(bound, _read(bound.label))


def _label(bound: forms.BoundField, contents) -> str:
    """``field_label`` for the label's text ``contents`` (``_read``)."""
    field, form = bound.field, bound.form
    drawn_here = form.template_name_label == "django/forms/label.html" and _ours(bound)
    if type(bound).label_tag is not forms.BoundField.label_tag or not drawn_here:
        return bound.label_tag()  # a label drawn its own way (``MarkedBoundField``)
    suffix = field.label_suffix if field.label_suffix is not None else form.label_suffix
    # As ``label_tag``: the suffix only after a label not ending in punctuation, the two
    # escaped as Django escapes them (``format_html``); a label alone is escaped by the
    # label's template.
    if suffix and contents and contents[-1] not in _(STOPS):
        contents = SafeString(escaped(contents) + escaped(suffix))
    id_ = field.widget.attrs.get("id") or bound.auto_id
    if not id_:
        return mark_safe(escape(contents))
    attrs = {}
    if for_id := field.widget.id_for_label(id_):
        attrs["for"] = for_id
    if field.required and hasattr(form, "required_css_class"):
        attrs["class"] = form.required_css_class
    return mark_safe(f"<label{_attributes(attrs)}>{escape(contents)}</label>")


def _read(text):
    """A label's text, translated once where it is translated when read (a lazy text
    translates itself each time it is looked at)."""
    if isinstance(text, Promise) and not hasattr(text, "__html__"):
        return str(text)
    return text


def _attributes(attrs: dict) -> str:
    """The attributes as Django's ``attrs.html`` writes them: ``True`` a bare name, ``False``
    left out, any other value escaped."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _plain_group(bound: forms.BoundField) -> bool:
    """Whether the group is Django's ``field.html`` as this module writes it: its Jinja2
    template, not a template of the form's own (``_ours``)."""
    return _ours(bound) and bound.form.renderer.field_template_name == "django/forms/field.html"


def _ours(bound: forms.BoundField) -> bool:
    """Whether the field is drawn by the project's renderer (``forms.renderer.FormRenderer``,
    which draws Django's Jinja2 templates, written here), not by another."""
    return isinstance(bound.form.renderer, FormRenderer)


def _plain_input(widget: forms.Widget) -> bool:
    """Whether the widget is one of ``INPUTS`` drawn by its class's own template."""
    kind = type(widget)
    return (
        kind in INPUTS
        and widget.template_name == kind.template_name
        and kind.render is forms.Widget.render
    )
