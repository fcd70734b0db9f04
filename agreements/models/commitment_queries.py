"""What is asked of many commitments at once (``CommitmentQuerySet``, the commitments'
manager): who sees them, which count, a list's rows, a past day's state, the figures over
them. The model is ``commitments.Commitment``; its queries reach it as ``self.model``."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from .base import (
    ArchivableQuerySet,
    active_q,
    as_index,
)
from .commitment_vocabularies import ImplementationStatus
from .meetings import Meeting
from .teams import TeamScopedQuerySet


def _mean_status(model, day: datetime.date | None) -> models.Avg:
    """The mean status of the commitments that count (``Commitment.counting_q``), or on
    ``day`` of those that counted then (read by ``CommitmentQuerySet.as_of``)."""
    if day:
        return models.Avg("status_then", filter=active_q(model) & Q(cancellation_then=""))
    return models.Avg("status", filter=model.counting_q())


class CommitmentQuerySet(TeamScopedQuerySet, ArchivableQuerySet):
    def for_list(self):
        """With what a list's row shows: meeting, team, theme, and the party roles with their
        parties in one query (in the parties' order). Not the long texts no row shows."""
        roles = self.model.parties.through.objects.select_related("party").order_by(
            "party__name", "pk"
        )
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
        return self.filter(self.model.counting_q())

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
        return self.filter(models.Exists(behind_then), active_q(self.model), target_date__lt=day)

    def implementation_index(self) -> float | None:
        """Mean score ÷ 3 as a percentage over the commitments that count; None when none do."""
        mean = self.counting().aggregate(mean=models.Avg("status"))["mean"]
        return as_index(mean)

    def with_mean_status(self, day: datetime.date | None = None):
        """Each commitment with ``mean_status``: the mean status of all these that count (on
        ``day``, as they stood then, after ``as_of(day)``), a window over them, so that a page
        of them carries the index of all (``as_index``, as ``implementation_index`` reads it)
        without a query of its own."""
        return self.annotate(mean_status=models.Window(_mean_status(self.model, day)))

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
                mean=models.Avg("status", filter=self.model.counting_q()),
            )
        )
