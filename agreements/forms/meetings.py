"""The meeting pages: list filters, the meeting form with its commitment rows, additions."""

from __future__ import annotations

from django import forms
from django.db.models import Q

from .. import models as m
from .. import permissions
from .base import (
    DATE,
    FastSelect,
    IdChoiceField,
    ModelForm,
    SearchSelect,
    SearchSelectMultiple,
    VersionedForm,
)


class MeetingFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200)
    party = IdChoiceField(
        required=False, queryset=m.Party.objects.none(), empty_label="Any party", widget=FastSelect
    )
    team = IdChoiceField(
        required=False, queryset=m.Team.objects.none(), empty_label="Any team", widget=FastSelect
    )
    outcome_type = forms.ChoiceField(
        required=False,
        label="Outcome",
        choices=[("", "Any outcome"), *m.OutcomeType.choices],
        widget=FastSelect,
    )
    year = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, choices=[], widget=FastSelect
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        meetings = m.Meeting.objects.visible_to(user)
        self.fields["party"].queryset = m.Party.objects.filter(meetings__in=meetings).distinct()
        self.fields["team"].queryset = (
            m.Team.objects.all() if user.is_superuser else m.teams_of(user)
        )
        years = meetings.dates("start_date", "year", order="DESC")
        self.fields["year"].choices = [("", "Any year"), *((d.year, d.year) for d in years)]

    def filter(self, meetings):
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("q"):
            q = data["q"]
            meetings = meetings.filter(
                Q(title__icontains=q)
                | Q(city__icontains=q)
                | Q(venue__icontains=q)
                | Q(summary__icontains=q)
            )
        if data.get("party"):
            meetings = meetings.filter(parties=data["party"])
        if data.get("team"):
            meetings = meetings.filter(team=data["team"])
        if data.get("outcome_type"):
            meetings = meetings.filter(outcome_type=data["outcome_type"])
        if data.get("year"):
            meetings = meetings.filter(start_date__year=data["year"])
        return meetings.order_by("-start_date", "-pk")


class MeetingForm(VersionedForm):
    class Meta(ModelForm.Meta):
        model = m.Meeting
        fields = [
            "team",
            "title",
            "start_date",
            "end_date",
            "city",
            "venue",
            "parties",
            "outcome_type",
            "outcome_note",
            "summary",
            "context_notes",
        ]
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "parties": forms.CheckboxSelectMultiple,
            "outcome_note": forms.Textarea(attrs={"rows": 2}),
            "summary": forms.Textarea(attrs={"rows": 4}),
            "context_notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = permissions.editable_teams(user)
        self.fields["team"].queryset = teams
        if self.instance.pk is None and len(teams) == 1:
            self.initial["team"] = teams[0].pk


class CommitmentRowForm(VersionedForm):
    """One commitment row of the meeting form, with a role select for each party."""

    class Meta(ModelForm.Meta):
        model = m.Commitment
        fields = [
            "title",
            "text",
            "theme",
            "target_date",
            "lead_agency",
            "jurisdiction_note",
            "indicator",
        ]
        widgets = {
            "target_date": DATE,
            "text": forms.Textarea(attrs={"rows": 2}),
            "jurisdiction_note": forms.Textarea(attrs={"rows": 2}),
            "indicator": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, parties: list[m.Party], themes: list[m.Theme], **kwargs):
        super().__init__(*args, **kwargs)
        self.parties = parties
        # The themes on offer, fetched once for every row; a row keeps its archived theme.
        kept = self.instance.theme_id
        theme = self.fields["theme"]
        theme.queryset = m.Theme.objects.offered(keep=kept)
        offered = [(t.code, str(t)) for t in themes if not t.archived or t.code == kept]
        theme.widget = FastSelect(choices=[("", theme.empty_label), *offered])
        current = {}
        if self.instance.pk:
            current = {r.party_id: r.role for r in self.instance.party_roles.all()}
        for party in parties:
            self.fields[f"role_{party.pk}"] = forms.ChoiceField(
                label=party.name,
                required=False,
                choices=[("", "Not a party to it"), *m.PartyRole.choices],
                initial=current.get(party.pk, ""),
            )

    def party_role_fields(self) -> list[forms.BoundField]:
        return [self[f"role_{party.pk}"] for party in self.parties]

    def party_roles(self) -> dict[m.Party, str]:
        """Each party offered, with the role chosen for it ("" for none)."""
        return {party: self.cleaned_data.get(f"role_{party.pk}") or "" for party in self.parties}


