"""A commitment's official status changes: who, when, from what, to what, and why."""

from __future__ import annotations

import datetime
from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import ChoiceLabels, as_lines, choice_check, label_of
from .commitment_vocabularies import Cancellation, ImplementationStatus
from .commitments import Commitment
from .teams import TeamScopedQuerySet


class StatusChangeQuerySet(TeamScopedQuerySet):
    def lines(self):
        """What a one-line mention shows, as ``ChangeLine``s: the dashboard's list,
        where model instances and their related ones cost more to build than to read."""
        return as_lines(self, ChangeLine)


class StatusChange(ChoiceLabels, models.Model):
    """One change of a commitment's official status: who, when, from what, to what, and why.

    Append-only: written by ``actions.change_commitment_status`` and never edited.
    """

    team_lookups = ("commitment__team",)

    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.PROTECT,
        related_name="status_changes",
        verbose_name=_("commitment"),
    )
    from_status = models.PositiveSmallIntegerField(
        choices=ImplementationStatus.choices, verbose_name=_("from status")
    )
    to_status = models.PositiveSmallIntegerField(
        choices=ImplementationStatus.choices, verbose_name=_("to status")
    )
    from_stalled = models.BooleanField(verbose_name=_("from stalled"))
    to_stalled = models.BooleanField(verbose_name=_("to stalled"))
    from_cancellation = models.CharField(
        max_length=20,
        choices=Cancellation.choices,
        blank=True,
        verbose_name=_("from cancellation"),
    )
    to_cancellation = models.CharField(
        max_length=20, choices=Cancellation.choices, blank=True, verbose_name=_("to cancellation")
    )
    reason = models.TextField(verbose_name=_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_changes",
        verbose_name=_("changed by"),
    )
    changed_via = models.CharField(
        max_length=100,
        verbose_name=_("changed via"),
        help_text=_('Where the change came from: "web", "admin", "command:…".'),
    )
    changed_at = models.DateTimeField(auto_now_add=True, verbose_name=_("changed at"))
    # The day it took effect, apart from when it was recorded (``changed_at``): an approval's
    # is its update's day of progress. A commitment's state is that of its change with the
    # latest such day (the later recorded on one day), whatever order they were entered in.
    effective_on = models.DateField(default=timezone.localdate, verbose_name=_("effective on"))
    update = models.ForeignKey(
        "ProgressUpdate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_changes",
        verbose_name=_("update"),
        help_text=_("The approved progress update that caused the change, if any."),
    )

    objects = StatusChangeQuerySet.as_manager()

    OVERRIDE_VIA = "admin"

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        indexes = [
            models.Index(fields=["commitment", "-changed_at"]),
            models.Index(fields=["-changed_at", "-id"], name="status_change_recent"),
            # A past day's dashboard: the changes in effect by then, the latest first.
            models.Index(
                fields=["-effective_on", "-changed_at", "-id"], name="status_change_in_effect"
            ),
            models.Index(
                fields=["commitment", "effective_on", "changed_at", "id"],
                name="status_change_effective",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="status_change_has_reason",
                violation_error_message=_("A status change needs a reason."),
            ),
            models.CheckConstraint(
                condition=~Q(
                    from_status=F("to_status"),
                    from_stalled=F("to_stalled"),
                    from_cancellation=F("to_cancellation"),
                ),
                name="status_change_changes_something",
                violation_error_message=_("A status change must change something."),
            ),
            choice_check("status_change_from_status_valid", "from_status", ImplementationStatus),
            choice_check("status_change_to_status_valid", "to_status", ImplementationStatus),
            choice_check(
                "status_change_from_cancellation_valid",
                "from_cancellation",
                Cancellation,
                blank=True,
            ),
            choice_check(
                "status_change_to_cancellation_valid", "to_cancellation", Cancellation, blank=True
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commitment}: {self.from_status} → {self.to_status}"

    @property
    def is_override(self) -> bool:
        """An admin's direct change in the records admin, not a reviewer's approval of an
        update: shown as an override wherever status changes are listed."""
        return self.overrides(self.update_id, self.changed_via)

    @classmethod
    def overrides(cls, update_id: int | None, changed_via: str) -> bool:
        """Whether a change with these is an override (``is_override``), for rows read
        without their record (``ChangeLine``)."""
        return update_id is None and changed_via == cls.OVERRIDE_VIA


class ChangeLine(NamedTuple):
    """A status change as a list names it in a line, read as ``StatusChange`` reads (its
    commitment and who changed it by name, its statuses' labels, ``is_override``)."""

    FIELDS = (
        *("commitment_id", "commitment__title", "from_status", "to_status", "reason"),
        *("update_id", "changed_via", "changed_by__username", "changed_at", "effective_on"),
    )

    commitment_id: int
    commitment: str
    from_status: int
    to_status: int
    reason: str
    update_id: int | None
    changed_via: str
    changed_by: str | None
    changed_at: datetime.datetime
    effective_on: datetime.date

    @classmethod
    def of(cls, row: tuple) -> ChangeLine:
        return cls(*row)

    @property
    def is_override(self) -> bool:
        return StatusChange.overrides(self.update_id, self.changed_via)

    def get_from_status_display(self) -> str:
        return label_of(StatusChange, "from_status", self.from_status)

    def get_to_status_display(self) -> str:
        return label_of(StatusChange, "to_status", self.to_status)
