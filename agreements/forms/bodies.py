"""The body page: adding members and changing how far they are confirmed."""

from __future__ import annotations

from django import forms

from .. import models as m
from .base import ModelForm, SearchSelect, VersionedForm


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
        self.fields["person"].queryset = m.Person.objects.filter(
            team_id=body.meeting.team_id
        ).select_related("party")
        self.fields["party"].queryset = m.Party.objects.all()


class BodyForm(VersionedForm):
    """A body set up at a meeting: recorded from the meeting's page, edited on its own."""

    class Meta(ModelForm.Meta):
        model = m.ImplementationBody
        fields = ["name", "mandate", "cadence", "lifecycle", "commitments", "membership_note"]
        widgets = {
            "mandate": forms.Textarea(attrs={"rows": 2}),
            "commitments": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, meeting: m.Meeting, prefix="body", **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)
        self.instance.meeting = meeting
        self.fields["commitments"].queryset = m.Commitment.objects.filter(meeting=meeting).order_by(
            "position", "pk"
        )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        same = m.ImplementationBody.objects.filter(meeting=self.instance.meeting, name=name)
        if same.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("This meeting has a body of this name already.")
        return name
