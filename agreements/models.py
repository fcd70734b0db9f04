"""The tracker's domain: who met, what they agreed, and whether it is being carried out.

Vocabularies come from the systems that already do this work (see README, "The domain"):
the 0–3 implementation scale (Peace Accords Matrix), per-party compliance (G7/G20 Research
Group), claim verification, and the Akvo RSR review workflow.

Team scoping: every meeting belongs to one team, and everything hanging off a meeting belongs
to that team through its foreign keys (never through a copied column that could drift). Each
scoped model names the lookup paths to its team in ``team_lookups``; ``visible_to(user)`` on its
QuerySet and ``permissions.py`` use them.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class AuditTrail(models.Model):
    """Extra columns on every history record (see ``agreements.audit``)."""

    history_via = models.CharField(
        max_length=100, blank=True, help_text="Where the change came from: web, admin, command:…"
    )

    class Meta:
        abstract = True


def track_history(*m2m_fields: str) -> HistoricalRecords:
    """Every change to the model kept: who, when, from where, every field's old and new value."""
    return HistoricalRecords(bases=[AuditTrail], m2m_fields=list(m2m_fields))


# --- Teams ---------------------------------------------------------------------------------


class Team(models.Model):
    """A desk (e.g. "North America"). Records belong to a team; users are members of teams."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamRole(models.TextChoices):
    EDITOR = "editor", "Editor (policy staff)"
    REVIEWER = "reviewer", "Reviewer"


class TeamMembership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=TeamRole.choices)
    history = track_history()

    class Meta:
        ordering = ["team__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="team_membership_unique"),
            models.CheckConstraint(
                condition=Q(role__in=TeamRole.values), name="team_membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.get_role_display()})"


def teams_of(user: AbstractBaseUser | AnonymousUser, *, role: str | None = None):
    """The teams a user belongs to (optionally with one role), as a lazy QuerySet."""
    if not user.is_authenticated:
        return Team.objects.none()
    membership = {"memberships__user": user}
    if role is not None:
        membership["memberships__role"] = role
    return Team.objects.filter(**membership)


class TeamScopedQuerySet(models.QuerySet):
    """QuerySet of a model that belongs to a team through ``Model.team_lookups``."""

    def visible_to(self, user: AbstractBaseUser | AnonymousUser):
        """Rows the user may see: all for admins, their teams' rows for members, none else."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.in_teams(teams_of(user))

    def editable_by(self, user: AbstractBaseUser | AnonymousUser):
        """Rows the user may change: all for admins, their teams' rows where they are editors."""
        return self._with_role(user, TeamRole.EDITOR)

    def reviewable_by_team(self, user: AbstractBaseUser | AnonymousUser):
        """Rows the user may review and assess: all for admins, their teams' as reviewers."""
        return self._with_role(user, TeamRole.REVIEWER)

    def _with_role(self, user: AbstractBaseUser | AnonymousUser, role: str):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.in_teams(teams_of(user, role=role))

    def in_teams(self, teams):
        condition = Q()
        for lookup in self.model.team_lookups:
            condition |= Q(**{f"{lookup}__in": teams})
        return self.filter(condition)


class VersionConflict(Exception):
    """The record changed since the version the user started from."""

    def __init__(self, record: models.Model, expected: int, current: int | None):
        super().__init__(f"{record} is at version {current}, not {expected}")
        self.record, self.expected, self.current = record, expected, current


class Versioned(models.Model):
    """Optimistic concurrency: every change bumps ``version``; a form opened at an older
    version cannot save over a newer one (``save_versioned`` raises ``VersionConflict``)."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def save_versioned(self, *, expected: int, update_fields: list[str] | None = None) -> None:
        """Save if the stored row is still at ``expected``, as ``expected + 1``; the row is
        locked meanwhile, so of two concurrent saves from the same version one conflicts."""
        with transaction.atomic():
            current = (
                type(self)
                .objects.select_for_update()
                .filter(pk=self.pk)
                .values_list("version", flat=True)
                .first()
            )
            if current != expected:
                raise VersionConflict(self, expected, current)
            self.version = expected + 1
            if update_fields is not None:
                update_fields = [*update_fields, "version"]
                if any(f.name == "updated_at" for f in self._meta.fields):
                    update_fields.append("updated_at")
            self.save(update_fields=update_fields)


# --- Reference data: parties, persons, sources ----------------------------------------------


class PartyKind(models.TextChoices):
    STATE = "state", "State"
    ORGANISATION = "organisation", "Organisation"


class Party(models.Model):
    """A state or an organisation that makes commitments (Popolo: Organization)."""

    name = models.CharField(max_length=200, unique=True)
    code = models.CharField(
        max_length=12,
        unique=True,
        help_text="ISO 3166 alpha-2 or alpha-3 for states (US, MEX); an acronym for organisations.",
    )
    kind = models.CharField(max_length=20, choices=PartyKind.choices, default=PartyKind.STATE)
    history = track_history()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "parties"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=PartyKind.values), name="party_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        code = self.code or ""
        if self.kind == PartyKind.STATE and not (
            len(code) in (2, 3) and code.isascii() and code.isalpha() and code.isupper()
        ):
            raise ValidationError(
                {"code": "A state's code is its ISO 3166 alpha-2 or alpha-3 code, e.g. US or MEX."}
            )


class Person(models.Model):
    """Someone who acts for a party. Offices change, so the office held at a given time is kept
    on each link (participation, statement, membership), not only here."""

    name = models.CharField(max_length=200)
    party = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="persons",
        help_text="The party this person usually acts for.",
    )
    current_office = models.CharField(max_length=200, blank=True)
    history = track_history()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name


class Reliability(models.TextChoices):
    """The Admiralty grading of a source's reliability."""

    A = "A", "A: completely reliable"
    B = "B", "B: usually reliable"
    C = "C", "C: fairly reliable"
    D = "D", "D: not usually reliable"
    E = "E", "E: unreliable"
    F = "F", "F: reliability cannot be judged"


