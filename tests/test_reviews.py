"""The review workflow (Akvo RSR): draft → submitted → approved, or returned → resubmitted.
Only an approved update changes the official status; nobody reviews their own update."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from agreements import actions
from agreements.actions.reviews import REVIEW_STEPS, Taker, apply_proposal
from agreements.forms import DrawnReviewForms, ReviewForm
from agreements.ids import typed_id
from agreements.models import (
    Assessment,
    Commitment,
    ImplementationStatus,
    ProgressUpdate,
    ReviewAction,
    ReviewEvent,
    ReviewState,
    StatusChange,
)
from agreements.models.teams import Team, TeamMembership, TeamRole
from agreements.views.paging import CappedPaginator
from tests.conftest import HTMX, make_commitment, make_meeting, make_source, make_user

QUEUE = "/reviews/"


def submitted(commitment, author, **extra) -> ProgressUpdate:
    return actions.submit_update(
        commitment=commitment,
        author=author,
        narrative=extra.pop("narrative", "Seizures up"),
        **extra,
    )


def test_queue_lists_submitted_updates_oldest_first_with_evidence(
    client, editor, reviewer, commitment, team
):
    source = make_source(team, title="Customs seizure figures")
    first = submitted(commitment, editor, narrative="First", sources=[source])
    submitted(commitment, editor, narrative="Second")
    actions.submit_update(commitment=commitment, author=editor, narrative="Draft", draft=True)
    client.force_login(reviewer)
    response = client.get(QUEUE)
    assert [row["update"].narrative for row in response.context["rows"]] == ["First", "Second"]
    assert "Customs seizure figures" in response.content.decode()
    assert first.review_state == ReviewState.SUBMITTED


def test_authors_do_not_see_their_own_updates_to_review(client, editor, commitment):
    submitted(commitment, editor)
    client.force_login(editor)
    assert client.get(QUEUE).context["rows"] == []


def test_approval_makes_the_proposal_official_with_history(client, editor, reviewer, commitment):
    update = submitted(commitment, editor, proposed_status=2, proposed_stalled=True)
    client.force_login(reviewer)
    response = client.post(
        QUEUE, {"update": update.pk, "action": "approve", "comment": "Figures check out"}, **HTMX
    )
    assert response.status_code == 200
    assert "Approved: update on" in response.content.decode()
    commitment.refresh_from_db()
    assert (commitment.status, commitment.is_stalled) == (ImplementationStatus.INTERMEDIATE, True)
    change = StatusChange.objects.get()
    assert (change.update, change.changed_by, change.changed_via) == (update, reviewer, "review")
    assert change.reason == "Figures check out"
    assert ProgressUpdate.objects.get().review_state == ReviewState.APPROVED


def test_a_long_review_comment_is_the_change_reason_whole(client, editor, reviewer, commitment):
    update = submitted(commitment, editor, proposed_status=2)
    comment = "The seizure figures match the customs agency's monthly report for August. " * 3
    client.force_login(reviewer)
    response = client.post(
        QUEUE, {"update": update.pk, "action": "approve", "comment": comment}, **HTMX
    )
    assert response.status_code == 200
    assert StatusChange.objects.get().reason == comment.strip()
    assert commitment.history.latest().history_change_reason == comment.strip()


@pytest.mark.parametrize(
    ("action", "comment", "badge", "status"),
    [
        ("approve", "", "state-approved", "Intermediate"),
        ("return", "Cite the source", "state-returned", "Not started"),
    ],
)
def test_decided_row_shows_the_update_as_the_decision_left_it(
    client, editor, reviewer, commitment, action, comment, badge, status
):
    update = submitted(commitment, editor, proposed_status=2)
    client.force_login(reviewer)
    response = client.post(
        QUEUE, {"update": update.pk, "action": action, "comment": comment}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<span class="badge {badge}">' in html and "state-submitted" not in html
    assert f'title="Implementation status {2 if action == "approve" else 0} of 3">{status}<' in html
    assert "<form" not in html  # decided: nothing left to decide here


@pytest.mark.parametrize(("action", "comment"), [("approve", ""), ("return", "Cite it")])
def test_the_queues_count_follows_a_decision_without_a_reload(
    client, editor, reviewer, commitment, action, comment
):
    update = submitted(commitment, editor)
    submitted(commitment, editor, narrative="Another")
    client.force_login(reviewer)
    assert "2 updates waiting" in client.get(QUEUE).content.decode()
    response = client.post(
        QUEUE, {"update": update.pk, "action": action, "comment": comment}, **HTMX
    )
    count = re.search(r'<p [^>]*id="review-count"[^>]*>([^<]*)</p>', response.content.decode())
    assert count and 'hx-swap-oob="true"' in count.group(0)  # beside the row, out of band
    assert count.group(1) == "1 update waiting, oldest first"
    # Without JavaScript: the redirect, and the page drawn anew counts one.
    other = submitted(commitment, editor, narrative="A third")
    client.post(QUEUE, {"update": other.pk, "action": action, "comment": comment})
    page = client.get(QUEUE).content.decode()
    assert "1 update waiting, oldest first" in page and "hx-swap-oob" not in page


def test_a_refused_decision_keeps_the_count_as_it_was(client, editor, reviewer, commitment):
    update = submitted(commitment, editor)
    client.force_login(reviewer)
    response = client.post(QUEUE, {"update": update.pk, "action": "return"}, **HTMX)
    assert response.status_code == 422  # a return needs a comment
    assert "1 update waiting, oldest first" in response.content.decode()


def test_submitted_update_does_not_change_the_status(commitment, editor):
    submitted(commitment, editor, proposed_status=3)
    commitment.refresh_from_db()
    assert commitment.status == ImplementationStatus.NOT_STARTED


def test_return_needs_a_comment(client, editor, reviewer, commitment):
    update = submitted(commitment, editor)
    client.force_login(reviewer)
    response = client.post(QUEUE, {"update": update.pk, "action": "return", "comment": " "}, **HTMX)
    assert response.status_code == 422
    assert "Say what to revise when returning an update." in response.content.decode()
    assert not ReviewEvent.objects.exclude(action="submit").exists()


def test_returned_update_is_revised_and_resubmitted(client, editor, reviewer, commitment):
    update = submitted(commitment, editor, proposed_status=1)
    client.force_login(reviewer)
    client.post(QUEUE, {"update": update.pk, "action": "return", "comment": "Cite the source"})
    assert ProgressUpdate.objects.get(pk=update.pk).review_state == ReviewState.RETURNED
    client.force_login(editor)
    page = client.get(reverse("agreements:commitment_detail", args=[commitment.pk]))
    assert "Cite the source" in page.content.decode()  # the comment is on the timeline
    form = client.get(
        reverse("agreements:commitment_detail", args=[commitment.pk]), {"revise": update.pk}
    ).context["update_form"]
    assert form.initial["revises"] == update.pk and form.initial["narrative"] == "Seizures up"
    response = client.post(
        reverse("agreements:commitment_detail", args=[commitment.pk]),
        {
            "action": "post_update",
            "narrative": "Seizures up, per customs",
            "proposed_status": "1",
            "proposed_stalled": "unknown",
            "revises": update.pk,
        },
    )
    assert response.status_code == 302
    revision = ProgressUpdate.objects.get(revises=update)
    assert revision.review_state == ReviewState.RESUBMITTED
    client.force_login(reviewer)
    assert [r["update"] for r in client.get(QUEUE).context["rows"]] == [revision]


def test_only_a_returned_update_can_be_revised(editor, commitment):
    update = submitted(commitment, editor)
    with pytest.raises(ValidationError):
        actions.submit_update(commitment=commitment, author=editor, narrative="x", revises=update)


def test_nobody_reviews_their_own_update_admins_included(client, admin_user, commitment):
    update = submitted(commitment, admin_user, proposed_status=3)
    client.force_login(admin_user)
    assert client.post(QUEUE, {"update": update.pk, "action": "approve"}).status_code == 403
    with pytest.raises(ValidationError, match="Nobody reviews their own update"):
        actions.approve_update(update=update, by=admin_user)
    commitment.refresh_from_db()
    assert commitment.status == ImplementationStatus.NOT_STARTED


def test_an_update_is_decided_once(editor, reviewer, commitment):
    update = submitted(commitment, editor)
    actions.approve_update(update=update, by=reviewer)
    with pytest.raises(ValidationError, match="approved"):
        actions.return_update(update=update, by=reviewer, comment="Too late")
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewEvent.objects.create(update=update, action="return", by=reviewer, comment="x")


def test_the_database_refuses_a_return_without_comment(editor, reviewer, commitment):
    update = submitted(commitment, editor)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewEvent.objects.create(update=update, action="return", by=reviewer, comment="")


def test_drafts_wait_for_their_author(client, editor, reviewer, commitment):
    client.force_login(editor)
    url = reverse("agreements:commitment_detail", args=[commitment.pk])
    client.post(
        url,
        {
            "action": "post_update",
            "narrative": "Early notes",
            "save_draft": "1",
            "proposed_stalled": "unknown",
        },
    )
    draft = ProgressUpdate.objects.get()
    assert draft.review_state == ReviewState.DRAFT
    client.force_login(reviewer)
    assert client.get(QUEUE).context["rows"] == []
    client.force_login(editor)
    client.post(url, {"action": "submit_draft", "update": draft.pk})
    assert ProgressUpdate.objects.get().review_state == ReviewState.SUBMITTED


def test_editor_who_is_not_a_reviewer_cannot_decide(client, editor, commitment, team):
    update = submitted(commitment, make_user("author", team=team))
    client.force_login(editor)
    assert client.post(QUEUE, {"update": update.pk, "action": "approve"}).status_code == 403


@pytest.mark.perf
def test_queue_query_count_does_not_grow(client, reviewer, editor, meeting, team, queries):
    source = make_source(team)

    def fill(n: int) -> None:
        for _ in range(n):
            submitted(make_commitment(meeting), editor, sources=[source])

    client.force_login(reviewer)
    queries.stay_flat(client, fill, QUEUE)


def test_the_queue_stays_flat_filtered_by_team_and_fetched_in_place(
    client, reviewer, editor, meeting, team, queries
):
    source = make_source(team)

    def fill(n: int) -> None:
        for _ in range(n):
            submitted(make_commitment(meeting), editor, sources=[source])

    client.force_login(reviewer)
    queries.stay_flat(client, fill, (QUEUE, {"team": typed_id("team", team.pk)}, HTMX))


# The queue a page at a time (issue #27: a busy team's reviewer drew 30,000 updates) ----------


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
    """The queue draws an undecided row's form once a page and gives it each row's id
    (``DrawnReviewForms``): the same HTML as the row's own ``ReviewForm`` draws."""
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


