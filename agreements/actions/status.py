"""A commitment's official status: every change of it, recorded with who, when and why, and
its followers told. An approved update changes it (``reviews.apply_proposal``); so does an
admin directly in the commitment's admin page, an override (``StatusChange.is_override``)."""

from __future__ import annotations

from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import tasks
from ..audit import audit_via
from ..models import Commitment, Follow, ProgressUpdate, StatusChange
from .base import fold_tallies, refuse_archived


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
) -> StatusChange | None:
    """Set a commitment's official status and flags, and record who, when, from, to and why.

    ``None`` leaves that part unchanged. Returns the history entry, or None when nothing changed.
    The row is locked for the duration, so concurrent changes queue instead of interleaving.
    An approval calls it with its ``update``; an admin's direct change (an override) without.
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
    fold_tallies(current.team_id)
    followers = Follow.objects.filter(commitment=current)
    if by is not None:
        followers = followers.exclude(user=by)
    if followers.exists():
        # Once the change is committed (never for a change rolled back); the task reads it then.
        # Robust: a queue that fails then is logged, and the change stands, answered as done.
        transaction.on_commit(partial(tasks.notify_followers.enqueue, change.pk), robust=True)
    return change