class Source(Versioned):
    """A document that evidences a record: a report, an official readout, a statement."""

    team_lookups = ("team",)

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="sources")
    title = models.CharField(max_length=300)
    url = models.URLField(max_length=500, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    published_on = models.DateField(null=True, blank=True)
    accessed_on = models.DateField(null=True, blank=True)
    reliability = models.CharField(
        max_length=1, choices=Reliability.choices, blank=True, help_text="Optional grade."
    )
    notes = models.TextField(blank=True)

    objects = TeamScopedQuerySet.as_manager()
    history = track_history()

    class Meta:
        ordering = ["-published_on", "title", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "url"], condition=~Q(url=""), name="source_url_unique_per_team"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.publisher})" if self.publisher else self.title


class Sourced(models.Model):
    """Any record can cite sources."""

    sources = models.ManyToManyField(Source, blank=True, related_name="%(class)s_records")

    class Meta:
        abstract = True


class Archivable(models.Model):
    """Records are archived, never deleted: archived ones leave lists and averages but stay
    reachable by link, and an admin can restore them."""

    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        abstract = True

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def archive(self, *, by: AbstractBaseUser, reason: str) -> None:
        """Archive the record (a versioned change, kept in its history with the reason)."""
        self._set_archived(timezone.now(), by, reason)

    def restore(self, *, by: AbstractBaseUser, reason: str) -> None:
        self._set_archived(None, None, reason, by=by)

    def _set_archived(self, at, archived_by, reason: str, *, by=None) -> None:
        if not reason or not reason.strip():
            raise ValidationError({"reason": "Say why: it is kept in the record's history."})
        self.archived_at, self.archived_by = at, archived_by
        self._change_reason = reason.strip()
        self._history_user = by or archived_by
        self.save_versioned(expected=self.version, update_fields=["archived_at", "archived_by"])


class Timestamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


# --- Meetings -------------------------------------------------------------------------------


class OutcomeType(models.TextChoices):
    TREATY = "treaty", "Treaty"
    MOU = "mou", "Memorandum of understanding"
    JOINT_STATEMENT = "joint_statement", "Joint statement"
    JOINT_COMMUNIQUE = "joint_communique", "Joint communiqué"
    REAFFIRMATION = "reaffirmation", "Reaffirmation"
    READOUT_ONLY = "readout_only", "Readout only"
    OTHER = "other", "Other"


class MeetingQuerySet(TeamScopedQuerySet):
    def active(self):
        """Not archived."""
        return self.filter(archived_at__isnull=True)

    def for_list(self):
        """With team, parties, the number of commitments and their mean status (subqueries, so
        filters joining parties cannot multiply the rows they count)."""
        commitments = Commitment.objects.filter(meeting=models.OuterRef("pk")).values("meeting")
        return (
            self.select_related("team")
            .prefetch_related("parties")
            .annotate(
                commitment_count=models.Subquery(
                    commitments.annotate(n=models.Count("pk")).values("n")
                ),
                mean_status=models.Subquery(
                    commitments.filter(cancellation="", archived_at__isnull=True)
                    .annotate(mean=models.Avg("status"))
                    .values("mean")
                ),
            )
        )


class Meeting(Sourced, Timestamped, Versioned, Archivable):
    """A meeting between parties, where commitments were made."""

    team_lookups = ("team",)

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="meetings")
    title = models.CharField(max_length=300)
    start_date = models.DateField()
    end_date = models.DateField(
        null=True, blank=True, help_text="Leave empty for a one-day meeting."
    )
    city = models.CharField(max_length=100, blank=True)
    venue = models.CharField(max_length=200, blank=True)
    parties = models.ManyToManyField(Party, related_name="meetings")
    outcome_type = models.CharField(max_length=30, choices=OutcomeType.choices)
    outcome_note = models.TextField(
        blank=True, help_text='What the outcome was and was not, e.g. "MOU under discussion".'
    )
    summary = models.TextField(blank=True)
    context_notes = models.TextField(blank=True)

    objects = MeetingQuerySet.as_manager()
    history = track_history("parties", "sources")

    class Meta:
        ordering = ["-start_date", "-pk"]
        # Every filter and sort of the meeting list: team, date (and year), outcome.
        indexes = [
            models.Index(fields=["team", "-start_date"]),
            models.Index(fields=["-start_date", "-id"]),
            models.Index(fields=["outcome_type"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="meeting_ends_after_start",
                violation_error_message="A meeting cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(outcome_type__in=OutcomeType.values), name="meeting_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.start_date:%-d %b %Y})"

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "A meeting cannot end before it starts."})

    @property
    def index(self) -> float | None:
        """The implementation index of its commitments (needs ``for_list()``)."""
        return as_index(self.mean_status)


