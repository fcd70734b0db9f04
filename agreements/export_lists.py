"""Each list's CSV columns (``exports.Columns``): the commitments', meetings', open claims' and
milestones', each column with what its rows must carry (``reads``) and how the database copies it
(``copied``, ``exports_copy``). ``exports.csv_response`` writes them."""

from __future__ import annotations

import datetime
import time
from operator import itemgetter

from django.db import models
from django.db.models import Q
from django.utils import timezone

from . import exports_copy as copying
from . import models as m
from .exports import Column, Columns, Row, joined, label, page_of, taken


def _today() -> datetime.date:
    """Today, read once a second at most: a long export asks it for every row."""
    now = time.monotonic()
    if now - _TODAY[1] > 1:
        _TODAY[:] = [timezone.localdate(), now]
    return _TODAY[0]


_TODAY: list = [None, float("-inf")]


_role = label(m.CommitmentParty, "role")
_status = label(m.Commitment, "status")
_cancellation = label(m.Commitment, "cancellation")
_roles = joined(m.CommitmentParty, "commitment_id", "party__code", "role", order=("party__name",))


def _party_roles(row: Row) -> str:
    return "; ".join(f"{code}: {_role(role)}" for code, role in row["party_roles"] or ())


def _overdue(row: Row) -> bool:
    """``Commitment.is_overdue`` on a plain row."""
    return bool(
        not row["cancellation"]
        and row["target_date"]
        and row["target_date"] < _today()
        and row["status"] != m.ImplementationStatus.COMPLETE
    )


_commitment_page = page_of("agreements:commitment_detail")


def _with_dates(commitments: models.QuerySet) -> models.QuerySet:
    """Commitments with the day their status took effect and their latest approved progress."""
    progress = m.ProgressUpdate.objects.approved().filter(commitment=models.OuterRef("pk"))
    latest = progress.order_by("-happened_on").values("happened_on")[:1]
    return commitments.with_status_since().annotate(last_progress_on=models.Subquery(latest))


def _overdue_then(context: copying.CopyContext) -> Q:
    return Q(cancellation="", target_date__lt=context.today) & ~Q(
        status=m.ImplementationStatus.COMPLETE
    )


COMMITMENTS = Columns(
    [
        taken("id", copied=copying.number),
        taken("title", copied=copying.text),
        taken("reference", copied=copying.text),
        taken("text", copied=copying.text),
        taken("language", copied=copying.text),
        taken("theme", "theme__name", copied=copying.text),
        taken("status", copied=copying.number),
        Column(
            "status_label",
            lambda c: _status(c["status"]),
            lambda context: copying.labelled(_status, "status"),
        ),
        taken("status_since", copied=copying.day),
        Column(
            "stalled", itemgetter("is_stalled"), copying.yes_no(lambda context: Q(is_stalled=True))
        ),
        Column(
            "cancellation",
            lambda c: _cancellation(c["cancellation"]),
            lambda context: copying.labelled(_cancellation, "cancellation"),
        ),
        taken("target_date", copied=copying.day),
        Column("overdue", _overdue, copying.yes_no(_overdue_then)),
        taken("lead_agency", copied=copying.text),
        Column("party_roles", _party_roles, copying.roles_in_order(_role)),
        taken("indicator", copied=copying.text),
        taken("meeting_id", copied=copying.number),
        taken("meeting", "meeting__title", copied=copying.text),
        taken("meeting_date", copied=copying.day),
        taken("team", "meeting__team__name", copied=copying.text),
        taken("last_progress_on", copied=copying.day),
        taken("updated_at", copied=copying.moment),
        Column("page", _commitment_page, copying.page(_commitment_page)),
    ],
    fields=(
        "id",
        "title",
        "reference",
        "text",
        "language",
        "theme__name",
        "status",
        "status_since",
        "is_stalled",
        "cancellation",
        "target_date",
        "lead_agency",
        "indicator",
        "meeting_id",
        "meeting__title",
        "meeting_date",
        "meeting__team__name",
        "last_progress_on",
        "updated_at",
    ),
    reads=_with_dates,
    fetches={"party_roles": _roles},
)
_outcome = label(m.Meeting, "outcome_type")
_parties = joined(m.Meeting.parties.through, "meeting_id", "party__code", order=("party__name",))


