"""The claims page: moving a claim to another verification state."""

from __future__ import annotations

from django import forms

from .. import models as m
from .base import FastSelect


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
