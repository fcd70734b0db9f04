"""How forms and widgets become HTML: Django's own Jinja2 templates for them, the Django
template engine for any other (the admin's widgets, which Django ships only for it).

Measured on the claims list (25 rows, each with its verification form): Django's default
renderer spends ≈ 1.2 ms per field walking its nested templates; Django's Jinja2 templates for
the same fields, compiled to Python, write the same HTML in about a third of that.
"""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.functional import cached_property


class FieldsJinja2(Jinja2):
    """Django's Jinja2 form renderer, its templates' globals plain dicts (``RowsEnvironment``,
    agreements/jinja2.py): a field is drawn in three or four drawings (its group, its label,
    its widget), each copying its template's globals, which Jinja2's own ``ChainMap`` made
    cost about half of the field's time."""

    @cached_property
    def engine(self):
        return self.backend(
            {
                "APP_DIRS": True,
                "DIRS": [Path(forms.__file__).parent / self.backend.app_dirname],
                "NAME": "djangoforms",
                "OPTIONS": {"environment": "agreements.jinja2.RowsEnvironment"},
            }
        )


class FormRenderer(DjangoTemplates):
    @cached_property
    def jinja2(self) -> Jinja2:
        return FieldsJinja2()

    def get_template(self, template_name: str):
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return super().get_template(template_name)