class ParticipantRole(models.TextChoices):
    HOST = "host", "Host"
    HEAD_OF_DELEGATION = "head_of_delegation", "Head of delegation"
    DELEGATE = "delegate", "Delegate"
    OBSERVER = "observer", "Observer"
    OTHER = "other", "Other"


class Participant(models.Model):
    """A person at a meeting, with the office they held and their role there."""

    team_lookups = ("meeting__team",)

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="participations")
    party = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        related_name="participations",
        help_text="The party this person acted for at the meeting.",
    )
    office = models.CharField(max_length=200, help_text="The office held at the time.")
    role = models.CharField(max_length=30, choices=ParticipantRole.choices)

    objects = TeamScopedQuerySet.as_manager()
    history = track_history()

    class Meta:
        ordering = ["meeting", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="participant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person}, {self.office}"


# --- Commitments ----------------------------------------------------------------------------


class Theme(models.TextChoices):
    DRUGS = "drugs", "Drugs"
    ARMS = "arms", "Arms trafficking"
    FUEL_THEFT = "fuel_theft", "Fuel theft"
    MIGRATION = "migration", "Migration"
    SOVEREIGNTY = "sovereignty", "Sovereignty"
    SECURITY = "security", "Security cooperation"
    TRADE = "trade", "Trade"
    ENERGY = "energy", "Energy"
    HEALTH = "health", "Health"
    OTHER = "other", "Other"


class ImplementationStatus(models.IntegerChoices):
    """Peace Accords Matrix ordinal scale."""

    NOT_STARTED = 0, "Not started"
    MINIMAL = 1, "Minimal"
    INTERMEDIATE = 2, "Intermediate"
    COMPLETE = 3, "Complete"


class Cancellation(models.TextChoices):
    CANCELLED = "cancelled", "Cancelled"
    SUPERSEDED = "superseded", "Superseded"


class CommitmentQuerySet(TeamScopedQuerySet):
    def for_list(self):
        return self.select_related("meeting__team").prefetch_related("party_roles__party")

    def active(self):
        """Not archived, in a meeting that is not archived."""
        return self.filter(archived_at__isnull=True, meeting__archived_at__isnull=True)

    def counting(self):
        """Commitments that count in averages: not cancelled, superseded or archived."""
        return self.active().filter(cancellation="")

    def overdue(self, today: datetime.date):
        return (
            self.counting()
            .filter(target_date__lt=today)
            .exclude(status=ImplementationStatus.COMPLETE)
        )

    def implementation_index(self) -> float | None:
        """Mean score ÷ 3 as a percentage over the commitments that count; None when none do."""
        mean = self.counting().aggregate(mean=models.Avg("status"))["mean"]
        return as_index(mean)

    def index_by(self, field: str) -> list[dict]:
        """The implementation index grouped by ``field`` (e.g. "theme", "party_roles__party__name",
        "bodies__name"): dicts of key, index and count, best first. One query."""
        rows = (
            self.counting()
            .exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(mean=models.Avg("status"), count=models.Count("pk", distinct=True))
            .order_by(field)
        )
        return [{"key": r[field], "index": as_index(r["mean"]), "count": r["count"]} for r in rows]

    def status_counts(self) -> dict[int, int]:
        """How many commitments that count are at each status, every status present."""
        counts = dict(
            self.counting().values_list("status").annotate(n=models.Count("pk")).order_by()
        )
        return {status: counts.get(status, 0) for status in ImplementationStatus.values}

    def without_update_since(self, since: datetime.datetime):
        """Commitments that count with no progress update since ``since`` (and older than it)."""
        return (
            self.counting()
            .annotate(last_update=models.Max("progress_updates__created_at"))
            .filter(Q(last_update__lt=since) | Q(last_update__isnull=True), created_at__lt=since)
        )


def as_index(mean_score: float | None) -> float | None:
    """Mean score on the 0–3 scale as a percentage, one decimal; None stays None."""
    return None if mean_score is None else round(mean_score / 3 * 100, 1)


class Commitment(Sourced, Timestamped, Versioned, Archivable):
    """Something a party, or several, undertook to do at a meeting."""

    team_lookups = ("meeting__team",)

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="commitments")
    title = models.CharField(max_length=200, help_text="A short label.")
    text = models.TextField(help_text="What was agreed, as close to the source as possible.")
    theme = models.CharField(max_length=30, choices=Theme.choices)
    parties = models.ManyToManyField(Party, through="CommitmentParty", related_name="commitments")
    lead_agency = models.CharField(max_length=200, blank=True)
    jurisdiction_note = models.TextField(
        blank=True,
        verbose_name="jurisdiction / sovereignty note",
        help_text="Whose territory and legal authority the action falls under.",
    )
    target_date = models.DateField(null=True, blank=True)
    indicator = models.TextField(blank=True, help_text="How progress is measured.")
    status = models.PositiveSmallIntegerField(
        choices=ImplementationStatus.choices, default=ImplementationStatus.NOT_STARTED
    )
    is_stalled = models.BooleanField(
        "stalled", default=False, help_text="No progress for a long time, or blocked."
    )
    cancellation = models.CharField(
        max_length=20,
        choices=Cancellation.choices,
        blank=True,
        help_text="Cancelled and superseded commitments stay visible but leave the averages.",
    )
    superseded_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="supersedes"
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Order within the meeting.")

    objects = CommitmentQuerySet.as_manager()
    history = track_history("sources")

    class Meta:
        ordering = ["meeting", "position", "pk"]
        # Every filter and sort column of the commitment list.
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["theme"]),
            models.Index(fields=["target_date"]),
            models.Index(fields=["updated_at"]),
            models.Index(fields=["title"]),
            models.Index(fields=["is_stalled"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "title"], name="commitment_title_unique"),
            models.CheckConstraint(
                condition=Q(status__gte=0, status__lte=3), name="commitment_status_0_to_3"
            ),
            models.CheckConstraint(
                condition=Q(cancellation__in=["", *Cancellation.values]),
                name="commitment_cancellation_valid",
            ),
            models.CheckConstraint(
                condition=Q(superseded_by__isnull=True) | Q(cancellation=Cancellation.SUPERSEDED),
                name="commitment_superseded_by_only_when_superseded",
                violation_error_message="Only a superseded commitment names what superseded it.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.superseded_by_id and self.cancellation != Cancellation.SUPERSEDED:
            raise ValidationError(
                {"superseded_by": "Only a superseded commitment names what superseded it."}
            )
        if self.superseded_by_id and self.superseded_by_id == self.pk:
            raise ValidationError({"superseded_by": "A commitment cannot supersede itself."})

    @property
    def counts(self) -> bool:
        """Whether the commitment counts in averages."""
        return not self.cancellation

    def is_overdue(self, today: datetime.date) -> bool:
        """Overdue is never typed in: past its target date, not complete, not cancelled."""
        return bool(
            self.counts
            and self.target_date
            and self.target_date < today
            and self.status != ImplementationStatus.COMPLETE
        )


class PartyRole(models.TextChoices):
    COMMITTED = "committed", "Committed"
    JOINT = "joint", "Joint"
    COUNTERPART = "counterpart", "Counterpart"
    IMPLEMENTER = "implementer", "Implementer"


class CommitmentParty(models.Model):
    """A party's role in one commitment."""

    team_lookups = ("commitment__meeting__team",)

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="party_roles")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="commitment_roles")
    role = models.CharField(max_length=20, choices=PartyRole.choices)

    objects = TeamScopedQuerySet.as_manager()
    history = track_history()

    class Meta:
        ordering = ["commitment", "party__name"]
        verbose_name = "party role"
        constraints = [
            models.UniqueConstraint(fields=["commitment", "party"], name="commitment_party_once"),
            models.CheckConstraint(
                condition=Q(role__in=PartyRole.values), name="commitment_party_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party}: {self.get_role_display()}"


class StatusChange(models.Model):
    """One change of a commitment's official status: who, when, from what, to what, and why.

    Append-only: written by ``actions.change_commitment_status`` and never edited.
    """

    team_lookups = ("commitment__meeting__team",)

    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, related_name="status_changes"
    )
    from_status = models.PositiveSmallIntegerField(choices=ImplementationStatus.choices)
    to_status = models.PositiveSmallIntegerField(choices=ImplementationStatus.choices)
    from_stalled = models.BooleanField()
    to_stalled = models.BooleanField()
    from_cancellation = models.CharField(max_length=20, choices=Cancellation.choices, blank=True)
    to_cancellation = models.CharField(max_length=20, choices=Cancellation.choices, blank=True)
    reason = models.TextField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_changes",
    )
    changed_via = models.CharField(
        max_length=100, help_text='Where the change came from: "web", "admin", "command:…".'
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    update = models.ForeignKey(
        "ProgressUpdate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_changes",
        help_text="The approved progress update that caused the change, if any.",
    )

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["commitment", "-changed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="status_change_has_reason",
                violation_error_message="A status change needs a reason.",
            ),
            models.CheckConstraint(
                condition=~Q(
                    from_status=F("to_status"),
                    from_stalled=F("to_stalled"),
                    from_cancellation=F("to_cancellation"),
                ),
                name="status_change_changes_something",
                violation_error_message="A status change must change something.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commitment}: {self.from_status} → {self.to_status}"


# --- Implementation bodies ------------------------------------------------------------------


class Lifecycle(models.TextChoices):
    ANNOUNCED = "announced", "Announced"
    CONSTITUTED = "constituted", "Constituted"
    FIRST_MEETING_HELD = "first_meeting_held", "First meeting held"
    ACTIVE = "active", "Active"
    DISSOLVED = "dissolved", "Dissolved"


class ImplementationBodyQuerySet(TeamScopedQuerySet):
    def active(self):
        """Not archived, set up at a meeting that is not archived."""
        return self.filter(archived_at__isnull=True, meeting__archived_at__isnull=True)

    def for_list(self, today: datetime.date):
        """Bodies with their meeting, member counts, index and next meeting, in one query.

        Each figure is its own correlated subquery: joining members, commitments and
        milestones at once would multiply the rows every aggregate reads."""
        body = models.OuterRef("pk")
        members = BodyMembership.objects.filter(body=body).values("body")
        overseen = ImplementationBody.commitments.through.objects.filter(
            implementationbody=body,
            # The conditions of Commitment.objects.counting(), as joins: an IN over that
            # queryset would be evaluated again for every body.
            commitment__cancellation="",
            commitment__archived_at__isnull=True,
            commitment__meeting__archived_at__isnull=True,
        ).values("implementationbody")
        next_meeting = Milestone.objects.filter(
            body=body, status=MilestoneStatus.PLANNED, due_date__gte=today
        ).order_by("due_date")
        return (
            self.select_related("meeting__team")
            .annotate(
                member_count=_count(members),
                confirmed_count=_count(members.filter(confirmation=Confirmation.CONFIRMED)),
                commitment_count=_count(overseen),
                mean_status=models.Subquery(
                    overseen.annotate(mean=models.Avg("commitment__status")).values("mean")
                ),
                next_meeting=models.Subquery(next_meeting.values("due_date")[:1]),
            )
            .order_by("name", "pk")
        )


def _count(grouped: models.QuerySet) -> models.Expression:
    """COUNT(*) of a queryset already grouped by its outer reference, 0 when empty."""
    return Coalesce(models.Subquery(grouped.annotate(n=models.Count("*")).values("n")), 0)


class ImplementationBody(Sourced, Timestamped, Versioned, Archivable):
    """A group set up to carry commitments out (e.g. a "high-level implementation group")."""

    team_lookups = ("meeting__team",)

    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        related_name="bodies",
        help_text="The meeting that created the body.",
    )
    name = models.CharField(max_length=200)
    mandate = models.TextField(blank=True)
    cadence = models.CharField(max_length=200, blank=True, help_text='e.g. "meets regularly".')
    lifecycle = models.CharField(
        max_length=30, choices=Lifecycle.choices, default=Lifecycle.ANNOUNCED
    )
    commitments = models.ManyToManyField(
        Commitment, blank=True, related_name="bodies", verbose_name="overseen commitments"
    )

    objects = ImplementationBodyQuerySet.as_manager()
    history = track_history("commitments", "sources")

    class Meta:
        ordering = ["name", "pk"]
        verbose_name_plural = "implementation bodies"
        indexes = [models.Index(fields=["name", "id"])]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "name"], name="body_name_unique"),
            models.CheckConstraint(
                condition=Q(lifecycle__in=Lifecycle.values), name="body_lifecycle_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def index(self) -> float | None:
        """The implementation index of the overseen commitments (needs ``for_list()``)."""
        return as_index(self.mean_status)


class Confirmation(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    REPORTED = "reported", "Reported"
    UNCONFIRMED = "unconfirmed", "Unconfirmed"


class BodyMembership(Sourced, Versioned):
    """A person or a party sitting on a body. A body with no confirmed member is a normal state."""

    team_lookups = ("body__meeting__team",)

    body = models.ForeignKey(ImplementationBody, on_delete=models.PROTECT, related_name="members")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="body_memberships"
    )
    party = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="body_memberships",
        help_text="The member itself, or the party a person sits for (Popolo on_behalf_of).",
    )
    role = models.CharField(max_length=200, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    confirmation = models.CharField(
        max_length=20, choices=Confirmation.choices, default=Confirmation.UNCONFIRMED
    )

    objects = TeamScopedQuerySet.as_manager()
    history = track_history("sources")

    class Meta:
        ordering = ["body", "pk"]
        verbose_name = "member"
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(party__isnull=False),
                name="membership_names_someone",
                violation_error_message="A member is a person or a party: name at least one.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="membership_ends_after_start",
                violation_error_message="A membership cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(confirmation__in=Confirmation.values),
                name="membership_confirmation_valid",
            ),
        ]

    def __str__(self) -> str:
        who = self.person or self.party
        return f"{who} on {self.body}"

    def clean(self) -> None:
        if not self.person_id and not self.party_id:
            raise ValidationError("A member is a person or a party: name at least one.")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "A membership cannot end before it starts."})


