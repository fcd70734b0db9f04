"""Progress updates and their review; per-party compliance assessments. Append-only."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, NamedTuple

from django.conf import settings
from django.db import connections, models
from django.db.models import F, Func, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .base import (
    ChoiceLabels,
    CoveringIndex,
    Sourced,
    active_q,
    as_lines,
    choice_check,
    label_of,
)
from .commitment_vocabularies import ImplementationStatus
from .commitments import Commitment
from .teams import Team, TeamRole, TeamScopedQuerySet, team_ids

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class ReviewState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for revision")
    RESUBMITTED = "resubmitted", _("Resubmitted")


class ReviewAction(models.TextChoices):
    SUBMIT = "submit", _("Submitted")
    APPROVE = "approve", _("Approved")
    RETURN = "return", _("Returned for revision")


AWAITING_REVIEW = (ReviewState.SUBMITTED, ReviewState.RESUBMITTED)
# The review queue's order: oldest first (and a total order, for its pages' cursor).
QUEUE_ORDER = ("created_at", "pk")


class ProgressUpdateQuerySet(TeamScopedQuerySet):
    def lines(self):
        """What a one-line mention shows, as ``UpdateLine``s: the dashboard's lists,
        where model instances and their related ones cost more to build than to read."""
        return as_lines(self, UpdateLine)

    def proposing_a_change(self):
        """Submitted, not yet decided, proposing a new status or stalled flag (what a
        commitment's page shows as its pending change; ``ProgressUpdate.proposes_change``)."""
        return self.filter(review_state__in=AWAITING_REVIEW).filter(
            Q(proposed_status__isnull=False) | Q(proposed_stalled__isnull=False)
        )

    def approved(self):
        """Reviewed and approved: the progress that counts (what the exports show)."""
        return self.filter(review_state=ReviewState.APPROVED)

    def awaiting_review(self):
        """Submitted, not yet decided, on a commitment that is not archived (read-only)."""
        return self.filter(review_state__in=AWAITING_REVIEW).filter(
            active_q(Commitment, "commitment__")
        )

    def for_review(self):
        """With what the review queue shows of each update (review_rows.html): its commitment's
        title and status, its meeting and team by name, its author; not the long texts and
        stored words of the records around it, which no row shows. The sources it cites are
        read for the page's rows apart (``views.list_reads.update_sources``)."""
        return self.select_related("commitment__meeting__team", "author").only(
            *self.REVIEWED,
            "commitment__title",
            "commitment__status",
            "commitment__is_stalled",
            "commitment__meeting__title",
            "commitment__meeting__team__name",
            "author__username",
        )

    # What the review queue reads of an update itself.
    REVIEWED = (
        "commitment",
        "author",
        "created_at",
        "narrative",
        "proposed_status",
        "proposed_stalled",
        "review_state",
    )

    def queue_of(
        self, user: AbstractBaseUser | AnonymousUser, teams: list[int]
    ) -> tuple[ProgressUpdateQuerySet, dict[str, list]]:
        """The review queue of ``user`` among ``teams``, as ``reviewable_by(user)
        .awaiting_review()`` holds it, in its runs (``views.paging.runs``): the updates the
        user may decide on (not their own, on an active commitment) and the runs' values, one
        run per team of ``teams`` the user reviews and per state awaiting review, each read
        along ``progress_update_awaiting`` in the queue's order (``QUEUE_ORDER``).

        The runs alone name the teams and states, each by one value: with the lists too,
        PostgreSQL's generic plan of the prepared statement read a team's every waiting update
        and sorted them for a page (its index's order is lost to a list of values)."""
        if not user.is_authenticated or not user.is_active:
            return self.none(), {}
        reviewed = teams if user.is_superuser else team_ids(user, role=TeamRole.REVIEWER)
        teams = [team for team in teams if team in reviewed]
        if not teams:
            return self.none(), {}
        return self.decided_by(user.pk), {"team": teams, "review_state": list(AWAITING_REVIEW)}

    def decided_by(self, me: int) -> ProgressUpdateQuerySet:
        """The updates user ``me`` (an id) may decide on, the team and state aside (the runs
        of ``queue_of`` give them): not their own, on an active commitment."""
        return self.exclude(author=me).filter(active_q(Commitment, "commitment__"))

    def reviewable_by(self, user: AbstractBaseUser | AnonymousUser):
        """Updates in teams where the user reviews (all for admins), not their own."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        mine = self.exclude(author=user)
        return mine if user.is_superuser else mine.in_teams(team_ids(user, role=TeamRole.REVIEWER))


class ProgressUpdate(Sourced):
    """A report of progress on a commitment, proposing a status; reviewed before it counts.

    Append-only: never edited or deleted. Its review is a series of ``ReviewEvent`` rows
    (submitted, then approved or returned); a revision after a return is a new update that
    ``revises`` the returned one, so what the reviewer saw is kept.
    """

    team_lookups = ("commitment__team",)
    team_from = ("commitment__team",)  # ``team`` is a copy, made on saving

    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.PROTECT,
        related_name="progress_updates",
        verbose_name=_("commitment"),
    )
    # Copied from the commitment so that the review queue reads each team's waiting updates
    # along one index that leads with the team (``progress_update_awaiting``). It cannot
    # drift: ``save()`` copies it, a commitment's or meeting's save passes a change on, and on
    # PostgreSQL a foreign key over (commitment, team) to the commitment's (id, team), ON
    # UPDATE CASCADE, makes the database keep them equal (migrations/_rules.py).
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,  # the indexes that read it lead with it
        verbose_name=_("team"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="progress_updates",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    # The day of the progress it reports, apart from when it was written (``created_at``): the
    # status it proposes takes effect on that day once approved.
    happened_on = models.DateField(default=timezone.localdate, verbose_name=_("happened on"))
    narrative = models.TextField(verbose_name=_("narrative"))
    proposed_status = models.PositiveSmallIntegerField(
        choices=ImplementationStatus.choices,
        null=True,
        blank=True,
        verbose_name=_("proposed status"),
        help_text=_("Leave empty when the update proposes no change of status."),
    )
    proposed_stalled = models.BooleanField(
        null=True, blank=True, verbose_name=_("proposed stalled")
    )
    revises = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revision",
        verbose_name=_("revises"),
        help_text=_("The returned update this one revises."),
    )

    # Where the review stands, stored where it changes: the review action that appends a
    # ``ReviewEvent`` stores the state its step moves to (``actions.reviews.REVIEW_STEPS``), in
    # one transaction (on PostgreSQL the database refuses a state that disagrees with the
    # events). Lists and the queue read it through an index.
    review_state = models.CharField(
        max_length=12,
        choices=ReviewState.choices,
        default=ReviewState.DRAFT,
        editable=False,
        verbose_name=_("review state"),
    )

    objects = ProgressUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        indexes = [
            models.Index(fields=["commitment", "-created_at"]),
            models.Index(fields=["review_state", "created_at"]),
            # The review queue's order (``QUEUE_ORDER``) for each team and state: each run of
            # the queue (a team's updates in one of the states awaiting review) walks it to its
            # first rows, without a sort, whatever the team's share of the waiting updates.
            # Not partial: PostgreSQL's generic plan of a prepared statement, whose states are
            # parameters, could not tell that it holds the rows. With the author and the
            # commitment beside each entry, a run is read from the index alone (the queue
            # leaves out the reader's own updates, and joins the commitment for its archiving):
            # the count up to 1,000 read each entry's row too, a quarter of its time.
            CoveringIndex(
                fields=["team", "review_state", "created_at", "id"],
                covers=("author", "commitment"),
                name="progress_update_awaiting",
            ),
            models.Index(fields=["-created_at", "-id"], name="progress_update_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(narrative=""), name="progress_update_has_narrative"
            ),
            choice_check(
                "progress_update_proposed_status_valid",
                "proposed_status",
                ImplementationStatus,
                null=True,
            ),
            choice_check("progress_update_review_state_valid", "review_state", ReviewState),
        ]

    def __str__(self) -> str:
        return f"Update on {self.commitment} by {self.author}"

    def save(self, *args, **kwargs) -> None:
        if self._state.adding and self.commitment_id is not None:
            self.team_id = self.commitment.team_id  # written once: the update is append-only
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.happened_on and self.commitment_id:
            self.refuse_misdated()

    def refuse_misdated(self) -> None:
        """Its day of progress lies between its meeting and today."""
        self.commitment.refuse_dated_outside(
            self.happened_on,
            field="happened_on",
            future=gettext("A progress update cannot be dated in the future."),
            before=gettext("A progress update cannot be dated before its meeting (%(date)s)."),
        )

    @property
    def awaits_review(self) -> bool:
        return self.review_state in AWAITING_REVIEW

    @property
    def proposes_change(self) -> bool:
        return self.proposed_status is not None or self.proposed_stalled is not None


class ReviewEventQuerySet(TeamScopedQuerySet):
    def decisions_on(self, commitment: Commitment | int) -> ReviewEventQuerySet:
        """The decisions (approvals and returns) on ``commitment``'s updates, read through its
        updates: one probe of the decisions' index per update. Joined plainly, PostgreSQL
        hashes the commitment's updates and reads every decision of every commitment (all of
        them, in order of time, for the newest few), so the page grew with the whole table;
        an ``update_id = ANY(ARRAY(…))`` keeps it to the commitment's own history."""
        updates = ProgressUpdate.objects.filter(commitment=commitment).order_by().values("pk")
        decisions = self.exclude(action=ReviewAction.SUBMIT)
        if connections[self.db].vendor != "postgresql":
            return decisions.filter(update__commitment=commitment)
        from django.contrib.postgres.expressions import ArraySubquery

        # Written whole: as a lookup's right-hand side, Django would put ``ANY(…)`` in brackets,
        # which PostgreSQL refuses.
        among = Func(
            F("update_id"),
            ArraySubquery(updates),
            template="%(expressions)s)",
            arg_joiner=" = ANY(",
            output_field=models.BooleanField(),
        )
        return decisions.filter(among)


