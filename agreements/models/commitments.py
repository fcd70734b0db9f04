"""Commitments: what was agreed, each party's role, and the official status (its changes:
``status_changes``). What is asked of many at once is ``commitment_queries``; the scale,
the ways a commitment ends early and the parties' roles are ``commitment_vocabularies``."""

from __future__ import annotations

import datetime

from django.contrib.postgres.search import SearchVectorField
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .base import (
    Archivable,
    Check,
    ChoiceLabels,
    Sourced,
    Timestamped,
    Versioned,
    active_q,
    as_index,
    choice_check,
    content_language,
    refuse_dated_outside,
    track_history,
)
from .commitment_queries import CommitmentQuerySet
from .commitment_vocabularies import Cancellation, ImplementationStatus, PartyRole
from .loading import QuickLoad
from .meetings import Meeting
from .reference import Party, Theme
from .teams import Team, TeamScopedQuerySet


class Commitment(QuickLoad, Sourced, Timestamped, Versioned, Archivable):
    """Something a party, or several, undertook to do at a meeting."""

    team_lookups = ("team",)
    team_from = ("meeting__team",)  # ``team`` is a copy, made on saving
    archived_via = ("meeting",)

    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="commitments", verbose_name=_("meeting")
    )
    # Copied from the meeting so that lists filter and sort on one index that leads with the
    # team. They cannot drift: ``save()`` copies them, a meeting's save passes its changes
    # on, and on PostgreSQL a foreign key over (meeting, team, meeting_date) to the meeting's
    # (id, team, start_date), ON UPDATE CASCADE, makes the database keep them equal.
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="+", editable=False, verbose_name=_("team")
    )
    meeting_date = models.DateField(editable=False, verbose_name=_("meeting date"))
    # When its newest progress update was written: set by the database on every insert of an
    # update (a trigger, migrations/_rules.py), so "no update for 90 days" reads one index.
    last_update_at = models.DateTimeField(
        null=True, editable=False, verbose_name=_("last update at")
    )
    title = models.CharField(max_length=200, verbose_name=_("title"), help_text=_("A short label."))
    reference = models.CharField(
        max_length=50,
        blank=True,
        verbose_name=_("reference"),
        help_text=_(
            "Its number or key in the source text or a spreadsheet (e.g. 3.2); a "
            "re-imported spreadsheet finds the commitment by it."
        ),
    )
    text = models.TextField(
        blank=True,
        verbose_name=_("text"),
        help_text=_(
            "What was agreed, as close to the source as possible; empty when the title says it all."
        ),
    )
    language = content_language(_("The language its title and text are written in: en, es…"))
    theme = models.ForeignKey(
        Theme,
        on_delete=models.PROTECT,
        related_name="commitments",
        # The column keeps its name and values ("drugs"), so the tally's triggers, stored
        # addresses (?theme=drugs) and the history read the same. Reads go through the
        # (team, theme, status) index; a one-column index would serve only deleting a theme.
        db_column="theme",
        db_index=False,
        verbose_name=_("theme"),
    )
    parties = models.ManyToManyField(
        Party,
        through="CommitmentParty",
        related_name="commitments",
        verbose_name=_("parties"),
    )
    lead_agency = models.CharField(max_length=200, blank=True, verbose_name=_("lead agency"))
    jurisdiction_note = models.TextField(
        blank=True,
        verbose_name=_("jurisdiction / sovereignty note"),
        help_text=_("Whose territory and legal authority the action falls under."),
    )
    target_date = models.DateField(null=True, blank=True, verbose_name=_("target date"))
    indicator = models.TextField(
        blank=True, verbose_name=_("indicator"), help_text=_("How progress is measured.")
    )
    status = models.PositiveSmallIntegerField(
        choices=ImplementationStatus.choices,
        default=ImplementationStatus.NOT_STARTED,
        verbose_name=_("status"),
    )
    is_stalled = models.BooleanField(
        _("stalled"), default=False, help_text=_("No progress for a long time, or blocked.")
    )
    cancellation = models.CharField(
        max_length=20,
        choices=Cancellation.choices,
        blank=True,
        verbose_name=_("cancellation"),
        help_text=_("Cancelled and superseded commitments stay visible but leave the averages."),
    )
    superseded_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
        verbose_name=_("superseded by"),
    )
    position = models.PositiveSmallIntegerField(
        default=0, verbose_name=_("position"), help_text=_("Order within the meeting.")
    )

    # Its searched words, kept by a PostgreSQL trigger on every write (_rules.py), indexed (GIN) and
    # ranked from there; empty elsewhere (SQLite searches the text itself). ``agreements.search``
    search_vector = SearchVectorField(null=True, editable=False)

    objects = CommitmentQuerySet.as_manager()
    history = track_history(
        "sources", copies=("team", "meeting_date", "last_update_at", "search_vector")
    )

    class Meta:
        ordering = ["meeting", "position", "pk"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        # Every filter and sort of the commitment list, each leading with the team.
        indexes = [
            models.Index(
                fields=["team", "-meeting_date", "meeting", "position", "id"],
                name="commitment_team_default_order",
            ),
            # The default order's again, of the active commitments alone (``live()``): a deep
            # page is a walk of the index, not of the rows (issue #27).
            models.Index(
                fields=["team", "-meeting_date", "meeting", "position", "id"],
                condition=Q(archived_at__isnull=True),
                name="commitment_team_live_order",
            ),
            models.Index(fields=["team", "status", "id"], name="commitment_team_status"),
            models.Index(fields=["team", "theme", "status"], name="commitment_team_theme"),
            models.Index(fields=["team", "target_date", "id"], name="commitment_team_target"),
            models.Index(fields=["team", "updated_at", "id"], name="commitment_team_updated"),
            models.Index(fields=["team", "title", "id"], name="commitment_team_title"),
            models.Index(fields=["team", "is_stalled"], name="commitment_team_stalled"),
            # A meeting's commitments in order.
            models.Index(fields=["meeting", "position", "id"], name="commitment_meeting_order"),
            # The admin's changelist order, every team's (issue #27: a page at any depth is a
            # walk of this index alone, agreements/admin/scale.py).
            models.Index(
                fields=["-meeting_date", "meeting", "position", "id"], name="commitment_order"
            ),
            # And (team, last_update_at NULLS FIRST, id), in migrations/_rules.py (SQLite cannot
            # say NULLS FIRST in an index; its nulls come first anyway).
        ]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "title"], name="commitment_title_unique"),
            models.UniqueConstraint(
                fields=["meeting", "reference"],
                condition=~Q(reference=""),
                name="commitment_reference_unique",
                violation_error_message=_("Another commitment of this meeting has this reference."),
            ),
            choice_check("commitment_status_valid", "status", ImplementationStatus),
            choice_check("commitment_cancellation_valid", "cancellation", Cancellation, blank=True),
            Check(
                condition=Q(superseded_by__isnull=True) | Q(cancellation=Cancellation.SUPERSEDED),
                name="commitment_superseded_by_only_when_superseded",
                violation_error_message=_("Only a superseded commitment names what superseded it."),
                field="superseded_by",
            ),
            Check(
                condition=Q(superseded_by__isnull=True) | ~Q(superseded_by=F("pk")),
                name="commitment_not_superseded_by_itself",
                violation_error_message=_("A commitment cannot supersede itself."),
                field="superseded_by",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        fields = kwargs.get("update_fields")
        moved_from = None if self._state.adding else self.team_id
        if self.meeting_id is not None and (fields is None or "meeting" in fields):
            self.team_id, self.meeting_date = self.meeting.team_id, self.meeting.start_date
            if fields is not None:
                kwargs["update_fields"] = {*fields, "team", "meeting_date"}
        with transaction.atomic():
            super().save(*args, **kwargs)
            if fields is None or "meeting" in fields:
                self.claims.copy_record_meeting(self.meeting)
            if moved_from is not None and moved_from != self.team_id:
                # Its progress updates' copies of the team (``ProgressUpdate``), unless the
                # database's cascade has moved them already (PostgreSQL).
                self.progress_updates.exclude(team_id=self.team_id).update(team_id=self.team_id)

    def save_versioned(self, *, expected: int, update_fields: list[str] | None = None) -> None:
        """As ``Versioned.save_versioned``, holding its meeting's row first (``Meeting.lock``,
        which says why)."""
        with transaction.atomic():
            Meeting.lock(self.meeting_id)
            super().save_versioned(expected=expected, update_fields=update_fields)

    @classmethod
    def counting_q(cls, prefix: str = "") -> Q:
        """The condition for a commitment that counts in averages (read through ``prefix``,
        e.g. "commitment__"): active, and neither cancelled nor superseded."""
        return active_q(cls, prefix) & Q(**{f"{prefix}cancellation": ""})

    def get_absolute_url(self) -> str:
        return reverse("agreements:commitment_detail", args=[self.pk])

    @property
    def counts(self) -> bool:
        """Whether the commitment counts in averages."""
        return not self.cancellation

    def refuse_dated_outside(self, day: datetime.date, *, field: str, future, before) -> None:
        """A fact about the commitment happened between its meeting and today
        (``base.refuse_dated_outside``)."""
        refuse_dated_outside(day, self.meeting_date, field=field, future=future, before=before)

    @staticmethod
    def index_over(commitments) -> float | None:
        """The implementation index over ``commitments`` already read (mean score ÷ 3, as a
        percentage), of those that count: cancelled, superseded and archived ones left out,
        as everywhere. Reads each one's meeting: fetch it with them."""
        scores = [c.status for c in commitments if c.counts and not c.is_read_only]
        return as_index(sum(scores) / len(scores)) if scores else None

    def take_state_then(self) -> None:
        """Show the state ``CommitmentQuerySet.as_of`` read for its day (drawn, never saved)."""
        self.status = self.status_then
        self.is_stalled = self.stalled_then
        self.cancellation = self.cancellation_then

    def is_overdue(self, today: datetime.date) -> bool:
        """Overdue is never typed in: past its target date, not complete, not cancelled."""
        return self.overdue_in(self.status, self.cancellation, self.target_date, today)

    @staticmethod
    def overdue_in(status, cancellation: str, target_date, today: datetime.date) -> bool:
        """``is_overdue`` for a commitment in this state, read as plain values (a list's rows:
        views/commitment_rows.py)."""
        return bool(
            not cancellation
            and target_date
            and target_date < today
            and status != ImplementationStatus.COMPLETE
        )


class CommitmentParty(ChoiceLabels, models.Model):
    """A party's role in one commitment."""

    team_lookups = ("commitment__team",)

    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.CASCADE,
        related_name="party_roles",
        verbose_name=_("commitment"),
    )
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="commitment_roles", verbose_name=_("party")
    )
    role = models.CharField(max_length=20, choices=PartyRole.choices, verbose_name=_("role"))

    objects = TeamScopedQuerySet.as_manager()
    history = track_history()

    class Meta:
        ordering = ["commitment", "party__name"]
        verbose_name = _("party role")
        verbose_name_plural = _("party roles")
        constraints = [
            models.UniqueConstraint(fields=["commitment", "party"], name="commitment_party_once"),
            choice_check("commitment_party_role_valid", "role", PartyRole),
        ]

    def __str__(self) -> str:
        return f"{self.party}: {self.get_role_display()}"
