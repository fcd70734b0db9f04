"""The stored history of each commitment's official status (``StatusSpan``) and of each team's
counts by day (``StatusDayTally``): written by every action that moves a state, and always
equal to what the status changes say (a recount from them)."""

from __future__ import annotations

import datetime
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection, connections, transaction

from agreements import actions
from agreements.models import (
    Assessment,
    Commitment,
    CommitmentTally,
    ComplianceDayTally,
    ComplianceMonthTally,
    ComplianceQuarterTally,
    ComplianceSpan,
    ComplianceTally,
    ComplianceYearTally,
    ImplementationStatus,
    IndexMonthTally,
    Meeting,
    StatusDayTally,
    StatusHistory,
    StatusMonthTally,
    StatusSpan,
    StatusYearTally,
    spans_of,
)
from agreements.models.status_history import Span, State, _wanted_spans
from tests.conftest import make_commitment

pytestmark = pytest.mark.django_db

# A status history's tallies, in the order ``StatusHistory`` takes them.
HISTORY_TALLIES = (StatusYearTally, StatusMonthTally, StatusDayTally, IndexMonthTally)
SEP3, OCT, NOV, DEC = (datetime.date(2025, m, d) for m, d in ((9, 3), (10, 1), (11, 1), (12, 1)))
NONE, MINIMAL, MIDWAY, DONE = (State(s, False, "") for s in range(4))


def test_spans_follow_the_changes_in_effective_order():
    changes = [(OCT, NONE, MINIMAL), (NOV, MINIMAL, DONE)]
    assert spans_of(SEP3, DONE, changes) == [
        Span(SEP3, OCT, NONE),
        Span(OCT, NOV, MINIMAL),
        Span(NOV, None, DONE),
    ]


def test_the_later_recorded_change_of_one_day_stands_and_equal_states_merge():
    changes = [(OCT, NONE, MINIMAL), (OCT, MINIMAL, MIDWAY), (NOV, MIDWAY, MIDWAY)]
    assert spans_of(SEP3, MIDWAY, changes) == [Span(SEP3, OCT, NONE), Span(OCT, None, MIDWAY)]


def test_without_changes_the_state_now_holds_since_the_meeting():
    assert spans_of(SEP3, MIDWAY, []) == [Span(SEP3, None, MIDWAY)]


def test_a_change_on_the_meeting_day_replaces_the_state_it_found():
    assert spans_of(SEP3, DONE, [(SEP3, NONE, DONE)]) == [Span(SEP3, None, DONE)]


