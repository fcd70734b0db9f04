"""A meeting saved with everything its form holds (commitment rows, participants, a new
party), and the links between meetings."""

from __future__ import annotations

from typing import NamedTuple

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from .. import system_texts
from ..models import (
    Commitment,
    ImplementationBody,
    Meeting,
    MeetingLink,
    MeetingRelation,
    Participant,
    Party,
    Person,
    Statement,
)
from .base import (
    create_record,
    refuse_archived,
    refuse_other_teams,
    save_versioned,
    states_moved,
    trace,
)
from .bodies import add_body
from .commitments import set_party_roles
from .evidence import add_statement


class CommitmentRow(NamedTuple):
    """One commitment row of the meeting form: the commitment with the submitted values
    (unsaved; a new one has its position set), the version the row was opened at (None for a
    new one), and each party offered with the role chosen for it ("" for none)."""

    commitment: Commitment
    expected: int | None
    roles: dict
    new_party_role: str = ""  # the role of the party added with the meeting ("" for none)


class ParticipantRow(NamedTuple):
    """One participant row of the meeting form: the participant with the submitted values
    (unsaved; its person unset when ``new_person`` names one to create for the meeting's team).
    """

    participant: Participant
    new_person: str = ""
    for_new_party: bool = False  # acting for the party added with the meeting


class BodyRow(NamedTuple):
    """A body set up at the meeting, recorded with it (unsaved), overseeing all the meeting's
    commitments or none yet."""

    body: ImplementationBody
    oversees_all: bool = False


class StatementRow(NamedTuple):
    """A statement made at the meeting, recorded with it (unsaved): the parties of the tracker
    it is attributed to (the first its party, the others jointly), and whether the party added
    with the meeting is one of them (after those)."""

    statement: Statement
    parties: list
    for_new_party: bool = False


@transaction.atomic
def save_meeting(
    *,
    meeting: Meeting,
    expected: int | None,
    parties,
    rows: list[CommitmentRow],
    participants: list[ParticipantRow] = (),
    removed: list[Participant] = (),
    new_party: Party | None = None,
    bodies: list[BodyRow] = (),
    statements: list[StatementRow] = (),
    by: AbstractBaseUser,
) -> Meeting:
    """Save a meeting, its changed commitment rows and its participants together, each
    versioned record over the version it was opened at (``expected``; None for a new meeting):
    all of it, or nothing (``VersionConflict``).

    ``new_party`` (unsaved) is added to the tracker's parties and to the meeting's; persons
    typed as new names are created for the meeting's team; ``removed`` participants leave it;
    ``bodies`` and ``statements`` are added to it (``add_body``, ``add_statement``).
    """
    refuse_archived(meeting)
    if refused := meeting.team_move_refused():
        raise ValidationError({"team": refused})
    parties = list(parties)
    if new_party is None and (
        any(r.new_party_role for r in rows)
        or any(r.for_new_party for r in participants)
        or any(r.for_new_party for r in statements)
    ):
        raise ValidationError(_("The rows name a new party, but none is added with the meeting."))
    if new_party is not None:
        try:
            added = add_party(
                party=new_party,
                by=by,
                reason=system_texts.stored("party_added_with", meeting=meeting.title),
            )
        except ValidationError as error:  # said next to the form's fields for the new party
            if not hasattr(error, "error_dict"):
                raise
            raise ValidationError(
                {f"new_party_{name}": errors for name, errors in error.error_dict.items()}
            ) from None
        parties.append(added)
    if meeting.pk is None:
        create_record(meeting, by=by)
    else:
        save_versioned(meeting, expected=expected or 0, fields=None, by=by)
    meeting.parties.set(parties)
    for row in rows:
        commitment = row.commitment
        if commitment.pk is None:
            commitment.meeting = meeting
            create_record(commitment, by=by)
        else:
            save_versioned(commitment, expected=row.expected or 0, fields=None, by=by)
        roles = dict(row.roles)
        if row.new_party_role:
            roles[new_party] = row.new_party_role  # saved above: it has its id now
        set_party_roles(commitment, roles)
    for row in participants:
        if row.for_new_party:
            row.participant.party = new_party
    _save_participants(meeting, participants, removed, by)
    _add_bodies_and_statements(meeting, bodies, statements, new_party, by)
    states_moved(meeting)
    return meeting


