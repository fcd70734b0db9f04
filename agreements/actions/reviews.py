"""Progress updates and their review: the workflow's table of steps and the actions taking them.

An update's review state moves here and only here, one step of ``REVIEW_STEPS`` at a time: the
table says from which state an action may move it, who may take that step, the state it moves
to, and what the step does to the commitment. ``take_step`` applies a row: it appends the
``ReviewEvent`` (who, when, the comment), stores the new state on the update, then does the
row's part to the commitment, all in the action's transaction.

An approval, followed from the queue's button::

    approve_update → take_step(APPROVE) → row (SUBMITTED or RESUBMITTED, APPROVE → APPROVED)
        → ReviewEvent appended, ProgressUpdate.review_state stored
        → apply_proposal → status.change_commitment_status → StatusChange appended,
          Commitment.save_versioned (its history names the reviewer, the reason and "review"),
          followers told once the transaction commits (``tasks.notify_followers``)

What the database adds, whoever writes (``migrations/_rules.py``): one submission and one
decision per update, and a return carries a comment (constraints on ``ReviewEvent``); on
PostgreSQL, updates, events and status changes are append-only but for an update's stored
state, nobody records a decision on their own update, and a stored state that disagrees with
the events is refused at commit. Triggers on both databases keep the dashboard's tally and a
commitment's newest-update time as these rows change.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable
from typing import NamedTuple

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import system_texts
from ..models import Commitment, ProgressUpdate, ReviewAction, ReviewEvent, ReviewState
from .base import refuse_archived, refuse_other_teams
from .status import change_commitment_status

# --- The review workflow ----------------------------------------------------------------------


def apply_proposal(update: ProgressUpdate, *, by: AbstractBaseUser, comment: str) -> None:
    """What an approval does to the commitment: the status and stalled flag the update
    proposes become official as of its day of progress, through ``change_commitment_status``
    (its entry names the update, the reviewer and the comment, or the narrative without one).
    An update proposing nothing changes nothing. ``update.commitment`` is read again, showing
    what the approval made."""
    if update.proposes_change:
        change_commitment_status(
            commitment=update.commitment,
            status=update.proposed_status,
            is_stalled=update.proposed_stalled,
            reason=comment.strip()
            or system_texts.stored("update_approved", narrative=update.narrative[:200]),
            by=by,
            via="review",
            update=update,
            effective_on=update.happened_on,
        )
    update.commitment.refresh_from_db()


class Taker(enum.Enum):
    """Who may take a step, told apart by the update's author."""

    AUTHOR = "its author"
    NOT_THE_AUTHOR = "anyone but its author, admins included"  # the queue lets only reviewers


class Step(NamedTuple):
    """One allowed move of a progress update's review state."""

    source: ReviewState
    action: ReviewAction
    target: ReviewState
    taker: Taker
    # What the step does to the update's commitment, or None for nothing.
    on_commitment: Callable[..., None] | None
    # For an update that revises a returned one (True), for one that does not (False), or both.
    revision: bool | None = None


S, A, T = ReviewState, ReviewAction, Taker  # short names, so that each row reads as one line

# Every move there is; anything not here is refused. APPROVED and RETURNED are final: a
# returned update is answered by a new one that ``revises`` it (``REVISABLE``, submit_update),
# so what the reviewer saw stays as it was. The database derives the same states from the
# events (``agreements_review_state_of``, migrations/_rules.py) and, on PostgreSQL, refuses
# any other.
# fmt: off
REVIEW_STEPS: tuple[Step, ...] = (
    #    from           action     to             taken by          the commitment
    Step(S.DRAFT,       A.SUBMIT,  S.SUBMITTED,   T.AUTHOR,         None, revision=False),
    Step(S.DRAFT,       A.SUBMIT,  S.RESUBMITTED, T.AUTHOR,         None, revision=True),
    Step(S.SUBMITTED,   A.APPROVE, S.APPROVED,    T.NOT_THE_AUTHOR, apply_proposal),
    Step(S.SUBMITTED,   A.RETURN,  S.RETURNED,    T.NOT_THE_AUTHOR, None),
    Step(S.RESUBMITTED, A.APPROVE, S.APPROVED,    T.NOT_THE_AUTHOR, apply_proposal),
    Step(S.RESUBMITTED, A.RETURN,  S.RETURNED,    T.NOT_THE_AUTHOR, None),
)
# fmt: on

# The state of an update that a new update may revise.
REVISABLE = ReviewState.RETURNED


def step_for(update: ProgressUpdate, action: str) -> Step | None:
    """The row of ``REVIEW_STEPS`` that ``action`` takes from the update's state, or None."""
    is_revision = update.revises_id is not None
    rows = (
        step
        for step in REVIEW_STEPS
        if (step.source, step.action) == (update.review_state, action)
        and step.revision in (None, is_revision)
    )
    return next(rows, None)


