"""Commitments: what was agreed, each party's role, and the official status (its changes:
``status_changes``)."""

from __future__ import annotations

import datetime

from django.contrib.postgres.search import SearchVectorField
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .base import (
    Archivable,
    ArchivableQuerySet,
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
from .loading import QuickLoad
from .meetings import Meeting
from .reference import Party, Theme
from .teams import Team, TeamScopedQuerySet


class ImplementationStatus(models.IntegerChoices):
    """Peace Accords Matrix ordinal scale."""

    NOT_STARTED = 0, _("Not started")
    MINIMAL = 1, _("Minimal")
    INTERMEDIATE = 2, _("Intermediate")
    COMPLETE = 3, _("Complete")


class Cancellation(models.TextChoices):
    CANCELLED = "cancelled", _("Cancelled")
    SUPERSEDED = "superseded", _("Superseded")


def _mean_status(day: datetime.date | None) -> models.Avg:
    """The mean status of the commitments that count (``Commitment.counting_q``), or on
    ``day`` of those that counted then (read by ``CommitmentQuerySet.as_of``)."""
    if day:
        return models.Avg("status_then", filter=active_q(Commitment) & Q(cancellation_then=""))
    return models.Avg("status", filter=Commitment.counting_q())


class CommitmentQuerySet(TeamScopedQuerySet, ArchivableQuerySet):
    def for_list(self):
        """With what a list's row shows: meeting, team, theme, and the party roles with their
        parties in one query (in the parties' order). Not the long texts no row shows."""
        roles = CommitmentParty.objects.select_related("party").order_by("party__name", "pk")
        return (
            self.select_related("meeting__team", "theme")
            .defer(*self.UNLISTED)
            .prefetch_related(models.Prefetch("party_roles", queryset=roles))
        )

    def for_rows(self, day: datetime.date | None = None):
        """What a row of the commitment list shows (views/commitment_rows.py), as plain values
        in ``ROW_COLUMNS``' order: its meeting's title and date, its team's name; on a past
        ``day``, those agreed by then, each with its state then (``agreed_by``). Its theme is
        named from the filter form's reference data, its parties' roles read for the page at
        once. Values, not records: building 25 commitments with their meeting and team cost
        more Python than the rest of the page's rows."""
        if day:
            return self.agreed_by(day).order_by().values_list(*self.ROW_COLUMNS_THEN)
        return self.order_by().values_list(*self.ROW_COLUMNS)

    ROW_COLUMNS = (
        "pk",
        "title",
        "theme",
        "status",
        "is_stalled",
        "cancellation",
        "target_date",
        "updated_at",
        "meeting__title",
        "meeting__start_date",
        "team__name",
    )
    # On a past day, with the state then (``agreed_by``) in the places of today's.
    ROW_COLUMNS_THEN = (
        *ROW_COLUMNS[:3],
        "status_then",
        "stalled_then",
        "cancellation_then",
        *ROW_COLUMNS[6:],
    )

    # The columns a list's row never reads: long texts and the stored search words.
    UNLISTED = (
        "text",
        "search_vector",
        "meeting__summary",
        "meeting__context_notes",
        "meeting__outcome_note",
        "meeting__search_vector",
    )

    def live(self):
        """``active()``, as a list walks it along its index (the commitment list): the
        commitment's own archiving read from the index itself (``commitment_team_live_order``
        holds the active ones alone), its meeting's as the meeting not among the archived ones
        (their ids read once, from ``meeting_archived``, and looked up in a hash), where
        ``active()`` joins each row to its meeting. A deep page walks 10,000 entries of the
        index: 13 ms reading each row and its meeting, 1.5 ms along the index alone.
        The same rows as ``active()`` (tests/test_commitment_list_paging.py)."""
        archived = Meeting.objects.filter(archived_at__isnull=False).values("pk")
        return self.filter(archived_at__isnull=True).exclude(meeting__in=archived)

    def counting(self):
        """Commitments that count in averages: not cancelled, superseded or archived."""
        return self.filter(Commitment.counting_q())

    def overdue(self, today: datetime.date):
        return (
            self.counting()
            .filter(target_date__lt=today)
            .exclude(status=ImplementationStatus.COMPLETE)
        )

    def overdue_on(self, day: datetime.date):
        """Overdue as they stood on ``day``: counting then (active, not cancelled then), past
        their target date and not complete then, by their stored history (a semi-join on the
        spans that held then, not a state computed per commitment)."""
        from .status_history import StatusSpan  # stored above this module: read, not imported

        behind_then = (
            StatusSpan.objects.on(day)
            .filter(commitment=models.OuterRef("pk"), cancellation="")
            .exclude(status=ImplementationStatus.COMPLETE)
        )
        return self.filter(models.Exists(behind_then), active_q(Commitment), target_date__lt=day)

    def implementation_index(self) -> float | None:
        """Mean score ÷ 3 as a percentage over the commitments that count; None when none do."""
        mean = self.counting().aggregate(mean=models.Avg("status"))["mean"]
        return as_index(mean)

    def with_mean_status(self, day: datetime.date | None = None):
        """Each commitment with ``mean_status``: the mean status of all these that count (on
        ``day``, as they stood then, after ``as_of(day)``), a window over them, so that a page
        of them carries the index of all (``as_index``, as ``implementation_index`` reads it)
        without a query of its own."""
        return self.annotate(mean_status=models.Window(_mean_status(day)))

    def as_of(self, day: datetime.date):
        """Each commitment with its state as it stood on ``day`` (``status_then``,
        ``stalled_then``, ``cancellation_then``), read from its stored history (``StatusSpan``,
        which states the rule): the span that held then; before its first, the first. One
        probe per commitment and column of the index by commitment, so for a page of them."""
        from .status_history import StatusSpan  # stored above this module: read, not imported

        spans = StatusSpan.objects.filter(commitment=models.OuterRef("pk"))
        held = spans.on(day)
        first = spans.order_by("starts_on")

        def then(field: str, own: str):
            return Coalesce(
                models.Subquery(held.values(field)[:1]),
                models.Subquery(first.values(field)[:1]),
                F(own),
            )

        return self.annotate(
            status_then=then("status", "status"),
            stalled_then=then("is_stalled", "is_stalled"),
            cancellation_then=then("cancellation", "cancellation"),
        )

    def agreed_by(self, day: datetime.date, **then):
        """Those agreed by ``day`` (their meeting held by then), each with its state then as
        ``as_of`` reads it: the span that held then, which each of them has (a commitment's
        spans run without a gap from its meeting, or earlier, to today: ``spans_of``, kept
        with the commitment's team), so joined, inner (one holds on a day), where ``as_of``
        reads two subqueries a column, the first span for a day before it (the commitment
        list on a past day, its walk and its rows: 2 ms less to compile a page, and less for
        PostgreSQL to plan). ``then``: what that span held (``status=2``, ``is_stalled=True``),
        in the one join (a filter on it after would join the spans a second time).

        The join says the span's team is the commitment's, so that a run of one team's rows
        (``paging.runs``) sorted by the state then (``held__status``, then the commitment)
        walks the spans' index by team and status (``status_span_team_status``) for a page's
        rows, where it sorted every commitment the team had agreed by then (70 ms at
        100,000)."""
        held = (
            Q(status_span__starts_on__lte=day)
            & (Q(status_span__ends_on__gt=day) | Q(status_span__ends_on__isnull=True))
            & Q(status_span__team=F("team"))
            & Q(**{f"status_span__{field}": value for field, value in then.items()})
        )  # as ``StatusSpanQuerySet.on``
        return (
            self.filter(meeting_date__lte=day)
            .alias(held=models.FilteredRelation("status_span", condition=held))
            .filter(held__isnull=False)  # inner: each has it
            .annotate(
                status_then=F("held__status"),
                stalled_then=F("held__is_stalled"),
                cancellation_then=F("held__cancellation"),
            )
        )

    def with_status_since(self):
        """Each commitment with ``status_since``: the day its official state took effect (its
        latest effective change's, as its page says), or its meeting's date when it never
        changed (it has stood so since then, as ``as_of`` reads it). One index probe each
        (``status_change_effective``)."""
        changes = self.model._meta.get_field("status_changes").related_model  # StatusChange
        latest = changes.objects.filter(commitment=models.OuterRef("pk")).order_by(
            "-effective_on", "-changed_at", "-pk"
        )
        return self.annotate(
            status_since=Coalesce(
                models.Subquery(latest.values("effective_on")[:1]), F("meeting_date")
            )
        )

    def without_update_since(self, since: datetime.datetime):
        """Commitments that count with no progress update since ``since`` (and older than it),
        the never updated first, then the longest without one."""
        return (
            self.counting()
            .filter(Q(last_update_at__lt=since) | Q(last_update_at__isnull=True))
            .filter(created_at__lt=since)
            .order_by(models.F("last_update_at").asc(nulls_first=True), "pk")
        )

    def totals_by_meeting(self) -> dict[int, tuple[int, float | None]]:
        """Each meeting's number of these commitments and their mean status over those that
        count (``as_index`` makes it the index), ``{meeting id: (total, mean)}``: one grouped
        read, for a page of meetings (``for_list()`` reads the same as two subqueries a row)."""
        return {meeting: (total, mean) for meeting, total, mean in self.totals_by_meeting_rows()}

    def totals_by_meeting_rows(self):
        """``totals_by_meeting``'s query: rows of (meeting id, total, mean)."""
        return (
            self.order_by()
            .values_list("meeting_id")
            .annotate(
                total=models.Count("pk"),
                mean=models.Avg("status", filter=Commitment.counting_q()),
            )
        )


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


class PartyRole(models.TextChoices):
    COMMITTED = "committed", _("Committed")
    JOINT = "joint", _("Joint")
    COUNTERPART = "counterpart", _("Counterpart")
    IMPLEMENTER = "implementer", _("Implementer")


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
