"""The dashboard's lists read by SQL made once a process (``models.milestone_lists``,
``models.lines_made_once``): the same lines as the querysets' own methods read."""

from __future__ import annotations

import datetime

from django.db import models
from django.utils import timezone

from agreements import actions
from agreements.actions import submit_update
from agreements.models import (
    Assessment,
    CommitmentTally,
    ComplianceTally,
    ImplementationBody,
    Meeting,
    Milestone,
    MilestoneStatus,
    ProgressUpdate,
    StatusChange,
    StatusSpan,
    TeamMembership,
    TeamRole,
)
from tests.conftest import (
    compiled_sql,
    make_body,
    make_commitment,
    make_meeting,
    make_status_change,
    make_user,
)


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


def test_the_recent_lists_sql_is_made_once_and_reads_what_the_querysets_read(
    client, editor, reviewer, outsider, admin_user, team, other_team, commitment
):
    """Recent meetings, updates and status changes (today's and a past day's) and the updates
    awaiting review, read by ``visible_lines``: the same lines as ``visible_to(user)``'s (a
    reviewer's, ``reviewable_by(user)``'s, never their own), for one team, two, all (an admin)
    and another team's member; a later page compiles none of their SQL."""
    D = datetime.date
    theirs = make_commitment(make_meeting(other_team, start_date=D(2025, 9, 10)))
    for n in range(8):  # held, planned, archived; in both teams, over a year
        extra = {"planned": True} if n == 6 else {"archived_at": timezone.now()} if n == 7 else {}
        for owner in (team, other_team):
            make_meeting(owner, start_date=D(2025, 1, 1) + datetime.timedelta(40 * n), **extra)
    for record, author in ((commitment, editor), (theirs, outsider)):
        for n in range(12):
            make_status_change(record, effective_on=D(2025, 9, 5) + datetime.timedelta(n))
            submit_update(commitment=record, author=author, narrative=f"Update {n}")
    submit_update(commitment=commitment, author=reviewer, narrative="Reviewer's own")
    both = make_user("both", team=team, role=TeamRole.REVIEWER)
    TeamMembership.objects.create(user=both, team=other_team, role=TeamRole.EDITOR)

    def read(user, day=None):
        meetings = Meeting.objects.visible_to(user).active().held()
        changes = StatusChange.objects.visible_to(user)
        if day:
            meetings = meetings.filter(start_date__lte=day)
            changes = changes.filter(effective_on__lte=day).order_by(
                "-effective_on", "-changed_at", "-pk"
            )
        else:
            changes = changes.order_by("-changed_at", "-pk")
        lists = {"recent_meetings": meetings.lines()[:5], "recent_changes": changes.lines()[:10]}
        if not day:
            updates = ProgressUpdate.objects.visible_to(user).filter(commitment__archived_at=None)
            awaiting = ProgressUpdate.objects.reviewable_by(user).awaiting_review()
            lists |= {
                "recent_updates": updates.lines().order_by("-created_at", "-pk")[:10],
                "awaiting_review": awaiting.lines().order_by("created_at", "pk")[:10],
            }
        return {name: list(rows) for name, rows in lists.items()}

    for user in (editor, reviewer, outsider, admin_user, both):
        client.force_login(user)
        for day in (None, D(2025, 9, 8), D(2025, 6, 1)):
            shown = client.get("/", {"as_of": day} if day else {}).context
            expected = read(user, day)
            if not day and not shown["reviews"]:
                expected["awaiting_review"] = []
            assert {name: shown[name] for name in expected} == expected
            assert expected["recent_meetings"]
            assert expected["recent_changes"] or day == D(2025, 6, 1)
    client.force_login(admin_user)
    awaiting = client.get("/").context["awaiting_review"]  # all teams' (the oldest first)
    assert {line.commitment_id for line in awaiting} == {commitment.pk}
    client.force_login(reviewer)
    shown = client.get("/").context["awaiting_review"]
    assert reviewer.username not in [line.author for line in shown] and len(shown) == 10
    with compiled_sql() as compiled:
        client.get("/", {"_": "later"})
        client.get("/", {"as_of": "2025-09-09"})
    read_from = [
        f'FROM "agreements_{table}"' for table in ("meeting", "progressupdate", "statuschange")
    ]
    assert compiled and not [sql for sql in compiled if any(part in sql for part in read_from)]