class ReviewEvent(ChoiceLabels, models.Model):
    """One step of a progress update's review. Append-only: written by ``actions.reviews``,
    which stores the state the step moves the update to beside it (``REVIEW_STEPS``); saving
    an event moves nothing by itself.

    The database holds the workflow's shape: an update is submitted once and decided once, and
    a return carries the reviewer's comment. That nobody reviews their own update is checked
    by the action (and, on PostgreSQL, by a trigger).
    """

    team_lookups = ("update__commitment__team",)

    update = models.ForeignKey(
        ProgressUpdate,
        on_delete=models.PROTECT,
        related_name="review_events",
        verbose_name=_("update"),
    )
    action = models.CharField(max_length=10, choices=ReviewAction.choices, verbose_name=_("action"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="review_events",
        verbose_name=_("by"),
    )
    comment = models.TextField(blank=True, verbose_name=_("comment"))
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("at"))

    objects = ReviewEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("review event")
        verbose_name_plural = _("review events")
        indexes = [
            models.Index(fields=["update", "action"]),
            # The admin's changelist order, on an index (issue #27: a page at any size).
            models.Index(fields=["-at", "-id"], name="review_event_recent"),
        ]
        constraints = [
            choice_check("review_event_action_valid", "action", ReviewAction),
            models.UniqueConstraint(
                fields=["update"],
                condition=Q(action=ReviewAction.SUBMIT),
                name="review_event_submitted_once",
                violation_error_message=_("This update has already been submitted."),
            ),
            models.UniqueConstraint(
                fields=["update"],
                condition=~Q(action=ReviewAction.SUBMIT),
                name="review_event_decided_once",
                violation_error_message=_("This update has already been reviewed."),
            ),
            models.CheckConstraint(
                condition=~Q(action=ReviewAction.RETURN, comment=""),
                name="review_event_return_has_comment",
                violation_error_message=_("Say what to revise when returning an update."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.by} on {self.at:%Y-%m-%d}"


class UpdateLine(NamedTuple):
    """A progress update as a list names it in a line: its commitment and author by name,
    its review state (and its label, as ``ProgressUpdate`` reads it), when it was written."""

    FIELDS = (
        "commitment_id",
        "commitment__title",
        "author__username",
        "created_at",
        "review_state",
    )

    commitment_id: int
    commitment: str
    author: str
    created_at: datetime.datetime
    review_state: str

    @classmethod
    def of(cls, row: tuple) -> UpdateLine:
        return cls(*row)

    def get_review_state_display(self) -> str:
        return label_of(ProgressUpdate, "review_state", self.review_state)
