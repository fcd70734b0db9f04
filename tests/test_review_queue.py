"""The review queue a page at a time (issue #27: a busy team's reviewer drew 30,000 updates):
25 oldest first, each team reviewed and state awaiting review a run along its own index,
merged; counted up to a cap; narrowed by team and meeting; the rest fetched in place."""

from __future__ import annotations

import re

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from agreements import actions
from agreements.forms import DrawnReviewForms, ReviewForm
from agreements.ids import typed_id
from agreements.models import ProgressUpdate
from agreements.models.teams import Team, TeamMembership, TeamRole
from agreements.views.paging import CappedPaginator
from tests.conftest import HTMX, make_commitment, make_meeting, make_user
from tests.test_reviews import submitted

QUEUE = "/reviews/"


def fill_queue(meeting, author, n: int) -> list[ProgressUpdate]:
    return [submitted(make_commitment(meeting), author, narrative=f"Update {i}") for i in range(n)]


def narratives(response) -> list[str]:
    return [row["update"].narrative for row in response.context["rows"]]


def test_the_queue_shows_25_oldest_first_and_the_rest_a_link_away(
    client, reviewer, editor, meeting
):
    updates = fill_queue(meeting, editor, 30)
    client.force_login(reviewer)
    page = client.get(QUEUE)
    assert narratives(page) == [f"Update {i}" for i in range(25)]
    html = page.content.decode()
    more = f"?page=2&amp;after={updates[24].pk}"
    assert f'<a href="{more}" hx-get="{more}" hx-target="#reviews-more"' in html
    # With htmx, the next rows alone, appended in place of the link (none after them).
    appended = client.get(QUEUE, {"page": 2, "after": updates[24].pk}, **HTMX)
    assert narratives(appended) == [f"Update {i}" for i in range(25, 30)]
    fragment = appended.content.decode()
    assert "<html" not in fragment and "reviews-more" not in fragment
    assert 'id="review-count"' not in fragment  # what is waiting has not changed
    # Without JavaScript, the page after the first, with the way back.
    next_page = client.get(QUEUE, {"page": 2, "after": updates[24].pk})
    assert narratives(next_page) == [f"Update {i}" for i in range(25, 30)]
    assert f'<a href="{QUEUE}">← First page</a>' in next_page.content.decode()


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_rows_form_drawn_once_a_page_is_the_form_django_draws(editor, commitment, language):
    """The queue draws an undecided row's form once a process for each language and gives it
    each row's id (``DrawnReviewForms``): the same HTML as the row's own ``ReviewForm``
    draws."""
    update = submitted(commitment, editor)
    with translation.override(language):
        drawn = DrawnReviewForms().blank(update.pk)
        form = ReviewForm(update=update)
        assert drawn == {
            "update_input": str(form["update"]),
            "comment_group": str(form["comment"].as_field_group()),
            "errors": "",
        }
    assert f'id="review-{update.pk}-comment"' in drawn["comment_group"]
    # Its parts drawn once a process for each language: another's are its own.
    other = "es" if language == "en" else "en"
    with translation.override(other):
        again = DrawnReviewForms().blank(update.pk)["comment_group"]
        assert again == str(ReviewForm(update=update)["comment"].as_field_group())
    assert again != drawn["comment_group"]


def test_the_queue_says_more_than_it_counts(client, reviewer, editor, meeting, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "CAP", 3)  # a page's 25 are always counted
    fill_queue(meeting, editor, 27)
    client.force_login(reviewer)
    assert "More than 25 updates waiting, oldest first" in client.get(QUEUE).content.decode()


def test_the_queue_merges_the_teams_reviewed_and_narrows_to_one(
    client, reviewer, editor, meeting, other_team
):
    TeamMembership.objects.create(user=reviewer, team=other_team, role=TeamRole.REVIEWER)
    TeamMembership.objects.create(user=editor, team=other_team, role=TeamRole.EDITOR)
    elsewhere = make_meeting(other_team)
    for i in range(3):
        submitted(make_commitment(meeting), editor, narrative=f"Ours {i}")
        submitted(make_commitment(elsewhere), editor, narrative=f"Theirs {i}")
    client.force_login(reviewer)
    assert narratives(client.get(QUEUE)) == [
        f"{whose} {i}" for i in range(3) for whose in ("Ours", "Theirs")
    ]
    narrowed = client.get(QUEUE, {"team": typed_id("team", other_team.pk)}, **HTMX)
    assert narratives(narrowed) == ["Theirs 0", "Theirs 1", "Theirs 2"]
    html = narrowed.content.decode()
    assert 'id="review-list"' in html and "<html" not in html
    count = re.search(r'<p [^>]*id="review-count"[^>]*>([^<]*)</p>', html)
    assert count and 'hx-swap-oob="true"' in count.group(0)  # the count follows the filter
    assert count.group(1) == "3 updates waiting, oldest first"