def test_the_counts_parties_and_bodies_sql_is_made_once_and_reads_what_the_querysets_read(
    client, editor, outsider, admin_user, team, other_team, meeting, us, mexico, reviewer
):
    """Today's counts (``CommitmentTally``), compliance by party (``ComplianceTally``) and the
    bodies of the latest meetings (today's and a past day's) with their figures
    (``index_by_body``), read by SQL made once: the
    same as ``visible_to(user)``'s reads, for one team, all (an admin) and another team's
    member; a later page compiles none of their SQL."""
    from agreements.models.lines_made_once import index_by_body
    from agreements.views.dashboard import _counts

    D = datetime.date
    theirs = make_meeting(other_team, start_date=D(2025, 9, 10))
    for n, record in enumerate([meeting] * 6 + [theirs] * 3):
        done = make_commitment(record, parties=[us, mexico], theme="arms", status=n % 4)
        make_commitment(record, parties=[us], theme="drugs", status=(n + 1) % 4)
        Assessment.objects.create(
            commitment=done, party=mexico if n % 2 else us, score=["+1", "0", "-1", "n/a"][n % 4],
            justification="Evidence", as_of=D(2025, 10, 1), assessed_by=reviewer,
        )  # fmt: skip
        make_body(record, name=f"Body {n}").commitments.add(done)
    later = make_meeting(team, start_date=D(2025, 12, 1))
    make_body(later, name="Latest body").commitments.add(make_commitment(later, status=2))
    for user in (editor, outsider, admin_user):
        client.force_login(user)
        for day in (None, D(2025, 10, 1)):
            shown = client.get("/", {"as_of": day} if day else {}).context
            bodies = ImplementationBody.objects.visible_to(user).active()
            bodies = bodies.filter(meeting__start_date__lte=day) if day else bodies
            names = [
                name
                for name in bodies.order_by("-meeting__start_date", "-pk").values_list(
                    "name", flat=True
                )
            ]
            assert [row["key"].split(" (")[0] for row in shown["by_body"]] == names[:10]
        today = client.get("/").context
        counts = _counts(CommitmentTally.objects.visible_to(user).active_states_named())
        assert {name: today[name] for name in counts} == counts and today["counting"]
        parties = ComplianceTally.objects.visible_to(user).by_party()
        assert [row["key"] for row in today["by_party"]] == [row["key"] for row in parties]
        assert [row["index"] for row in today["by_party"]] == [row["index"] for row in parties]
    assert len(today["by_body"]) == 10 and today["by_body"][0]["key"].startswith("Latest body")
    ids = list(ImplementationBody.objects.order_by("-pk").values_list("pk", flat=True))
    for n in (0, 1, 3, len(ids)):
        assert index_by_body(ids[:n]) == ImplementationBody.objects.index_by_body(ids[:n])
        for day in (D(2025, 9, 5), D(2025, 12, 2), timezone.localdate()):
            assert index_by_body(ids[:n], day) == StatusSpan.objects.index_by_body(ids[:n], day)
    assert len(index_by_body(ids)) == len(ids)
    with compiled_sql() as compiled:
        client.get("/", {"_": "later"})
        client.get("/", {"as_of": "2025-10-02"})
    read_from = [
        f'FROM "agreements_{table}" '
        for table in ("commitmenttally", "compliancetally", "implementationbody")
    ] + ['"agreements_implementationbody_commitments"']  # the bodies' figures, today and then
    assert compiled and not [sql for sql in compiled if any(part in sql for part in read_from)]