def _index(row: Row) -> float | None:
    index = m.as_index(row["mean_status"])
    return None if index is None else round(index, 1)


MEETINGS = Columns(
    [
        taken("id"),
        taken("title"),
        taken("start_date"),
        taken("end_date"),
        taken("city"),
        taken("venue"),
        Column("parties", lambda mt: "; ".join(mt["parties"] or ())),
        Column("outcome", lambda mt: _outcome(mt["outcome_type"])),
        taken("outcome_note"),
        Column("commitments", lambda mt: mt["commitment_count"] or 0),
        Column("implementation_index", _index),
        taken("team", "team__name"),
        Column("page", page_of("agreements:meeting_detail")),
    ],
    fields=(
        "id",
        "title",
        "start_date",
        "end_date",
        "city",
        "venue",
        "outcome_type",
        "outcome_note",
        "commitment_count",
        "mean_status",
        "team__name",
    ),
    fetches={"parties": _parties},
)


def _subject(claim: Row) -> str:
    if claim["commitment_id"]:
        return f"commitment: {claim['commitment__title']}"
    if claim["body_id"]:
        return f"body: {claim['body__name']}"
    return f"meeting: {claim['meeting__title']}"


_verification = label(m.Claim, "verification")
_claim_sources = joined(
    m.Claim.sources.through,
    "claim_id",
    "source__url",
    "source__title",
    order=("-source__published_on", "source__title", "source__pk"),
)

CLAIMS = Columns(
    [
        taken("id"),
        taken("text"),
        taken("language"),
        Column("verification", lambda c: _verification(c["verification"])),
        Column("about", _subject),
        Column("sources", lambda c: "; ".join(url or title for url, title in c["sources"] or ())),
        taken("verified_on"),
        taken("note"),
        taken("team", "team__name"),
        taken("updated_at"),
    ],
    fields=(
        "id",
        "text",
        "language",
        "verification",
        "commitment_id",
        "commitment__title",
        "body_id",
        "body__name",
        "meeting__title",
        "verified_on",
        "note",
        "team__name",
        "updated_at",
    ),
    fetches={"sources": _claim_sources},
)


def _of(milestone: Row) -> str:
    if milestone["meeting_id"]:
        return f"meeting: {milestone['meeting__title']}"
    if milestone["commitment_id"]:
        return f"commitment: {milestone['commitment__title']}"
    return f"body: {milestone['body__name']}"


def _meeting_of(milestone: Row) -> str:
    """``Milestone.of_meeting``'s title: its own meeting, its commitment's, or its body's."""
    if milestone["meeting_id"]:
        return milestone["meeting__title"]
    if milestone["commitment_id"]:
        return milestone["commitment__meeting__title"]
    return milestone["body__meeting__title"]


_milestone_status = label(m.Milestone, "status")

MILESTONES = Columns(
    [
        taken("id"),
        taken("title"),
        taken("due_date"),
        taken("first_due_date", "original_due_date"),
        Column("status", lambda ms: _milestone_status(ms["status"])),
        Column(
            "overdue",
            lambda ms: ms["status"] == m.MilestoneStatus.PLANNED and ms["due_date"] < _today(),
        ),
        taken("completed_on"),
        taken("moved_on"),
        # The name the last move gave its date ("extended suspension ends"), if any.
        Column("moved_as", lambda ms: ms["moved_as"] or ""),
        taken("owner"),
        Column("of", _of),
        Column("meeting", _meeting_of),
    ],
    fields=(
        "id",
        "title",
        "due_date",
        "original_due_date",
        "status",
        "completed_on",
        "moved_on",
        "moved_as",
        "owner",
        "meeting_id",
        "meeting__title",
        "commitment_id",
        "commitment__title",
        "body__name",
        "commitment__meeting__title",
        "body__meeting__title",
    ),
    reads=lambda milestones: milestones.with_moved_on(),
)
