"""What editors add on a meeting's page, one form each (the registry of what each adds is
``views/meeting_additions.py``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import models as m
from .base import DATE, KeepsItsLanguage, MarksRequired, ModelForm, VersionedForm
from .files import FILE_HELP, checked_upload
from .selects import PICK_MEETING, PICK_PERSON, FastSelect, SearchSelect, source_picker


class MilestoneForm(ModelForm):
    """A milestone of the meeting itself (a deadline of the whole agreement), or of one of its
    commitments."""

    class Meta(ModelForm.Meta):
        model = m.Milestone
        fields = ["commitment", "title", "due_date", "owner"]
        labels = {"commitment": _("Milestone of")}
        widgets = {"due_date": DATE}

    def __init__(self, *args, meeting: m.Meeting, commitments, **kwargs):
        super().__init__(*args, prefix="milestone", **kwargs)
        self.meeting = meeting
        self.fields["commitment"].queryset = commitments
        self.fields["commitment"].empty_label = _("The meeting itself")

    def _post_clean(self):
        # Its record is set before the model's own validation (not before the meeting).
        if not self.cleaned_data.get("commitment"):
            self.instance.meeting = self.meeting
        super()._post_clean()


class StatementForm(ModelForm):
    class Meta(ModelForm.Meta):
        model = m.Statement
        fields = [
            "speaker",
            "speaker_office",
            "party",
            "joint_parties",
            "kind",
            "text",
            "language",
            "said_on",
            "commitments",
            "sources",
        ]
        widgets = {
            "said_on": DATE,
            "text": forms.Textarea(attrs={"rows": 3}),
            "speaker": SearchSelect(search_fields=PICK_PERSON),
            "commitments": forms.CheckboxSelectMultiple,
            "joint_parties": forms.CheckboxSelectMultiple,
            "sources": source_picker(),
        }

    def __init__(self, *args, meeting: m.Meeting, sources, commitments, **kwargs):
        super().__init__(*args, prefix="statement", **kwargs)
        self.instance.meeting = meeting
        self.fields["said_on"].initial = meeting.start_date
        self.fields["speaker"].queryset = m.Person.objects.filter(team_id=meeting.team_id)
        # A joint statement is issued by parties of the meeting: those are offered.
        self.fields["joint_parties"].queryset = meeting.parties.order_by("name")
        self.fields["commitments"].queryset = commitments
        self.fields["sources"].queryset = sources

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == m.StatementKind.READOUT and not cleaned.get("party"):
            # Readouts are compared party by party on the meeting's page.
            self.add_error("party", _("A readout is a party's own account: say whose."))
        if cleaned.get("joint_parties") and not cleaned.get("party"):
            self.add_error("party", _("A joint statement names its first party here."))
        return cleaned


class MeetingClaimForm(KeepsItsLanguage, ModelForm):
    """A claim about the meeting, or about one of its commitments."""

    class Meta(ModelForm.Meta):
        model = m.Claim
        fields = ["text", "language", "verification", "commitment", "sources"]
        labels = {"commitment": _("About the commitment (else the meeting)")}
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2}),
            "sources": source_picker(),
        }

    def __init__(self, *args, meeting: m.Meeting, commitments, sources, **kwargs):
        super().__init__(*args, prefix="claim", **kwargs)
        self.meeting = meeting
        self.fields["commitment"].queryset = commitments
        self.fields["sources"].queryset = sources

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("verification"):
            error = m.Claim.sources_error(cleaned["verification"], cleaned.get("sources") or [])
            if error:
                self.add_error("sources", error)
        return cleaned

    def _post_clean(self):
        # The subject is set before the model's own validation runs.
        if not self.cleaned_data.get("commitment"):
            self.instance.meeting = self.meeting
        super()._post_clean()


class SourceForm(ModelForm):
    class Meta(ModelForm.Meta):
        model = m.Source
        fields = ["title", "kind", "url", "publisher", "published_on", "accessed_on", "reliability"]
        widgets = {"published_on": DATE, "accessed_on": DATE}

    # A copy of the document kept with the source as it is added (#23); more from its place.
    file = forms.FileField(
        label=_("Keep a copy"), help_text=FILE_HELP, required=False, allow_empty_file=True
    )

    def __init__(self, *args, team: m.Team, **kwargs):
        super().__init__(*args, prefix="source", **kwargs)
        self.instance.team = team

    def clean_file(self):
        return checked_upload(self.cleaned_data["file"])

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if url and m.Source.objects.filter(team=self.instance.team, url=url).exists():
            raise forms.ValidationError(_("This team already has a source with this address."))
        return url


class MeetingLinkForm(ModelForm):
    """This meeting follows up, continues the series of, or supersedes another of its team."""

    class Meta(ModelForm.Meta):
        model = m.MeetingLink
        fields = ["relation", "other", "note"]
        widgets = {"other": SearchSelect(search_fields=PICK_MEETING)}

    def __init__(self, *args, meeting: m.Meeting, **kwargs):
        super().__init__(*args, prefix="link", **kwargs)
        self.instance.meeting = meeting
        self.fields["other"].queryset = m.Meeting.objects.filter(team_id=meeting.team_id).exclude(
            pk=meeting.pk
        )


class PlannedMeetingForm(MarksRequired, ModelForm):
    """A follow-up meeting known before it happens (the next round of talks): its date, place
    and parties, recorded as a planned meeting of the same team that follows up this one, to
    be filled in like any meeting once held."""

    note = forms.CharField(label=_("Note on the link"), required=False, max_length=300)

    class Meta(ModelForm.Meta):
        model = m.Meeting
        fields = ["title", "start_date", "city", "venue", "parties"]
        labels = {"start_date": _("Expected date")}
        widgets = {
            "start_date": DATE,
            "parties": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, meeting: m.Meeting, **kwargs):
        super().__init__(*args, prefix="planned", **kwargs)
        self.follows = meeting
        self.instance.team_id = meeting.team_id
        self.instance.language = meeting.language
        self.instance.planned = True
        self.instance.outcome_type = ""
        # The parties of the meeting it follows up are offered, and ticked to begin with.
        self.fields["parties"].queryset = meeting.parties.order_by("name")
        self.fields["parties"].initial = [p.pk for p in self.fields["parties"].queryset]
        self.fields["title"].initial = _("Next round: %(title)s") % {"title": meeting.title}

    def clean_start_date(self):
        day = self.cleaned_data["start_date"]
        if day and day < self.follows.start_date:
            raise forms.ValidationError(
                _("A follow-up meeting is not before the meeting it follows up (%(day)s).")
                % {"day": self.follows.start_date}
            )
        return day


class ContextEventForm(VersionedForm):
    """An event around the meeting: added from its page, and corrected there."""

    class Meta(ModelForm.Meta):
        model = m.ContextEvent
        fields = [
            "title",
            "relation",
            "occurred_on",
            "timing_note",
            "location",
            "actor",
            "fatalities",
            "description",
            "sources",
        ]
        widgets = {
            "occurred_on": DATE,
            "description": forms.Textarea(attrs={"rows": 2}),
            "sources": source_picker(),
        }

    def __init__(self, *args, meeting: m.Meeting, sources, prefix="event", **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)
        self.instance.meeting = meeting
        self.fields["sources"].queryset = sources
        self.fields["actor"].queryset = m.Party.objects.order_by("name")
        self.fields["actor"].widget = FastSelect(choices=self.fields["actor"].choices)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("occurred_on") and not cleaned.get("timing_note", "").strip():
            self.add_error(
                "timing_note", _('Give a date, or say when it happened ("shortly before").')
            )
        return cleaned