def test_the_stale_list_and_overdue_count_sql_is_made_once_and_reads_what_the_querysets_read(
    client, editor, outsider, admin_user, team, other_team, meeting
):
    """The commitments without news (``_stale``: each team's first ones merged) and the
    overdue count up to its cap, today's and a past day's (``overdue_count``), read by SQL
    made once (the moment and the day its values): the same as ``visible_to(user)``'s
    querysets, for one team, two, all (an admin) and the other team's member, at several
    moments, days and caps; a later page, today's or a past day's, compiles none of the
    commitments' SQL."""
    from agreements.models import Commitment
    from agreements.models.unions import orders_in_union
    from agreements.views.dashboard import _stale, overdue_count

    D = datetime.date
    theirs = make_meeting(other_team)
    now = timezone.now()
    for n in range(14):
        for record in (meeting, theirs):
            made = make_commitment(
                record, target_date=D(2025, 1, 1) + datetime.timedelta(30 * n), status=n % 4
            )
            if n % 3 == 1:  # complete or cancelled since: overdue before, not after
                change = {"status": 3} if n % 2 else {"cancellation": "cancelled"}
                actions.change_commitment_status(
                    commitment=made, reason="Moved", by=admin_user, via="web",
                    effective_on=D(2025, 10, 1), **change,
                )  # fmt: skip
            # Some never updated, the rest over half a year; all made a year ago.
            last = None if n % 5 == 0 else now - datetime.timedelta(days=15 * n + record.pk % 3)
            Commitment.objects.filter(pk=made.pk).update(
                last_update_at=last, created_at=now - datetime.timedelta(days=365)
            )
    both = make_user("both", team=team)
    TeamMembership.objects.create(user=both, team=other_team, role=TeamRole.EDITOR)
    counts = set()
    for user in (editor, outsider, admin_user, both):
        for days in (0, 40, 95, 400):
            since = now - datetime.timedelta(days=days)
            expected = list(
                Commitment.objects.visible_to(user)
                .without_update_since(since)
                .order_by(models.F("last_update_at").asc(nulls_first=True), "pk")[:10]
            )
            shown = _stale(user, since, 10)
            assert [(c.pk, c.title, c.last_update_at) for c in shown] == [
                (c.pk, c.title, c.last_update_at) for c in expected
            ]
            assert shown or days == 400
        for day in (D(2024, 12, 1), D(2025, 6, 15), D(2026, 3, 1), D(2027, 1, 1)):
            for cap in (3, 999):
                overdue = Commitment.objects.visible_to(user).overdue(day)
                assert overdue_count(user, day, cap=cap) == min(overdue.count(), cap + 1)
                then = Commitment.objects.visible_to(user).overdue_on(day)
                counted = overdue_count(user, day, past=True, cap=cap)
                assert counted == min(then.count(), cap + 1), (user, day, cap)
                counts.add(counted)
    assert len(counts) > 3  # the days and caps tell the commitments apart
    client.force_login(both)
    page = client.get("/").context
    assert (
        page["overdue"] == Commitment.objects.visible_to(both).overdue(timezone.localdate()).count()
    )
    assert len(page["stale"]) == 10
    # Over two teams (both's, the admin's), SQLite (no ORDER BY inside a UNION) reads each
    # team's stale ones by the ORM.
    several = [admin_user, both] if orders_in_union(Commitment.objects.all()) else []
    readers = [editor, outsider, *several]
    for user in readers:
        client.force_login(user)
        client.get("/")
        client.get("/", {"as_of": "2025-06-01"})
        with compiled_sql() as compiled:
            client.get("/", {"_": "later"})
            client.get("/", {"as_of": "2025-10-02"})
        assert compiled and not [sql for sql in compiled if 'FROM "agreements_commitment"' in sql]