def take_step(
    update: ProgressUpdate, action: str, *, by: AbstractBaseUser, comment: str = ""
) -> ProgressUpdate:
    """Move ``update`` by the row of ``REVIEW_STEPS`` that ``action`` takes from its state.

    The caller holds the lock on the update's commitment (``_locked``) and has refused an
    archived one. Refused (``ValidationError``, nothing written): ``by`` is not who takes the
    step, or the table holds no step for the action from this state. Otherwise, together: the
    event is appended, the state stored (on the update given, too), the commitment changed.
    """
    # One action is taken by the same side in every row: who may is answered first, whatever
    # the state (nobody reviews their own update, decided or not).
    taker = next(step.taker for step in REVIEW_STEPS if step.action == action)
    if taker is Taker.AUTHOR and update.author_id != by.pk:
        raise ValidationError(_("Only its author submits a draft."))
    if taker is Taker.NOT_THE_AUTHOR and update.author_id == by.pk:
        raise ValidationError(_("Nobody reviews their own update, admins included."))
    step = step_for(update, action)
    if step is None:
        if action == ReviewAction.SUBMIT:
            raise ValidationError(_("Only a draft can be submitted."))
        raise ValidationError(
            _("This update is %(state)s.") % {"state": update.get_review_state_display().lower()}
        )
    ReviewEvent.objects.create(update=update, action=action, by=by, comment=comment)
    ProgressUpdate.objects.filter(pk=update.pk).update(review_state=step.target)
    update.review_state = step.target
    if step.on_commitment is not None:
        step.on_commitment(update, by=by, comment=comment)
    return update


def _locked(update: ProgressUpdate) -> ProgressUpdate:
    """The update read again with its review state, its commitment's row locked first: every
    step on one commitment queues in the same order, so two reviewers never both decide."""
    Commitment.objects.select_for_update().filter(pk=update.commitment_id).first()
    return ProgressUpdate.objects.select_related("commitment").get(pk=update.pk)


# --- The actions ------------------------------------------------------------------------------


@transaction.atomic
def submit_update(
    *,
    commitment: Commitment,
    author: AbstractBaseUser,
    narrative: str,
    proposed_status: int | None = None,
    proposed_stalled: bool | None = None,
    sources=(),
    revises: ProgressUpdate | None = None,
    draft: bool = False,
    happened_on: datetime.date | None = None,
) -> ProgressUpdate:
    """Write a progress update (a draft) and, unless ``draft``, submit it for review.

    ``happened_on`` is the day of the progress it reports (today by default; between its
    meeting and today): what it proposes takes effect on that day once approved.

    A revision (``revises``) answers a returned update of the same commitment; submitted, it is
    resubmitted. The commitment's row is locked first, as every review step locks it: writers
    of one commitment queue in one order, so they never deadlock.
    """
    Commitment.objects.select_for_update().filter(pk=commitment.pk).first()
    refuse_archived(commitment)
    if revises is not None:
        revises = _locked(revises)
        if revises.review_state != REVISABLE or revises.commitment_id != commitment.pk:
            raise ValidationError(_("Only a returned update of this commitment can be revised."))
    update = ProgressUpdate(
        commitment=commitment,
        author=author,
        narrative=narrative,
        proposed_status=proposed_status,
        proposed_stalled=proposed_stalled,
        revises=revises,
        happened_on=happened_on or timezone.localdate(),
    )
    update.refuse_misdated()
    refuse_other_teams(update, {"sources": list(sources)})
    update.save()
    update.sources.set(sources)
    if not draft:
        take_step(update, ReviewAction.SUBMIT, by=author)
    return update


@transaction.atomic
def submit_draft(*, update: ProgressUpdate, by: AbstractBaseUser) -> ProgressUpdate:
    """Its author submits a draft for review (``REVIEW_STEPS``: DRAFT, SUBMIT)."""
    update = _locked(update)
    refuse_archived(update.commitment)
    return take_step(update, ReviewAction.SUBMIT, by=by)


@transaction.atomic
def approve_update(
    *, update: ProgressUpdate, by: AbstractBaseUser, comment: str = ""
) -> ProgressUpdate:
    """Approve an update awaiting review; what it proposes becomes the official status, with
    the approval, the history entry and the status written together or not at all
    (``REVIEW_STEPS``: APPROVE, ``apply_proposal``)."""
    update = _locked(update)
    refuse_archived(update.commitment)
    return take_step(update, ReviewAction.APPROVE, by=by, comment=comment)


@transaction.atomic
def return_update(*, update: ProgressUpdate, by: AbstractBaseUser, comment: str) -> ProgressUpdate:
    """Send an update awaiting review back to its author with what to revise
    (``REVIEW_STEPS``: RETURN); the commitment is left as it is."""
    if not comment or not comment.strip():
        raise ValidationError({"comment": _("Say what to revise when returning an update.")})
    update = _locked(update)
    refuse_archived(update.commitment)
    return take_step(update, ReviewAction.RETURN, by=by, comment=comment.strip())
