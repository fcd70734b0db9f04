"""The review queue: approving or returning a submitted update."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import models as m


class ReviewForm(forms.Form):
    """Approve or return one submitted update; a return says what to revise."""

    update = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        required=False,
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when returning: what should the author revise?"),
    )

    def __init__(self, *args, update: m.ProgressUpdate, decision: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.decision = decision
        self.fields["update"].initial = update.pk
        self.auto_id = f"review-{update.pk}-%s"

    def clean(self):
        cleaned = super().clean()
        if self.decision == "return" and not cleaned.get("comment", "").strip():
            self.add_error("comment", _("Say what to revise when returning an update."))
        return cleaned
