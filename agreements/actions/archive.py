"""Archiving: a record leaves lists and averages but is never deleted; an admin restores it."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Archivable
from .base import refuse_archived, states_moved


@transaction.atomic
def archive_record(*, record: Archivable, by: AbstractBaseUser, reason: str) -> Archivable:
    """Archive a record (never delete it): it leaves lists and averages, with the reason kept.
    Archiving it again would overwrite who archived it and when: refused."""
    if record.is_archived:
        raise ValidationError(_("“%(record)s” is already archived.") % {"record": record})
    refuse_archived(record)  # nor is a record of an archived meeting archived on its own
    record.archive(by=by, reason=reason)
    states_moved(record)
    return record


@transaction.atomic
def restore_record(*, record: Archivable, by: AbstractBaseUser, reason: str) -> Archivable:
    """Bring an archived record back into lists and averages (admins only)."""
    if not record.is_archived:
        raise ValidationError(_("“%(record)s” is not archived.") % {"record": record})
    record.restore(by=by, reason=reason)
    states_moved(record)
    return record
