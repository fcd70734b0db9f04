"""The dashboard's tally of commitments is kept by the database on every write: whatever path
a change takes (actions, the admin, a queryset update, a meeting moved or archived), it equals
a count of the commitments themselves."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from agreements import actions
from agreements.models import (
    Assessment,
    Cancellation,
    Commitment,
    CommitmentTally,
    ComplianceScore,
    ComplianceTally,
    StateCounts,
    StatusHistory,
)
from tests.conftest import make_commitment, make_meeting

pytestmark = pytest.mark.django_db


def live() -> list[tuple]:
    return CommitmentTally.summed()


def assert_agrees() -> None:
    assert CommitmentTally.summed() == CommitmentTally.recount()
    assert ComplianceTally.summed() == ComplianceTally.recount()


def test_the_tally_follows_every_kind_of_write(meeting, editor, team, other_team):
    first = make_commitment(meeting, title="Halt fentanyl", theme="drugs")
    second = make_commitment(meeting, title="Stop guns", theme="arms")
    assert_agrees()
    actions.change_commitment_status(
        commitment=first, status=2, is_stalled=True, reason="Seizures up", by=editor, via="web"
    )
    assert_agrees()
    Commitment.objects.filter(pk=second.pk).update(cancellation=Cancellation.CANCELLED)
    assert_agrees()
    actions.archive_record(record=meeting, reason="Entered twice", by=editor)
    assert_agrees()
    assert CommitmentTally.objects.filter(team=team).counting().total() == 0
    actions.restore_record(record=meeting, reason="Not a duplicate", by=editor)
    assert_agrees()
    actions.archive_record(record=second, reason="Wrong meeting", by=editor)
    actions.archive_record(record=meeting, reason="Entered twice", by=editor)
    actions.restore_record(record=meeting, reason="Not a duplicate", by=editor)
    assert_agrees()
    meeting.team = other_team  # a meeting moved to another team takes its commitments along
    meeting.start_date = datetime.date(2026, 1, 1)
    meeting.save()
    assert_agrees()
    assert CommitmentTally.objects.filter(team=team).total() == 0
    make_commitment(meeting, title="Entered by mistake").delete()
    assert_agrees()


def test_the_dashboard_figures_come_from_the_tally(client, editor, meeting):
    for status, theme in ((0, "drugs"), (3, "drugs"), (2, "arms")):
        make_commitment(meeting, title=f"C {status}", theme=theme, status=status)
    make_commitment(meeting, title="Gone", cancellation=Cancellation.SUPERSEDED, status=3)
    other = make_meeting(meeting.team, title="Archived one")
    make_commitment(other, title="Hidden", status=3)
    actions.archive_record(record=other, reason="Duplicate", by=editor)
    client.force_login(editor)
    context = client.get("/").context
    assert context["counting"] == 3
    assert context["index"] == pytest.approx(5 / 9 * 100, abs=0.1)
    assert context["cancelled"] == 1
    themes = {row["key"]: (row["index"], row["count"]) for row in context["by_theme"]}
    assert themes["Drugs"][1] == 2 and themes["Arms trafficking"] == (
        pytest.approx(66.7, abs=0.1),
        1,
    )


def test_compacting_folds_the_rows_and_keeps_the_sums(meeting, editor, team):
    commitment = make_commitment(meeting, title="Halt fentanyl")
    for status in (1, 2, 3, 2):
        actions.change_commitment_status(
            commitment=commitment, status=status, reason="Progress", by=editor, via="web"
        )
    before = live()
    assert CommitmentTally.objects.count() > len(before)  # appended, not updated
    CommitmentTally.compact([team.pk])
    assert live() == before == CommitmentTally.recount()
    assert CommitmentTally.objects.count() == len(before)  # one row per state


@pytest.mark.django_db(transaction=True)  # folded once the write commits
def test_a_write_folds_a_team_whose_rows_piled_up_and_the_dashboard_only_reads(
    client, editor, meeting, monkeypatch
):
    monkeypatch.setattr(CommitmentTally, "COMPACT_AFTER", 3)
    commitment = make_commitment(meeting, title="Halt fentanyl")
    actions.change_commitment_status(
        commitment=commitment, status=1, reason="Progress", by=editor, via="web"
    )
    assert CommitmentTally.objects.count() == 3  # +1 on creation, then -1 and +1: not piled
    actions.change_commitment_status(
        commitment=commitment, status=2, reason="Progress", by=editor, via="web"
    )
    assert CommitmentTally.objects.count() == 1  # 5 rows, past 3: folded after the commit
    assert CommitmentTally.summed() == CommitmentTally.recount()
    Commitment.objects.filter(pk=commitment.pk).update(status=3)  # no action: nothing folds
    assert CommitmentTally.objects.count() == 3
    client.force_login(editor)
    assert client.get("/").context["counting"] == 1
    assert CommitmentTally.objects.count() == 3  # reading the dashboard wrote nothing


def test_compliance_counts_each_partys_latest_assessment(
    meeting, editor, reviewer, us, mexico, other_team
):
    """Per party, the latest assessment of each commitment that counts: a newer one replaces
    it, a backdated one does not, and commitments that stop counting take theirs along."""
    first = make_commitment(meeting, title="Halt fentanyl", parties=[us, mexico])
    second = make_commitment(meeting, title="Stop guns", parties=[us])

    def assess(commitment, party, score, day):
        actions.record_assessment(
            assessment=Assessment(
                commitment=commitment,
                party=party,
                score=score,
                justification="Seen",
                as_of=datetime.date(2025, 10, day),
            ),
            by=reviewer,
        )
        assert_agrees()

    assess(first, us, ComplianceScore.PARTIAL, 1)
    assess(first, us, ComplianceScore.FULL, 5)  # newer: replaces
    assess(first, us, ComplianceScore.NONE, 3)  # backdated: the latest stays
    assess(first, mexico, ComplianceScore.NOT_ASSESSED, 2)
    assess(second, us, ComplianceScore.NONE, 2)
    by_party = {row["key"]: row for row in ComplianceTally.objects.all().by_party()}
    assert by_party[us.name]["count"] == 2 and by_party[us.name]["mean"] == 0
    assert by_party[mexico.name]["count"] == 0 and by_party[mexico.name]["index"] is None
    Commitment.objects.filter(pk=second.pk).update(cancellation=Cancellation.CANCELLED)
    assert_agrees()
    actions.archive_record(record=meeting, reason="Entered twice", by=editor)
    assert_agrees()
    assert ComplianceTally.summed() == []
    actions.restore_record(record=meeting, reason="Not a duplicate", by=editor)
    assert_agrees()
    meeting.team = other_team
    meeting.save()
    assert_agrees()
    ComplianceTally.compact([meeting.team_id])
    assert_agrees()


TRIGGERS = {
    "agreements_commitment": ["agreements_commitment_tally", "agreements_commitment_compliance"],
    "agreements_meeting": ["agreements_meeting_tally", "agreements_meeting_compliance"],
    "agreements_assessment": ["agreements_assessment_compliance"],
}


def test_the_tallies_triggers_are_installed():
    """SQLite drops a table's triggers when a migration remakes the table: a later migration
    that alters these tables must create them again, or the dashboard silently goes stale."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT event_object_table, trigger_name FROM information_schema.triggers"
            )
        else:
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        installed = set(cursor.fetchall())
    for table, names in TRIGGERS.items():
        for name in names:
            assert any(t == table and n.startswith(name) for t, n in installed), (table, name)


