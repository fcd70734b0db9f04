"""Each invariant of DOMAIN.md §3 and of the vocabularies: a violating row is refused, with its
message, by the database where it can hold the rule, and by ``full_clean()`` where it cannot."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from agreements.actions import change_commitment_status
from agreements.models import (
    BodyMembership,
    Cancellation,
    Claim,
    Commitment,
    CommitmentParty,
    Confirmation,
    ImplementationStatus,
    Meeting,
    Milestone,
    MilestoneStatus,
    Party,
    PartyKind,
    PartyRole,
    Statement,
    StatusChange,
    Verification,
)
from tests.conftest import (
    make_body,
    make_commitment,
    make_meeting,
    make_party,
    make_source,
    make_status_change,
)

SEPT_3 = datetime.date(2025, 9, 3)


def refused_by_database(create) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def messages_of(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(exc.value.messages)


# Meetings ---------------------------------------------------------------------------------


def test_meeting_ending_before_it_starts_is_refused_by_the_database(team):
    refused_by_database(
        lambda: make_meeting(team, start_date=SEPT_3, end_date=datetime.date(2025, 9, 2))
    )


def test_meeting_ending_before_it_starts_is_refused_with_a_message(team):
    meeting = Meeting(
        team=team,
        title="Talks",
        start_date=SEPT_3,
        end_date=datetime.date(2025, 9, 2),
        outcome_type="reaffirmation",
    )
    with pytest.raises(ValidationError) as exc:
        meeting.full_clean()
    assert exc.value.message_dict["end_date"] == ["A meeting cannot end before it starts."]


def test_one_day_meeting_needs_no_end_date(team):
    make_meeting(team, start_date=SEPT_3).full_clean()


def test_meeting_with_commitments_cannot_be_deleted(commitment):
    with pytest.raises(ProtectedError):
        commitment.meeting.delete()
    assert Meeting.objects.filter(pk=commitment.meeting_id).exists()


def test_commitment_belongs_to_exactly_one_meeting(meeting):
    refused_by_database(
        lambda: Commitment.objects.create(meeting=None, title="x", text="x", theme_id="drugs")
    )


def test_meeting_outcome_outside_the_fixed_list_is_refused(team):
    refused_by_database(lambda: make_meeting(team, outcome_type="handshake"))


# Commitments ------------------------------------------------------------------------------


def test_status_outside_the_zero_to_three_scale_is_refused(meeting):
    refused_by_database(lambda: make_commitment(meeting, status=4))


def test_party_has_one_role_per_commitment(commitment, us):
    refused_by_database(
        lambda: CommitmentParty.objects.create(
            commitment=commitment, party=us, role=PartyRole.COUNTERPART
        )
    )


def test_only_a_superseded_commitment_names_its_successor(meeting):
    successor = make_commitment(meeting)
    refused_by_database(lambda: make_commitment(meeting, superseded_by=successor))
    with pytest.raises(ValidationError) as exc:
        Commitment(
            meeting=meeting, title="Old", text="Old", theme_id="drugs", superseded_by=successor
        ).full_clean()
    assert "Only a superseded commitment names what superseded it." in messages_of(exc)


def test_overdue_follows_from_target_date_and_status(meeting):
    today = datetime.date(2026, 1, 1)
    late = make_commitment(meeting, target_date=datetime.date(2025, 12, 31))
    done = make_commitment(
        meeting, target_date=datetime.date(2025, 12, 31), status=ImplementationStatus.COMPLETE
    )
    cancelled = make_commitment(
        meeting, target_date=datetime.date(2025, 12, 31), cancellation=Cancellation.CANCELLED
    )
    future = make_commitment(meeting, target_date=datetime.date(2026, 6, 1))
    assert late.is_overdue(today)
    assert not done.is_overdue(today)
    assert not cancelled.is_overdue(today)
    assert not future.is_overdue(today)
    assert list(Commitment.objects.overdue(today)) == [late]


def test_implementation_index_is_mean_score_over_three_without_cancelled(meeting):
    make_commitment(meeting, status=ImplementationStatus.COMPLETE)
    make_commitment(meeting, status=ImplementationStatus.MINIMAL)
    make_commitment(
        meeting, status=ImplementationStatus.NOT_STARTED, cancellation=Cancellation.SUPERSEDED
    )
    # (3 + 1) / 2 / 3 = 66.7 %; the superseded commitment stays out of the average.
    assert Commitment.objects.implementation_index() == pytest.approx(66.7)


def test_implementation_index_is_none_when_nothing_counts(db):
    assert Commitment.objects.implementation_index() is None


# Status changes ---------------------------------------------------------------------------


def test_status_change_records_who_when_from_to_and_why(commitment, editor):
    change = change_commitment_status(
        commitment=commitment,
        status=ImplementationStatus.MINIMAL,
        reason="Joint task force announced",
        by=editor,
        via="web",
    )
    commitment.refresh_from_db()
    assert commitment.status == ImplementationStatus.MINIMAL
    assert (change.from_status, change.to_status) == (0, 1)
    assert change.changed_by == editor
    assert change.reason == "Joint task force announced"
    assert change.changed_at is not None


def test_status_change_without_a_reason_is_refused(commitment, editor):
    with pytest.raises(ValidationError) as exc:
        change_commitment_status(commitment=commitment, status=2, reason="  ", by=editor, via="web")
    assert exc.value.message_dict["reason"] == ["A status change needs a reason."]
    commitment.refresh_from_db()
    assert commitment.status == 0
    assert not StatusChange.objects.exists()


def test_status_history_row_without_a_reason_is_refused_by_the_database(commitment):
    refused_by_database(lambda: make_status_change(commitment, reason=""))


def test_status_history_row_that_changes_nothing_is_refused_by_the_database(commitment):
    refused_by_database(lambda: make_status_change(commitment, from_status=1, reason="No change"))


def test_setting_the_same_status_writes_no_history(commitment, editor):
    assert (
        change_commitment_status(
            commitment=commitment, status=0, reason="Same", by=editor, via="web"
        )
        is None
    )
    assert not StatusChange.objects.exists()


def test_stalled_flag_sits_beside_the_score(commitment, editor):
    change_commitment_status(
        commitment=commitment, is_stalled=True, reason="No meetings held", by=editor, via="web"
    )
    commitment.refresh_from_db()
    assert commitment.is_stalled
    assert commitment.status == ImplementationStatus.NOT_STARTED
    assert StatusChange.objects.get().to_stalled is True


def test_commitment_with_history_cannot_be_deleted(commitment, editor):
    change_commitment_status(commitment=commitment, status=1, reason="r", by=editor, via="web")
    with pytest.raises(ProtectedError):
        commitment.delete()


# Milestones -------------------------------------------------------------------------------


def test_milestone_due_before_the_meeting_is_refused_with_a_message(commitment):
    milestone = Milestone(commitment=commitment, title="Early", due_date=datetime.date(2025, 9, 1))
    with pytest.raises(ValidationError) as exc:
        milestone.full_clean()
    assert exc.value.message_dict["due_date"] == [
        "A milestone cannot fall due before the meeting that agreed it (3 Sep 2025)."
    ]


def test_milestone_of_a_body_checks_the_body_meeting_date(meeting):
    body = make_body(meeting)
    milestone = Milestone(body=body, title="First meeting", due_date=datetime.date(2025, 8, 1))
    with pytest.raises(ValidationError) as exc:
        milestone.full_clean()
    assert "due_date" in exc.value.message_dict


def test_milestone_belongs_to_exactly_one_of_a_meeting_a_commitment_or_a_body(commitment):
    meeting = commitment.meeting
    body = make_body(meeting)
    for owners in (
        {"commitment": commitment, "body": body},
        {"meeting": meeting, "commitment": commitment},
        {"meeting": meeting, "body": body},
        {"meeting": meeting, "commitment": commitment, "body": body},
        {},
    ):
        refused_by_database(
            lambda owners=owners: Milestone.objects.create(title="x", due_date=SEPT_3, **owners)
        )
        with pytest.raises(ValidationError) as exc:
            Milestone(title="x", due_date=SEPT_3, **owners).full_clean()
        assert (
            "A milestone belongs to one record: a meeting, a commitment or a body."
            in messages_of(exc)
        )
    for owner in ({"meeting": meeting}, {"commitment": commitment}, {"body": body}):
        Milestone(title="x", due_date=SEPT_3, **owner).full_clean()
        assert Milestone.objects.create(title="x", due_date=SEPT_3, **owner).of_meeting == meeting


def test_milestone_of_a_meeting_cannot_fall_due_before_it(meeting):
    milestone = Milestone(meeting=meeting, title="In force", due_date=datetime.date(2025, 9, 1))
    with pytest.raises(ValidationError) as exc:
        milestone.full_clean()
    assert exc.value.message_dict["due_date"] == [
        "A milestone cannot fall due before the meeting that agreed it (3 Sep 2025)."
    ]


def test_done_milestone_needs_a_completion_date(commitment):
    refused_by_database(
        lambda: Milestone.objects.create(
            commitment=commitment, title="x", due_date=SEPT_3, status=MilestoneStatus.DONE
        )
    )
    with pytest.raises(ValidationError) as exc:
        Milestone(
            commitment=commitment, title="x", due_date=SEPT_3, status=MilestoneStatus.DONE
        ).full_clean()
    assert exc.value.message_dict["completed_on"] == [
        "A done milestone has a completion date, and only a done one."
    ]


def test_planned_milestone_has_no_completion_date(commitment):
    refused_by_database(
        lambda: Milestone.objects.create(
            commitment=commitment, title="x", due_date=SEPT_3, completed_on=SEPT_3
        )
    )


# Bodies and memberships -------------------------------------------------------------------


def test_body_with_no_confirmed_member_is_a_normal_state(meeting):
    body = make_body(meeting)
    body.full_clean()
    assert not body.members.filter(confirmation=Confirmation.CONFIRMED).exists()


def test_membership_names_a_person_or_a_party(meeting):
    body = make_body(meeting)
    refused_by_database(lambda: BodyMembership.objects.create(body=body))
    with pytest.raises(ValidationError) as exc:
        BodyMembership(body=body).full_clean()
    assert "A member is a person or a party: name at least one." in messages_of(exc)


def test_membership_ending_before_it_starts_is_refused(meeting, us):
    body = make_body(meeting)
    refused_by_database(
        lambda: BodyMembership.objects.create(
            body=body, party=us, start_date=SEPT_3, end_date=datetime.date(2025, 1, 1)
        )
    )


# Claims, statements, parties --------------------------------------------------------------


def test_claim_is_about_exactly_one_record(commitment):
    refused_by_database(lambda: Claim.objects.create(text="Orphan"))
    refused_by_database(
        lambda: Claim.objects.create(
            text="Two subjects", meeting=commitment.meeting, commitment=commitment
        )
    )


def test_claim_other_than_unconfirmed_needs_a_source(team):
    assert Claim.sources_error(Verification.UNCONFIRMED, []) is None
    for state in (
        Verification.VERIFIED,
        Verification.REPORTED,
        Verification.DISPUTED,
        Verification.RETRACTED,
    ):
        assert Claim.sources_error(state, []) == (
            f"A claim marked “{state.label}” needs at least one source."
        )
        assert Claim.sources_error(state, [make_source(team)]) is None


def test_statement_is_attributed_to_a_speaker_or_a_party(meeting):
    refused_by_database(
        lambda: Statement.objects.create(meeting=meeting, text="Words", said_on=SEPT_3)
    )


def test_state_code_must_be_iso_3166(db):
    with pytest.raises(ValidationError) as exc:
        Party(name="Atlantis", code="atl", kind=PartyKind.STATE).full_clean()
    assert "ISO 3166" in exc.value.message_dict["code"][0]
    Party(name="European Union", code="EU", kind=PartyKind.ORGANISATION).full_clean()


def test_party_codes_are_unique(us):
    refused_by_database(lambda: make_party(code="US"))
