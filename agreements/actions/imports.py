"""Writing a checked import (``agreements.imports`` plans it and writes nothing): all of the
file's new and changed rows, or none, each history entry naming the file."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from .. import permissions, system_texts
from ..models import Commitment, Meeting, Versioned
from .base import refuse_archived, refuse_other_teams, save_versioned, states_moved, trace
from .commitments import set_party_roles
from .reviews import submit_update
from .status import change_commitment_status

VIA = "import"  # where an imported status change came from, in its entry and the history


@transaction.atomic
def import_commitments(*, meeting: Meeting, rows, filename: str, by: AbstractBaseUser) -> int:
    """Apply the new and changed rows of a checked import (``imports.plan_commitments``), all
    or nothing: each commitment saved over the version the plan read (``VersionConflict`` if
    someone changed it meanwhile), its history naming the file. Returns how many were written.

    A row's official state (``row.status``, on its day) is recorded in its place: an admin's
    import sets it (``change_commitment_status``, "import", the file as its reason); anyone
    else's proposes it in a progress update of that day, submitted for a reviewer to approve
    (the update names the file, and so does the status change its approval makes)."""
    Meeting.lock(meeting.pk)  # before its commitments' rows, as every write (see there)
    refuse_archived(meeting)
    direct = permissions.sets_status_directly(by)
    for row in rows:
        if row.record.pk is None or set(row.changed) - {"status", "stalled"}:
            _write_imported(row.record, row.expected, filename, by)
        if row.roles:
            set_party_roles(row.record, row.roles)
        if row.status is not None:
            _import_status(row.record, row.status, filename, by, direct=direct)
    states_moved(meeting)
    return len(rows)


def _import_status(commitment: Commitment, wanted, filename: str, by, *, direct: bool) -> None:
    if direct:
        change_commitment_status(
            commitment=commitment,
            status=wanted.status,
            is_stalled=wanted.stalled,
            reason=_reason(filename),
            by=by,
            via=VIA,
            effective_on=wanted.on,
        )
    else:
        submit_update(
            commitment=commitment,
            author=by,
            # The update's own text, read and approved as written (a record's text, not a
            # reason): it names the file in English, as the file's columns are.
            narrative=f"Imported from {filename[:100]}: {wanted.narrative}.",
            proposed_status=wanted.status,
            proposed_stalled=wanted.stalled,
            happened_on=wanted.on,
        )


@transaction.atomic
def import_milestones(*, meeting: Meeting, rows, filename: str, by: AbstractBaseUser) -> int:
    """As ``import_commitments``, for the milestones of the meeting itself, its commitments
    and bodies (``milestone_imports.plan_milestones``: a date is never moved by an import,
    see there)."""
    refuse_archived(meeting)
    for row in rows:
        refuse_archived(row.record.commitment, row.record.body)
        _write_imported(row.record, row.expected, filename, by)
    return len(rows)


def _write_imported(record: Versioned, expected: int | None, filename: str, by) -> None:
    """Save one imported row, new or over the version the plan read, its history naming the
    file."""
    reason = _reason(filename)
    if record.pk is None:
        refuse_other_teams(record)
        trace(record, by, reason)
        record.save()
    else:
        save_versioned(record, expected=expected, fields=None, by=by, reason=reason)


def _reason(filename: str) -> str:
    return system_texts.stored("imported", filename=filename[:100])
