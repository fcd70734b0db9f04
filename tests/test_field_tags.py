"""The lists' filter forms drawn by ``{% field_group %}`` and its kin (templatetags/fields.py)
write what Django's own form rendering writes, byte for byte: every filter form's fields, in
English and Spanish, unbound, bound to valid values and to invalid ones (errors next to the
field, the typed value kept). Compared with Django's drawing itself, these fail when Django's
markup changes."""

from __future__ import annotations

from unittest import mock

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.forms.utils import flatatt
from django.utils import translation
from django.utils.safestring import mark_safe

from agreements.forms import (
    ClaimFilterForm,
    CommitmentFilterForm,
    MeetingFilterForm,
    MilestoneFilterForm,
    ReviewFilterForm,
)
from agreements.forms.as_of import AsOfForm
from agreements.forms.base import MarksRequired
from agreements.forms.selects import attributes
from agreements.templatetags.fields import field_group, field_label, field_widget

# Typed values Jinja2 and Django escape differently (quotes), and values no field accepts.
ODD = "a'b\"c <d> & é"
INVALID = {
    "q": ODD * 30,  # too long: an error, the text kept
    "status": "9",
    "theme": "nope",
    "party": "party-999999",
    "team": "x",
    "body": "body-999999",
    "overdue": "on",
    "as_of": "2999-01-01",
    "sort": "<nope>",
    "outcome_type": "nope",
    "year": "1066",
    "verification": "nope",
    "meeting": "meeting-999999",
    "when": "nope",
}


def valid(world, team) -> dict:
    commitment = world["commitment"]
    return {
        "q": ODD,
        "status": "2",
        "theme": commitment.theme_id,
        "party": f"party-{world['us'].pk}",
        "team": f"team-{team.pk}",
        "body": f"body-{world['body'].pk}",
        "overdue": "on",
        "as_of": "2024-06-30",
        "sort": "-title",
        "year": str(world["meeting"].start_date.year),
        "verification": "disputed",
        "meeting": f"meeting-{world['meeting'].pk}",
        "when": "30",
        "milestone_status": "done",  # the milestones' own statuses
    }


def filter_forms(data, user, team):
    """Each list's filter form, bound to ``data`` (or not, for ``None``)."""
    milestones = data
    if data and "milestone_status" in data:
        milestones = {**data, "status": data["milestone_status"]}
    return [
        CommitmentFilterForm(data, user=user),
        MeetingFilterForm(data, user=user),
        ClaimFilterForm(data, user=user),
        MilestoneFilterForm(milestones, user=user),
        ReviewFilterForm(data, teams={team.pk: team.name}),
        AsOfForm(data),
    ]


def assert_drawn_alike(form: forms.Form) -> None:
    form.is_valid()  # errors drawn next to their fields
    for bound in form:
        name = f"{type(form).__name__}.{bound.name}"
        assert field_group(bound) == bound.as_field_group(), name
        assert field_widget(bound) == str(bound), name
        assert field_label(bound) == bound.label_tag(), name


def drawn_without_templates(form: forms.Form) -> None:
    """The tags draw the filter forms' fields without Django's templates (but for errors)."""
    form.is_valid()
    with mock.patch.object(type(form.renderer), "render", side_effect=AssertionError):
        for bound in (bound for bound in form if not bound.errors):
            field_group(bound)
            field_widget(bound)
            field_label(bound)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("values", ["none", "valid", "invalid", "empty"])
def test_filter_forms_drawn_as_django_draws_them(world, team, editor, language, values):
    data = {
        "none": None,
        "valid": valid(world, team),
        "invalid": INVALID,
        "empty": {"q": "", "status": ""},
    }[values]
    with translation.override(language):
        forms_ = filter_forms(data, editor, team)
        for form in forms_:
            assert_drawn_alike(form)
            if values != "invalid":
                drawn_without_templates(form)
    if values == "invalid":  # the invalid values did reach the comparison
        assert forms_[0].errors.keys() >= {"q", "status", "party", "as_of"}
    if values == "valid":
        assert [form.errors for form in forms_] == [{}] * len(forms_)


class Odd(forms.Form):
    """What the filter forms do not use yet: help text, a label ending in punctuation or
    holding quotes, a required field, no label, an unchecked box, a value set."""

    required_css_class = "required"

    asked = forms.CharField(label="Which one?", help_text="Say <em>which</em>.")
    quoted = forms.CharField(label='The "best" one', required=False)
    nameless = forms.CharField(label="", required=False)
    box = forms.BooleanField(required=False, label="Tick")
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    found = forms.CharField(required=False, widget=forms.SearchInput(attrs={"size": 10}))
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    many = forms.MultipleChoiceField(
        required=False, choices=[("a", "A")], widget=forms.CheckboxSelectMultiple
    )
    text = forms.CharField(required=False, widget=forms.Textarea)


class OddMarked(MarksRequired, Odd):
    pass


class OddElsewhere(Odd):
    """Drawn by Django's template renderer (not the project's): its own ``field.html``."""

    default_renderer = DjangoTemplates()


@pytest.mark.parametrize("data", [None, {}, {"asked": ODD, "box": "", "hidden": ODD}])
@pytest.mark.parametrize("form_class", [Odd, OddMarked, OddElsewhere])
def test_other_fields_drawn_as_django_draws_them(data, form_class):
    assert_drawn_alike(form_class(data))
    assert_drawn_alike(form_class(data, auto_id=False))
    assert_drawn_alike(form_class(data, auto_id="f_%s", label_suffix=""))


def test_the_lists_draw_their_filters_with_the_tags():
    """The list pages' filter forms use the tags (Django's drawing, several times slower, is
    what they replace)."""
    from pathlib import Path

    for page in (
        "commitment_list",
        "meeting_list",
        "claim_list",
        "milestone_list",
        "review_queue",
    ):
        html = Path(f"templates/agreements/{page}.html").read_text()
        head = html[: html.index("</form>")]
        assert "as_field_group" not in head, page
        assert "{% field_group form." in head, page


def test_select_attributes_written_as_flatatt_writes_them():
    """``FastSelect`` writes its attributes as Django's ``flatatt`` (``selects.attributes``)."""
    attrs = {
        "name": "team",
        "id": "id_team",
        "aria-invalid": "true",
        "data-x": ODD,
        "title": translation.gettext_lazy("Search"),
        "required": True,
        "disabled": False,
        "size": 5,
        "hidden": None,
        "autofocus": True,
        "safe": mark_safe("<b>"),
    }
    assert attributes(attrs) == flatatt(attrs)
    assert attributes({}) == flatatt({}) == ""