# --- Milestones -----------------------------------------------------------------------------


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    DONE = "done", "Done"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Cancelled"


class MilestoneQuerySet(TeamScopedQuerySet):
    def open(self):
        """Planned milestones of records that are not archived."""
        return (
            self.filter(status=MilestoneStatus.PLANNED)
            .filter(
                Q(commitment__isnull=True)
                | Q(
                    commitment__archived_at__isnull=True,
                    commitment__meeting__archived_at__isnull=True,
                )
            )
            .filter(
                Q(body__isnull=True)
                | Q(body__archived_at__isnull=True, body__meeting__archived_at__isnull=True)
            )
        )

    def overdue(self, today: datetime.date):
        return self.open().filter(due_date__lt=today)

    def due_within(self, today: datetime.date, days: int):
        return self.open().filter(
            due_date__gte=today, due_date__lte=today + datetime.timedelta(days)
        )

    def for_list(self):
        return self.select_related("commitment__meeting", "body__meeting")


class Milestone(Timestamped, Versioned):
    """A dated step of a commitment, or a meeting of a body."""

    team_lookups = ("commitment__meeting__team", "body__meeting__team")

    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, null=True, blank=True, related_name="milestones"
    )
    body = models.ForeignKey(
        ImplementationBody,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="milestones",
    )
    title = models.CharField(max_length=200)
    due_date = models.DateField()
    status = models.CharField(
        max_length=20, choices=MilestoneStatus.choices, default=MilestoneStatus.PLANNED
    )
    completed_on = models.DateField(null=True, blank=True)
    owner = models.CharField(max_length=200, blank=True, help_text="Who is responsible.")

    objects = MilestoneQuerySet.as_manager()
    history = track_history()

    class Meta:
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["status", "due_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(commitment__isnull=False, body__isnull=True)
                | Q(commitment__isnull=True, body__isnull=False),
                name="milestone_belongs_to_one",
                violation_error_message="A milestone belongs to a commitment or to a body.",
            ),
            models.CheckConstraint(
                condition=Q(status=MilestoneStatus.DONE, completed_on__isnull=False)
                | (~Q(status=MilestoneStatus.DONE) & Q(completed_on__isnull=True)),
                name="milestone_completed_iff_done",
                violation_error_message=(
                    "A done milestone has a completion date, and only a done one."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def meeting(self) -> Meeting | None:
        if self.commitment_id:
            return self.commitment.meeting
        if self.body_id:
            return self.body.meeting
        return None

    def clean(self) -> None:
        if bool(self.commitment_id) == bool(self.body_id):
            raise ValidationError("A milestone belongs to a commitment or to a body.")
        meeting = self.meeting
        if meeting and self.due_date and self.due_date < meeting.start_date:
            raise ValidationError(
                {
                    "due_date": "A milestone cannot fall due before the meeting that agreed it "
                    f"({meeting.start_date:%-d %b %Y})."
                }
            )
        if self.status == MilestoneStatus.DONE and not self.completed_on:
            raise ValidationError({"completed_on": "Give the date the milestone was done."})
        if self.status != MilestoneStatus.DONE and self.completed_on:
            raise ValidationError({"completed_on": "Only a done milestone has a completion date."})


# --- Progress updates and assessments (append-only) -----------------------------------------


class ReviewState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned for revision"
    RESUBMITTED = "resubmitted", "Resubmitted"


class ReviewAction(models.TextChoices):
    SUBMIT = "submit", "Submitted"
    APPROVE = "approve", "Approved"
    RETURN = "return", "Returned for revision"


class ProgressUpdateQuerySet(TeamScopedQuerySet):
    def with_review(self):
        """Annotate what the review state derives from: submitted?, and the decision if any."""
        events = ReviewEvent.objects.filter(update=models.OuterRef("pk"))
        return self.annotate(
            is_submitted=models.Exists(events.filter(action=ReviewAction.SUBMIT)),
            decision=models.Subquery(
                events.exclude(action=ReviewAction.SUBMIT).values("action")[:1]
            ),
        )

    def awaiting_review(self):
        return self.filter(is_submitted=True, decision__isnull=True)

    def reviewable_by(self, user: AbstractBaseUser | AnonymousUser):
        """Updates in teams where the user reviews (all for admins), not their own."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        mine = self.exclude(author=user)
        return mine if user.is_superuser else mine.in_teams(teams_of(user, role=TeamRole.REVIEWER))


class ProgressUpdateManager(models.Manager.from_queryset(ProgressUpdateQuerySet)):
    """Every progress update comes with its review state (also through related managers)."""

    def get_queryset(self):
        return super().get_queryset().with_review()


class ProgressUpdate(Sourced):
    """A report of progress on a commitment, proposing a status; reviewed before it counts.

    Append-only: never edited or deleted. Its review is a series of ``ReviewEvent`` rows
    (submitted, then approved or returned); a revision after a return is a new update that
    ``revises`` the returned one, so what the reviewer saw is kept.
    """

    team_lookups = ("commitment__meeting__team",)

    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, related_name="progress_updates"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="progress_updates"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    narrative = models.TextField()
    proposed_status = models.PositiveSmallIntegerField(
        choices=ImplementationStatus.choices,
        null=True,
        blank=True,
        help_text="Leave empty when the update proposes no change of status.",
    )
    proposed_stalled = models.BooleanField(null=True, blank=True)
    revises = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revision",
        help_text="The returned update this one revises.",
    )

    objects = ProgressUpdateManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        base_manager_name = "objects"
        indexes = [models.Index(fields=["commitment", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(narrative=""), name="progress_update_has_narrative"
            ),
        ]

    def __str__(self) -> str:
        return f"Update on {self.commitment} by {self.author}"

    @property
    def review_state(self) -> ReviewState:
        """Derived from the review events (``with_review()`` annotations)."""
        decision = getattr(self, "decision", None)
        if decision == ReviewAction.APPROVE:
            return ReviewState.APPROVED
        if decision == ReviewAction.RETURN:
            return ReviewState.RETURNED
        if getattr(self, "is_submitted", False):
            return ReviewState.RESUBMITTED if self.revises_id else ReviewState.SUBMITTED
        return ReviewState.DRAFT

    def get_review_state_display(self) -> str:
        return self.review_state.label

    @property
    def awaits_review(self) -> bool:
        return self.review_state in (ReviewState.SUBMITTED, ReviewState.RESUBMITTED)

    @property
    def proposes_change(self) -> bool:
        return self.proposed_status is not None or self.proposed_stalled is not None


class ReviewEvent(models.Model):
    """One step of a progress update's review. Append-only: written by ``actions``.

    The database holds the workflow's shape: an update is submitted once and decided once, and
    a return carries the reviewer's comment. That nobody reviews their own update is checked
    by the action (and, on PostgreSQL, by a trigger).
    """

    team_lookups = ("update__commitment__meeting__team",)

    update = models.ForeignKey(
        ProgressUpdate, on_delete=models.PROTECT, related_name="review_events"
    )
    action = models.CharField(max_length=10, choices=ReviewAction.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_events"
    )
    comment = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["update", "action"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=ReviewAction.values), name="review_event_action_valid"
            ),
            models.UniqueConstraint(
                fields=["update"],
                condition=Q(action=ReviewAction.SUBMIT),
                name="review_event_submitted_once",
                violation_error_message="This update has already been submitted.",
            ),
            models.UniqueConstraint(
                fields=["update"],
                condition=~Q(action=ReviewAction.SUBMIT),
                name="review_event_decided_once",
                violation_error_message="This update has already been reviewed.",
            ),
            models.CheckConstraint(
                condition=~Q(action=ReviewAction.RETURN, comment=""),
                name="review_event_return_has_comment",
                violation_error_message="Say what to revise when returning an update.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.by} on {self.at:%Y-%m-%d}"


class ComplianceScore(models.TextChoices):
    """G7/G20 Research Group compliance scoring."""

    FULL = "+1", "+1 full or nearly full compliance"
    PARTIAL = "0", "0 partial compliance or work in progress"
    NONE = "-1", "-1 no compliance"
    NOT_ASSESSED = "n/a", "Not assessed"


class AssessmentStage(models.TextChoices):
    INTERIM = "interim", "Interim"
    FINAL = "final", "Final"


SCORE_VALUE = {"+1": 1, "0": 0, "-1": -1}


class AssessmentQuerySet(TeamScopedQuerySet):
    def latest_per_party(self):
        """Each (commitment, party)'s most recent assessment only."""
        newest = Assessment.objects.filter(
            commitment=models.OuterRef("commitment"), party=models.OuterRef("party")
        ).order_by("-as_of", "-pk")
        return self.filter(pk=models.Subquery(newest.values("pk")[:1]))

    def compliance_by_party(self) -> list[dict]:
        """Per party, over the latest assessments of commitments that count: the mean score
        (+1 … −1, "not assessed" left out, never counted as −1), as a 0–100 % index, and how
        many commitments were scored. One query."""
        value = models.Case(
            *(models.When(score=score, then=models.Value(v)) for score, v in SCORE_VALUE.items()),
            default=None,
            output_field=models.IntegerField(),
        )
        rows = (
            self.latest_per_party()
            .filter(commitment__in=Commitment.objects.counting())
            .values("party__name")
            .annotate(
                mean=models.Avg(value),
                scored=models.Count("pk", filter=~Q(score=ComplianceScore.NOT_ASSESSED)),
            )
            .order_by("party__name")
        )
        return [
            {
                "key": r["party__name"],
                "mean": r["mean"],
                "index": None if r["mean"] is None else round((r["mean"] + 1) / 2 * 100, 1),
                "count": r["scored"],
            }
            for r in rows
        ]


class Assessment(Sourced):
    """A reviewer's score of one party's compliance with one commitment, as of a date."""

    team_lookups = ("commitment__meeting__team",)

    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="assessments")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="assessments")
    score = models.CharField(max_length=3, choices=ComplianceScore.choices)
    justification = models.TextField()
    as_of = models.DateField()
    stage = models.CharField(
        max_length=10, choices=AssessmentStage.choices, default=AssessmentStage.INTERIM
    )
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-as_of", "-pk"]
        indexes = [models.Index(fields=["commitment", "party", "-as_of"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(justification=""),
                name="assessment_has_justification",
                violation_error_message="An assessment needs a written justification.",
            ),
            models.CheckConstraint(
                condition=Q(score__in=ComplianceScore.values), name="assessment_score_valid"
            ),
            models.CheckConstraint(
                condition=Q(stage__in=AssessmentStage.values), name="assessment_stage_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party} on {self.commitment}: {self.score} as of {self.as_of}"

    def clean(self) -> None:
        if (
            self.commitment_id
            and self.party_id
            and not self.commitment.party_roles.filter(party_id=self.party_id).exists()
        ):
            raise ValidationError({"party": "This party has no role in the commitment."})


# --- What was said, what is claimed, what happened around it --------------------------------


class StatementKind(models.TextChoices):
    QUOTATION = "quotation", "Quotation"
    READOUT = "readout", "Official readout"
    PRESS_RELEASE = "press_release", "Press release"
    SPEECH = "speech", "Speech"


class Statement(Sourced, Timestamped, Versioned):
    """Words attributed to a speaker (Popolo: Speech). A party's own readout is one too."""

    team_lookups = ("meeting__team",)

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="statements")
    speaker = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="statements"
    )
    speaker_office = models.CharField(
        max_length=200, blank=True, help_text="The office the speaker held when speaking."
    )
    party = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
        help_text="The party the statement speaks for.",
    )
    kind = models.CharField(
        max_length=20, choices=StatementKind.choices, default=StatementKind.QUOTATION
    )
    text = models.TextField(help_text="The exact words, ellipses as published.")
    language = models.CharField(max_length=10, default="en", help_text="BCP 47 tag, e.g. en, es.")
    said_on = models.DateField()

    objects = TeamScopedQuerySet.as_manager()
    history = track_history("sources")

    class Meta:
        ordering = ["said_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="statement_has_text"),
            models.CheckConstraint(
                condition=Q(speaker__isnull=False) | Q(party__isnull=False),
                name="statement_attributed",
                violation_error_message="A statement is attributed to a speaker or a party.",
            ),
        ]

    def __str__(self) -> str:
        who = self.speaker or self.party
        return f"{who}: “{self.text[:60]}…”" if len(self.text) > 60 else f"{who}: “{self.text}”"

    def clean(self) -> None:
        if not self.speaker_id and not self.party_id:
            raise ValidationError("A statement is attributed to a speaker or a party.")


