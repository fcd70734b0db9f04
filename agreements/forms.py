"""ModelForms and filter forms for the pages (and the admin's extra validation).

Choice fields that list records are always limited to what the requesting user may see.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from . import models as m
from . import permissions


class FastSelect(forms.Select):
    """A select whose options are rendered in Python, not through a template each: a filter
    listing every body or party then costs microseconds, however long the list grows."""

    def render(self, name, value, attrs=None, renderer=None) -> str:
        final = self.build_attrs(self.attrs, attrs) | {"name": name}
        chosen = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(v), mark_safe(" selected") if str(v) in chosen else "", label)
                for v, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)


class VersionedForm(forms.ModelForm):
    """Carries the version the form was opened at; saving over a newer version raises
    ``VersionConflict`` instead of overwriting someone else's change."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def save(self, commit: bool = True):
        if not commit or self.instance.pk is None:
            return super().save(commit=commit)
        record = super().save(commit=False)
        expected = self.cleaned_data.get("version") or 0
        record.save_versioned(expected=expected)
        self.save_m2m()
        return record

    def conflicts(self) -> list[dict]:
        """The fields where what is stored now differs from what the user submitted."""
        stored = type(self.instance).objects.get(pk=self.instance.pk)
        rows = []
        for name, field in self.fields.items():
            if name == "version" or not hasattr(stored, name):
                continue
            mine = (
                self.data.getlist(self.add_prefix(name))
                if isinstance(field, forms.ModelMultipleChoiceField)
                else self.data.get(self.add_prefix(name), "")
            )
            theirs = getattr(stored, name)
            if isinstance(field, forms.ModelMultipleChoiceField):
                theirs_text = ", ".join(str(x) for x in theirs.all())
                mine_text = ", ".join(str(x) for x in field.queryset.filter(pk__in=mine))
            elif isinstance(field, forms.ModelChoiceField):
                theirs_text = str(theirs or "")
                mine_text = str(field.queryset.filter(pk=mine).first() or "") if mine else ""
            else:
                theirs_text = "" if theirs is None else str(theirs)
                mine_text = str(mine)
            if theirs_text != mine_text:
                rows.append({"label": field.label, "stored": theirs_text, "yours": mine_text})
        return rows


# --- Body and claim pages ---


class MemberForm(forms.ModelForm):
    """Add a member to a body: a person, a party, or a person sitting for a party."""

    class Meta:
        model = m.BodyMembership
        fields = ["person", "party", "role", "confirmation", "start_date", "end_date"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, body: m.ImplementationBody, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.body = body
        self.fields["person"].queryset = m.Person.objects.select_related("party")
        self.fields["party"].queryset = m.Party.objects.all()


class ConfirmationForm(forms.Form):
    """Change how far a membership is confirmed."""

    membership = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    confirmation = forms.ChoiceField(choices=m.Confirmation.choices)


class ClaimVerificationForm(forms.Form):
    """Move a claim to another verification state, citing a source where the state needs one.

    ``sources`` is the list of the claim's team's sources, fetched once for the whole page.
    """

    claim = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    verification = forms.ChoiceField(
        choices=m.Verification.choices, label="New state", widget=FastSelect
    )
    source = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        widget=FastSelect,
        label="Source",
        help_text="Required for every state but unconfirmed.",
    )

    def __init__(self, *args, claim: m.Claim, sources: list[m.Source], **kwargs):
        super().__init__(*args, **kwargs)
        self.claim = claim
        self.sources = {source.pk: source for source in sources}
        self.fields["source"].choices = [("", "—")] + [(s.pk, str(s)) for s in sources]
        self.fields["claim"].initial = claim.pk
        self.fields["version"].initial = claim.version
        self.fields["verification"].initial = claim.verification
        # Unique ids per row: several of these forms share one page.
        self.auto_id = f"claim-{claim.pk}-%s"

    def clean(self):
        cleaned = super().clean()
        source = self.sources.get(cleaned.get("source"))
        cleaned["source"] = source
        verification = cleaned.get("verification")
        if verification:
            cited = [*self.claim.sources.all(), *([source] if source else [])]
            error = m.Claim.sources_error(verification, cited)
            if error:
                self.add_error("source", error)
        return cleaned