def test_the_queue_merges_resubmitted_updates_in_time_with_the_first_submitted(
    client, editor, reviewer, meeting
):
    """Each state awaiting review is a run of its own (``ProgressUpdateQuerySet.queue_of``),
    merged into the queue's one order."""
    first = submitted(make_commitment(meeting), editor, narrative="First")
    client.force_login(reviewer)
    client.post(QUEUE, {"update": first.pk, "action": "return", "comment": "Cite it"})
    submitted(make_commitment(meeting), editor, narrative="Second")
    actions.submit_update(
        commitment=first.commitment, author=editor, narrative="First, revised", revises=first
    )
    submitted(make_commitment(meeting), editor, narrative="Third")
    assert narratives(client.get(QUEUE)) == ["Second", "First, revised", "Third"]


def test_the_queue_stops_counting_once_it_holds_more_than_it_says(
    client, reviewer, editor, meeting, other_team, monkeypatch
):
    """Its first run (a team's submitted updates) holding more than the cap, the other runs
    are not counted: the page says "more than" either way."""
    monkeypatch.setattr(CappedPaginator, "CAP", 3)  # a page's 25 are always counted
    TeamMembership.objects.create(user=reviewer, team=other_team, role=TeamRole.REVIEWER)
    TeamMembership.objects.create(user=editor, team=other_team, role=TeamRole.EDITOR)
    fill_queue(make_meeting(other_team), editor, 27)  # Europe: the first team by name
    fill_queue(meeting, editor, 2)
    client.force_login(reviewer)
    with CaptureQueriesContext(connection) as ran:
        page = client.get(QUEUE).content.decode()
    assert "More than 25 updates waiting, oldest first" in page
    assert len([q for q in ran.captured_queries if "COUNT(*)" in q["sql"]]) == 1


def test_the_queue_narrows_to_a_meeting_and_a_decision_keeps_it_so(
    client, reviewer, editor, meeting, team
):
    other = make_meeting(team)
    first = submitted(make_commitment(meeting), editor, narrative="At the first")
    submitted(make_commitment(meeting), editor, narrative="Again at the first")
    submitted(make_commitment(other), editor, narrative="At the other")
    client.force_login(reviewer)
    query = {"meeting": typed_id("meeting", meeting.pk)}
    page = client.get(QUEUE, query)
    assert narratives(page) == ["At the first", "Again at the first"]
    address = f"{QUEUE}?meeting=meeting-{meeting.pk}"
    assert f'<form method="post" action="{address}" hx-post="{address}"' in page.content.decode()
    response = client.post(
        address, {"update": first.pk, "action": "approve", "comment": ""}, **HTMX
    )
    count = re.search(r'<p [^>]*id="review-count"[^>]*>([^<]*)</p>', response.content.decode())
    assert count.group(1) == "1 update waiting, oldest first"  # of that meeting
    # Without JavaScript, back to the queue as it was filtered.
    other_update = ProgressUpdate.objects.get(narrative="Again at the first")
    response = client.post(address, {"update": other_update.pk, "action": "approve"})
    assert response.status_code == 302 and response["Location"] == address


def test_a_team_the_user_does_not_review_is_not_offered(
    client, reviewer, editor, meeting, other_team
):
    TeamMembership.objects.create(user=reviewer, team=other_team, role=TeamRole.EDITOR)
    submitted(make_commitment(make_meeting(other_team)), make_user("author", team=other_team))
    client.force_login(reviewer)
    page = client.get(QUEUE, {"team": typed_id("team", other_team.pk)})
    assert f'value="team-{other_team.pk}"' not in page.content.decode()
    assert narratives(page) == []  # the filter ignored: the teams the user reviews, none waiting


def test_an_update_carries_its_commitments_team_wherever_the_commitment_goes(
    client, editor, commitment, meeting, other_team
):
    """The queue reads each team's updates by the update's copy of its team: it follows a
    meeting moved to another team and a commitment moved to another team's meeting."""
    update = submitted(commitment, editor)
    assert update.team_id == commitment.team_id
    meeting.team = other_team
    meeting.save()
    update.refresh_from_db()
    assert update.team_id == other_team.pk
    third = Team.objects.create(name="Africa", slug="africa")
    commitment.refresh_from_db()
    commitment.meeting = make_meeting(third)
    commitment.save()
    update.refresh_from_db()
    assert update.team_id == third.pk
    # Reviewed there: in the queue of that team's reviewer.
    client.force_login(make_user("africa-reviewer", team=third, role=TeamRole.REVIEWER))
    assert [row["update"] for row in client.get(QUEUE).context["rows"]] == [update]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a foreign key of PostgreSQL's")
def test_postgresql_refuses_a_team_copy_that_disagrees_with_the_commitment(
    editor, commitment, other_team
):
    update = submitted(commitment, editor)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE agreements_progressupdate SET team_id = %s WHERE id = %s",
            [other_team.pk, update.pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        ProgressUpdate.objects.filter(pk=update.pk).update(narrative="Rewritten")
