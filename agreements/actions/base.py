"""The steps every action shares: who made a change, and the rules no write may break.

An archived record is read-only (``refuse_archived``); a record names only its own team's
records (``refuse_other_teams``); a versioned record is saved over the version its editor
opened (``save_versioned``, ``VersionConflict`` if newer). ``create_record`` and ``edit_record``
are the plain add and edit built from them.
"""

from __future__ import annotations

from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from ..models import (
    Commitment,
    ComplianceSpan,
    Meeting,
    StatusSpan,
    Versioned,
    active_q,
    fold_piled,
    links_of,
    outside_team,
)


def refuse_archived(*records: models.Model | None) -> None:
    """Archived means read-only: a record that is archived, or hangs from an archived one
    (``archived_via``), takes no change until an admin restores it."""
    for record in records:
        if record is None or record.pk is None:
            continue
        model = type(record)
        if not model._default_manager.filter(active_q(model), pk=record.pk).exists():
            raise ValidationError(
                _(
                    "“%(record)s” is archived, or belongs to an archived record: it is read-only "
                    "until an admin restores it."
                )
                % {"record": record}
            )


def trace(record: models.Model, by: AbstractBaseUser | None, reason: str = "") -> None:
    """Name who makes the next save of ``record`` (and why) in its change history."""
    record._history_user = by
    if reason:
        record._change_reason = reason


def fold_tallies(team_id: int) -> None:
    """Once this write commits, fold its team's tallies if their rows have piled up: the
    database appends a row per change (``models.tallies``), and folding them belongs to the
    writes that append them, never to a page that reads them. Robust: a fold that fails is
    logged, and the write stands (the rows still sum right, only more of them)."""
    transaction.on_commit(partial(fold_piled, [team_id]), robust=True)


def states_moved(record: Meeting | Commitment) -> None:
    """A write moved the state of a commitment, or of a meeting's (its status, theme, archiving,
    meeting date or team): their stored history follows in the same transaction
    (``StatusSpan.objects.rewrite``, ``ComplianceSpan.objects.rewrite``), and the team's
    tallies are folded once it commits.

    The write holds the meeting's row already (``Meeting.lock``, taken again here at no cost):
    a concurrent write to the meeting or one of its commitments has committed before this one
    reads their history, or waits until it has, so neither rewrites spans the other replaced
    (both would stay, and the day tally count them twice)."""
    if isinstance(record, Commitment):
        Meeting.lock(record.meeting_id)
        ids = [record.pk]
    elif isinstance(record, Meeting):
        Meeting.lock(record.pk)
        ids = list(record.commitments.values_list("pk", flat=True))
    else:
        return
    StatusSpan.objects.rewrite(ids)
    ComplianceSpan.objects.rewrite(ids)  # a commitment leaving the averages leaves them then too
    fold_tallies(record.team_id)


def refuse_other_teams(record: models.Model, links: dict | None = None) -> None:
    """One team per link, whoever writes: a record names only its own team's records in its
    foreign keys and in ``links`` (many-to-many values about to be set)."""
    if refused := outside_team(record, links_of(record) | (links or {})):
        raise ValidationError(refused)


def save_versioned(
    record: Versioned,
    *,
    expected: int,
    fields: list[str] | None,
    by: AbstractBaseUser | None,
    reason: str = "",
) -> None:
    """Save ``record`` over the version the user opened it at (``VersionConflict`` if newer).
    A whole save (``fields`` None) may change links: they stay inside the record's team."""
    if fields is None:
        refuse_other_teams(record)
    trace(record, by, reason)
    record.save_versioned(expected=expected, update_fields=fields)


def create_record(record: models.Model, *, by: AbstractBaseUser | None, **links) -> models.Model:
    """Save a new record with its many-to-many links (``sources=…``, ``commitments=…``), all
    inside its team."""
    refuse_other_teams(record, links)
    trace(record, by)
    record.save()
    for name, targets in links.items():
        if targets:
            getattr(record, name).set(targets)
    return record


@transaction.atomic
def edit_record(*, record: Versioned, expected: int, by: AbstractBaseUser, **links) -> Versioned:
    """Save an edit form's changes to a record (a body, a context event) over the version the
    editor opened, with its many-to-many links (``commitments=…``, ``sources=…``) as given."""
    refuse_archived(record)
    refuse_other_teams(record, links)
    save_versioned(record, expected=expected, fields=None, by=by)
    for name, targets in links.items():
        getattr(record, name).set(targets)
    return record
