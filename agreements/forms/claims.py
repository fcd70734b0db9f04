"""The claims page: its filters, and moving a claim to another verification state."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import models as m
from .base import IdChoiceField
from .filters import ListFilters
from .selects import PICK_MEETING, FastSelect, SearchSelect, source_picker


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
        widget=source_picker(multiple=False),
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


class ClaimFilterForm(ListFilters):
    """The open claims' filters: state (of the open ones), team, meeting (the claims about it
    or about one of its records), body (the claims about it) and words."""

    verification = forms.ChoiceField(
        required=False,
        label=_("State"),
        choices=[
            ("", _("Unconfirmed or disputed")),
            *[(v.value, v.label) for v in m.OPEN_VERIFICATIONS],
        ],
        widget=FastSelect,
    )
    meeting = IdChoiceField(
        kind="meeting",
        required=False,
        label=_("Meeting"),
        queryset=m.Meeting.objects.none(),
        empty_label=_("Any meeting"),
        widget=SearchSelect(search_fields=PICK_MEETING),
    )
    field_order = ["q", "verification", "team", "meeting", "body"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["meeting"].queryset = m.Meeting.objects.visible_to(user).order_by(
            "-start_date", "-pk"
        )

    def filter(self, claims):
        """The open ``claims`` the valid filters select, in the list's order."""
        data = self._data()
        if data.get("verification"):
            claims = claims.filter(verification=data["verification"])
        if data.get("team"):
            claims = claims.filter(team=data["team"])
        if data.get("meeting"):
            claims = claims.filter(record_meeting=data["meeting"])
        if data.get("body"):
            claims = claims.filter(body=data["body"])
        return self._words(claims, data).order_by("verification", "pk")
