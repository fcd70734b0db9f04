"""The day a page shows the records as they stood on (``?as_of=YYYY-MM-DD``)."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import DATE


class AsOfForm(forms.Form):
    """A past day to read a page on; empty (or today) is today. A day in the future is refused
    next to the field, and the page shows today."""

    as_of = forms.DateField(label=_("Show as of"), required=False, widget=DATE)

    def clean_as_of(self) -> datetime.date | None:
        day = self.cleaned_data.get("as_of")
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("Pick a day up to today."))
        return day

    def day(self) -> datetime.date | None:
        """The past day asked for, or None for today."""
        if not self.is_valid():
            return None
        day = self.cleaned_data["as_of"]
        return day if day and day < timezone.localdate() else None