# The workflow's table of steps ---------------------------------------------------------------

S, A = ReviewState, ReviewAction
# What the workflow allows, as the issue states it, written out apart from the code under test.
STEPS = {
    # (from, action, of a revision): (to, taken by, what it does to the commitment)
    (S.DRAFT, A.SUBMIT, False): (S.SUBMITTED, Taker.AUTHOR, None),
    (S.DRAFT, A.SUBMIT, True): (S.RESUBMITTED, Taker.AUTHOR, None),
    (S.SUBMITTED, A.APPROVE, None): (S.APPROVED, Taker.NOT_THE_AUTHOR, apply_proposal),
    (S.SUBMITTED, A.RETURN, None): (S.RETURNED, Taker.NOT_THE_AUTHOR, None),
    (S.RESUBMITTED, A.APPROVE, None): (S.APPROVED, Taker.NOT_THE_AUTHOR, apply_proposal),
    (S.RESUBMITTED, A.RETURN, None): (S.RETURNED, Taker.NOT_THE_AUTHOR, None),
}


def test_the_review_workflow_is_one_table_of_steps():
    assert {
        (step.source, step.action, step.revision): (step.target, step.taker, step.on_commitment)
        for step in REVIEW_STEPS
    } == STEPS


def update_in(state: str, commitment, editor, reviewer) -> ProgressUpdate:
    """An update of ``editor``'s proposing "intermediate" in ``state``, brought there by the actions
    ("revision draft": a draft that revises a returned update)."""
    revises = None
    if state in ("revision draft", "resubmitted"):
        revises = submitted(commitment, editor, narrative="First")
        actions.return_update(update=revises, by=reviewer, comment="Cite the figures")
    update = submitted(
        commitment,
        editor,
        proposed_status=ImplementationStatus.INTERMEDIATE,
        revises=revises,
        draft=state in ("draft", "revision draft"),
    )
    if state == "approved":
        actions.approve_update(update=update, by=reviewer)
    elif state == "returned":
        actions.return_update(update=update, by=reviewer, comment="Cite the figures")
    return update


