"""Implementation bodies and their members (their milestones: ``milestones``)."""

from __future__ import annotations

import datetime

from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .base import (
    Archivable,
    ArchivableQuerySet,
    Check,
    Sourced,
    Timestamped,
    Versioned,
    as_index,
    choice_check,
    track_history,
)
from .commitments import Commitment
from .meetings import Meeting
from .milestones import Milestone, MilestoneStatus
from .reference import Party, Person
from .teams import TeamScopedQuerySet


class Lifecycle(models.TextChoices):
    ANNOUNCED = "announced", _("Announced")
    CONSTITUTED = "constituted", _("Constituted")
    FIRST_MEETING_HELD = "first_meeting_held", _("First meeting held")
    ACTIVE = "active", _("Active")
    DISSOLVED = "dissolved", _("Dissolved")


class ImplementationBodyQuerySet(TeamScopedQuerySet, ArchivableQuerySet):
    def for_list(self, today: datetime.date):
        """Bodies with their meeting, member counts, index and next meeting, in one query.

        Each figure is its own correlated subquery: joining members, commitments and
        milestones at once would multiply the rows every aggregate reads."""
        body = models.OuterRef("pk")
        members = BodyMembership.objects.filter(body=body).values("body")
        next_meeting = Milestone.objects.filter(
            body=body, status=MilestoneStatus.PLANNED, due_date__gte=today
        ).order_by("due_date")
        return (
            self.select_related("meeting__team")
            .with_index()
            .annotate(
                member_count=_count(members),
                confirmed_count=_count(members.filter(confirmation=Confirmation.CONFIRMED)),
                next_meeting=models.Subquery(next_meeting.values("due_date")[:1]),
            )
            .order_by("name", "pk")
        )

    def with_index(self):
        """With ``commitment_count`` and ``mean_status`` (``index``) of the commitments each
        oversees that count."""
        overseen = (
            ImplementationBody.commitments.through.objects.filter(
                implementationbody=models.OuterRef("pk")
            )
            # Commitments that count, as joins: an IN over Commitment.objects.counting() would
            # be evaluated again for every body.
            .filter(Commitment.counting_q("commitment__"))
            .values("implementationbody")
        )
        return self.annotate(
            commitment_count=_count(overseen),
            mean_status=models.Subquery(
                overseen.annotate(mean=models.Avg("commitment__status")).values("mean")
            ),
        )

    def index_by_body(self, body_ids) -> dict[int, tuple[float, int]]:
        """Per body of ``body_ids``: the mean status of the commitments it oversees that count,
        and how many they are (``with_index``'s figures), in one grouped read of those bodies'
        rows, for a short list read first (as ``StatusSpan.objects.index_by_body`` on a past
        day): two plain queries, where the list's subqueries were planned for each body."""
        return {body: (mean, n) for body, mean, n in self.index_by_body_rows(body_ids)}

    def index_by_body_rows(self, body_ids):
        """``index_by_body``'s rows: (body, mean status, count)."""
        return (
            ImplementationBody.commitments.through.objects.filter(implementationbody__in=body_ids)
            .filter(Commitment.counting_q("commitment__"))
            .values_list("implementationbody")
            .annotate(mean=models.Avg("commitment__status"), n=models.Count("*"))
            .order_by()
        )


def _count(grouped: models.QuerySet) -> models.Expression:
    """COUNT(*) of a queryset already grouped by its outer reference, 0 when empty."""
    return Coalesce(models.Subquery(grouped.annotate(n=models.Count("*")).values("n")), 0)


class ImplementationBody(Sourced, Timestamped, Versioned, Archivable):
    """A group set up to carry commitments out (e.g. a "high-level implementation group")."""

    team_lookups = ("meeting__team",)
    archived_via = ("meeting",)

    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        related_name="bodies",
        verbose_name=_("meeting"),
        help_text=_("The meeting that created the body."),
    )
    name = models.CharField(max_length=200, verbose_name=_("name"))
    mandate = models.TextField(blank=True, verbose_name=_("mandate"))
    cadence = models.CharField(
        max_length=200,
        blank=True,
        verbose_name=_("cadence"),
        help_text=_('e.g. "meets regularly".'),
    )
    lifecycle = models.CharField(
        max_length=30,
        choices=Lifecycle.choices,
        default=Lifecycle.ANNOUNCED,
        verbose_name=_("lifecycle"),
    )
    commitments = models.ManyToManyField(
        Commitment, blank=True, related_name="bodies", verbose_name=_("overseen commitments")
    )
    membership_note = models.CharField(
        max_length=300,
        blank=True,
        verbose_name=_("membership note"),
        help_text=_('When its members are not public: e.g. "precise membership not published".'),
    )

    objects = ImplementationBodyQuerySet.as_manager()
    history = track_history("commitments", "sources")

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("implementation body")
        verbose_name_plural = _("implementation bodies")
        indexes = [models.Index(fields=["name", "id"])]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "name"], name="body_name_unique"),
            choice_check("body_lifecycle_valid", "lifecycle", Lifecycle),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        """Pass a move to another meeting on to its claims' copies (see ``Claim``)."""
        with transaction.atomic():
            super().save(*args, **kwargs)
            fields = kwargs.get("update_fields")
            if fields is None or "meeting" in fields:
                self.claims.copy_record_meeting(self.meeting)

    def get_absolute_url(self) -> str:
        return reverse("agreements:body_detail", args=[self.pk])

    @property
    def index(self) -> float | None:
        """The implementation index of the overseen commitments (needs ``for_list()``)."""
        return as_index(self.mean_status)


class Confirmation(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    REPORTED = "reported", _("Reported")
    UNCONFIRMED = "unconfirmed", _("Unconfirmed")


class BodyMembership(Sourced, Versioned):
    """A person or a party sitting on a body. A body with no confirmed member is a normal state."""

    team_lookups = ("body__meeting__team",)

    body = models.ForeignKey(
        ImplementationBody,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("body"),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="body_memberships",
        verbose_name=_("person"),
    )
    party = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="body_memberships",
        verbose_name=_("party"),
        help_text=_("The member itself, or the party a person sits for (Popolo on_behalf_of)."),
    )
    role = models.CharField(max_length=200, blank=True, verbose_name=_("role"))
    start_date = models.DateField(null=True, blank=True, verbose_name=_("start date"))
    end_date = models.DateField(null=True, blank=True, verbose_name=_("end date"))
    # The day the membership was confirmed (a list published, an appointment announced), kept
    # while it stays confirmed.
    confirmed_on = models.DateField(null=True, blank=True, verbose_name=_("confirmed on"))
    confirmation = models.CharField(
        max_length=20,
        choices=Confirmation.choices,
        default=Confirmation.UNCONFIRMED,
        verbose_name=_("confirmation"),
    )

    objects = TeamScopedQuerySet.as_manager()
    history = track_history("sources")

    class Meta:
        ordering = ["body", "pk"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(party__isnull=False),
                name="membership_names_someone",
                violation_error_message=_("A member is a person or a party: name at least one."),
            ),
            Check(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="membership_ends_after_start",
                violation_error_message=_("A membership cannot end before it starts."),
                field="end_date",
            ),
            choice_check("membership_confirmation_valid", "confirmation", Confirmation),
        ]

    def __str__(self) -> str:
        who = self.person or self.party
        return f"{who} on {self.body}"
