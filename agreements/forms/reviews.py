"""The review queue: approving or returning a submitted update; narrowing the queue."""

from __future__ import annotations

from types import SimpleNamespace

from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .. import models as m
from ..kept import kept_per_language
from .base import IdChoiceField
from .selects import PICK_MEETING, FastSelect, SearchSelect


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


class DrawnReviewForms:
    """The review form of each undecided row of a page, as a row shows it: its hidden id, its
    comment's field group, its errors. A form bound to what was posted is drawn by Django
    (``drawn``); an unbound one, the same for every row but for its update's id, is drawn
    once a process (for each language) for a probe id and given each row's (``blank``): a
    form and its field group drawn per row were half of the queue's drawing (0.3 ms a row).
    The same HTML as ``ReviewForm(update=…)`` draws (tests/test_review_queue.py)."""

    PROBE = 918_273_645
    # The unbound form's parts, drawn once a process for each language (its label and help
    # text): the same for every page, where drawing them took half a millisecond a page.
    _DRAWN: dict[str, tuple[list[str], list[str]]] = kept_per_language({})

    def __init__(self) -> None:
        language = get_language()
        drawn = self._DRAWN.get(language)
        if drawn is None:
            form = ReviewForm(update=SimpleNamespace(pk=self.PROBE))
            probe = str(self.PROBE)
            drawn = self._DRAWN[language] = (
                str(form["update"]).split(probe),
                str(form["comment"].as_field_group()).split(probe),
            )
        self._update, self._comment = drawn

    def blank(self, pk: int) -> dict:
        """The unbound form of update ``pk``."""
        number = str(int(pk))  # Django's HTML around a number: safe as it stands
        return {
            "update_input": mark_safe(number.join(self._update)),
            "comment_group": mark_safe(number.join(self._comment)),
            "errors": "",
        }

    @staticmethod
    def drawn(form: ReviewForm) -> dict:
        """A form as Django draws it (bound to what was posted, with its errors)."""
        return {
            "update_input": form["update"],
            "comment_group": form["comment"].as_field_group(),
            "errors": form.non_field_errors(),
        }


class ReviewFilterForm(forms.Form):
    """The review queue's filters: a team the user reviews, a meeting of those teams (a
    picker: meetings grow with the data). Invalid values are ignored."""

    team = IdChoiceField(
        kind="team",
        required=False,
        label=_("Team"),
        queryset=m.Team.objects.none(),
        empty_label=_("Any team"),
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

    def __init__(self, *args, teams: dict[int, str], **kwargs):
        """``teams``: the teams the user reviews, id: name, in their names' order."""
        super().__init__(*args, **kwargs)
        self.teams = teams
        self.fields["team"].queryset = m.Team.objects.filter(pk__in=teams)
        # Drawn from the names already read (the request's memberships), no query of its own.
        team = self.fields["team"]
        team.widget.choices = [("", team.empty_label)] + [
            (team.prepare_value(pk), name) for pk, name in teams.items()
        ]
        self.fields["meeting"].queryset = m.Meeting.objects.filter(team__in=teams).order_by(
            "-start_date", "-pk"
        )

    def team_ids(self) -> list[int]:
        """The teams whose updates the queue lists: the one chosen, else every one reviewed."""
        team = self._data().get("team")
        return [team.pk] if team else list(self.teams)

    def filter(self, updates):
        """``updates`` of the meeting chosen, if one is."""
        meeting = self._data().get("meeting")
        return updates.filter(commitment__meeting=meeting) if meeting else updates

    def _data(self) -> dict:
        return self.cleaned_data if self.is_valid() else {}  # invalid values are ignored