def by_period(day_tally: list[tuple], period: str) -> list[tuple]:
    """A day tally's sums (``summed``) summed by month, quarter or year (dated its first day),
    as the month, quarter and year tallies should hold them."""
    sums: Counter = Counter()
    for *key, day, n in day_tally:
        months = {"month": 1, "quarter": 3, "year": 12}[period]  # a period's length
        first = datetime.date(day.year, (day.month - 1) // months * months + 1, 1)
        sums[(*key, first)] += n
    return sorted((*k, n) for k, n in sums.items() if n)


def stored_agrees_with_the_changes() -> None:
    """Every commitment's stored spans are those its changes give; the day tally is the sum of
    the spans, the month and year tallies its sums by month and year; summed up to today it
    is the tally of today."""
    ids = list(Commitment.objects.values_list("pk", flat=True))
    wanted = _wanted_spans(ids)
    for pk in ids:
        stored = [s.row() for s in StatusSpan.objects.filter(commitment=pk).order_by("starts_on")]
        assert stored == wanted[pk], f"commitment {pk}"
    assert StatusDayTally.summed() == StatusDayTally.recount()
    assert StatusMonthTally.summed() == by_period(StatusDayTally.summed(), "month")
    assert StatusYearTally.summed() == by_period(StatusDayTally.summed(), "year")
    # The months of those that count (active, neither cancelled nor superseded), by status.
    counting = [
        (team, status, day, n)
        for team, _theme, status, _stalled, cancelled, active, day, n in StatusDayTally.summed()
        if active and not cancelled
    ]
    assert IndexMonthTally.summed() == by_period(counting, "month")
    by_state: Counter = Counter()
    for *key, _day, n in StatusDayTally.summed():
        by_state[tuple(key)] += n
    assert sorted((*k, n) for k, n in by_state.items() if n) == CommitmentTally.summed()
    compliance_agrees_with_the_assessments()


def compliance_agrees_with_the_assessments() -> None:
    """The stored compliance is what the assessments give; summed up to today, it is the
    dashboard's compliance tally."""
    from agreements.models.compliance_history import _wanted_spans as wanted_compliance

    ids = list(Commitment.objects.values_list("pk", flat=True))
    wanted = wanted_compliance(ids)
    for pk in ids:
        stored = ComplianceSpan.objects.filter(commitment=pk).order_by("party_id", "starts_on")
        assert [s.row() for s in stored] == wanted[pk], f"commitment {pk}"
    assert ComplianceDayTally.summed() == ComplianceDayTally.recount()
    assert ComplianceMonthTally.summed() == by_period(ComplianceDayTally.summed(), "month")
    assert ComplianceYearTally.summed() == by_period(ComplianceDayTally.summed(), "year")
    assert ComplianceQuarterTally.summed() == by_period(ComplianceDayTally.summed(), "quarter")
    by_score: Counter = Counter()
    for *key, _day, n in ComplianceDayTally.summed():
        by_score[tuple(key)] += n
    assert sorted((*k, n) for k, n in by_score.items() if n) == ComplianceTally.summed()


def test_every_action_that_moves_a_state_rewrites_the_history(
    meeting, commitment, editor, admin_user, us
):
    other = make_commitment(meeting, theme="migration", parties=[us])
    change = actions.change_commitment_status
    change(commitment=commitment, status=2, reason="Newer", by=editor, via="web", effective_on=NOV)
    change(commitment=commitment, status=1, reason="Older", by=editor, via="web", effective_on=OCT)
    change(commitment=other, cancellation="cancelled", reason="Dropped", by=editor, via="web")
    stored_agrees_with_the_changes()
    # An older change entered after a newer one goes in its place in the stored history too.
    assert [
        (s.starts_on, s.status)
        for s in StatusSpan.objects.filter(commitment=commitment).order_by("starts_on")
    ] == [(SEP3, 0), (OCT, 1), (NOV, 2)]

    assess = actions.record_assessment
    for score, day in (("0", NOV), ("+1", OCT), ("-1", NOV)):  # the later of one day stands
        assess(
            assessment=Assessment(
                commitment=commitment, party=us, score=score, justification="Seen", as_of=day
            ),
            by=admin_user,
        )
    assess(
        assessment=Assessment(
            commitment=other, party=us, score="+1", justification="Seen", as_of=OCT
        ),
        by=admin_user,
    )
    stored_agrees_with_the_changes()
    assert [
        (s.starts_on, s.score)
        for s in ComplianceSpan.objects.filter(commitment=commitment).order_by("starts_on")
    ] == [(OCT, "+1"), (NOV, "-1")]

    actions.archive_record(record=other, by=admin_user, reason="Entered twice")
    stored_agrees_with_the_changes()
    actions.restore_record(record=other, by=admin_user, reason="It was not")
    actions.archive_record(record=meeting, by=admin_user, reason="Filed")
    stored_agrees_with_the_changes()
    actions.restore_record(record=meeting, by=admin_user, reason="Back")

    # The meeting moved to an earlier day: every commitment's first span starts there.
    meeting.start_date = datetime.date(2025, 8, 1)
    actions.save_meeting(
        meeting=meeting,
        expected=meeting.version,
        parties=list(meeting.parties.all()),
        rows=[],
        participants=[],
        by=editor,
    )
    stored_agrees_with_the_changes()
    assert StatusSpan.objects.filter(commitment=other).order_by("starts_on")[0].starts_on == (
        datetime.date(2025, 8, 1)
    )


def stored_history() -> dict:
    """Every stored span (as its ``row``, with its commitment) and what each tally sums to."""
    return {
        model.__name__: sorted(
            (span.commitment_id, *span.row().values()) for span in model.objects.all()
        )
        for model in (StatusSpan, ComplianceSpan)
    } | {
        tally.__name__: tally.summed()
        for spans in (StatusSpan, ComplianceSpan)
        for tally in spans.objects.tallies()
    }


def rewritten_one_by_one() -> dict:
    """The stored history as the actions' ``rewrite`` leaves it, written from nothing."""
    for spans in (StatusSpan, ComplianceSpan):
        for model in (spans, *spans.objects.tallies()):
            model.objects.all().delete()
    ids = list(Commitment.objects.values_list("pk", flat=True))
    StatusSpan.objects.rewrite(ids)
    ComplianceSpan.objects.rewrite(ids)
    return stored_history()


def test_a_rebuild_of_every_commitment_stores_what_the_actions_rewrites_do(
    meeting, commitment, editor, admin_user, us, mexico
):
    """``rebuild`` (the bulk load's) writes the same spans and tallies as ``rewrite`` (the
    actions'): changes entered out of order and on one day, a cancellation, an archived
    commitment, and assessments, the later of one day standing."""
    other = make_commitment(meeting, theme="migration", parties=[us, mexico])
    make_commitment(meeting, theme="drugs")  # no change: its state now since the meeting
    change = actions.change_commitment_status
    change(commitment=commitment, status=2, reason="Newer", by=editor, via="web", effective_on=NOV)
    change(commitment=commitment, status=1, reason="Older", by=editor, via="web", effective_on=OCT)
    change(commitment=commitment, status=3, reason="Same", by=editor, via="web", effective_on=OCT)
    change(commitment=other, status=1, reason="Begun", by=editor, via="web", effective_on=OCT)
    change(commitment=other, cancellation="cancelled", reason="Dropped", by=editor, via="web")
    for target, party, score, day in (
        (commitment, us, "0", NOV),
        (commitment, us, "+1", OCT),
        (commitment, us, "-1", NOV),
        (other, mexico, "+1", OCT),
        (other, us, "n/a", SEP3),
    ):
        actions.record_assessment(
            assessment=Assessment(
                commitment=target, party=party, score=score, justification="Seen", as_of=day
            ),
            by=admin_user,
        )
    archived = make_commitment(meeting, parties=[us])
    change(commitment=archived, status=3, reason="Done", by=editor, via="web", effective_on=DEC)
    actions.archive_record(record=archived, by=admin_user, reason="Entered twice")
    by_the_actions = stored_history()
    assert by_the_actions["StatusSpan"] and by_the_actions["ComplianceDayTally"]

    assert StatusSpan.objects.rebuild() == len(by_the_actions["StatusSpan"])
    assert ComplianceSpan.objects.rebuild() == len(by_the_actions["ComplianceSpan"])
    assert stored_history() == by_the_actions
    stored_agrees_with_the_changes()
    # An action after a rebuild rewrites its commitment's history on top of it.
    change(commitment=other, status=2, reason="Later", by=editor, via="web", effective_on=DEC)
    stored_agrees_with_the_changes()
    assert stored_history() == rewritten_one_by_one()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL row locks and concurrent connections; SQLite serialises writers",
)
def test_concurrent_changes_on_one_day_leave_the_stored_history_whole(meeting, editor):
    """Eight editors change eight commitments of one theme at once, effective the same days:
    they add to the same rows of the day tally, and none of it is lost."""
    commitments = [make_commitment(meeting, theme="drugs") for _ in range(8)]

    def change(i: int) -> None:
        try:
            for status, day in ((1, OCT), (3, NOV), (2, OCT + datetime.timedelta(days=3))):
                actions.change_commitment_status(
                    commitment=commitments[i],
                    status=status,
                    reason="Moved",
                    by=editor,
                    via="web",
                    effective_on=day,
                )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(change, range(8)))
    close_old_connections()
    stored_agrees_with_the_changes()
    history = StatusHistory(*(tally.objects.all() for tally in HISTORY_TALLIES))
    on_nov = history.on(NOV).status_counts()
    assert on_nov[ImplementationStatus.COMPLETE] == 8


