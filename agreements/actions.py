"""Every write the pages and the admin make: one function each, one transaction each.

Views parse input (forms build unsaved instances and clean their values), call one action, and
render what it returns; the admin calls the same actions. An action refuses what breaks a rule
with ``ValidationError`` and a save over a newer version with ``VersionConflict``; the pages
turn both into the section's answer (``views.common.run_action``). Each write names who made
it (``by``) for the change history, in a request or not.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import tasks
from .audit import audit_via
from .models import (
    Archivable,
    Assessment,
    BodyMembership,
    Claim,
    Commitment,
    CommitmentParty,
    Confirmation,
    ContextEvent,
    Follow,
    ImplementationBody,
    Meeting,
    MeetingLink,
    Milestone,
    MilestoneReschedule,
    MilestoneStatus,
    Participant,
    Party,
    Person,
    ProgressUpdate,
    ReviewAction,
    ReviewEvent,
    ReviewState,
    Source,
    Statement,
    StatusChange,
    Versioned,
    active_q,
    links_of,
    outside_team,
)


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
        raise ValidationError({"reason": _("A status change needs a reason.")})
    _refuse_archived(commitment)
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
    _refuse_archived(commitment)
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
    _refuse_other_teams(update, {"sources": list(sources)})
    update.save()
    update.sources.set(sources)
    if not draft:
        _record_review(update, ReviewAction.SUBMIT, author)
    return update


@transaction.atomic
def submit_draft(*, update: ProgressUpdate, by: AbstractBaseUser) -> ProgressUpdate:
    update = _locked(update)
    _refuse_archived(update.commitment)
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
    _refuse_archived(update.commitment)
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
    _refuse_archived(update.commitment)
    if not update.awaits_review:
        raise ValidationError(_not_awaiting(update))
    return _record_review(update, ReviewAction.RETURN, by, comment.strip())


def _not_awaiting(update: ProgressUpdate) -> str:
    """Why a decision on an update that no longer awaits review is refused."""
    return _("This update is %(state)s.") % {"state": update.get_review_state_display().lower()}


# --- Shared steps -----------------------------------------------------------------------------


def _refuse_archived(*records: models.Model | None) -> None:
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


def _traced(record: models.Model, by: AbstractBaseUser | None, reason: str = "") -> None:
    """Name who makes the next save of ``record`` (and why) in its change history."""
    record._history_user = by
    if reason:
        record._change_reason = reason


def _refuse_other_teams(record: models.Model, links: dict | None = None) -> None:
    """One team per link, whoever writes: a record names only its own team's records in its
    foreign keys and in ``links`` (many-to-many values about to be set)."""
    if refused := outside_team(record, links_of(record) | (links or {})):
        raise ValidationError(refused)


def _save_versioned(
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
        _refuse_other_teams(record)
    _traced(record, by, reason)
    record.save_versioned(expected=expected, update_fields=fields)


def _create(record: models.Model, *, by: AbstractBaseUser | None, **links) -> models.Model:
    """Save a new record with its many-to-many links (``sources=…``, ``commitments=…``), all
    inside its team."""
    _refuse_other_teams(record, links)
    _traced(record, by)
    record.save()
    for name, targets in links.items():
        if targets:
            getattr(record, name).set(targets)
    return record


# --- Archiving --------------------------------------------------------------------------------


@transaction.atomic
def archive_record(*, record: Archivable, by: AbstractBaseUser, reason: str) -> Archivable:
    """Archive a record (never delete it): it leaves lists and averages, with the reason kept.
    Archiving it again would overwrite who archived it and when: refused."""
    if record.is_archived:
        raise ValidationError(_("“%(record)s” is already archived.") % {"record": record})
    _refuse_archived(record)  # nor is a record of an archived meeting archived on its own
    record.archive(by=by, reason=reason)
    return record


@transaction.atomic
def restore_record(*, record: Archivable, by: AbstractBaseUser, reason: str) -> Archivable:
    """Bring an archived record back into lists and averages (admins only)."""
    if not record.is_archived:
        raise ValidationError(_("“%(record)s” is not archived.") % {"record": record})
    record.restore(by=by, reason=reason)
    return record


# --- Meetings and what they hold --------------------------------------------------------------


class CommitmentRow(NamedTuple):
    """One commitment row of the meeting form: the commitment with the submitted values
    (unsaved; a new one has its position set), the version the row was opened at (None for a
    new one), and each party offered with the role chosen for it ("" for none)."""

    commitment: Commitment
    expected: int | None
    roles: dict


class ParticipantRow(NamedTuple):
    """One participant row of the meeting form: the participant with the submitted values
    (unsaved; its person unset when ``new_person`` names one to create for the meeting's team).
    """

    participant: Participant
    new_person: str = ""


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
    by: AbstractBaseUser,
) -> Meeting:
    """Save a meeting, its changed commitment rows and its participants together, each
    versioned record over the version it was opened at (``expected``; None for a new meeting):
    all of it, or nothing (``VersionConflict``).

    ``new_party`` (unsaved) is added to the tracker's parties and to the meeting's; persons
    typed as new names are created for the meeting's team; ``removed`` participants leave it.
    """
    _refuse_archived(meeting)
    if refused := meeting.team_move_refused():
        raise ValidationError({"team": refused})
    parties = list(parties)
    if new_party is not None:
        try:
            added = add_party(party=new_party, by=by, reason=f"Added with “{meeting.title}”")
        except ValidationError as error:  # said next to the form's fields for the new party
            if not hasattr(error, "error_dict"):
                raise
            raise ValidationError(
                {f"new_party_{name}": errors for name, errors in error.error_dict.items()}
            ) from None
        parties.append(added)
    if meeting.pk is None:
        _create(meeting, by=by)
    else:
        _save_versioned(meeting, expected=expected or 0, fields=None, by=by)
    meeting.parties.set(parties)
    for row in rows:
        commitment = row.commitment
        if commitment.pk is None:
            commitment.meeting = meeting
            _create(commitment, by=by)
        else:
            _save_versioned(commitment, expected=row.expected or 0, fields=None, by=by)
        _set_party_roles(commitment, row.roles)
    _save_participants(meeting, participants, removed, by)
    return meeting


@transaction.atomic
def import_commitments(*, meeting: Meeting, rows, filename: str, by: AbstractBaseUser) -> int:
    """Apply the new and changed rows of a checked import (``imports.plan_commitments``), all
    or nothing: each commitment saved over the version the plan read (``VersionConflict`` if
    someone changed it meanwhile), its history naming the file. Returns how many were written."""
    _refuse_archived(meeting)
    for row in rows:
        _write_imported(row.record, row.expected, filename, by)
        if row.roles:
            _set_party_roles(row.record, row.roles)
    return len(rows)


@transaction.atomic
def import_milestones(*, meeting: Meeting, rows, filename: str, by: AbstractBaseUser) -> int:
    """As ``import_commitments``, for the milestones of the meeting's commitments and bodies
    (``imports.plan_milestones``: a date is never moved by an import, see there)."""
    _refuse_archived(meeting)
    for row in rows:
        _refuse_archived(row.record.commitment, row.record.body)
        _write_imported(row.record, row.expected, filename, by)
    return len(rows)


def _write_imported(record: Versioned, expected: int | None, filename: str, by) -> None:
    reason = f"Imported from {filename}"[:100]
    if record.pk is None:
        _refuse_other_teams(record)
        _traced(record, by, reason)
        record.save()
    else:
        _save_versioned(record, expected=expected, fields=None, by=by, reason=reason)


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
        _traced(participant, by, "Removed from the meeting")
        participant.delete()
    stored = Participant.objects.filter(
        meeting=meeting, pk__in=[r.participant.pk for r in rows if r.participant.pk]
    ).in_bulk()
    for row in rows:
        participant = row.participant
        replaced = stored.get(participant.pk)
        if replaced and (row.new_person or replaced.person_id != participant.person_id):
            _traced(replaced, by, f"Replaced by {row.new_person or participant.person}")
            replaced.delete()
            participant.pk = None
    for row in rows:
        participant = row.participant
        participant.meeting = meeting
        if row.new_person:
            participant.person = _create(
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
                    _create(participant, by=by)
                else:
                    _refuse_other_teams(participant)
                    _traced(participant, by)
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
    _traced(party, by, reason or "Added")
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


def _set_party_roles(commitment: Commitment, roles: dict) -> None:
    """Make the commitment's party roles match ``roles`` (party → role, "" for none)."""
    current = {r.party_id: r for r in commitment.party_roles.all()}
    for party, role in roles.items():
        existing = current.get(party.pk)
        if role and existing is None:
            CommitmentParty.objects.create(commitment=commitment, party=party, role=role)
        elif role and existing.role != role:
            existing.role = role
            existing.save(update_fields=["role"])
        elif not role and existing is not None:
            existing.delete()


@transaction.atomic
def add_milestone(*, milestone: Milestone, by: AbstractBaseUser) -> Milestone:
    """Add a planned milestone to a commitment or a body."""
    _refuse_archived(milestone.commitment, milestone.body)
    return _create(milestone, by=by)


@transaction.atomic
def reschedule_milestone(
    *,
    milestone: Milestone,
    expected: int,
    to_date,
    reason: str,
    by: AbstractBaseUser,
) -> MilestoneReschedule:
    """Move a planned (or missed) milestone to a new date, keeping the date it had, who moved
    it, when and why; the first date stays on the milestone as ``original_due_date``. A missed
    milestone given a new date is planned again. "Overdue" then counts from the new date."""
    _refuse_archived(milestone)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the date moves.")})
    if not milestone.is_reschedulable:
        raise ValidationError(
            _("“%(title)s” is %(status)s: only a planned or missed milestone gets a new date.")
            % {"title": milestone.title, "status": milestone.get_status_display().lower()}
        )
    if to_date == milestone.due_date:
        raise ValidationError({"to_date": _("That is the date it is due already.")})
    earlier = milestone.due_date
    milestone.due_date = to_date
    milestone.original_due_date = milestone.original_due_date or earlier
    milestone.status = MilestoneStatus.PLANNED
    try:
        milestone.clean()  # not before the meeting that agreed it
    except ValidationError as error:
        raise ValidationError({"to_date": error.message_dict["due_date"]}) from None
    _save_versioned(
        milestone,
        expected=expected,
        fields=["due_date", "original_due_date", "status"],
        by=by,
        reason=f"Rescheduled: {reason}",
    )
    return MilestoneReschedule.objects.create(
        milestone=milestone, from_date=earlier, to_date=to_date, reason=reason, by=by
    )


@transaction.atomic
def link_meetings(*, link: MeetingLink, by: AbstractBaseUser) -> MeetingLink:
    """Relate a meeting to another of its team (``MeetingLink.clean`` says which links hold)."""
    _refuse_archived(link.meeting, link.other)
    link.full_clean()
    return _create(link, by=by)


@transaction.atomic
def unlink_meetings(*, link: MeetingLink, by: AbstractBaseUser) -> None:
    """Remove a link between two meetings; its history keeps who removed it and when."""
    _refuse_archived(link)
    _traced(link, by, "Link removed from the meeting's page")
    link.delete()


@transaction.atomic
def add_body(
    *, body: ImplementationBody, commitments=(), by: AbstractBaseUser
) -> ImplementationBody:
    """Record a body set up at a meeting, with the meeting's commitments it oversees."""
    _refuse_archived(body.meeting)
    return _create(body, by=by, commitments=commitments)


@transaction.atomic
def add_context_event(*, event: ContextEvent, sources=(), by: AbstractBaseUser) -> ContextEvent:
    _refuse_archived(event.meeting)
    return _create(event, by=by, sources=sources)


@transaction.atomic
def edit_record(*, record: Versioned, expected: int, by: AbstractBaseUser, **links) -> Versioned:
    """Save an edit form's changes to a record (a body, a context event) over the version the
    editor opened, with its many-to-many links (``commitments=…``, ``sources=…``) as given."""
    _refuse_archived(record)
    _refuse_other_teams(record, links)
    _save_versioned(record, expected=expected, fields=None, by=by)
    for name, targets in links.items():
        getattr(record, name).set(targets)
    return record


@transaction.atomic
def add_statement(
    *, statement: Statement, sources=(), commitments=(), by: AbstractBaseUser
) -> Statement:
    """Record words said at or about a meeting, with the meeting's commitments they mention."""
    _refuse_archived(statement.meeting)
    if any(c.meeting_id != statement.meeting_id for c in commitments):
        raise ValidationError({"commitments": _("Name only commitments of this meeting.")})
    return _create(statement, by=by, sources=sources, commitments=commitments)


@transaction.atomic
def add_claim(*, claim: Claim, sources=(), by: AbstractBaseUser) -> Claim:
    """Record a claim; every state but unconfirmed needs a source."""
    _refuse_archived(claim.meeting, claim.commitment, claim.body)
    if error := Claim.sources_error(claim.verification, list(sources)):
        raise ValidationError({"sources": error})
    return _create(claim, by=by, sources=sources)


@transaction.atomic
def add_source(*, source: Source, meeting: Meeting, by: AbstractBaseUser) -> Source:
    """Add a source to the meeting's team and cite it on the meeting. Two people adding the
    same address at once: the second is told so, as if the form had seen the first."""
    _refuse_archived(meeting)
    try:
        with transaction.atomic():
            _create(source, by=by)
    except IntegrityError:
        if source.url and Source.objects.filter(team=source.team, url=source.url).exists():
            raise ValidationError(
                {"url": _("This team already has a source with this address.")}
            ) from None
        raise
    meeting.sources.add(source)
    return source


# --- Commitments: milestones and compliance ---------------------------------------------------


@transaction.atomic
def toggle_milestone(
    *, milestone: Milestone, expected: int, by: AbstractBaseUser, on=None
) -> Milestone:
    """Tick a planned milestone as done (``on`` that day, today by default), or open a done one
    again; over the version the checklist showed."""
    _refuse_archived(milestone)
    if milestone.status == MilestoneStatus.DONE:
        milestone.status, milestone.completed_on = MilestoneStatus.PLANNED, None
    elif milestone.status == MilestoneStatus.PLANNED:
        milestone.status, milestone.completed_on = MilestoneStatus.DONE, on or timezone.localdate()
    else:
        raise ValidationError(
            _("“%(title)s” is %(status)s: it cannot be ticked.")
            % {"title": milestone.title, "status": milestone.get_status_display().lower()}
        )
    _save_versioned(milestone, expected=expected, fields=["status", "completed_on"], by=by)
    return milestone


@transaction.atomic
def record_assessment(*, assessment: Assessment, sources=(), by: AbstractBaseUser) -> Assessment:
    """A reviewer's score of one party's compliance, as of a date (append-only)."""
    _refuse_archived(assessment.commitment)
    assessment.assessed_by = by
    assessment.full_clean()
    return _create(assessment, by=by, sources=sources)


@transaction.atomic
def follow_commitment(
    *, commitment: Commitment, user: AbstractBaseUser, follow: bool = True
) -> bool:
    """Start (or, with ``follow=False``, stop) telling ``user`` when the commitment's official
    status changes. The caller has checked that the user can see it (``permissions``); an
    archived commitment, read-only, takes no new follower, but anyone may stop following it.
    Returns whether the user follows."""
    if follow:
        _refuse_archived(commitment)
        Follow.objects.get_or_create(user=user, commitment=commitment)
    else:
        Follow.objects.filter(user=user, commitment=commitment).delete()
    return follow


# --- Bodies: members --------------------------------------------------------------------------


@transaction.atomic
def add_membership(
    *, membership: BodyMembership, sources=(), by: AbstractBaseUser
) -> BodyMembership:
    """Seat a person or a party on a body, confirmed or not."""
    _refuse_archived(membership.body)
    return _create(membership, by=by, sources=sources)


@transaction.atomic
def set_membership_confirmation(
    *, membership: BodyMembership, confirmation: str, expected: int, by: AbstractBaseUser
) -> BodyMembership:
    """Record how far a membership is confirmed (confirmed, reported, unconfirmed)."""
    _refuse_archived(membership.body)
    if confirmation not in Confirmation.values:
        raise ValidationError(_("Choose confirmed, reported or unconfirmed."))
    membership.confirmation = confirmation
    _save_versioned(membership, expected=expected, fields=["confirmation"], by=by)
    return membership


@transaction.atomic
def end_membership(
    *, membership: BodyMembership, expected: int, by: AbstractBaseUser, on=None
) -> BodyMembership:
    """End a membership ``on`` a day (today by default); the membership itself is kept."""
    _refuse_archived(membership.body)
    if membership.end_date is not None:
        raise ValidationError(
            _("%(membership)s: the membership already ended.") % {"membership": membership}
        )
    membership.end_date = on or timezone.localdate()
    _save_versioned(membership, expected=expected, fields=["end_date"], by=by)
    return membership


# --- Claims -----------------------------------------------------------------------------------


@transaction.atomic
def verify_claim(
    *,
    claim: Claim,
    verification: str,
    source: Source | None = None,
    expected: int,
    by: AbstractBaseUser,
) -> Claim:
    """Move a claim to another verification state, citing ``source`` where it adds one.

    Every state but unconfirmed needs at least one source (cited before or now)."""
    _refuse_archived(claim)
    if source is not None:
        _refuse_other_teams(claim, {"sources": [source]})
    cited = [*claim.sources.all(), *([source] if source else [])]
    if error := Claim.sources_error(verification, cited):
        raise ValidationError({"source": error})
    claim.verification = verification
    _save_versioned(claim, expected=expected, fields=["verification"], by=by)
    if source is not None:
        claim.sources.add(source)
    return claim