MAX_ROWS = 600


class BaseCommitmentRows(forms.BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        # Django checks a row's id against every commitment in the database, so another team's
        # id would be told apart from an unknown one: only this meeting's rows are choices.
        pk = form.fields[self._pk_field.name]
        form.fields[self._pk_field.name] = IdChoiceField(
            self.get_queryset(),
            initial=pk.initial,
            required=False,
            widget=pk.widget,
            error_messages={"invalid_choice": "This row is not one of this meeting's commitments."},
        )


CommitmentRows = forms.inlineformset_factory(
    m.Meeting,
    m.Commitment,
    form=CommitmentRowForm,
    formset=BaseCommitmentRows,
    extra=1,
    can_delete=False,
    # A peace accord may hold hundreds of stipulations; a posted total past this is refused
    # ("submit at most …") instead of rendering thousands of rows.
    max_num=MAX_ROWS,
    absolute_max=MAX_ROWS,
    validate_max=True,
)


class MilestoneForm(ModelForm):
    class Meta(ModelForm.Meta):
        model = m.Milestone
        fields = ["commitment", "title", "due_date", "owner"]
        widgets = {"due_date": DATE}

    def __init__(self, *args, meeting: m.Meeting, commitments, **kwargs):
        super().__init__(*args, prefix="milestone", **kwargs)
        self.fields["commitment"].queryset = commitments
        self.fields["commitment"].required = True


class StatementForm(ModelForm):
    class Meta(ModelForm.Meta):
        model = m.Statement
        fields = [
            "speaker",
            "speaker_office",
            "party",
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
            "speaker": SearchSelect(search_fields=("name", "current_office")),
            "commitments": forms.CheckboxSelectMultiple,
            "sources": SearchSelectMultiple(search_fields=("title", "publisher")),
        }

    def __init__(self, *args, meeting: m.Meeting, sources, commitments, **kwargs):
        super().__init__(*args, prefix="statement", **kwargs)
        self.instance.meeting = meeting
        self.fields["said_on"].initial = meeting.start_date
        self.fields["speaker"].queryset = m.Person.objects.filter(team_id=meeting.team_id)
        self.fields["commitments"].queryset = commitments
        self.fields["sources"].queryset = sources

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == m.StatementKind.READOUT and not cleaned.get("party"):
            # Readouts are compared party by party on the meeting's page.
            self.add_error("party", "A readout is a party's own account: say whose.")
        return cleaned


class MeetingClaimForm(ModelForm):
    """A claim about the meeting, or about one of its commitments."""

    class Meta(ModelForm.Meta):
        model = m.Claim
        fields = ["text", "verification", "commitment", "sources"]
        labels = {"commitment": "About the commitment (else the meeting)"}
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2}),
            "sources": SearchSelectMultiple(search_fields=("title", "publisher")),
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
        fields = ["title", "url", "publisher", "published_on", "accessed_on", "reliability"]
        widgets = {"published_on": DATE, "accessed_on": DATE}

    def __init__(self, *args, team: m.Team, **kwargs):
        super().__init__(*args, prefix="source", **kwargs)
        self.instance.team = team

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if url and m.Source.objects.filter(team=self.instance.team, url=url).exists():
            raise forms.ValidationError("This team already has a source with this address.")
        return url


class MeetingLinkForm(ModelForm):
    """This meeting follows up, continues the series of, or supersedes another of its team."""

    class Meta(ModelForm.Meta):
        model = m.MeetingLink
        fields = ["relation", "other", "note"]
        widgets = {"other": SearchSelect(search_fields=("title", "city"))}

    def __init__(self, *args, meeting: m.Meeting, **kwargs):
        super().__init__(*args, prefix="link", **kwargs)
        self.instance.meeting = meeting
        self.fields["other"].queryset = m.Meeting.objects.filter(team_id=meeting.team_id).exclude(
            pk=meeting.pk
        )


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
            "sources": SearchSelectMultiple(search_fields=("title", "publisher")),
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
                "timing_note", 'Give a date, or say when it happened ("shortly before").'
            )
        return cleaned
