"""Bodies: recorded from a meeting's page or the bodies page, edited on their own page, where
members are added and their confirmation changed, and the body's own milestones added."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import models as m
from .base import DATE, ModelForm, VersionedForm
from .people import known_person
from .selects import PICK_MEETING, PICK_PERSON, SearchSelect


class MemberForm(ModelForm):
    """Add a member to a body: a person (picked, or typed as new: created for the body's team
    on saving), a party, or a person sitting for a party. A row of ``MemberRows``."""

    new_person = forms.CharField(
        label=_("Or a new person"),
        required=False,
        max_length=200,
        help_text=_("Their name, when they are not in the tracker yet."),
    )

    class Meta(ModelForm.Meta):
        model = m.BodyMembership
        fields = ["person", "new_person", "party", "role", "confirmation", "start_date", "end_date"]
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

    def clean(self):
        cleaned = super().clean()
        name = (cleaned.get("new_person") or "").strip()
        cleaned["new_person"] = name
        if name and cleaned.get("person"):
            self.add_error("new_person", _("Pick a person or type a new name, not both."))
        elif name and (known := known_person(self.fields["person"], name)):
            self.add_error("new_person", known)
        return cleaned

    def _get_validation_exclusions(self):
        # A new person has no row yet: "a person or a party" holds with the name typed.
        exclusions = super()._get_validation_exclusions()
        if getattr(self, "cleaned_data", {}).get("new_person"):
            exclusions.add("person")
        return exclusions

    def label(self) -> str:
        """Who the row names, for messages."""
        data = self.cleaned_data
        return str(data.get("person") or data.get("new_person") or data.get("party") or "")


# Rows offered at once; a submit may hold up to ``MAX_MEMBERS`` (rows added by the page's
# script, or a hand-made request).
MEMBER_ROWS = 3
MAX_MEMBERS = 50


class BaseMemberRows(forms.BaseFormSet):
    def clean(self):
        """One new person typed twice in one submit would be two records of one person."""
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            name = getattr(form, "cleaned_data", {}).get("new_person", "")
            if name and name.casefold() in seen:
                form.add_error("new_person", _("This name is typed in another row already."))
            seen.add(name.casefold())

    def filled(self) -> list[MemberForm]:
        """The rows that name someone (the blank ones are left out)."""
        return [form for form in self.forms if form.has_changed()]


MemberRows = forms.formset_factory(
    MemberForm,
    formset=BaseMemberRows,
    extra=MEMBER_ROWS,
    max_num=MAX_MEMBERS,
    absolute_max=MAX_MEMBERS,
    validate_max=True,
)


def member_rows(data=None, *, body: m.ImplementationBody) -> BaseMemberRows:
    """The body page's "add members" rows, bound to ``data`` when posted."""
    return MemberRows(data, prefix="members", form_kwargs={"body": body})


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


class BodyMilestoneForm(ModelForm):
    """A milestone of the body itself: one of its meetings, or a deadline of its own."""

    class Meta(ModelForm.Meta):
        model = m.Milestone
        fields = ["title", "due_date", "owner"]
        widgets = {"due_date": DATE}

    def __init__(self, *args, body: m.ImplementationBody, **kwargs):
        super().__init__(*args, prefix="milestone", **kwargs)
        self.instance.body = body
