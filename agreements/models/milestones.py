"""Milestones: the dated steps of a meeting's agreement as a whole, of one of its commitments,
or of a body (its meetings, its own deadlines), and their moves."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .base import (
    ArchivableQuerySet,
    Check,
    Timestamped,
    Versioned,
    choice_check,
    track_history,
)
from .commitments import Commitment
from .loading import QuickLoad
from .meetings import Meeting
from .teams import TeamScopedQuerySet
from .unions import first_rows_of

if TYPE_CHECKING:
    from .bodies import ImplementationBody


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


class MilestoneLine(NamedTuple):
    """A milestone as a list names it in a line: its title, its due date and the record it
    belongs to (``Milestone.belongs_to``'s rule, as text), from a row of
    ``MilestoneQuerySet.line_values()``."""

    FIELDS = (
        *("pk", "title", "due_date", "meeting_id", "commitment_id"),
        *("meeting__title", "meeting__planned", "meeting__start_date"),
        *("commitment__title", "body__name"),
    )

    pk: int
    title: str
    due_date: datetime.date
    belongs_to: str

    @classmethod
    def of(cls, row: dict) -> MilestoneLine:
        if row["meeting_id"]:  # named as the meeting names itself (its date, planned or not)
            meeting = Meeting(
                title=row["meeting__title"],
                planned=row["meeting__planned"],
                start_date=row["meeting__start_date"],
            )
            belongs_to = str(meeting)
        elif row["commitment_id"]:
            belongs_to = row["commitment__title"]
        else:
            belongs_to = row["body__name"]
        return cls(row["pk"], row["title"], row["due_date"], belongs_to)


class MilestoneQuerySet(TeamScopedQuerySet, ArchivableQuerySet):
    def open(self):
        """Planned milestones of records that are not archived."""
        return self.active().filter(status=MilestoneStatus.PLANNED)

    def overdue(self, today: datetime.date):
        return self.open().filter(due_date__lt=today)

    def overdue_on(self, day: datetime.date, limit: int) -> list[MilestoneLine]:
        """The first ``limit`` milestones overdue as they stood on ``day``, soonest due first,
        each named as it stood then (``MilestoneLine``, its date then): due before that day by
        their date then, and not done by then (planned still, missed, or done after it). A
        date moved after that day stood at the date it was first moved from; those milestones
        are few, so they are read apart and the rest by their own date, on its index."""
        unmoved, moved = self.overdue_on_parts(day)
        unmoved, moved = first_rows_of(
            [unmoved, moved],
            ("due_then", "pk"),
            limit,
        )
        overdue = sorted([*unmoved, *moved], key=lambda row: (row["due_then"], row["pk"]))
        return [MilestoneLine.of(row | {"due_date": row["due_then"]}) for row in overdue[:limit]]

    def overdue_on_parts(self, day: datetime.date) -> tuple[models.QuerySet, models.QuerySet]:
        """``overdue_on``'s two reads, as ``line_values()`` rows with ``due_then`` (the date
        due on ``day``): the milestones not moved after ``day``, by their own date (on its
        index), and the few moved after it, by the date first moved from."""
        moved_since = MilestoneReschedule.objects.filter(moved_on__gt=day)
        first_move = moved_since.filter(milestone=models.OuterRef("pk")).order_by(
            "moved_on", "at", "pk"
        )
        candidates = self.active().filter(
            Q(status__in=[MilestoneStatus.PLANNED, MilestoneStatus.MISSED])
            | Q(status=MilestoneStatus.DONE, completed_on__gt=day)
        )
        unmoved = candidates.filter(due_date__lt=day).exclude(
            pk__in=moved_since.values("milestone")
        )
        moved = (
            candidates.filter(pk__in=moved_since.values("milestone"))
            .line_values()
            .annotate(due_then=models.Subquery(first_move.values("from_date")[:1]))
            .filter(due_then__lt=day)
        )
        return unmoved.line_values().annotate(due_then=F("due_date")), moved

    def overdue_and_due_within(
        self, today: datetime.date, days: int, limit: int
    ) -> tuple[list[MilestoneLine], list[MilestoneLine]]:
        """The first ``limit`` milestones ``overdue`` and the first ``limit`` ``due_within``
        ``days``, soonest due first, read together (``first_rows_of``), as lines."""
        # Their common conditions built once (the owners' joins, archived or not), then split
        # by date: ``overdue`` and ``due_within`` over the same ``open()``.
        planned = self.open().line_values()
        overdue, due = first_rows_of(
            [
                planned.filter(due_date__lt=today),
                planned.filter(due_date__gte=today, due_date__lte=today + datetime.timedelta(days)),
            ],
            ("due_date", "pk"),
            limit,
        )
        return [MilestoneLine.of(row) for row in overdue], [MilestoneLine.of(row) for row in due]

    def due_within(self, today: datetime.date, days: int):
        return self.open().filter(
            due_date__gte=today, due_date__lte=today + datetime.timedelta(days)
        )

    def for_list(self):
        return self.select_related("meeting", "commitment__meeting", "body__meeting")

    def line_values(self):
        """With what a one-line mention shows (title, due date, what it belongs to) and no
        more, as values rows (dicts, made lines by ``MilestoneLine.of`` once merged: the
        other models' ``lines()`` give the lines themselves): the dashboard's lists, where
        model instances and their related ones cost more to build than the rows to read."""
        return self.values(*MilestoneLine.FIELDS)

    def with_moves(self):
        """With what ``Milestone.shown_moves`` reads, a query for all of them."""
        return self.prefetch_related(moves_of("reschedules"))

    def with_moved_on(self):
        """Each milestone with ``moved_on``: the day its date was last moved (the newest
        recorded move's day, the one that set its date), or None if it never moved; and
        ``moved_as``: that move's name for the new date ("" if none, None if never moved)."""
        moves = MilestoneReschedule.objects.filter(milestone=models.OuterRef("pk"))
        newest = moves.order_by("-at", "-pk")
        return self.annotate(
            moved_on=models.Subquery(newest.values("moved_on")[:1]),
            moved_as=models.Subquery(newest.values("name")[:1]),
        )


class Milestone(QuickLoad, Timestamped, Versioned):
    """A dated step of a meeting's agreement as a whole, of one of its commitments, or of a
    body (its meetings, its own deadlines): it belongs to exactly one of the three."""

    team_lookups = ("meeting__team", "commitment__team", "body__meeting__team")
    archived_via = ("meeting", "commitment", "commitment__meeting", "body", "body__meeting")

    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="milestones",
        verbose_name=_("meeting"),
        help_text=_("Set for a deadline of the meeting itself, not of a commitment or a body."),
    )
    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="milestones",
        verbose_name=_("commitment"),
    )
    body = models.ForeignKey(
        "agreements.ImplementationBody",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="milestones",
        verbose_name=_("body"),
    )
    title = models.CharField(max_length=200, verbose_name=_("title"))
    due_date = models.DateField(verbose_name=_("due date"))
    status = models.CharField(
        max_length=20,
        choices=MilestoneStatus.choices,
        default=MilestoneStatus.PLANNED,
        verbose_name=_("status"),
    )
    completed_on = models.DateField(null=True, blank=True, verbose_name=_("completed on"))
    owner = models.CharField(
        max_length=200, blank=True, verbose_name=_("owner"), help_text=_("Who is responsible.")
    )
    original_due_date = models.DateField(
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("original due date"),
        help_text=_("The first date it was due, once rescheduled (see reschedules)."),
    )

    objects = MilestoneQuerySet.as_manager()
    history = track_history()

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        indexes = [
            # The open milestones in their lists' order (due date, then id): a list due within
            # days walks it and stops at its first rows, whatever the days (a generic plan:
            # ``made_once.generic_plans``).
            models.Index(fields=["status", "due_date", "id"], name="milestone_open_due"),
            # The milestone list's and the admin's order (issue #27).
            models.Index(fields=["due_date", "id"], name="milestone_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(meeting__isnull=False, commitment__isnull=True, body__isnull=True)
                | Q(meeting__isnull=True, commitment__isnull=False, body__isnull=True)
                | Q(meeting__isnull=True, commitment__isnull=True, body__isnull=False),
                name="milestone_belongs_to_one",
                violation_error_message=_(
                    "A milestone belongs to one record: a meeting, a commitment or a body."
                ),
            ),
            Check(
                condition=Q(status=MilestoneStatus.DONE, completed_on__isnull=False)
                | (~Q(status=MilestoneStatus.DONE) & Q(completed_on__isnull=True)),
                name="milestone_completed_iff_done",
                violation_error_message=_(
                    "A done milestone has a completion date, and only a done one."
                ),
                field="completed_on",
            ),
            choice_check("milestone_status_valid", "status", MilestoneStatus),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_reschedulable(self) -> bool:
        """A planned milestone can move, and a missed one can be given a new date."""
        return self.status in (MilestoneStatus.PLANNED, MilestoneStatus.MISSED)

    @property
    def belongs_to(self) -> Meeting | Commitment | ImplementationBody | None:
        """The record it belongs to: its meeting, commitment or body."""
        if self.meeting_id:
            return self.meeting
        return self.commitment if self.commitment_id else self.body

    @property
    def of_meeting(self) -> Meeting | None:
        """The meeting it comes from: its own, or its commitment's or body's (the meeting
        that agreed it; it cannot fall due before)."""
        if self.meeting_id:
            return self.meeting
        if self.commitment_id:
            return self.commitment.meeting
        if self.body_id:
            return self.body.meeting
        return None

    def take_state_on(self, day: datetime.date) -> None:
        """Show the milestone as it stood on ``day``: done after it, it was still planned then
        (drawn, never saved)."""
        if self.completed_on and self.completed_on > day:
            self.status, self.completed_on = MilestoneStatus.PLANNED, None

    def take_date_on(self, day: datetime.date) -> None:
        """Show the date it was due on ``day``: moved after it, the date it was first moved
        from, as ``MilestoneQuerySet.overdue_on`` reads it (drawn, never saved; reads its
        ``reschedules``: fetch them with it)."""
        later = [move for move in self.reschedules.all() if move.moved_on > day]
        if later:
            self.due_date = min(later, key=lambda move: (move.moved_on, move.at, move.pk)).from_date
        self.moves_then = sorted(
            (move for move in self.reschedules.all() if move.moved_on <= day),
            key=lambda move: (move.at, move.pk),
        )

    @property
    def shown_moves(self) -> list[MilestoneReschedule]:
        """The moves of its date to show, in the order recorded: all of them, or on a past day
        (``take_date_on``) those made by then."""
        moves = getattr(self, "moves_then", None)
        if moves is None and not self.original_due_date:
            return []  # never moved: it keeps its first date from its first move on
        if moves is None:
            moves = sorted(self.reschedules.all(), key=lambda move: (move.at, move.pk))
        return moves

    def clean(self) -> None:
        # Not a CHECK constraint: it reads the meeting, another table.
        meeting = self.of_meeting
        if meeting and self.due_date and self.due_date < meeting.start_date:
            raise ValidationError(
                {
                    "due_date": gettext(
                        "A milestone cannot fall due before the meeting that agreed it (%(date)s)."
                    )
                    % {"date": date_format(meeting.start_date, "j M Y")}
                }
            )


class MilestoneReschedule(models.Model):
    """A milestone moved to a new date: from which, to which, who moved it, when and why
    (a 90-day suspension extended by another 90 days). Append-only, like the other records of
    what happened: the milestone's ``due_date`` is the current date, these rows its past."""

    team_lookups = (
        "milestone__meeting__team",
        "milestone__commitment__team",
        "milestone__body__meeting__team",
    )

    milestone = models.ForeignKey(
        Milestone,
        on_delete=models.PROTECT,
        related_name="reschedules",
        verbose_name=_("milestone"),
    )
    from_date = models.DateField(verbose_name=_("from date"))
    to_date = models.DateField(verbose_name=_("to date"))
    # What the new date is called, when the move gives it a name of its own ("extended
    # suspension ends"); the milestone keeps its title.
    name = models.CharField(
        max_length=200,
        blank=True,
        verbose_name=_("name"),
        help_text=_("What the new date is called, if it has a name (“extended suspension ends”)."),
    )
    reason = models.TextField(verbose_name=_("reason"))
    # The day the date was moved (an extension agreed, announced), apart from when it was
    # recorded (``at``).
    moved_on = models.DateField(default=timezone.localdate, verbose_name=_("moved on"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(default=timezone.now, verbose_name=_("at"))

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["milestone", "at", "pk"]
        verbose_name = _("milestone reschedule")
        verbose_name_plural = _("milestone reschedules")
        # A past day's overdue milestones: the dates moved after it.
        indexes = [models.Index(fields=["moved_on"], name="milestone_reschedule_moved_on")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_date=F("to_date")), name="reschedule_moves_the_date"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="reschedule_has_a_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.milestone}: {self.from_date} → {self.to_date}"


def moves_of(lookup: str) -> models.Prefetch:
    """The moves of milestones reached by ``lookup`` (``"milestones__reschedules"``), with
    who moved them, as a milestone shows them (``shown_moves``)."""
    return models.Prefetch(lookup, MilestoneReschedule.objects.select_related("by"))
