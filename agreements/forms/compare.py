"""The meetings a comparison sets side by side (``?meetings=1&meetings=2``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import models as m
from .base import PICK_MEETING, SearchSelectMultiple

MOST = 6  # curves a chart keeps legible


class CompareForm(forms.Form):
    meetings = forms.ModelMultipleChoiceField(
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
