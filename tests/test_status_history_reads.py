"""The stored history read back: a commitment's state on any day, a team's figures on a day
and over time (from the day, month and year tallies), its compliance, and the reads' SQL made
once as built. How the history is written, and kept equal to the changes, is in
test_status_history.py."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements import actions
from agreements.models import (
    Assessment,
    Commitment,
    ComplianceDayTally,
    ComplianceHistory,
    ComplianceMonthTally,
    ComplianceQuarterTally,
    ComplianceYearTally,
    ImplementationStatus,
    IndexMonthTally,
    StatusDayTally,
    StatusHistory,
    StatusMonthTally,
    StatusSpan,
    StatusYearTally,
)
from tests.conftest import compiled_sql, make_commitment, make_meeting

pytestmark = pytest.mark.django_db

# A status history's tallies, in the order ``StatusHistory`` takes them.
HISTORY_TALLIES = (StatusYearTally, StatusMonthTally, StatusDayTally, IndexMonthTally)

SEP3, OCT, NOV, DEC = (datetime.date(2025, m, d) for m, d in ((9, 3), (10, 1), (11, 1), (12, 1)))


def test_a_commitment_reads_its_state_on_any_day_from_the_stored_history(commitment, editor):
    change = actions.change_commitment_status
    change(
        commitment=commitment, status=1, reason="Started", by=editor, via="web", effective_on=OCT
    )
    change(commitment=commitment, status=3, reason="Done", by=editor, via="web", effective_on=NOV)
    for day, status in [(SEP3, 0), (OCT, 1), (NOV - datetime.timedelta(days=1), 1), (DEC, 3)]:
        then = Commitment.objects.as_of(day).get(pk=commitment.pk)
        assert then.status_then == status, day
        # Read for those agreed by then (the commitment list's), the same state.
        state = ("status_then", "stalled_then", "cancellation_then")
        agreed = Commitment.objects.agreed_by(day).filter(pk=commitment.pk).values(*state)
        assert list(agreed) == [{name: getattr(then, name) for name in state}], day
    assert not Commitment.objects.agreed_by(SEP3 - datetime.timedelta(days=1)).exists()


def test_a_teams_figures_on_a_day_and_its_curve_come_from_the_day_tally(meeting, team, editor):
    first, second = make_commitment(meeting), make_commitment(meeting)
    change = actions.change_commitment_status
    change(commitment=first, status=3, reason="Done", by=editor, via="web", effective_on=OCT)
    change(commitment=second, status=1, reason="Begun", by=editor, via="web", effective_on=NOV)
    history = StatusHistory(*(tally.objects.filter(team=team) for tally in HISTORY_TALLIES))
    # On 31 Oct: one complete, one not started.
    counts = history.on(datetime.date(2025, 10, 31)).status_counts()
    assert counts[ImplementationStatus.COMPLETE] == 1
    assert counts[ImplementationStatus.NOT_STARTED] == 1
    # On 1 Nov (its month read by day): the second had begun.
    assert history.on(NOV).status_counts() == {0: 0, 1: 1, 2: 0, 3: 1}
    assert history.on(datetime.date(2025, 9, 30)).implementation_index() == 0
    month_ends = [
        datetime.date(2025, 9, 30),
        datetime.date(2025, 10, 31),
        datetime.date(2025, 11, 30),
    ]
    # 0 / 6, then 3 / 6, then 4 / 6 of the scale.
    assert history.curve(month_ends) == [0.0, 50.0, 66.7]
    # A curve ending mid-month reads that month by day.
    assert history.curve([datetime.date(2025, 9, 30), datetime.date(2025, 11, 1)]) == [0.0, 66.7]
    # Its months are those of the commitments that count, by status alone (``IndexMonthTally``):
    # the month tally's, by theme and flags, are read no more.
    StatusMonthTally.objects.all().delete()
    assert StatusHistory.visible_to(editor).curve(month_ends) == [0.0, 50.0, 66.7]


def test_a_past_days_figures_read_the_years_before_its_own_from_the_year_tallies(
    team, editor, admin_user, us
):
    """A day's counts are the years before its own (the year tallies), its year's months before
    its month and its month's days: the same as its spans say, on days across three years,
    with the months of the years before gone (read no more)."""
    meeting = make_meeting(team, start_date=datetime.date(2023, 5, 10))
    first, second = make_commitment(meeting, parties=[us]), make_commitment(meeting)
    change = actions.change_commitment_status
    for commitment, status, day in (
        (first, 1, datetime.date(2023, 11, 2)),
        (second, 2, datetime.date(2024, 2, 1)),
        (first, 3, datetime.date(2024, 12, 31)),
        (second, 1, datetime.date(2025, 3, 4)),
    ):
        change(
            commitment=commitment, status=status, reason="x", by=editor, via="web", effective_on=day
        )
    for score, day in (("-1", datetime.date(2023, 6, 1)), ("+1", datetime.date(2024, 7, 1))):
        actions.record_assessment(
            assessment=Assessment(
                commitment=first, party=us, score=score, justification="x", as_of=day
            ),
            by=admin_user,
        )
    days = [datetime.date(2024, 1, 1), datetime.date(2024, 12, 31), datetime.date(2025, 3, 4)]
    history = StatusHistory.visible_to(editor)

    def counted(day: datetime.date) -> dict[int, int]:
        return {s: k for s, k in history.on(day).status_counts().items() if k}

    spans = StatusSpan.objects.counting()
    for day in days:
        by_status = spans.on(day).values_list("status").annotate(k=models.Count("*"))
        assert counted(day) == dict(by_status.order_by()), day
    # The months of the years before 2025 are read no more: the year tallies hold them.
    StatusMonthTally.objects.filter(month__lt=datetime.date(2025, 1, 1)).delete()
    ComplianceMonthTally.objects.filter(month__lt=datetime.date(2025, 1, 1)).delete()
    assert counted(datetime.date(2025, 3, 3)) == {2: 1, 3: 1}  # January and February, by month
    assert counted(days[2]) == {1: 1, 3: 1}  # and March's days
    compliance = ComplianceHistory.visible_to(editor)
    assert [row["index"] for row in compliance.by_party(days[2])] == [100.0]  # 2024's +1


def test_a_readers_curve_sums_are_read_by_sql_made_once_as_built(
    meeting, editor, outsider, admin_user, other_team, us, mexico
):
    """``StatusHistory.visible_to(user)`` reads its curve's sums and a day's states, and
    ``ComplianceHistory.visible_to(user)`` its parties' rows and figures, by SQL made once for
    the number of the reader's teams (or an admin's every team) and of parties, run with
    their ids and the days: the same as the histories' own querysets read, on any day."""
    ours = make_commitment(meeting, status=2, parties=[us, mexico])
    theirs = make_commitment(make_meeting(other_team), status=3, parties=[us])
    for commitment, party, score in ((ours, us, "+1"), (ours, mexico, "-1"), (theirs, us, "0")):
        actions.record_assessment(
            assessment=Assessment(
                commitment=commitment, party=party, score=score, justification="x", as_of=OCT
            ),
            by=admin_user,
        )
    for user in (editor, outsider, admin_user):
        made = StatusHistory.visible_to(user)
        built = StatusHistory(made.years, made.months, made.days, made.index_months)
        compliance = ComplianceHistory.visible_to(user)
        as_built = ComplianceHistory(
            compliance.years, compliance.quarters, compliance.months, compliance.days
        )
        for day in (NOV, datetime.date(2020, 1, 31), timezone.localdate()):
            assert made.sums_up_to(day) == built.sums_up_to(day), (user, day)
            states = made.on(day).active_states_named()
            assert states == built.on(day).active_states_named(), (user, day)
            assert compliance.by_party(day) == as_built.by_party(day), (user, day)
            for parties, quarters, named in (([us.pk, mexico.pk], True, True), ([us.pk], 0, 0)):
                read = (day, parties)
                flags = {"by_quarter": quarters, "named": named}
                assert sorted(compliance._rows_up_to(*read, **flags)) == sorted(
                    as_built._rows_up_to(*read, **flags)
                ), (user, day, parties)
    assert StatusHistory.visible_to(admin_user).every
    rows = StatusHistory.visible_to(editor).sums_up_to(timezone.localdate())
    assert (sum(row[1] for row in rows), sum(row[2] for row in rows)) == (2, 1)  # its own