# Each action as the pages call it, by whom the table lets take it.
TAKE = {
    A.SUBMIT: lambda update, author, reviewer: actions.submit_draft(update=update, by=author),
    A.APPROVE: lambda update, author, reviewer: actions.approve_update(
        update=update, by=reviewer, comment="Figures check out"
    ),
    A.RETURN: lambda update, author, reviewer: actions.return_update(
        update=update, by=reviewer, comment="Cite the figures"
    ),
}
ALLOWED = {
    ("draft", A.SUBMIT): S.SUBMITTED,
    ("revision draft", A.SUBMIT): S.RESUBMITTED,
    ("submitted", A.APPROVE): S.APPROVED,
    ("submitted", A.RETURN): S.RETURNED,
    ("resubmitted", A.APPROVE): S.APPROVED,
    ("resubmitted", A.RETURN): S.RETURNED,
}
REFUSED = {
    "draft": "This update is draft.",
    "revision draft": "This update is draft.",
    "submitted": "This update is submitted.",
    "resubmitted": "This update is resubmitted.",
    "approved": "This update is approved.",
    "returned": "This update is returned for revision.",
}


@pytest.mark.parametrize("action", list(TAKE))
@pytest.mark.parametrize(
    "state", ["draft", "revision draft", "submitted", "resubmitted", "approved", "returned"]
)
def test_each_review_step_does_what_the_table_says_and_no_other_is_taken(
    editor, reviewer, commitment, state, action
):
    update = update_in(state, commitment, editor, reviewer)
    before = (
        ProgressUpdate.objects.get(pk=update.pk).review_state,
        list(update.review_events.values_list("action", flat=True)),
        StatusChange.objects.count(),
        Commitment.objects.get(pk=commitment.pk).status,
    )
    if (state, action) not in ALLOWED:
        refusal = "Only a draft can be submitted." if action == A.SUBMIT else REFUSED[state]
        with pytest.raises(ValidationError, match=f"^\\['{re.escape(refusal)}'\\]$"):
            TAKE[action](update, editor, reviewer)
        after = (
            ProgressUpdate.objects.get(pk=update.pk).review_state,
            list(update.review_events.values_list("action", flat=True)),
            StatusChange.objects.count(),
            Commitment.objects.get(pk=commitment.pk).status,
        )
        assert after == before  # nothing written
        return
    taken = TAKE[action](update, editor, reviewer)
    assert taken.review_state == ALLOWED[state, action]
    assert ProgressUpdate.objects.get(pk=update.pk).review_state == ALLOWED[state, action]
    event = update.review_events.last()
    assert (event.action, event.by) == (action, editor if action == A.SUBMIT else reviewer)
    official = Commitment.objects.get(pk=commitment.pk).status
    if action == A.APPROVE:  # the proposal becomes the official status, with its entry
        assert official == ImplementationStatus.INTERMEDIATE
        change = StatusChange.objects.get(update=update)
        assert (change.changed_by, change.changed_via, change.reason) == (
            reviewer,
            "review",
            "Figures check out",
        )
    else:
        assert (official, StatusChange.objects.count()) == (before[3], before[2])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the state stored agrees with the events, as
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # COMMIT would check it


