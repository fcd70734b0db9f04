"""The dashboard's lists of milestones read by SQL made once a process
(``agreements.models.milestone_lists``): the same lines as the queryset's own methods."""

from __future__ import annotations

import datetime

from agreements import actions
from agreements.models import Milestone, MilestoneStatus, TeamMembership, TeamRole
from tests.conftest import compiled_sql, make_commitment, make_meeting, make_user


def test_a_past_days_overdue_milestones_sql_is_made_once_and_reads_what_the_queryset_reads(
    client, editor, outsider, admin_user, team, other_team, commitment
):
    """A past day's overdue milestones (``overdue_on_for``): the same lines as
    ``visible_to(user).overdue_on``, those moved after the day at their date then, for one
    team, two, all (an admin) and the other team's (its member), on days before, among and
    after their dates; a later page on another day compiles none of their SQL."""
    from agreements.models.milestone_lists import overdue_on_for

    D = datetime.date
    start = D(2025, 10, 15)
    theirs = make_commitment(make_meeting(other_team))
    for n in range(14):
        for record in (commitment, theirs):
            due = start + datetime.timedelta(n - 7)
            if n % 4 == 1:  # done (some of them after a day asked)
                extra = {
                    "status": MilestoneStatus.DONE,
                    "completed_on": due + datetime.timedelta(3),
                }
            else:
                extra = {"status": MilestoneStatus.MISSED} if n % 4 == 2 else {}
            milestone = Milestone.objects.create(
                commitment=record, title=f"Step {n}", due_date=due, **extra
            )
            if n in (3, 12):  # moved later: overdue before at the date first moved from
                actions.reschedule_milestone(
                    milestone=milestone,
                    expected=milestone.version,
                    to_date=D(2026, 1, 15),
                    reason="Extended",
                    by=admin_user,
                    moved_on=D(2025, 10, 20),
                )
    both = make_user("both", team=team)
    TeamMembership.objects.create(user=both, team=other_team, role=TeamRole.EDITOR)
    days = [start + datetime.timedelta(n) for n in (-10, -3, 0, 4, 6, 30)]
    for user in (editor, outsider, admin_user, both):
        for day in days:
            made = overdue_on_for(user, day, 10)
            assert made == Milestone.objects.visible_to(user).overdue_on(day, 10)
    on_the_19th = overdue_on_for(editor, D(2025, 10, 19), 10)
    assert ("Step 12", D(2025, 10, 20)) not in [(m.title, m.due_date) for m in on_the_19th]
    assert ("Step 3", D(2025, 10, 11)) in [(m.title, m.due_date) for m in on_the_19th]
    assert len(overdue_on_for(both, D(2025, 11, 30), 10)) == 10
    # Each reader sees their own team's only.
    assert {m.belongs_to for m in overdue_on_for(outsider, D(2025, 11, 30), 10)} == {theirs.title}
    assert {m.belongs_to for m in on_the_19th} == {commitment.title}
    client.force_login(editor)
    client.get("/", {"as_of": "2025-10-18"})
    with compiled_sql() as compiled:
        response = client.get("/", {"as_of": "2025-10-19"})
    assert response.context["overdue_milestones"] == on_the_19th
    assert not [sql for sql in compiled if '"agreements_milestone"' in sql]