# --- Commitment pages ---


class CommitmentFilterForm(forms.Form):
    """The commitment list's filters; choices list only what the user may see."""

    SORTS = {
        "title": ("title", "pk"),
        "-title": ("-title", "-pk"),
        "meeting": ("meeting__start_date", "pk"),
        "-meeting": ("-meeting__start_date", "-pk"),
        "status": ("status", "pk"),
        "-status": ("-status", "-pk"),
        "target": ("target_date", "pk"),
        "-target": ("-target_date", "-pk"),
        "updated": ("updated_at", "pk"),
        "-updated": ("-updated_at", "-pk"),
    }

    # Newest meeting first, then the order the commitments were agreed in.
    DEFAULT_ORDER = ("-meeting__start_date", "meeting_id", "position", "pk")

    q = forms.CharField(required=False, label="Search", max_length=200)
    status = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any status"), *m.ImplementationStatus.choices],
        widget=FastSelect,
    )
    theme = forms.ChoiceField(
        required=False, choices=[("", "Any theme"), *m.Theme.choices], widget=FastSelect
    )
    party = forms.ModelChoiceField(
        required=False, queryset=m.Party.objects.none(), empty_label="Any party", widget=FastSelect
    )
    team = forms.ModelChoiceField(
        required=False, queryset=m.Team.objects.none(), empty_label="Any team", widget=FastSelect
    )
    body = forms.ModelChoiceField(
        required=False,
        queryset=m.ImplementationBody.objects.none(),
        empty_label="Any body",
        widget=FastSelect,
    )
    overdue = forms.BooleanField(required=False, label="Overdue only")
    stalled = forms.BooleanField(required=False, label="Stalled only")
    sort = forms.ChoiceField(
        required=False, choices=[(key, key) for key in SORTS], widget=forms.HiddenInput
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = m.Party.objects.filter(
            commitment_roles__commitment__in=m.Commitment.objects.visible_to(user)
        ).distinct()
        self.fields["team"].queryset = (
            m.Team.objects.all() if user.is_superuser else m.teams_of(user)
        )
        self.fields["body"].queryset = m.ImplementationBody.objects.visible_to(user)

    def filter(self, commitments, today):
        """Apply the valid filters and the sort; invalid values are ignored."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("q"):
            commitments = commitments.filter(
                Q(title__icontains=data["q"]) | Q(text__icontains=data["q"])
            )
        if data.get("status") is not None:
            commitments = commitments.filter(status=data["status"])
        for field, lookup in (
            ("theme", "theme"),
            ("party", "party_roles__party"),
            ("team", "meeting__team"),
            ("body", "bodies"),
        ):
            if data.get(field):
                commitments = commitments.filter(**{lookup: data[field]})
        if data.get("overdue"):
            commitments = commitments.overdue(today)
        if data.get("stalled"):
            commitments = commitments.filter(is_stalled=True)
        order = self.SORTS.get(data.get("sort") or "", self.DEFAULT_ORDER)
        return commitments.distinct().order_by(*order)


class ProgressUpdateForm(forms.ModelForm):
    """A progress report on a commitment, with the status it proposes and its evidence."""

    revises = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = m.ProgressUpdate
        fields = ["narrative", "proposed_status", "proposed_stalled", "sources"]
        labels = {
            "narrative": "What happened",
            "proposed_status": "Proposed status",
            "proposed_stalled": "Proposed stalled flag",
            "sources": "Evidence",
        }
        widgets = {
            "narrative": forms.Textarea(attrs={"rows": 4}),
            "proposed_stalled": forms.NullBooleanSelect(),
        }

    def __init__(self, *args, commitment: m.Commitment, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.commitment = commitment
        self.instance.commitment = commitment
        self.fields["proposed_status"].choices = [
            ("", "No change"),
            *m.ImplementationStatus.choices,
        ]
        self.fields["sources"].queryset = sources
        self.fields["sources"].help_text = "Sources of this team that evidence the update."
        self.fields["proposed_stalled"].widget.choices = [
            ("unknown", "No change"),
            ("true", "Stalled"),
            ("false", "Not stalled"),
        ]

    def clean_revises(self) -> m.ProgressUpdate | None:
        pk = self.cleaned_data.get("revises")
        if pk is None:
            return None
        returned = self.commitment.progress_updates.filter(pk=pk).first()
        if returned is None or returned.review_state != m.ReviewState.RETURNED:
            raise forms.ValidationError("Only a returned update of this commitment can be revised.")
        return returned


class AssessmentForm(forms.ModelForm):
    """A reviewer's compliance score for one party on the commitment (G7/G20 method)."""

    class Meta:
        model = m.Assessment
        fields = ["party", "score", "justification", "as_of", "stage", "sources"]
        widgets = {
            "as_of": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "justification": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"score": "Absence of evidence is “not assessed”, not −1."}

    def __init__(self, *args, commitment: m.Commitment, parties, sources, **kwargs):
        super().__init__(*args, prefix="assessment", **kwargs)
        self.instance.commitment = commitment
        self.fields["party"].queryset = parties
        self.fields["sources"].queryset = sources
        self.fields["as_of"].initial = timezone.localdate()


# --- Meeting pages ---


class MeetingFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200)
    party = forms.ModelChoiceField(
        required=False, queryset=m.Party.objects.none(), empty_label="Any party", widget=FastSelect
    )
    team = forms.ModelChoiceField(
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


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MeetingForm(VersionedForm):
    class Meta:
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

    class Meta:
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

    def __init__(self, *args, parties: list[m.Party], **kwargs):
        super().__init__(*args, **kwargs)
        self.parties = parties
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

    def save_roles(self) -> None:
        """Make the commitment's party roles match the chosen ones."""
        commitment = self.instance
        for party in self.parties:
            role = self.cleaned_data.get(f"role_{party.pk}")
            if role:
                m.CommitmentParty.objects.update_or_create(
                    commitment=commitment, party=party, defaults={"role": role}
                )
            else:
                commitment.party_roles.filter(party=party).delete()


CommitmentRows = forms.inlineformset_factory(
    m.Meeting, m.Commitment, form=CommitmentRowForm, extra=1, can_delete=False
)


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = m.Milestone
        fields = ["commitment", "title", "due_date", "owner"]
        widgets = {"due_date": DATE}

    def __init__(self, *args, meeting: m.Meeting, commitments, **kwargs):
        super().__init__(*args, prefix="milestone", **kwargs)
        self.fields["commitment"].queryset = commitments
        self.fields["commitment"].required = True


class StatementForm(forms.ModelForm):
    class Meta:
        model = m.Statement
        fields = [
            "speaker",
            "speaker_office",
            "party",
            "kind",
            "text",
            "language",
            "said_on",
            "sources",
        ]
        widgets = {"said_on": DATE, "text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, meeting: m.Meeting, sources, **kwargs):
        super().__init__(*args, prefix="statement", **kwargs)
        self.instance.meeting = meeting
        self.fields["said_on"].initial = meeting.start_date
        self.fields["speaker"].queryset = m.Person.objects.all()
        self.fields["sources"].queryset = sources


class MeetingClaimForm(forms.ModelForm):
    """A claim about the meeting, or about one of its commitments."""

    class Meta:
        model = m.Claim
        fields = ["text", "verification", "commitment", "sources"]
        labels = {"commitment": "About the commitment (else the meeting)"}
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}

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


class SourceForm(forms.ModelForm):
    class Meta:
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


# --- Review queue ---


class ReviewForm(forms.Form):
    """Approve or return one submitted update; a return says what to revise."""

    update = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when returning: what should the author revise?",
    )

    def __init__(self, *args, update: m.ProgressUpdate, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["update"].initial = update.pk
        self.auto_id = f"review-{update.pk}-%s"

    def clean(self):
        cleaned = super().clean()
        if self.data.get("decision") == "return" and not cleaned.get("comment", "").strip():
            self.add_error("comment", "Say what to revise when returning an update.")
        return cleaned