class Verification(models.TextChoices):
    VERIFIED = "verified", "Verified"
    REPORTED = "reported", "Reported"
    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    DISPUTED = "disputed", "Disputed"
    RETRACTED = "retracted", "Retracted"


class Claim(Sourced, Timestamped, Versioned, Archivable):
    """A sentence about the world, with how far it is verified."""

    team_lookups = ("meeting__team", "commitment__meeting__team", "body__meeting__team")

    text = models.TextField()
    verification = models.CharField(
        max_length=20, choices=Verification.choices, default=Verification.UNCONFIRMED
    )
    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    body = models.ForeignKey(
        ImplementationBody, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    note = models.TextField(blank=True)

    objects = TeamScopedQuerySet.as_manager()
    history = track_history("sources")

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["verification"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(meeting__isnull=False, commitment__isnull=True, body__isnull=True)
                | Q(meeting__isnull=True, commitment__isnull=False, body__isnull=True)
                | Q(meeting__isnull=True, commitment__isnull=True, body__isnull=False),
                name="claim_about_exactly_one_record",
                violation_error_message="A claim is about exactly one meeting, commitment or body.",
            ),
            models.CheckConstraint(
                condition=Q(verification__in=Verification.values), name="claim_verification_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def subject(self) -> Meeting | Commitment | ImplementationBody | None:
        return self.meeting or self.commitment or self.body

    @property
    def team(self) -> Team:
        subject = self.subject
        return subject.team if isinstance(subject, Meeting) else subject.meeting.team

    def clean(self) -> None:
        if sum(bool(x) for x in (self.meeting_id, self.commitment_id, self.body_id)) != 1:
            raise ValidationError("A claim is about exactly one meeting, commitment or body.")

    @staticmethod
    def sources_error(verification: str, sources) -> str | None:
        """Every state other than unconfirmed needs at least one source (checked by forms,
        since the sources are saved after the claim itself)."""
        if verification != Verification.UNCONFIRMED and not sources:
            return f"A claim marked “{Verification(verification).label}” needs at least one source."
        return None


class EventRelation(models.TextChoices):
    BACKGROUND = "background", "Background"
    FOLLOW_UP = "follow_up", "Follow-up"


class ContextEvent(Sourced, Timestamped, Versioned):
    """Something that happened around a meeting, as background or as follow-up."""

    team_lookups = ("meeting__team",)

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="context_events")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    occurred_on = models.DateField(
        null=True, blank=True, help_text="Leave empty when the sources give no date."
    )
    timing_note = models.CharField(
        max_length=200, blank=True, help_text='When the date is unknown: "shortly before".'
    )
    relation = models.CharField(max_length=20, choices=EventRelation.choices)
    actor = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="context_events"
    )
    location = models.CharField(max_length=200, blank=True)
    fatalities = models.PositiveIntegerField(
        null=True, blank=True, help_text="Deaths reported, where the event caused any."
    )

    objects = TeamScopedQuerySet.as_manager()
    history = track_history("sources")

    class Meta:
        ordering = ["occurred_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(relation__in=EventRelation.values), name="context_event_relation_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title
