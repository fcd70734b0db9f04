"""Archiving: a record leaves lists and averages but is never deleted; an admin restores it."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Archivable, Commitment, Meeting
from .base import fold_tallies, refuse_archived


@transaction.atomic
def archive_record(*, record: Archivable, by: AbstractBaseUser, reason: str) -> Archivable:
    """Archive a record (never delete it): it leaves lists and averages, with the reason kept.
    Archiving it again would overwrite who archived it and when: refused."""
    if record.is_archived:
        raise ValidationError(_("“%(record)s” is already archived.") % {"record": record})
    refuse_archived(record)  # nor is a record of an archived meeting archived on its own
    record.archive(by=by, reason=reason)
    _fold_tallies_of(record)
    return record


@transaction.atomic
def restore_record(*, record: Archivable, by: AbstractBaseUser, reason: str) -> Archivable:
    """Bring an archived record back into lists and averages (admins only)."""
    if not record.is_archived:
        raise ValidationError(_("“%(record)s” is not archived.") % {"record": record})
    record.restore(by=by, reason=reason)
    _fold_tallies_of(record)
    return record


def _fold_tallies_of(record: Archivable) -> None:
    """A meeting or a commitment leaving or rejoining the averages moves its team's tallies."""
    if isinstance(record, Meeting | Commitment):
        fold_tallies(record.team_id)
