"""The state as of a past day: a meeting page, a briefing, the dashboard, the commitment and
milestone lists as they stood then, read from the stored history; a day to come refused next
to the picker; the same queries with 5 or 50 commitments; the overdue count then read from the
spans, which every move of a target date rewrites. How dated facts are recorded is in
test_time.py."""

from __future__ import annotations

import datetime
import re

import pytest

from agreements import actions
from agreements.models import (
    Assessment,
    Commitment,
    ComplianceHistory,
    Meeting,
    Milestone,
    StatusSpan,
    TeamMembership,
    TeamRole,
)
from agreements.views.dashboard import overdue_count
from tests.admin_forms import admin_url, page_form, post_page
from tests.conftest import (
    make_commitment,
    make_meeting,
    submit_dated_update,
    tomorrow,
)

pytestmark = pytest.mark.django_db

OCT, NOV = datetime.date(2025, 10, 1), datetime.date(2025, 11, 1)  # the meeting: 3 Sep 2025


def carried_out_in_november(meeting, editor):
    """Two commitments of the meeting: one complete since 2 Nov 2025, one never started."""
    done = make_commitment(
        meeting, title="Done in November", target_date=datetime.date(2025, 10, 15)
    )
    make_commitment(meeting, title="Never started", target_date=datetime.date(2025, 10, 15))
    actions.change_commitment_status(
        commitment=done,
        status=3,
        reason="Done",
        by=editor,
        via="web",
        effective_on=datetime.date(2025, 11, 2),
    )
    return done


def test_a_meeting_page_shows_its_commitments_as_they_stood_on_a_past_day(
    client, editor, reviewer, commitment, world
):
    milestone = world["milestone"]
    actions.toggle_milestone(milestone=milestone, expected=milestone.version, by=editor, on=NOV)
    actions.approve_update(update=submit_dated_update(commitment, editor, 3, NOV), by=reviewer)
    client.force_login(editor)
    url = commitment.meeting.get_absolute_url()
    now = client.get(url)
    assert "Complete" in now.content.decode() and now.context["figures"]["index"] == 100
    then = client.get(url, {"as_of": "2025-10-15"})
    html = then.content.decode()
    assert "As it stood on 15 October 2025" in html
    assert then.context["figures"]["index"] == 0 and "Not started" in html
    assert [m.status for c in then.context["commitments"].rows for m in c.shown_milestones] == [
        "planned"
    ]  # done on 1 Nov, after that day
    assert not then.context["can_edit"]  # a past day is read, not written
    assert "Edit meeting" not in html
    commitment.refresh_from_db()
    assert commitment.status == 3  # drawn as it stood, never saved so


def test_a_day_in_the_future_is_refused_next_to_the_picker_and_today_shown(client, editor, meeting):
    client.force_login(editor)
    page = client.get(meeting.get_absolute_url(), {"as_of": tomorrow().isoformat()})
    assert page.status_code == 200
    assert page.context["as_of"] is None
    assert "Pick a day up to today." in page.content.decode()


@pytest.mark.perf
def test_a_past_meeting_page_costs_the_same_queries_with_5_or_50_commitments(
    client, editor, meeting, queries
):
    def fill(n: int) -> None:
        for _ in range(n):
            make_commitment(meeting)

    client.force_login(editor)
    queries.stay_flat(client, fill, (meeting.get_absolute_url(), {"as_of": "2025-10-15"}))


@pytest.mark.parametrize("report", ["meeting", "body", "party"])
def test_a_briefing_prints_the_state_of_a_past_day(client, editor, reviewer, world, us, report):
    commitment, meeting, body = world["commitment"], world["meeting"], world["body"]
    actions.approve_update(update=submit_dated_update(commitment, editor, 3, NOV), by=reviewer)
    for day, score in ((OCT, "0"), (NOV, "+1")):
        actions.record_assessment(
            assessment=Assessment(
                commitment=commitment, party=us, score=score, justification="Seen", as_of=day
            ),
            by=reviewer,
        )
    url = {
        "meeting": f"/meetings/meeting-{meeting.pk}/briefing/",
        "body": f"/bodies/body-{body.pk}/briefing/",
        "party": f"/parties/party-{us.pk}/briefing/",
    }[report]
    client.force_login(editor)

    def score_of_us(briefing) -> str:
        return {role.party_id: cited for role, cited in briefing.items[0].compliance}[
            us.pk
        ].record.score

    now = client.get(url).context["briefing"]
    assert now.index == 100 and score_of_us(now) == "+1"
    then = client.get(url, {"as_of": "2025-10-15"})
    briefing = then.context["briefing"]
    assert briefing.today == datetime.date(2025, 10, 15)
    assert briefing.index == 0
    assert score_of_us(briefing) == "0"  # the latest by 15 Oct
    assert "As it stood on 15 October 2025" in then.content.decode()