def _add_bodies_and_statements(
    meeting: Meeting, bodies: list[BodyRow], statements: list[StatementRow], new_party, by
) -> None:
    commitments = list(meeting.commitments.all()) if any(r.oversees_all for r in bodies) else []
    for row in bodies:
        row.body.meeting = meeting
        add_body(body=row.body, commitments=commitments if row.oversees_all else (), by=by)
    for row in statements:
        parties = [*row.parties, *([new_party] if row.for_new_party else [])]
        statement = row.statement
        statement.meeting = meeting
        statement.party = parties[0] if parties else None
        add_statement(statement=statement, joint_parties=parties[1:], by=by)


def _save_participants(
    meeting: Meeting, rows: list[ParticipantRow], removed: list[Participant], by
) -> None:
    """Remove, then change and add (so a person removed from one row may be added in another).
    A row given another person is that person's attendance, not the first one's: the first is
    removed and the second added (so two rows may also swap their persons). A person at the
    meeting twice is refused (the rows may be stale: said, not a 500)."""
    for participant in removed:
        if participant.meeting_id != meeting.pk:
            raise ValidationError(_("A participant of another meeting cannot be removed here."))
        trace(participant, by, system_texts.stored("participant_removed"))
        participant.delete()
    stored = Participant.objects.filter(
        meeting=meeting, pk__in=[r.participant.pk for r in rows if r.participant.pk]
    ).in_bulk()
    for row in rows:
        participant = row.participant
        replaced = stored.get(participant.pk)
        if replaced and (row.new_person or replaced.person_id != participant.person_id):
            trace(
                replaced,
                by,
                system_texts.stored(
                    "participant_replaced", person=row.new_person or participant.person
                ),
            )
            replaced.delete()
            participant.pk = None
    for row in rows:
        participant = row.participant
        participant.meeting = meeting
        if row.new_person:
            participant.person = create_record(
                Person(
                    team=meeting.team,
                    name=row.new_person,
                    party=participant.party,
                    current_office=participant.office,
                ),
                by=by,
            )
        try:
            with transaction.atomic():
                if participant.pk is None:
                    create_record(participant, by=by)
                else:
                    refuse_other_teams(participant)
                    trace(participant, by)
                    participant.save(update_fields=["person", "party", "office", "role"])
        except IntegrityError:
            if Participant.objects.filter(meeting=meeting, person=participant.person).exists():
                raise ValidationError(
                    _("%(person)s is already a participant of this meeting.")
                    % {"person": participant.person}
                ) from None
            raise


@transaction.atomic
def add_party(*, party: Party, by: AbstractBaseUser | None, reason: str = "") -> Party:
    """Add a state or an organisation to the parties every team shares. Someone adding the
    same name or code meanwhile: refused next to the field, as if the form had seen it."""
    party.full_clean(validate_unique=False)
    taken = Party.objects.filter(
        models.Q(name__iexact=party.name) | models.Q(code__iexact=party.code)
    )
    for other in taken[:1]:
        field = "name" if other.name.lower() == party.name.lower() else "code"
        raise ValidationError(
            {
                field: _("%(name)s is already in the tracker (%(code)s): pick it above.")
                % {"name": other.name, "code": other.code}
            }
        )
    trace(party, by, reason or system_texts.stored("added"))
    try:
        with transaction.atomic():
            party.save()
    except IntegrityError:
        raise ValidationError(
            {
                "name": _("%(name)s (%(code)s) was added meanwhile: pick it above.")
                % {"name": party.name, "code": party.code}
            }
        ) from None
    return party


@transaction.atomic
def link_meetings(*, link: MeetingLink, by: AbstractBaseUser) -> MeetingLink:
    """Relate a meeting to another of its team (``MeetingLink.clean`` says which links hold)."""
    refuse_archived(link.meeting, link.other)
    link.full_clean()
    return create_record(link, by=by)


@transaction.atomic
def plan_meeting(
    *, meeting: Meeting, parties, follows: Meeting, note: str = "", by: AbstractBaseUser
) -> Meeting:
    """Record a meeting known before it happens (the next round of talks) as planned, in the
    team of the meeting it ``follows`` up, and link it as that one's follow-up. It is filled in
    later like any meeting (its form unticks "planned" once it is held)."""
    refuse_archived(follows)
    meeting.team_id, meeting.planned = follows.team_id, True
    meeting.full_clean(exclude=["parties"])
    create_record(meeting, by=by)
    meeting.parties.set(parties)
    link = MeetingLink(
        meeting=meeting, relation=MeetingRelation.FOLLOWS_UP, other=follows, note=note
    )
    link.full_clean()
    create_record(link, by=by)
    return meeting


@transaction.atomic
def unlink_meetings(*, link: MeetingLink, by: AbstractBaseUser) -> None:
    """Remove a link between two meetings; its history keeps who removed it and when."""
    refuse_archived(link)
    trace(link, by, system_texts.stored("link_removed"))
    link.delete()
