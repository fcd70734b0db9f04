"""Bodies: recorded from a meeting's page or the bodies page, edited on their own page, where
members are added and their confirmation changed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import models as m
from .base import PICK_MEETING, PICK_PERSON, ModelForm, SearchSelect, VersionedForm


class MemberForm(ModelForm):
    """Add a member to a body: a person, a party, or a person sitting for a party."""

    class Meta(ModelForm.Meta):
        model = m.BodyMembership
        fields = ["person", "party", "role", "confirmation", "start_date", "end_date"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "person": SearchSelect(search_fields=PICK_PERSON),
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
        return _unique_name(self.cleaned_data["name"], self.instance.meeting, self.instance.pk)


def _unique_name(name: str, meeting: m.Meeting, pk: int | None = None) -> str:
    name = name.strip()
    same = m.ImplementationBody.objects.filter(meeting=meeting, name=name).exclude(pk=pk)
    if same.exists():
        raise forms.ValidationError(_("This meeting has a body of this name already."))
    return name


class NewBodyForm(ModelForm):
    """A body recorded from the bodies page: the meeting that set it up is picked first (among
    the open meetings of the teams the user edits); the commitments it oversees, that meeting's,
    are ticked on the body's own page next."""

    class Meta(ModelForm.Meta):
        model = m.ImplementationBody
        fields = ["meeting", "name", "mandate", "cadence", "lifecycle", "membership_note"]
        labels = {"meeting": _("Set up at the meeting")}
        widgets = {
            "meeting": SearchSelect(search_fields=PICK_MEETING),
            "mandate": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, meetings, **kwargs):
        super().__init__(*args, prefix="body", **kwargs)
        self.fields["meeting"].queryset = meetings

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("meeting") and cleaned.get("name"):
            try:
                cleaned["name"] = _unique_name(cleaned["name"], cleaned["meeting"])
            except forms.ValidationError as error:
                self.add_error("name", error)
        return cleaned