def test_a_partys_briefing_on_a_past_day_leaves_out_what_was_agreed_later(client, editor, team, us):
    earlier = make_meeting(team, title="Spring talks", start_date=datetime.date(2025, 3, 1))
    make_commitment(earlier, parties=[us], title="Agreed in March")
    later = make_meeting(team, title="Autumn talks", start_date=datetime.date(2025, 9, 3))
    make_commitment(later, parties=[us], title="Agreed in September")
    client.force_login(editor)
    response = client.get(f"/parties/party-{us.pk}/briefing/", {"as_of": "2025-06-01"})
    page = response.content.decode()
    assert "Agreed in March" in page and "Agreed in September" not in page
    assert response.context["total"] == 1
    assert "Agreed in September" in client.get(f"/parties/party-{us.pk}/briefing/").content.decode()


def test_the_meeting_page_on_a_past_day_links_its_briefing_on_that_day(client, editor, meeting):
    client.force_login(editor)
    html = client.get(meeting.get_absolute_url(), {"as_of": "2025-10-15"}).content.decode()
    assert f"/meetings/meeting-{meeting.pk}/briefing/?as_of=2025-10-15" in html


@pytest.mark.perf
def test_a_past_briefing_costs_the_same_queries_with_5_or_50_commitments(
    client, editor, meeting, queries
):
    def fill(n: int) -> None:
        for _ in range(n):
            make_commitment(meeting)

    client.force_login(editor)
    url = f"/meetings/meeting-{meeting.pk}/briefing/"
    queries.stay_flat(client, fill, (url, {"as_of": "2025-10-15"}))


def test_a_commitment_reads_its_status_since_the_day_it_took_effect(
    client, editor, reviewer, commitment
):
    actions.approve_update(update=submit_dated_update(commitment, editor, 3, NOV), by=reviewer)
    actions.approve_update(
        update=submit_dated_update(commitment, editor, 1, OCT), by=reviewer
    )  # older
    client.force_login(editor)
    html = client.get(commitment.get_absolute_url()).content.decode()
    assert "Complete" in html and "since 1 Nov 2025" in html  # not the day it was approved


def test_the_dashboard_as_of_a_past_day_shows_the_figures_then(client, meeting, editor):
    carried_out_in_november(meeting, editor)
    client.force_login(editor)
    today = client.get("/").content.decode()
    assert "50%" in today  # (3 + 0) / 2 ÷ 3
    then = client.get("/?as_of=2025-10-31").content.decode()
    assert "As it stood on 31 October 2025" in then
    assert '<p class="stat">0%</p>' in then
    # Both past their target date then and not complete: overdue on that day.
    assert "<strong>2</strong> overdue commitments" in then
    # Links keep the day; today's to-do lists are today's page's.
    assert "as_of=2025-10-31" in then and "Due in the next" not in then
    assert client.get("/?as_of=2025-11-02").content.decode().count('<p class="stat">50%</p>') == 1


def test_the_dashboard_as_of_a_past_day_counts_compliance_with_what_counted_then(
    client, commitment, us, editor, reviewer, admin_user
):
    actions.record_assessment(
        assessment=Assessment(
            commitment=commitment, party=us, score="+1", justification="Did it", as_of=OCT
        ),
        by=reviewer,
    )
    actions.change_commitment_status(
        commitment=commitment,
        cancellation="cancelled",
        reason="Dropped",
        by=admin_user,
        via="admin",
        effective_on=NOV,
    )
    compliance = ComplianceHistory.visible_to(editor).by_party
    # Cancelled only in November: on 15 October it still counted, with its assessment.
    assert [(row["key"], row["index"]) for row in compliance(datetime.date(2025, 10, 15))] == [
        (us.name, 100.0)
    ]
    assert compliance(NOV) == []
    client.force_login(editor)
    assert us.name in client.get("/?as_of=2025-10-15").content.decode()


