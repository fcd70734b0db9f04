"""A person typed as new where one is picked (a meeting's participant, a body's member): the
same warning wherever it happens when the tracker already has someone of that name."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _


def known_person(picker: forms.ModelChoiceField, name: str) -> str | None:
    """Why ``name`` is not created as a new person, when ``picker`` (a ``SearchSelect`` over
    the persons the form may name) already offers someone of that name; None if it does not.
    The people of that name are offered in the picker, one choice away with JavaScript or
    not."""
    same = list(picker.queryset.filter(name__iexact=name)[:3])
    if not same:
        return None
    picker.widget.offered = [(p.pk, str(p)) for p in same]
    return _(
        "%(name)s is already in the tracker: pick them in the list above (for "
        "someone else of that name, add what tells them apart, e.g. their office)."
    ) % {"name": same[0].name}
