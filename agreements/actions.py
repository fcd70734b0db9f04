"""Writes that span several models and leave a trace. Each is one transaction."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Commitment, ProgressUpdate, StatusChange


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
    """
    if not reason or not reason.strip():
        raise ValidationError({"reason": "A status change needs a reason."})
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
    commitment.save(update_fields=["status", "is_stalled", "cancellation", "updated_at"])
    return change
