"""ModelForms and filter forms for the pages (and the admin's extra validation).

Choice fields that list records are always limited to what the requesting user may see.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q

from . import models as m

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
    confirmation = forms.ChoiceField(choices=m.Confirmation.choices)


class ClaimVerificationForm(forms.Form):
    """Move a claim to another verification state, citing a source where the state needs one.

    ``sources`` is the list of the claim's team's sources, fetched once for the whole page.
    """

    claim = forms.IntegerField(widget=forms.HiddenInput)
    verification = forms.ChoiceField(choices=m.Verification.choices, label="New state")
    source = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        label="Source",
        help_text="Required for every state but unconfirmed.",
    )

    def __init__(self, *args, claim: m.Claim, sources: list[m.Source], **kwargs):
        super().__init__(*args, **kwargs)
        self.claim = claim
        self.sources = {source.pk: source for source in sources}
        self.fields["source"].choices = [("", "—")] + [(s.pk, str(s)) for s in sources]
        self.fields["claim"].initial = claim.pk
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
    )
    theme = forms.ChoiceField(required=False, choices=[("", "Any theme"), *m.Theme.choices])
    party = forms.ModelChoiceField(
        required=False, queryset=m.Party.objects.none(), empty_label="Any party"
    )
    team = forms.ModelChoiceField(
        required=False, queryset=m.Team.objects.none(), empty_label="Any team"
    )
    body = forms.ModelChoiceField(
        required=False, queryset=m.ImplementationBody.objects.none(), empty_label="Any body"
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
