"""Reminders: what each user follows, what their daily digest holds, and which digests went out.

A digest is worked out afresh whenever it is needed (``Digest.of``), from the records as they
stand; only the fact that it was sent is stored (``DigestSent``), once per user, kind and day.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .base import ChoiceLabels, choice_check
from .commitments import Commitment
from .milestones import Milestone
from .reviews import ProgressUpdate
from .teams import TeamRole, team_ids

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class Follow(models.Model):
    """A user asked to be told when a commitment's official status changes. Only someone who
    can see the commitment follows it (``actions.follow_commitment``), and a notice goes only
    to followers who can still see it when it is sent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "commitment"], name="follow_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.commitment}"


class DigestKind(models.TextChoices):
    DAILY = "daily", _("Daily reminders")


class DigestSent(ChoiceLabels, models.Model):
    """One digest sent to one user for one day. Claimed (inserted) in the transaction that
    sends it, so the unique constraint lets one sender through: a repeated run, or a second
    worker holding the same task, finds the row and sends nothing; a send that fails rolls its
    claim back with it, so the digest can be sent again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests_sent"
    )
    kind = models.CharField(max_length=20, choices=DigestKind.choices, default=DigestKind.DAILY)
    day = models.DateField(help_text="The day the digest was for.")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "-pk"]
        verbose_name = "digest sent"
        verbose_name_plural = "digests sent"
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "day"], name="digest_once_a_day"),
            choice_check("digest_sent_kind_valid", "kind", DigestKind),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.user}, {self.day}"

    @classmethod
    @contextmanager
    def claim(cls, user: AbstractBaseUser, kind: str, day: datetime.date) -> Iterator[bool]:
        """Open a transaction holding the claim on (user, kind, day); yields False when it is
        taken (sent already, or by another worker meanwhile: PostgreSQL makes the second insert
        wait for the first to commit or roll back). The claim is kept if the block ends
        normally, and rolled back if it raises or calls ``transaction.set_rollback(True)``."""
        with transaction.atomic():
            try:
                with transaction.atomic():
                    cls.objects.create(user=user, kind=kind, day=day)
            except IntegrityError:
                yield False
                return
            yield True


DAYS_AHEAD = 7
# The most milestones or updates a digest lists by name; it says how many more there are.
LISTED = 50


@dataclass
class Digest:
    """What a user is reminded of on ``day``: the open milestones of their teams due within
    ``DAYS_AHEAD`` days and those overdue (editors and reviewers alike), and, for reviewers,
    the progress updates of their teams waiting for review (not their own). Archived records,
    and milestones of cancelled or superseded commitments, are left out. An inactive user,
    or one without an email address, is reminded of nothing."""

    user: AbstractBaseUser
    day: datetime.date
    due: list[Milestone] = field(default_factory=list)
    overdue: list[Milestone] = field(default_factory=list)
    to_review: list[ProgressUpdate] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # How many of each are counted but not listed (past ``LISTED``).
    more: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, user: AbstractBaseUser, day: datetime.date) -> Digest:
        none = {"due": 0, "overdue": 0, "to_review": 0}
        digest = cls(user=user, day=day, counts=dict(none), more=dict(none))
        if not user.is_active or not user.email:
            return digest
        milestones = reminded_milestones().in_teams(team_ids(user)).for_list()
        due = milestones.due_within(day, DAYS_AHEAD).order_by("due_date", "pk")
        overdue = milestones.overdue(day).order_by("due_date", "pk")
        to_review = (
            ProgressUpdate.objects.in_teams(team_ids(user, role=TeamRole.REVIEWER))
            .awaiting_review()
            .exclude(author=user)
            .select_related("commitment", "author")
            .order_by("created_at", "pk")
        )
        for name, queryset in (("due", due), ("overdue", overdue), ("to_review", to_review)):
            rows = list(queryset[: LISTED + 1])
            setattr(digest, name, rows[:LISTED])
            digest.counts[name] = len(rows) if len(rows) <= LISTED else queryset.count()
            digest.more[name] = digest.counts[name] - len(digest.__dict__[name])
        return digest

    def __bool__(self) -> bool:
        return any(self.counts.values())


def reminded_milestones() -> models.QuerySet[Milestone]:
    """The milestones a reminder may name: planned, of records that are not archived, and not
    of a cancelled or superseded commitment."""
    return Milestone.objects.open().filter(
        Q(commitment__isnull=True) | Q(commitment__cancellation="")
    )


def teams_with_reminders(day: datetime.date) -> tuple[set[int], set[int]]:
    """The teams with a milestone to remind of on ``day`` (due within ``DAYS_AHEAD`` days, or
    overdue), and those with updates waiting for review: who may need a digest, found in two
    queries rather than a digest per user."""
    soon = day + datetime.timedelta(DAYS_AHEAD)
    pairs = (
        reminded_milestones()
        .filter(due_date__lte=soon)
        .values_list("meeting__team", "commitment__team", "body__meeting__team")
        .distinct()
    )
    with_milestones = {team for row in pairs for team in row if team is not None}
    with_updates = set(
        ProgressUpdate.objects.awaiting_review()
        .values_list("commitment__team", flat=True)
        .distinct()
    )
    return with_milestones, with_updates
