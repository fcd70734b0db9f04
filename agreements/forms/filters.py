"""What the lists' filter forms share: words, team and body, offered among what the user may
see (the commitment list's and the open claims'), and how their valid values are read."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import models as m
from .. import permissions
from ..search import matching
from .base import IdChoiceField
from .selects import PICK_BODY, FastSelect, SearchSelect, TeamNames


class ListFilters(forms.Form):
    """A list's filter form: ``q`` (the words, as the search page reads them), ``team`` and
    ``body`` (a picker: bodies grow with the data). Invalid values are ignored."""

    q = forms.CharField(required=False, label=_("Search"), max_length=200)
    team = IdChoiceField(
        kind="team",
        required=False,
        label=_("Team"),
        queryset=m.Team.objects.none(),
        empty_label=_("Any team"),
        widget=FastSelect,
    )
    body = IdChoiceField(
        kind="body",
        required=False,
        label=_("Body"),
        queryset=m.ImplementationBody.objects.none(),
        empty_label=_("Any body"),
        widget=SearchSelect(search_fields=PICK_BODY),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["team"].queryset = permissions.visible_teams(user)
        # Drawn from the teams' names alone, as the memberships read them (``TeamNames``).
        self.fields["team"].widget.choices = TeamNames(self.fields["team"], user)
        self.fields["body"].queryset = (
            m.ImplementationBody.objects.visible_to(user)
            .select_related("meeting")
            .order_by("name", "pk")
        )
        self.fields["body"].label_from_instance = lambda body: f"{body} ({body.meeting.title})"

    def chooses(self) -> bool:
        """Whether the valid filters select anything: else the list is every row."""
        return any(self._data().values())

    def _data(self) -> dict:
        return self.cleaned_data if self.is_valid() else {}  # invalid values are ignored

    @staticmethod
    def _words(rows, data: dict):
        """``rows`` matching the words (full text on PostgreSQL, through its GIN index)."""
        return matching(rows, data["q"]) if data.get("q") else rows