def test_the_dashboard_reads_every_figure_at_once_as_the_tally_gives_them(editor, meeting, team):
    """The dashboard's one read of the active states gives each figure as the tally's own
    reads do, today and on a past day (from the stored history)."""
    rows = (
        (0, "drugs", False, ""),
        (3, "drugs", False, ""),
        (2, "arms", True, ""),
        (1, "arms", True, Cancellation.CANCELLED),
        (3, "drugs", False, Cancellation.SUPERSEDED),
    )
    for n, (status, theme, stalled, cancellation) in enumerate(rows):
        make_commitment(
            meeting,
            title=f"Commitment {n}",
            theme=theme,
            status=status,
            is_stalled=stalled,
            cancellation=cancellation,
        )
    other = make_meeting(team, title="Archived one")
    make_commitment(other, title="Hidden", status=3, is_stalled=True)
    actions.archive_record(record=other, reason="Duplicate", by=editor)
    today = datetime.date.today()
    for tally in (
        CommitmentTally.objects.visible_to(editor),
        StatusHistory.visible_to(editor).on(today),
    ):
        states = StateCounts(tally.active_states())
        assert states.status_counts() == tally.status_counts() == {0: 1, 1: 0, 2: 1, 3: 1}
        assert states.stalled() == tally.counting().total(is_stalled=True) == 1
        assert states.cancelled() == tally.total(active=True, cancelled=True) == 2
        assert states.index_by_theme() == tally.index_by_theme()
        assert [row["count"] for row in states.index_by_theme()] == [1, 2]
        # The same, the themes named in the same read (the dashboard's).
        named, names = tally.active_states_named()
        assert named == tally.active_states() and names.keys() == {"arms", "drugs"}
        assert StateCounts(named, names).index_by_theme() == tally.index_by_theme()