def test_a_past_days_list_size_is_read_by_sql_made_once_as_built(
    client, meeting, team, editor, outsider, admin_user, other_team
):
    """A past day's count of the filtered list (``StatusHistory.on(day).filter(...).total()``,
    the commitment list's size) is read by SQL made once for its lookups' names (a flag's
    value in the key): the same as the history's own querysets sum, for each reader, day and
    filter; a later page of another day and theme compiles none of it."""
    theirs = make_meeting(other_team, start_date=datetime.date(2025, 9, 10))
    for n in range(8):
        made = make_commitment(theirs if n % 3 == 0 else meeting, theme=["drugs", "arms"][n % 2])
        actions.change_commitment_status(
            commitment=made, status=n % 4, reason="Moved", by=editor, via="web",
            effective_on=datetime.date(2025, 9, 12 + n), is_stalled=n % 3 == 1,
        )  # fmt: skip
    filters = [
        {},
        {"status": 2},
        {"status": 0, "is_stalled": True},
        {"theme": "drugs"},
        {"theme": "arms", "status": 1, "team": team},
        {"team": other_team.pk},
    ]
    totals = set()
    for user in (editor, outsider, admin_user):
        made = StatusHistory.visible_to(user)
        built = StatusHistory(made.years, made.months, made.days, made.index_months)
        for day in (datetime.date(2025, 9, 15), NOV, timezone.localdate()):
            for lookups in filters:
                total = made.on(day).filter(active=True, **lookups).total()
                assert total == built.on(day).filter(active=True, **lookups).total()
                totals.add(total)
    assert len(totals) > 3  # the filters and days tell the commitments apart
    client.force_login(editor)
    client.get("/commitments/", {"as_of": "2025-10-01", "status": 1, "theme": "arms"})
    with compiled_sql() as compiled:
        page = client.get("/commitments/", {"as_of": "2025-11-02", "status": 1, "theme": "drugs"})
    assert page.status_code == 200
    assert compiled and not [sql for sql in compiled if "statusmonthtally" in sql]


