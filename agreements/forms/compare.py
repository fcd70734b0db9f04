"""The meetings a comparison sets side by side (``?meetings=meeting-1&meetings=meeting-2``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import models as m
from ..charts import PARTIES_DRAWN
from ..ids import typed_id
from .base import (
    PICK_MEETING,
    IdMultipleChoiceField,
    IdTypedMultipleChoiceField,
    SearchSelectMultiple,
)

MOST = 6  # curves a chart keeps legible


class CompareForm(forms.Form):
    meetings = IdMultipleChoiceField(
        kind="meeting",
        queryset=m.Meeting.objects.none(),
        required=False,
        label=_("Meetings"),
        help_text=_("Up to six, each read from its own date."),
        widget=SearchSelectMultiple(search_fields=PICK_MEETING),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meetings"].queryset = (
            m.Meeting.objects.visible_to(user).active().order_by("-start_date", "pk")
        )

    def clean_meetings(self):
        meetings = self.cleaned_data["meetings"]
        if len(meetings) > MOST:
            raise forms.ValidationError(
                _("Choose at most %(most)s meetings: more curves cannot be told apart.")
                % {"most": MOST}
            )
        return meetings

    def chosen(self) -> list[m.Meeting]:
        """The meetings chosen, oldest first; none while the form is empty or invalid."""
        if not self.is_bound or not self.is_valid():
            return []
        return sorted(self.cleaned_data["meetings"], key=lambda meeting: meeting.start_date)


class DrawnPartiesForm(forms.Form):
    """Whose compliance the dashboard's chart draws (``?drawn=1&party=party-1&party=party-2``):
    any of the parties the reader's teams have assessed, the five most assessed unless chosen.
    ``drawn`` tells a choice of none (no box ticked sends no ``party``) from no choice."""

    party = IdTypedMultipleChoiceField(
        kind="party",
        required=False,
        label=_("Parties drawn"),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, data, *, assessed: list[dict]):
        """``assessed``: the rows of ``by_party`` (``party_id``, ``key``, ``count``)."""
        super().__init__(data if data and "drawn" in data else None)
        self.fields["party"].choices = [
            (typed_id("party", row["party_id"]), row["key"]) for row in assessed
        ]
        most = sorted(assessed, key=lambda row: (-row["count"], row["key"]))[:PARTIES_DRAWN]
        self.most = [row["party_id"] for row in most]
        self.fields["party"].initial = [typed_id("party", party) for party in self.most]

    def chosen(self) -> list[int]:
        """The parties to draw (numbers): those ticked, else the most assessed."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["party"]
        return self.most