def test_a_step_is_taken_only_by_whom_the_table_says(editor, reviewer, commitment):
    draft = submitted(commitment, editor, draft=True)
    with pytest.raises(ValidationError, match="Only its author submits a draft"):
        actions.submit_draft(update=draft, by=reviewer)
    update = submitted(commitment, editor, proposed_status=ImplementationStatus.COMPLETE)
    with pytest.raises(ValidationError, match="Nobody reviews their own update"):
        actions.approve_update(update=update, by=editor)
    with pytest.raises(ValidationError, match="Nobody reviews their own update"):
        actions.return_update(update=update, by=editor, comment="Mine")
    assert ProgressUpdate.objects.get(pk=draft.pk).review_state == S.DRAFT
    assert ProgressUpdate.objects.get(pk=update.pk).review_state == S.SUBMITTED
    assert not update.review_events.exclude(action=A.SUBMIT).exists()


def test_an_approval_proposing_nothing_leaves_the_status_as_it_is(editor, reviewer, commitment):
    update = submitted(commitment, editor)
    actions.approve_update(update=update, by=reviewer)
    assert ProgressUpdate.objects.get(pk=update.pk).review_state == S.APPROVED
    assert not StatusChange.objects.exists()


# Assessments -------------------------------------------------------------------------------


def assess(party, *, score: str, justification: str, stage: str = "interim") -> dict:
    """The POST body of the commitment page's "assess" action."""
    fields = {"party": party.pk, "score": score, "justification": justification}
    fields |= {"as_of": "2025-12-01", "stage": stage}
    return {"action": "assess"} | {f"assessment-{k}": v for k, v in fields.items()}