def test_a_teams_compliance_on_a_day_and_over_time(meeting, team, admin_user, us, mexico):
    first, second = (
        make_commitment(meeting, parties=[us, mexico]),
        make_commitment(meeting, parties=[us]),
    )
    assess = actions.record_assessment
    for commitment, party, score, day in (
        (first, us, "+1", OCT),
        (second, us, "-1", OCT),
        (second, us, "+1", NOV),
        (first, mexico, "n/a", OCT),
    ):
        assess(
            assessment=Assessment(
                commitment=commitment, party=party, score=score, justification="x", as_of=day
            ),
            by=admin_user,
        )
    history = ComplianceHistory(
        *(
            tally.objects.filter(team=team)
            for tally in (
                ComplianceYearTally,
                ComplianceQuarterTally,
                ComplianceMonthTally,
                ComplianceDayTally,
            )
        )
    )
    with CaptureQueriesContext(connection) as read:
        on_oct = {row["key"]: row for row in history.by_party(datetime.date(2025, 10, 31))}
    # Each party's sums named once made: no join to the parties, no grouping by the name.
    (sql,) = (query["sql"] for query in read.captured_queries)
    assert "JOIN" not in sql and "GROUP BY 1, 2" in sql and "GROUP BY 1, 2, 3" not in sql
    assert on_oct[us.name]["index"] == 50.0 and on_oct[us.name]["count"] == 2  # (+1 −1) / 2
    assert on_oct[mexico.name]["index"] is None  # assessed, "not assessed"
    assert history.by_party(NOV)[1]["index"] == 100.0  # both +1 on 1 Nov (read by day)
    month_ends = [
        datetime.date(2025, 9, 30),
        datetime.date(2025, 10, 31),
        datetime.date(2025, 11, 30),
    ]
    assert history.curves(month_ends, most=5) == {
        mexico.name: [None, None, None],
        us.name: [None, 50.0, 100.0],
    }
    assert list(history.curves(month_ends, most=1)) == [us.name]  # the most assessed
