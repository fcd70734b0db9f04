"""Progress updates and their review, and every change of a commitment's official status."""

from __future__ import annotations

from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import tasks
from ..audit import audit_via
from ..models import (
    Commitment,
    Follow,
    ProgressUpdate,
    ReviewAction,
    ReviewEvent,
    ReviewState,
    StatusChange,
)
from .base import refuse_archived, refuse_other_teams


def change_commitment_status(
    *,
    commitment: Commitment,
    status: int | None = None,
    is_stalled: bool | None = None,
    cancellation: str | None = None,
    reason: str,
    by: AbstractBaseUser | None,
    via: str,
    update: ProgressUpdate | None = None,
) -> StatusChange | None:
    """Set a commitment's official status and flags, and record who, when, from, to and why.

    ``None`` leaves that part unchanged. Returns the history entry, or None when nothing changed.
    The row is locked for the duration, so concurrent changes queue instead of interleaving.
    """
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("A status change needs a reason.")})
    refuse_archived(commitment)
    current = Commitment.objects.select_for_update().get(pk=commitment.pk)
    new_status = current.status if status is None else status
    new_stalled = current.is_stalled if is_stalled is None else is_stalled
    new_cancellation = current.cancellation if cancellation is None else cancellation
    if (new_status, new_stalled, new_cancellation) == (
        current.status,
        current.is_stalled,
        current.cancellation,
    ):
        return None
    change = StatusChange.objects.create(
        commitment=current,
        from_status=current.status,
        to_status=new_status,
        from_stalled=current.is_stalled,
        to_stalled=new_stalled,
        from_cancellation=current.cancellation,
        to_cancellation=new_cancellation,
        reason=reason.strip(),
        changed_by=by,
        changed_via=via,
        update=update,
    )
    commitment.status = new_status
    commitment.is_stalled = new_stalled
    commitment.cancellation = new_cancellation
    # The history record names the same person and reason, in a request or not.
    commitment._change_reason = reason.strip()
    commitment._history_user = by
    with audit_via(via):  # the history record names the same origin as the status change
        commitment.save_versioned(
            expected=current.version, update_fields=["status", "is_stalled", "cancellation"]
        )
    followers = Follow.objects.filter(commitment=current)
    if by is not None:
        followers = followers.exclude(user=by)
    if followers.exists():
        # Once the change is committed (never for a change rolled back); the task reads it then.
        # Robust: a queue that fails then is logged, and the change stands, answered as done.
        transaction.on_commit(partial(tasks.notify_followers.enqueue, change.pk), robust=True)
    return change


def _refuse_own(update: ProgressUpdate, by: AbstractBaseUser) -> None:
    if update.author_id == by.pk:
        raise ValidationError(_("Nobody reviews their own update, admins included."))


def _record_review(
    update: ProgressUpdate, action: str, by: AbstractBaseUser, comment: str = ""
) -> ProgressUpdate:
    """Append the review event; saving it stores the state it moves the update to."""
    ReviewEvent.objects.create(update=update, action=action, by=by, comment=comment)
    return update


def _locked(update: ProgressUpdate) -> ProgressUpdate:
    """The update with its review state, its commitment's row locked: decisions queue."""
    Commitment.objects.select_for_update().filter(pk=update.commitment_id).first()
    return ProgressUpdate.objects.select_related("commitment").get(pk=update.pk)


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
) -> ProgressUpdate:
    """Write a progress update and, unless it is a draft, submit it for review.

    A revision (``revises``) answers a returned update of the same commitment. The commitment's
    row is locked first, as every review step locks it: writers of one commitment queue in one
    order, so they never deadlock.
    """
    Commitment.objects.select_for_update().filter(pk=commitment.pk).first()
    refuse_archived(commitment)
    if revises is not None:
        revises = _locked(revises)
        if revises.review_state != ReviewState.RETURNED or revises.commitment_id != commitment.pk:
            raise ValidationError(_("Only a returned update of this commitment can be revised."))
    update = ProgressUpdate(
        commitment=commitment,
        author=author,
        narrative=narrative,
        proposed_status=proposed_status,
        proposed_stalled=proposed_stalled,
        revises=revises,
    )
    refuse_other_teams(update, {"sources": list(sources)})
    update.save()
    update.sources.set(sources)
    if not draft:
        _record_review(update, ReviewAction.SUBMIT, author)
    return update


@transaction.atomic
def submit_draft(*, update: ProgressUpdate, by: AbstractBaseUser) -> ProgressUpdate:
    update = _locked(update)
    refuse_archived(update.commitment)
    if update.review_state != ReviewState.DRAFT:
        raise ValidationError(_("Only a draft can be submitted."))
    if update.author_id != by.pk:
        raise ValidationError(_("Only its author submits a draft."))
    return _record_review(update, ReviewAction.SUBMIT, by)


@transaction.atomic
def approve_update(
    *, update: ProgressUpdate, by: AbstractBaseUser, comment: str = ""
) -> ProgressUpdate:
    """Approve a submitted update; what it proposes becomes the official status, with the
    approval, the history entry and the status written together or not at all."""
    update = _locked(update)
    _refuse_own(update, by)
    refuse_archived(update.commitment)
    if not update.awaits_review:
        raise ValidationError(_not_awaiting(update))
    _record_review(update, ReviewAction.APPROVE, by, comment)
    if update.proposes_change:
        change_commitment_status(
            commitment=update.commitment,
            status=update.proposed_status,
            is_stalled=update.proposed_stalled,
            reason=comment.strip() or f"Approved progress update: {update.narrative[:200]}",
            by=by,
            via="review",
            update=update,
        )
    update.commitment.refresh_from_db()  # the row shows the status the approval made
    return update


@transaction.atomic
def return_update(*, update: ProgressUpdate, by: AbstractBaseUser, comment: str) -> ProgressUpdate:
    """Send a submitted update back to its author with what to revise."""
    if not comment or not comment.strip():
        raise ValidationError({"comment": _("Say what to revise when returning an update.")})
    update = _locked(update)
    _refuse_own(update, by)
    refuse_archived(update.commitment)
    if not update.awaits_review:
        raise ValidationError(_not_awaiting(update))
    return _record_review(update, ReviewAction.RETURN, by, comment.strip())


def _not_awaiting(update: ProgressUpdate) -> str:
    """Why a decision on an update that no longer awaits review is refused."""
    return _("This update is %(state)s.") % {"state": update.get_review_state_display().lower()}
