"""Every write the pages and the admin make: one function each, one transaction each.

Views parse input (forms build unsaved instances and clean their values), call one action, and
render what it returns; the admin calls the same actions. An action refuses what breaks a rule
with ``ValidationError`` and a save over a newer version with ``VersionConflict``; the pages
turn both into the section's answer (``views.common.run_action``). Each write names who made
it (``by``) for the change history, in a request or not.

One module per part of the domain, each action re-exported here (``actions.approve_update``):

- ``reviews``: progress updates and their review: ``REVIEW_STEPS``, the table of the review
  workflow's steps (from which state, by whom, to which state, what each does to the
  commitment), and the actions that take them;
- ``status``: ``change_commitment_status``, every change of a commitment's official status,
  an approval's or an admin's override;
- ``meetings``: a meeting saved with its commitment rows, participants and a new party; links
  between meetings;
- ``commitments``: milestones (added, ticked, rescheduled), assessments, followers;
- ``evidence``: statements, claims and their verification, sources, context events;
- ``files``: documents kept with a source, and the words read from them;
- ``bodies``: implementation bodies and their members;
- ``archive``: archiving and restoring any archivable record;
- ``imports``: writing a checked import of commitments or milestones;
- ``security``: the security log (``record_event``) and every change to how someone signs
  in: API keys, calendar addresses, the second factor, password changes, unlocks;
- ``base``: the steps they share (the history's who and why, archived records read-only, one
  team per link, versioned saves) and ``edit_record``, the plain edit form's save.
"""

from .archive import archive_record, restore_record
from .base import edit_record, states_moved
from .bodies import (
    add_body,
    add_membership,
    add_memberships,
    end_membership,
    set_membership_confirmation,
)
from .commitments import (
    add_milestone,
    follow_commitment,
    record_assessment,
    reschedule_milestone,
    toggle_milestone,
)
from .evidence import add_claim, add_context_event, add_source, add_statement, verify_claim
from .files import keep_file, read_words
from .imports import import_commitments, import_milestones
from .meetings import (
    BodyRow,
    CommitmentRow,
    ParticipantRow,
    StatementRow,
    add_party,
    link_meetings,
    plan_meeting,
    save_meeting,
    unlink_meetings,
)
from .reviews import REVIEW_STEPS, approve_update, return_update, submit_draft, submit_update
from .security import (
    make_api_key,
    make_calendar_address,
    make_recovery_codes,
    password_changed,
    record_event,
    reset_calendar_address,
    revoke_api_key,
    turn_off_second_factor,
    turn_on_second_factor,
    unlock_username,
)
from .status import change_commitment_status

__all__ = [
    "REVIEW_STEPS",
    "BodyRow",
    "CommitmentRow",
    "ParticipantRow",
    "StatementRow",
    "add_body",
    "add_claim",
    "add_context_event",
    "add_membership",
    "add_memberships",
    "add_milestone",
    "add_party",
    "add_source",
    "add_statement",
    "approve_update",
    "archive_record",
    "change_commitment_status",
    "edit_record",
    "end_membership",
    "follow_commitment",
    "import_commitments",
    "import_milestones",
    "keep_file",
    "link_meetings",
    "make_api_key",
    "make_calendar_address",
    "make_recovery_codes",
    "password_changed",
    "plan_meeting",
    "read_words",
    "record_assessment",
    "record_event",
    "reschedule_milestone",
    "reset_calendar_address",
    "restore_record",
    "return_update",
    "revoke_api_key",
    "save_meeting",
    "set_membership_confirmation",
    "states_moved",
    "submit_draft",
    "submit_update",
    "toggle_milestone",
    "turn_off_second_factor",
    "turn_on_second_factor",
    "unlink_meetings",
    "unlock_username",
    "verify_claim",
]