def test_reviewer_assesses_a_party_on_the_commitment_page(client, reviewer, commitment, us, mexico):
    url = reverse("agreements:commitment_detail", args=[commitment.pk])
    client.force_login(reviewer)
    response = client.post(
        url,
        assess(us, score="0", justification="Task force set up, no results yet", stage="interim"),
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="compliance"')
    assert "0 partial compliance or work in progress" in html
    assert "Not assessed" in html  # Mexico has none yet
    assessment = Assessment.objects.get()
    assert (assessment.party, assessment.assessed_by) == (us, reviewer)


def test_assessment_needs_a_justification(client, reviewer, commitment, us):
    client.force_login(reviewer)
    response = client.post(
        reverse("agreements:commitment_detail", args=[commitment.pk]),
        assess(us, score="-1", justification="", stage="final"),
        **HTMX,
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not Assessment.objects.exists()


def test_the_assessment_form_opens_in_place_and_keeps_what_was_typed(
    client, reviewer, commitment, us
):
    url = reverse("agreements:commitment_detail", args=[commitment.pk])
    client.force_login(reviewer)
    page = client.get(url).content.decode()
    assert 'name="assessment-justification"' not in page  # closed and empty
    assert f'hx-get="{url}?add=assess"' in page
    assert 'href="?add=assess#add-form-assess"' in page
    opened = client.get(url, {"add": "assess"}, **HTMX).content.decode()
    assert opened.lstrip().startswith("<form")
    assert 'name="assessment-justification"' in opened and 'hx-target="#compliance"' in opened
    page = client.get(url, {"add": "assess"}).content.decode()  # without JavaScript
    assert '<details id="add-form-assess" class="card add-form" open>' in page
    assert 'name="assessment-justification"' in page
    refused = client.post(
        url, assess(us, score="9", justification="Seen in the field", stage="final"), **HTMX
    )
    html = refused.content.decode()
    assert refused.status_code == 422
    assert html.lstrip().startswith('<section id="compliance"')
    assert 'id="assessment-score_error"' in html or "Select a valid choice" in html
    assert "Seen in the field" in html  # what was typed stays, the form open
    assert '<details id="add-form-assess" class="card add-form" open>' in html


def test_an_editor_does_not_open_the_assessment_form(client, editor, commitment):
    client.force_login(editor)
    url = reverse("agreements:commitment_detail", args=[commitment.pk])
    html = client.get(url, {"add": "assess"}, **HTMX).content.decode()
    assert 'name="assessment-justification"' not in html


def test_only_reviewers_assess(client, editor, commitment, us):
    client.force_login(editor)
    response = client.post(
        reverse("agreements:commitment_detail", args=[commitment.pk]),
        assess(us, score="+1", justification="x", stage="final"),
    )
    assert response.status_code == 403


def test_commitment_page_shows_each_partys_latest_assessment(client, reviewer, commitment, us):
    for as_of, score, why in (("2025-10-01", "-1", "Nothing yet"), ("2025-12-01", "+1", "Done")):
        Assessment.objects.create(
            commitment=commitment,
            party=us,
            score=score,
            justification=why,
            as_of=as_of,
            assessed_by=reviewer,
        )
    client.force_login(reviewer)
    response = client.get(reverse("agreements:commitment_detail", args=[commitment.pk]))
    assert [a.justification for a in response.context["latest_assessments"]] == ["Done"]
    html = response.content.decode()
    assert "Nothing yet" in html  # the history stays on the timeline


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("9999-12-31", "less than or equal to 2100-12-31"),  # past any date it tracks
        ("2099-01-01", "cannot be dated in the future"),
        ("2000-01-01", "cannot be dated before its meeting"),
    ],
)
def test_an_assessment_is_dated_between_its_meeting_and_today(
    client, reviewer, commitment, us, as_of, message
):
    """Else a date far ahead stays the "latest" score for ever, and nothing corrects it."""
    client.force_login(reviewer)
    body = assess(us, score="0", justification="Done") | {"assessment-as_of": as_of}
    response = client.post(
        reverse("agreements:commitment_detail", args=[commitment.pk]), body, **HTMX
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Assessment.objects.exists()