def test_a_future_day_is_refused_next_to_the_picker_and_today_is_shown(client, editor):
    client.force_login(editor)
    page = client.get("/?as_of=2999-01-01").content.decode()
    assert "Pick a day up to today." in page
    assert "As it stood on" not in page


def test_the_commitment_list_filters_and_sorts_by_the_status_then(client, meeting, editor):
    done = carried_out_in_november(meeting, editor)
    client.force_login(editor)
    then = client.get("/commitments/?as_of=2025-10-31&status=3").content.decode()
    assert "As it stood on 31 October 2025" in then
    assert "Done in November" not in then  # not complete yet on that day
    on_the_day = client.get("/commitments/?as_of=2025-11-02&status=3").content.decode()
    assert "Done in November" in on_the_day and "Never started" not in on_the_day
    overdue = client.get("/commitments/?as_of=2025-11-02&overdue=on").content.decode()
    assert "Never started" in overdue and done.title not in overdue
    # Each row's badges are the state then: not started and overdue on 31 October, the same
    # commitment complete (and so not overdue) on 2 November; its page's address as today.
    october = client.get("/commitments/?as_of=2025-10-31&sort=title").content.decode()
    row = october[october.index(f'<a href="/commitments/commitment-{done.pk}/">') :]
    row = row[: row.index("</tr>")]
    assert 'class="badge status-0"' in row and '<span class="badge danger">Overdue</span>' in row
    row = on_the_day[on_the_day.index(f'<a href="/commitments/commitment-{done.pk}/">') :]
    row = row[: row.index("</tr>")]
    assert 'class="badge status-3"' in row and "Overdue" not in row
    # Before the meeting, none of its commitments had been agreed.
    before = client.get("/commitments/?as_of=2025-09-02").content.decode()
    assert "Never started" not in before and "Done in November" not in before


def test_a_past_day_sorted_by_status_lists_each_commitment_by_its_status_then(
    client, meeting, editor, other_team
):
    """Sorted by the state then (``agreed_by``: the spans' index by team and status), each
    run of a team merged with the other's: the order of every commitment's state then as
    ``as_of`` reads it, ties by id, down or up; a page of 25 and the next."""
    TeamMembership.objects.create(user=editor, team=other_team, role=TeamRole.EDITOR)
    theirs = make_meeting(other_team, start_date=datetime.date(2025, 9, 10))
    later = make_meeting(other_team, start_date=datetime.date(2025, 10, 20))  # after the day
    made = [make_commitment(m) for m in (meeting, theirs) for _ in range(15)]
    made += [make_commitment(later) for _ in range(3)]  # agreed after the day: not listed
    for n, commitment in enumerate(made[:30]):
        for status, day in ((n % 4, 11), (3 - n % 3, 20)):
            if status != commitment.status:
                actions.change_commitment_status(
                    commitment=commitment,
                    status=status,
                    reason="Moved",
                    by=editor,
                    via="web",
                    effective_on=datetime.date(2025, 9, day + n % 5),
                )
                commitment.refresh_from_db()
    day = datetime.date(2025, 9, 22)
    then = Commitment.objects.filter(pk__in=[c.pk for c in made]).as_of(day)
    states = sorted((c.status_then, c.pk) for c in then if c.meeting_date <= day)
    assert len(states) == 30 and len({status for status, _pk in states}) == 4
    client.force_login(editor)
    for sort, expected in (("status", states), ("-status", states[::-1])):
        shown = []
        for page in (1, 2):
            html = client.get(f"/commitments/?as_of={day}&sort={sort}&page={page}").content
            shown += [
                int(pk)
                for pk in re.findall(r'href="/commitments/commitment-(\d+)/"', html.decode())
            ]
        assert shown == [pk for _status, pk in expected], sort


