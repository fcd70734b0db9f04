"""The body page: adding members and changing how far they are confirmed."""

from __future__ import annotations

from django import forms

from .. import models as m
from .base import ModelForm, SearchSelect


class MemberForm(ModelForm):
    """Add a member to a body: a person, a party, or a person sitting for a party."""

    class Meta(ModelForm.Meta):
        model = m.BodyMembership
        fields = ["person", "party", "role", "confirmation", "start_date", "end_date"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "person": SearchSelect(search_fields=("name", "current_office")),
        }

    def __init__(self, *args, body: m.ImplementationBody, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.body = body
        self.fields["person"].queryset = m.Person.objects.select_related("party")
        self.fields["party"].queryset = m.Party.objects.all()
