"""The milestones list's filters, and a milestone row of an imported spreadsheet."""

from __future__ import annotations

import datetime

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .. import models as m
from .. import permissions
from .base import IdChoiceField, ModelForm
from .selects import FastSelect, TeamNames

WHEN = [
    ("", _("Any date")),
    ("overdue", pgettext_lazy("milestones due", "Overdue")),
    ("30", _("Due in the next 30 days")),
    ("90", _("Due in the next 90 days")),
]


class MilestoneFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"), max_length=200)
    status = forms.ChoiceField(
        required=False,
        label=_("Status"),
        choices=[("", _("Any status")), *m.MilestoneStatus.choices],
        widget=FastSelect,
    )
    when = forms.ChoiceField(
        required=False,
        label=pgettext_lazy("milestones filter", "Due"),
        choices=WHEN,
        widget=FastSelect,
    )
    team = IdChoiceField(
        kind="team",
        required=False,
        label=_("Team"),
        queryset=m.Team.objects.none(),
        empty_label=_("Any team"),
        widget=FastSelect,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = permissions.visible_teams(user)
        # Drawn from the teams' names as the request's memberships read them (``TeamNames``),
        # where the select's own read was a query a page.
        self.fields["team"].widget.choices = TeamNames(self.fields["team"], user)

    def filter(self, milestones, today: datetime.date):
        """Apply the valid filters; the soonest due first (invalid values are ignored)."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("q"):
            milestones = milestones.filter(title__icontains=data["q"])
        if data.get("status"):
            milestones = milestones.filter(status=data["status"])
        match data.get("when"):
            case "overdue":
                milestones = milestones.overdue(today)
            case "30" | "90" as days:
                milestones = milestones.due_within(today, int(days))
        if data.get("team"):
            team = data["team"]
            milestones = milestones.filter(
                Q(meeting__team=team) | Q(commitment__team=team) | Q(body__meeting__team=team)
            )
        return milestones.order_by("due_date", "pk")


class MilestoneImportForm(ModelForm):
    """One milestone row of an imported spreadsheet (its commitment or body is found by the
    import, from the row's ``commitment``, ``body`` or ``of`` column)."""

    class Meta(ModelForm.Meta):
        model = m.Milestone
        fields = ["title", "due_date", "owner"]
