"""Writing a checked import (``agreements.imports`` plans it and writes nothing): all of the
file's new and changed rows, or none."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from ..models import Meeting, Versioned
from .base import refuse_archived, refuse_other_teams, save_versioned, states_moved, trace
from .commitments import set_party_roles


@transaction.atomic
def import_commitments(*, meeting: Meeting, rows, filename: str, by: AbstractBaseUser) -> int:
    """Apply the new and changed rows of a checked import (``imports.plan_commitments``), all
    or nothing: each commitment saved over the version the plan read (``VersionConflict`` if
    someone changed it meanwhile), its history naming the file. Returns how many were written."""
    refuse_archived(meeting)
    for row in rows:
        _write_imported(row.record, row.expected, filename, by)
        if row.roles:
            set_party_roles(row.record, row.roles)
    states_moved(meeting)
    return len(rows)


@transaction.atomic
def import_milestones(*, meeting: Meeting, rows, filename: str, by: AbstractBaseUser) -> int:
    """As ``import_commitments``, for the milestones of the meeting's commitments and bodies
    (``imports.plan_milestones``: a date is never moved by an import, see there)."""
    refuse_archived(meeting)
    for row in rows:
        refuse_archived(row.record.commitment, row.record.body)
        _write_imported(row.record, row.expected, filename, by)
    return len(rows)


def _write_imported(record: Versioned, expected: int | None, filename: str, by) -> None:
    """Save one imported row, new or over the version the plan read, its history naming the
    file."""
    reason = f"Imported from {filename}"[:100]
    if record.pk is None:
        refuse_other_teams(record)
        trace(record, by, reason)
        record.save()
    else:
        save_versioned(record, expected=expected, fields=None, by=by, reason=reason)