def test_milestones_overdue_on_a_past_day_by_their_date_then(client, editor, commitment):
    D = datetime.date
    new = commitment.milestones.model
    moved = actions.add_milestone(
        milestone=new(commitment=commitment, title="Report moved", due_date=D(2025, 10, 15)),
        by=editor,
    )
    actions.reschedule_milestone(
        milestone=moved,
        expected=moved.version,
        to_date=D(2025, 12, 15),
        reason="Extended",
        by=editor,
        moved_on=D(2025, 11, 5),
    )
    done = actions.add_milestone(
        milestone=new(commitment=commitment, title="Report done late", due_date=D(2025, 10, 10)),
        by=editor,
    )
    actions.toggle_milestone(milestone=done, expected=done.version, by=editor, on=D(2025, 10, 20))
    overdue = Milestone.objects.visible_to(editor).overdue_on
    # On 16 Oct both were late: one due 15 Oct (moved only later), one done only on the 20th.
    on_16 = overdue(D(2025, 10, 16), 10)
    assert [(m.title, m.due_date) for m in on_16] == [
        ("Report done late", D(2025, 10, 10)),
        ("Report moved", D(2025, 10, 15)),
    ]
    # On 1 Nov the late one was done; the other not yet moved.
    assert [m.title for m in overdue(D(2025, 11, 1), 10)] == ["Report moved"]
    # On 10 Nov it had been moved to 15 Dec: not overdue then.
    assert overdue(D(2025, 11, 10), 10) == []
    client.force_login(editor)
    page = client.get("/?as_of=2025-10-16").content.decode()
    assert "Report moved" in page and "due 15 Oct 2025" in page


def test_the_meeting_page_on_a_past_day_shows_a_milestone_at_its_date_then(
    client, editor, meeting, commitment
):
    D = datetime.date
    milestone = actions.add_milestone(
        milestone=Milestone(commitment=commitment, title="Audit report", due_date=D(2025, 10, 15)),
        by=editor,
    )
    actions.reschedule_milestone(
        milestone=milestone, expected=milestone.version, to_date=D(2025, 12, 15),
        reason="Extended", by=editor, moved_on=D(2025, 11, 5),
    )  # fmt: skip
    client.force_login(editor)
    url = meeting.get_absolute_url()
    then = client.get(url, {"as_of": "2025-11-01"}).content.decode()
    assert "15 Oct 2025" in then and "15 Dec 2025" not in then  # not moved yet then
    assert "15 Dec 2025" in client.get(url).content.decode()


# A past day's overdue count, read from the status spans alone: each span carries its
# commitment's target date as it is now (``StatusSpan.target_date``), so every write that can
# move a target date rewrites the spans (``actions.states_moved``), the admin's too.

D = datetime.date
# Days before, during and after the changes of the overdue count's test.
DAYS = (D(2025, 9, 1), D(2025, 10, 15), D(2026, 1, 1), D(2027, 6, 1))


def spans_agree(*commitments: Commitment) -> None:
    """Every span of these commitments carries the commitment's target date as stored."""
    for commitment in commitments:
        commitment.refresh_from_db()
        targets = set(
            StatusSpan.objects.filter(commitment=commitment).values_list("target_date", flat=True)
        )
        assert targets == {commitment.target_date}, commitment


def counts_agree(user) -> None:
    """The count from the spans is the count from the commitments, on days before, during
    and after their changes, capped or not."""
    for day in DAYS:
        for cap in (0, 999):
            then = Commitment.objects.visible_to(user).overdue_on(day).count()
            assert overdue_count(user, day, past=True, cap=cap) == min(then, cap + 1)


def test_a_target_date_moved_in_the_admin_moves_the_spans_and_the_count_then(
    client, meeting, editor, admin_user
):
    late = make_commitment(meeting, target_date=D(2025, 10, 1))
    done = make_commitment(meeting, target_date=D(2025, 9, 20))
    never = make_commitment(meeting)
    actions.change_commitment_status(
        commitment=done, status=3, reason="Done", by=editor, via="web", effective_on=D(2025, 12, 1)
    )
    spans_agree(late, done, never)
    counts_agree(editor)
    assert overdue_count(editor, D(2025, 10, 15), past=True) == 2
    assert overdue_count(editor, D(2026, 1, 1), past=True) == 1

    # The commitment's own admin page.
    client.force_login(admin_user)
    page = admin_url(Commitment, "change", late.pk)
    assert post_page(client, page, target_date="2026-06-30").status_code == 302
    spans_agree(late)
    counts_agree(editor)
    assert overdue_count(editor, D(2026, 1, 1), past=True) == 0

    # The meeting's admin page, its commitments' rows saved after the meeting.
    page = admin_url(Meeting, "change", meeting.pk)
    data = page_form(client, page)
    row = next(
        key for key, value in data.items() if key.endswith("-id") and value == [str(never.pk)]
    )
    data[row.replace("-id", "-target_date")] = "2025-10-01"
    response = client.post(page, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Commitment.objects.get(pk=never.pk).target_date == D(2025, 10, 1)
    spans_agree(late, done, never)
    counts_agree(editor)
    assert overdue_count(editor, D(2026, 1, 1), past=True) == 1
