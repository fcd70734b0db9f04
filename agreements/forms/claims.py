"""The claims page: moving a claim to another verification state."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import models as m
from .base import FastSelect, IdChoiceField, SearchSelect


class ClaimVerificationForm(forms.Form):
    """Move a claim to another verification state, citing a source where the state needs one.

    ``sources`` are the claim's team's sources, picked by typing (``SearchSelect``): a page of
    claims holds no list of every source per row.
    """

    claim = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    verification = forms.ChoiceField(
        choices=m.Verification.choices, label=_("New state"), widget=FastSelect
    )
    source = IdChoiceField(
        queryset=m.Source.objects.none(),
        required=False,
        empty_label="—",
        widget=SearchSelect(search_fields=("title", "publisher")),
        label=_("Source"),
        help_text=_("Required for every state but unconfirmed."),
    )
    verified_on = forms.DateField(
        label=_("Established on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The day the source showed it, if not today."),
    )

    def __init__(self, *args, claim: m.Claim, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.claim = claim
        self.fields["source"].queryset = sources
        self.fields["claim"].initial = claim.pk
        self.fields["version"].initial = claim.version
        self.fields["verification"].initial = claim.verification
        # Unique ids per row: several of these forms share one page.
        self.auto_id = f"claim-{claim.pk}-%s"

    def clean(self):
        cleaned = super().clean()
        source = cleaned.get("source")
        verification = cleaned.get("verification")
        if verification:
            cited = [*self.claim.sources.all(), *([source] if source else [])]
            error = m.Claim.sources_error(verification, cited)
            if error:
                self.add_error("source", error)
        return cleaned
