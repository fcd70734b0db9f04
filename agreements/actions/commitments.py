"""A commitment's own records besides its status: party roles, milestones (added, ticked,
rescheduled), compliance assessments, and who follows it. (Its official status moves in
``reviews``.)"""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import system_texts
from ..models import (
    Assessment,
    Commitment,
    CommitmentParty,
    ComplianceSpan,
    Follow,
    Meeting,
    Milestone,
    MilestoneReschedule,
    MilestoneStatus,
    refuse_dated_outside,
)
from .base import create_record, fold_tallies, refuse_archived, save_versioned


def set_party_roles(commitment: Commitment, roles: dict) -> None:
    """Make the commitment's party roles match ``roles`` (party → role, "" for none).
    A step of the meeting form and of an import, inside their transaction."""
    current = {r.party_id: r for r in commitment.party_roles.all()}
    for party, role in roles.items():
        existing = current.get(party.pk)
        if role and existing is None:
            CommitmentParty.objects.create(commitment=commitment, party=party, role=role)
        elif role and existing.role != role:
            existing.role = role
            existing.save(update_fields=["role"])
        elif not role and existing is not None:
            existing.delete()


@transaction.atomic
def add_milestone(*, milestone: Milestone, by: AbstractBaseUser) -> Milestone:
    """Add a planned milestone to a commitment or a body."""
    refuse_archived(milestone.meeting, milestone.commitment, milestone.body)
    return create_record(milestone, by=by)


@transaction.atomic
def reschedule_milestone(
    *,
    milestone: Milestone,
    expected: int,
    to_date,
    reason: str,
    by: AbstractBaseUser,
    moved_on: datetime.date | None = None,
    name: str = "",
) -> MilestoneReschedule:
    """Move a planned (or missed) milestone to a new date, keeping the date it had, who moved
    it, when and why, and the day it was moved (``moved_on``, today by default; between its
    meeting and today), and the new date's name if it has one ("extended suspension ends");
    the first date stays on the milestone as ``original_due_date``. A
    missed milestone given a new date is planned again. "Overdue" then counts from the new
    date."""
    refuse_archived(milestone)
    moved_on = moved_on or timezone.localdate()
    refuse_dated_outside(moved_on, milestone.of_meeting.start_date, field="moved_on")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the date moves.")})
    if not milestone.is_reschedulable:
        raise ValidationError(
            _("“%(title)s” is %(status)s: only a planned or missed milestone gets a new date.")
            % {"title": milestone.title, "status": milestone.get_status_display().lower()}
        )
    if to_date == milestone.due_date:
        raise ValidationError({"to_date": _("That is the date it is due already.")})
    earlier = milestone.due_date
    milestone.due_date = to_date
    milestone.original_due_date = milestone.original_due_date or earlier
    milestone.status = MilestoneStatus.PLANNED
    try:
        milestone.clean()  # not before the meeting that agreed it
    except ValidationError as error:
        raise ValidationError({"to_date": error.message_dict["due_date"]}) from None
    save_versioned(
        milestone,
        expected=expected,
        fields=["due_date", "original_due_date", "status"],
        by=by,
        reason=system_texts.stored("rescheduled", reason=reason),
    )
    return MilestoneReschedule.objects.create(
        milestone=milestone,
        from_date=earlier,
        to_date=to_date,
        name=(name or "").strip(),
        reason=reason,
        by=by,
        moved_on=moved_on,
    )


@transaction.atomic
def toggle_milestone(
    *, milestone: Milestone, expected: int, by: AbstractBaseUser, on=None
) -> Milestone:
    """Tick a planned milestone as done (``on`` that day, today by default; between its meeting
    and today), or open a done one again; over the version the checklist showed."""
    refuse_archived(milestone)
    if on is not None and milestone.status == MilestoneStatus.PLANNED:
        refuse_dated_outside(on, milestone.of_meeting.start_date, field="completed_on")
    if milestone.status == MilestoneStatus.DONE:
        milestone.status, milestone.completed_on = MilestoneStatus.PLANNED, None
    elif milestone.status == MilestoneStatus.PLANNED:
        milestone.status, milestone.completed_on = MilestoneStatus.DONE, on or timezone.localdate()
    else:
        raise ValidationError(
            _("“%(title)s” is %(status)s: it cannot be ticked.")
            % {"title": milestone.title, "status": milestone.get_status_display().lower()}
        )
    save_versioned(milestone, expected=expected, fields=["status", "completed_on"], by=by)
    return milestone


@transaction.atomic
def record_assessment(*, assessment: Assessment, sources=(), by: AbstractBaseUser) -> Assessment:
    """A reviewer's score of one party's compliance, as of a date (append-only)."""
    refuse_archived(assessment.commitment)
    assessment.assessed_by = by
    assessment.full_clean()
    fold_tallies(assessment.commitment.team_id)
    create_record(assessment, by=by, sources=sources)
    Meeting.lock(assessment.commitment.meeting_id)  # as every write to the stored history
    ComplianceSpan.objects.rewrite([assessment.commitment_id])
    return assessment


@transaction.atomic
def follow_commitment(
    *, commitment: Commitment, user: AbstractBaseUser, follow: bool = True
) -> bool:
    """Start (or, with ``follow=False``, stop) telling ``user`` when the commitment's official
    status changes. The caller has checked that the user can see it (``permissions``); an
    archived commitment, read-only, takes no new follower, but anyone may stop following it.
    Returns whether the user follows."""
    if follow:
        refuse_archived(commitment)
        Follow.objects.get_or_create(user=user, commitment=commitment)
    else:
        Follow.objects.filter(user=user, commitment=commitment).delete()
    return follow