def _wait_until_another_connection_waits_for_a_lock() -> None:
    with connection.cursor() as cursor:
        for _ in range(100):
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # else read once a transaction
            cursor.execute(
                "SELECT count(*) FROM pg_locks JOIN pg_stat_activity USING (pid) "
                "WHERE NOT granted AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the other write never waited for this one")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL row locks and concurrent connections; SQLite serialises writers",
)
def test_a_meeting_archived_during_a_past_dated_change_waits_and_reads_it(
    meeting, editor, admin_user
):
    """A past-dated change (which leaves the commitment's row as it was) is uncommitted while
    an admin archives the meeting: the archive waits for it, then rewrites the history it
    wrote, instead of keeping its spans beside the archive's (counted twice)."""
    commitment = make_commitment(meeting)
    change = actions.change_commitment_status
    change(commitment=commitment, status=3, reason="Done", by=editor, via="web", effective_on=NOV)

    def archive() -> None:
        try:
            actions.archive_record(record=meeting, by=admin_user, reason="Filed")
        finally:
            connections.close_all()

    with transaction.atomic():
        change(
            commitment=commitment, status=2, reason="Then", by=editor, via="web", effective_on=OCT
        )
        archiving = threading.Thread(target=archive)
        archiving.start()
        _wait_until_another_connection_waits_for_a_lock()
    archiving.join()
    close_old_connections()
    assert list(
        StatusSpan.objects.filter(commitment=commitment)
        .order_by("starts_on")
        .values_list("starts_on", "status", "active")
    ) == [(SEP3, 0, False), (OCT, 2, False), (NOV, 3, False)]
    stored_agrees_with_the_changes()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL row locks and concurrent connections; SQLite serialises writers",
)
def test_status_changes_while_the_meeting_is_archived_and_restored_never_deadlock(
    meeting, editor, admin_user
):
    """Six editors change six commitments (some dated before their last change) while an admin
    archives and restores their meeting: every write goes through, none deadlocks, and the
    stored history and both tallies agree with the changes."""
    commitments = [make_commitment(meeting) for _ in range(6)]
    errors = []

    def changes(i: int) -> None:
        try:
            for k in range(6):
                try:
                    actions.change_commitment_status(
                        commitment=commitments[i],
                        status=k % 3 + 1,
                        reason="Moved",
                        by=editor,
                        via="web",
                        effective_on=(NOV if k % 2 else OCT) + datetime.timedelta(days=k),
                    )
                except ValidationError:  # refused while the meeting was archived: as it should
                    pass
                except Exception as error:  # a deadlock: reported below
                    errors.append(error)
        finally:
            connections.close_all()

    def archive_and_restore() -> None:
        try:
            for k in range(6):
                filed = Meeting.objects.get(pk=meeting.pk)
                step = actions.restore_record if k % 2 else actions.archive_record
                try:
                    step(record=filed, by=admin_user, reason="Filed, then back")
                except Exception as error:
                    errors.append(error)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(7) as pool:
        done = [pool.submit(changes, i) for i in range(6)] + [pool.submit(archive_and_restore)]
        for future in done:
            future.result()
    close_old_connections()
    assert errors == []
    stored_agrees_with_the_changes()
