"""A commitment's official status: every change of it, recorded with who, when and why, and
its followers told. An approved update changes it (``reviews.apply_proposal``); so does an
admin directly in the commitment's admin page, an override (``StatusChange.is_override``)."""

from __future__ import annotations

import datetime
from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import tasks
from ..audit import audit_via
from ..models import (
    Commitment,
    Follow,
    Meeting,
    ProgressUpdate,
    ReviewAction,
    ReviewState,
    StatusChange,
)
from ..models.status_history import State
from .base import refuse_archived, states_moved


@transaction.atomic
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
    effective_on: datetime.date | None = None,
) -> StatusChange | None:
    """Set a commitment's official status and flags as of ``effective_on`` (today by default;
    never in the future, never before its meeting), and record who, when, from, to and why.

    ``None`` leaves that part as it stood on that day. Returns the history entry, or None when
    nothing changed. The commitment's state is that of its change with the latest effective day
    (the later recorded on one day): a change dated before a later one is recorded in its
    place, "from" what stood on its day, and the commitment keeps the later one's state. The
    row (and its meeting's, first: ``Meeting.lock``) is locked for the duration, so concurrent
    changes queue and each sees the others.
    An approval calls it with its ``update``; an admin's direct change (an override) without.
    """
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("A status change needs a reason.")})
    Meeting.lock(commitment.meeting_id)  # before the commitment's row, as every write
    refuse_archived(commitment)  # read once the meeting is held: not archived meanwhile
    current = Commitment.objects.select_for_update().get(pk=commitment.pk)
    effective_on = effective_on or timezone.localdate()
    current.refuse_dated_outside(
        effective_on,
        field="effective_on",
        future=_("A status change cannot take effect in the future."),
        before=_("A status change cannot take effect before its meeting (%(date)s)."),
    )
    changes = StatusChange.objects.filter(commitment=current)
    superseded = changes.filter(effective_on__gt=effective_on).exists()
    before = state_on(current, effective_on) if superseded else state_of(current)
    after = State(
        before.status if status is None else status,
        before.is_stalled if is_stalled is None else is_stalled,
        before.cancellation if cancellation is None else cancellation,
    )
    if after == before:
        return None
    change = StatusChange.objects.create(
        commitment=current,
        from_status=before.status,
        to_status=after.status,
        from_stalled=before.is_stalled,
        to_stalled=after.is_stalled,
        from_cancellation=before.cancellation,
        to_cancellation=after.cancellation,
        reason=reason.strip(),
        changed_by=by,
        changed_via=via,
        update=update,
        effective_on=effective_on,
    )
    if superseded:
        states_moved(current)
        _confirmed_again(current, effective_on)
        return change  # a later change stands: the commitment's state is unchanged
    commitment.status, commitment.is_stalled, commitment.cancellation = after
    # The history record names the same person and reason, in a request or not.
    commitment._change_reason = reason.strip()
    commitment._history_user = by
    with audit_via(via):  # the history record names the same origin as the status change
        commitment.save_versioned(
            expected=current.version, update_fields=["status", "is_stalled", "cancellation"]
        )
    states_moved(current)
    _confirmed_again(current, effective_on)
    followers = Follow.objects.filter(commitment=current)
    if by is not None:
        followers = followers.exclude(user=by)
    if followers.exists():
        # Once the change is committed (never for a change rolled back); the task reads it then.
        # Robust: a queue that fails then is logged, and the change stands, answered as done.
        transaction.on_commit(partial(tasks.notify_followers.enqueue, change.pk), robust=True)
    return change


def _confirmed_again(commitment: Commitment, day: datetime.date) -> None:
    """The approved updates dated after ``day`` that changed nothing, what they proposed
    standing on their day when approved (none recorded a change), applied again in their
    days' order now that a change dated ``day`` is in place: as if approved after it. An
    update confirming the status on the 19th then still stands after one of the 12th,
    approved later, set another (an approved update is a dated fact, whichever was
    approved first); one that still changes nothing records nothing again."""
    confirmed = (
        ProgressUpdate.objects.filter(
            commitment=commitment, review_state=ReviewState.APPROVED, happened_on__gt=day
        )
        .filter(Q(proposed_status__isnull=False) | Q(proposed_stalled__isnull=False))
        .exclude(Exists(StatusChange.objects.filter(update=OuterRef("pk"))))
        .order_by("happened_on", "pk")
    )
    from .reviews import apply_proposal  # its module calls this one

    for update in confirmed:
        approval = update.review_events.filter(action=ReviewAction.APPROVE).latest("at")
        apply_proposal(update, by=approval.by, comment=approval.comment)


def state_of(commitment: Commitment) -> State:
    return State(commitment.status, commitment.is_stalled, commitment.cancellation)


def state_on(commitment: Commitment, day: datetime.date) -> State:
    """What stood on ``day`` by the commitment's recorded changes (``CommitmentQuerySet.as_of``,
    the one statement of that rule)."""
    then = Commitment.objects.as_of(day).filter(pk=commitment.pk)
    status, stalled, cancellation = then.values_list(
        "status_then", "stalled_then", "cancellation_then"
    ).get()
    return State(status, bool(stalled), cancellation)
