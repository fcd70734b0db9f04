"""Briefing reports: a meeting's, a body's or a party's commitments as a reader on paper needs
them, with every source they cite numbered once, in the order the report first cites it."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q

from .assessments import Assessment
from .commitments import Commitment, CommitmentParty
from .evidence import Claim
from .files import SourceFile
from .milestones import Milestone, MilestoneStatus
from .reference import Source


@dataclass
class SourceNotes:
    """The sources a report cites, each numbered at its first citation; ``cite`` answers the
    numbers of some sources (cited again: the same number)."""

    numbers: dict[int, int] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)

    def cite(self, sources: Iterable[Source]) -> list[int]:
        cited = []
        for source in sources:
            if source.pk not in self.numbers:
                self.sources.append(source)
                self.numbers[source.pk] = len(self.sources)
            cited.append(self.numbers[source.pk])
        return sorted(set(cited))

    def numbered(self) -> list[tuple[int, Source]]:
        """The sources numbered, each with its kept files (one query for them all)."""
        models.prefetch_related_objects(
            self.sources, models.Prefetch("files", queryset=SourceFile.objects.for_list())
        )
        return list(enumerate(self.sources, start=1))


@dataclass
class Cited[T]:
    """A record of the report with the numbers of the sources it cites."""

    record: T
    notes: list[int]


@dataclass
class BriefingItem:
    """One commitment: each party's role with its latest assessment (None: not assessed), its
    overdue milestones and the next one due, its open claims, and the sources of each."""

    commitment: Commitment
    notes: list[int]
    compliance: list[tuple[CommitmentParty, Cited[Assessment] | None]]
    overdue: list[Milestone]
    next_due: Milestone | None
    claims: list[Cited[Claim]]


@dataclass
class Briefing:
    """What a briefing report prints. ``notes``, ``claims``, ``overdue`` and ``next_due`` are
    the record's own (the meeting's sources, claims about the body, the body's meetings);
    ``sources`` every source cited, numbered."""

    today: datetime.date
    items: list[BriefingItem]
    notes: list[int]
    claims: list[Cited[Claim]]
    overdue: list[Milestone]
    next_due: Milestone | None
    sources: list[tuple[int, Source]]

    @property
    def index(self) -> float | None:
        """The implementation index over the commitments listed that count (mean score ÷ 3,
        as a percentage): cancelled, superseded and archived ones left out, as everywhere."""
        return Commitment.index_over(item.commitment for item in self.items)

    @property
    def overdue_commitments(self) -> int:
        return sum(1 for item in self.items if item.commitment.is_overdue(self.today))

    @property
    def overdue_milestones(self) -> int:
        return len(self.overdue) + sum(len(item.overdue) for item in self.items)

    @property
    def open_claims(self) -> int:
        return len(self.claims) + sum(len(item.claims) for item in self.items)


def _due(milestones: Iterable[Milestone], today: datetime.date):
    """The planned ``milestones`` (soonest first) past their date, and the next one due, each
    at the date it had on ``today`` with the moves made by then (a report of a past day; no
    date is moved after the real today)."""
    milestones = list(milestones)
    for milestone in milestones:
        milestone.take_date_on(today)
    milestones.sort(key=lambda milestone: (milestone.due_date, milestone.pk))
    overdue = [m for m in milestones if m.due_date < today]
    upcoming = next((m for m in milestones if m.due_date >= today), None)
    return overdue, upcoming


def for_briefing(
    commitments: models.QuerySet[Commitment], day: datetime.date | None = None
) -> models.QuerySet[Commitment]:
    """``commitments`` with what a briefing report shows of each: its meeting and theme, each
    party's role and latest assessment, its planned milestones (soonest first), its open
    claims, and the sources each of these cites. A fixed number of queries, however many
    commitments. On a past ``day``: the state then (``as_of``, taken by ``compile_briefing``),
    the latest assessments up to then, and the milestones still planned then."""
    planned = Q(status=MilestoneStatus.PLANNED)
    assessments = Assessment.objects.latest_per_party()
    if day is not None:
        commitments = commitments.as_of(day)
        planned |= Q(status=MilestoneStatus.DONE, completed_on__gt=day)
        assessments = Assessment.objects.latest_per_party(day)
    return commitments.select_related("meeting__team", "theme").prefetch_related(
        "party_roles__party",
        "sources",
        models.Prefetch(
            "assessments",
            queryset=assessments.select_related("party").prefetch_related("sources"),
            to_attr="latest_assessments",
        ),
        models.Prefetch(
            "milestones",
            queryset=Milestone.objects.filter(planned).with_moves().order_by("due_date", "pk"),
            to_attr="planned_milestones",
        ),
        models.Prefetch(
            "claims",
            queryset=Claim.objects.still_open().prefetch_related("sources").order_by("pk"),
            to_attr="open_claims",
        ),
    )


def compile_briefing(
    commitments: Iterable[Commitment],
    *,
    today: datetime.date,
    sources: Iterable[Source] = (),
    claims: Iterable[Claim] = (),
    milestones: Iterable[Milestone] = (),
) -> Briefing:
    """The report over ``commitments`` (read through ``for_briefing``, in the order to
    print), with the record's own ``sources``, open ``claims`` (their sources prefetched) and
    planned ``milestones`` (soonest first). Reads nothing more from the database."""
    notes = SourceNotes()
    own_notes = notes.cite(sources)
    own_claims = [Cited(claim, notes.cite(claim.sources.all())) for claim in claims]
    items = []
    for commitment in commitments:
        if hasattr(commitment, "status_then"):  # read as of a past day (``for_briefing``)
            commitment.take_state_then()
        latest = {a.party_id: a for a in commitment.latest_assessments}
        item_notes = notes.cite(commitment.sources.all())
        compliance = []
        for role in commitment.party_roles.all():
            assessment = latest.get(role.party_id)
            cited = assessment and Cited(assessment, notes.cite(assessment.sources.all()))
            compliance.append((role, cited))
        overdue, next_due = _due(commitment.planned_milestones, today)
        items.append(
            BriefingItem(
                commitment=commitment,
                notes=item_notes,
                compliance=compliance,
                overdue=overdue,
                next_due=next_due,
                claims=[Cited(c, notes.cite(c.sources.all())) for c in commitment.open_claims],
            )
        )
    overdue, next_due = _due(milestones, today)
    return Briefing(
        today=today,
        items=items,
        notes=own_notes,
        claims=own_claims,
        overdue=overdue,
        next_due=next_due,
        sources=notes.numbered(),
    )
