"""Reminders (issue #12): the daily digest of milestones and reviews, sent at most once per
user and day through the tasks queue; following a commitment and hearing of its status."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.formats import date_format
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from agreements import actions, reminders, tasks
from agreements.models import (
    Digest,
    DigestSent,
    Follow,
    Milestone,
    MilestoneStatus,
    Preference,
    TeamRole,
)
from tests.conftest import HTMX, make_body, make_commitment, make_meeting, make_user

DAY = datetime.date(2025, 10, 1)


def days(n: int) -> datetime.date:
    return DAY + datetime.timedelta(n)


def milestone(record, title: str, due: datetime.date, **extra) -> Milestone:
    owner = {"body": record} if hasattr(record, "lifecycle") else {"commitment": record}
    return Milestone.objects.create(title=title, due_date=due, **owner, **extra)


def send_reminders(day: datetime.date = DAY) -> str:
    """Run the command as cron would; return what it printed."""
    out = StringIO()
    call_command("send_reminders", "--date", day.isoformat(), stdout=out)
    return out.getvalue()


def run_worker() -> int:
    """Run every queued task that is due, as ``db_worker --batch`` does, inside the test's
    transaction (the command itself closes connections between tasks; the whole path with
    real worker processes is in test_reminders_worker.py). Returns how many ran."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = 0
    while (queued := DBTaskResult.objects.ready().get_locked()) is not None:
        queued.claim(worker.worker_id)
        worker.run_task(queued)
        ran += 1
    return ran


def mails_to(user) -> list:
    return [message for message in mail.outbox if message.to == [user.email]]


@pytest.fixture
def editor(team):
    return make_user("editor", team=team, role=TeamRole.EDITOR, email="editor@desk.example")


@pytest.fixture
def reviewer(team):
    return make_user("reviewer", team=team, role=TeamRole.REVIEWER, email="reviewer@desk.example")


@pytest.fixture
def outsider(other_team):
    return make_user("outsider", team=other_team, email="outsider@desk.example")


@pytest.fixture
def due(commitment, meeting):
    """Milestones of the team around DAY: two to remind of, and what a digest leaves out."""
    body = make_body(meeting, name="Security group")
    return {
        "soon": milestone(commitment, "Extradition list", days(3)),
        "late": milestone(body, "First group meeting", days(-2)),
        "far": milestone(commitment, "Joint report", days(8)),
        "done": milestone(
            commitment,
            "Hotline",
            days(1),
            status=MilestoneStatus.DONE,
            completed_on=days(-1),
        ),
        "cancelled": milestone(commitment, "Summit", days(2), status=MilestoneStatus.CANCELLED),
    }


# --- What a digest holds ----------------------------------------------------------------------


def test_an_editors_digest_names_their_teams_milestones_due_within_7_days_and_overdue(editor, due):
    digest = Digest.of(editor, DAY)
    assert digest.due == [due["soon"]]
    assert digest.overdue == [due["late"]]
    assert digest.to_review == []


def test_a_reviewers_digest_adds_the_updates_waiting_for_their_review_not_their_own(
    reviewer, editor, commitment, due
):
    waiting = actions.submit_update(commitment=commitment, author=editor, narrative="Seizures")
    actions.submit_update(commitment=commitment, author=editor, narrative="Draft", draft=True)
    actions.submit_update(commitment=commitment, author=reviewer, narrative="Mine")
    digest = Digest.of(reviewer, DAY)
    assert digest.to_review == [waiting]
    assert (digest.due, digest.overdue) == ([due["soon"]], [due["late"]])
    assert Digest.of(editor, DAY).to_review == []  # editors do not review


def test_archived_records_and_cancelled_commitments_are_left_out(
    editor, admin_user, meeting, team, due
):
    cancelled = make_commitment(meeting, cancellation="cancelled")
    milestone(cancelled, "Of a cancelled commitment", days(1))
    archived = make_commitment(make_meeting(team), title="Archived one")
    milestone(archived, "Of an archived commitment", days(1))
    actions.archive_record(record=archived, by=admin_user, reason="Recorded twice")
    digest = Digest.of(editor, DAY)
    assert digest.due == [due["soon"]]
    assert digest.overdue == [due["late"]]


def test_other_teams_milestones_are_never_in_a_digest(editor, outsider, other_team, due):
    theirs = make_commitment(make_meeting(other_team))
    milestone(theirs, "Their own step", days(2))
    send_reminders()
    run_worker()
    [editors] = mails_to(editor)
    assert "Their own step" not in editors.body
    [outsiders] = mails_to(outsider)
    assert "Their own step" in outsiders.body
    assert due["soon"].title not in outsiders.body
    assert due["late"].title not in outsiders.body


def test_the_mail_lists_each_milestone_with_its_date_and_a_link(editor, reviewer, commitment, due):
    actions.submit_update(commitment=commitment, author=editor, narrative="Seizures")
    send_reminders()
    assert run_worker() == 2
    [message] = mails_to(reviewer)
    assert message.from_email == "tracker@localhost"
    assert message.subject == "Your reminders for 1 Oct 2025"
    body = message.body
    assert "Overdue: 1 milestone" in body and "First group meeting: was due 29 Sep 2025" in body
    assert "Due within 7 days: 1 milestone" in body and "Extradition list: due 4 Oct 2025" in body
    assert f"http://127.0.0.1:8000/commitments/commitment-{commitment.pk}/" in body
    assert "Waiting for your review: 1 progress update" in body
    assert "http://127.0.0.1:8000/reviews/" in body
    assert "Joint report" not in body and "Hotline" not in body and "Summit" not in body
    [editors] = mails_to(editor)
    assert "Waiting for your review" not in editors.body


def test_links_use_the_site_url(settings, editor, due):
    settings.SITE_URL = "https://tracker.example"
    send_reminders()
    run_worker()
    assert "https://tracker.example/milestones/" in mails_to(editor)[0].body


# --- Who is sent one, and how often -------------------------------------------------------------


def test_nothing_is_enqueued_or_sent_when_nothing_is_due(editor, reviewer, commitment):
    milestone(commitment, "Far away", days(30))
    assert send_reminders() == "0 digest(s) enqueued for 2025-10-01.\n"
    assert run_worker() == 0
    assert mail.outbox == []
    assert not DigestSent.objects.exists()


def test_a_repeated_run_the_same_day_sends_nothing_twice(editor, reviewer, due):
    assert send_reminders() == "2 digest(s) enqueued for 2025-10-01.\n"
    run_worker()
    assert send_reminders() == "0 digest(s) enqueued for 2025-10-01.\n"
    # Even a digest enqueued twice (two runs before a worker got to them) is sent once.
    tasks.send_digest.enqueue(editor.pk, DAY.isoformat())
    run_worker()
    assert len(mails_to(editor)) == len(mails_to(reviewer)) == 1
    assert DigestSent.objects.filter(user=editor, day=DAY).count() == 1


def test_a_different_day_sends_again(editor, due):
    send_reminders(DAY)
    run_worker()
    send_reminders(days(1))
    run_worker()
    assert [m.subject for m in mails_to(editor)] == [
        "Your reminders for 1 Oct 2025",
        "Your reminders for 2 Oct 2025",
    ]


def test_inactive_users_and_users_without_an_email_get_nothing(team, due):
    gone = make_user("gone", team=team, email="gone@desk.example", is_active=False)
    silent = make_user("silent", team=team, email="")
    assert send_reminders() == "0 digest(s) enqueued for 2025-10-01.\n"
    for user in (gone, silent):  # even when a task names them
        tasks.send_digest.enqueue(user.pk, DAY.isoformat())
    run_worker()
    assert mail.outbox == []


def test_a_digest_that_became_empty_before_it_ran_is_not_sent_and_not_claimed(editor, due):
    send_reminders()
    Milestone.objects.filter(status=MilestoneStatus.PLANNED).update(
        status=MilestoneStatus.CANCELLED
    )
    run_worker()
    assert mail.outbox == []
    assert not DigestSent.objects.exists()


def test_a_failed_send_releases_the_claim_and_is_tried_again_later(
    settings, editor, due, monkeypatch
):
    send_reminders()

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    run_worker()
    assert not DigestSent.objects.exists()  # the claim went with the failed send
    failed = DBTaskResult.objects.get(status="FAILED")
    assert "mail server down" in failed.traceback
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["args"] == [editor.pk, DAY.isoformat(), 2]
    assert retry.run_after > failed.finished_at
    monkeypatch.undo()
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=failed.finished_at)  # time passes
    run_worker()
    assert len(mails_to(editor)) == 1
    assert DigestSent.objects.filter(user=editor, day=DAY).exists()


def test_a_digest_is_written_in_its_readers_language(editor, due):
    Preference.objects.create(user=editor, language="es")
    send_reminders()
    run_worker()
    [message] = mails_to(editor)
    with translation.override("es"):
        assert date_format(DAY, "DATE_FORMAT") in message.subject
        assert date_format(days(3), "DATE_FORMAT") in message.body
    assert "octubre" in message.subject


@pytest.mark.perf
def test_sending_a_digest_takes_as_many_queries_with_50_milestones_as_with_5(
    editor, reviewer, commitment
):
    def queries_to_send(n: int) -> int:
        for i in range(n):
            milestone(commitment, f"Step {n}-{i}", days(i % 7))
            actions.submit_update(commitment=commitment, author=editor, narrative=f"Update {i}")
        DigestSent.objects.all().delete()
        fresh = type(reviewer).objects.get(pk=reviewer.pk)  # as the task reads it
        with CaptureQueriesContext(connection) as captured:
            assert reminders.send_digest(user=fresh, day=DAY)
        return len(captured)

    assert queries_to_send(5) == queries_to_send(45)


@pytest.mark.perf
def test_finding_who_needs_a_digest_costs_the_same_with_50_users_as_with_5(team, commitment):
    import datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agreements import reminders
    from agreements.models import Milestone

    day = datetime.date(2025, 10, 1)
    Milestone.objects.create(commitment=commitment, title="Hotline", due_date=day)

    def cost(users: int) -> int:
        start = team.memberships.count() if hasattr(team, "memberships") else 0
        for n in range(start, users):
            make_user(f"member{n}", team=team, email=f"m{n}@desk.example")
        with CaptureQueriesContext(connection) as ctx:
            assert len(reminders.users_needing_a_digest(day)) == users
        return len(ctx.captured_queries)

    assert cost(5) == cost(50)


def test_the_command_refuses_a_malformed_date(db):
    with pytest.raises(CommandError, match="not a date"):
        call_command("send_reminders", "--date", "01/10/2025")


def test_send_reminders_refuses_a_date_too_late_to_remind_of_with_a_clear_message(db):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("send_reminders", "--date", "9999-12-30")


# --- Following a commitment -------------------------------------------------------------------


def test_following_and_unfollowing_from_the_commitment_page(client, reviewer, commitment):
    client.force_login(reviewer)
    url = commitment.get_absolute_url()
    assert "Follow" in client.get(url).content.decode()
    response = client.post(url, {"action": "follow", "follow": "1"})
    assert response.status_code == 302  # without JavaScript: back to the page
    assert Follow.objects.filter(user=reviewer, commitment=commitment).exists()
    page = client.get(url).content.decode()
    assert "Stop following" in page and "You follow this commitment." in page
    client.post(url, {"action": "follow", "follow": "1"})  # twice is still once
    assert Follow.objects.filter(user=reviewer).count() == 1
    client.post(url, {"action": "follow", "follow": "0"})
    assert not Follow.objects.exists()


def test_following_with_htmx_answers_with_the_button_alone(client, editor, commitment):
    client.force_login(editor)
    response = client.post(
        commitment.get_absolute_url(), {"action": "follow", "follow": "1"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="follow"')
    assert "Stop following" in html and "You follow this commitment." in html
    assert "Milestones" not in html


def test_an_outsider_cannot_follow_another_teams_commitment(client, outsider, commitment):
    client.force_login(outsider)
    response = client.post(commitment.get_absolute_url(), {"action": "follow", "follow": "1"})
    assert response.status_code == 404
    assert not Follow.objects.exists()


def test_an_archived_commitment_takes_no_new_follower(client, editor, admin_user, commitment):
    actions.archive_record(record=commitment, by=admin_user, reason="Recorded twice")
    client.force_login(editor)
    assert 'value="follow"' not in client.get(commitment.get_absolute_url()).content.decode()
    response = client.post(commitment.get_absolute_url(), {"action": "follow", "follow": "1"})
    assert response.status_code == 409
    assert not Follow.objects.exists()


def test_a_follower_can_stop_following_a_commitment_that_was_archived(
    client, team, commitment, admin_user
):
    follower = make_user("follower", team=team, email="follower@desk.example")
    actions.follow_commitment(commitment=commitment, user=follower)
    actions.archive_record(record=commitment, by=admin_user, reason="Recorded twice")
    client.force_login(follower)
    response = client.post(commitment.get_absolute_url(), {"action": "follow", "follow": "0"})
    assert response.status_code in (200, 302)
    assert not Follow.objects.filter(user=follower, commitment=commitment).exists()


# --- Hearing of a status change ----------------------------------------------------------------


@pytest.fixture
def followers(commitment, team, editor, reviewer):
    """The reviewer follows in Spanish, a second editor in English; the editor changes it."""
    Preference.objects.create(user=reviewer, language="es")
    colleague = make_user("colleague", team=team, email="colleague@desk.example")
    for user in (editor, reviewer, colleague):
        actions.follow_commitment(commitment=commitment, user=user)
    return {"es": reviewer, "en": colleague}


def change_status(commitment, by, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return actions.change_commitment_status(
            commitment=commitment, status=2, reason="Extraditions began", by=by, via="web"
        )


def test_a_status_change_mails_each_follower_in_their_language(
    editor, commitment, followers, django_capture_on_commit_callbacks
):
    change = change_status(commitment, editor, django_capture_on_commit_callbacks)
    assert run_worker() == 1
    assert mails_to(editor) == []  # who made the change is not told of it
    [english] = mails_to(followers["en"])
    assert english.subject == f"Status changed: {commitment.title}"
    assert "Status: Not started → Intermediate" in english.body
    assert "Changed by editor on" in english.body and "Why: Extraditions began" in english.body
    assert f"http://127.0.0.1:8000/commitments/commitment-{commitment.pk}/" in english.body
    [spanish] = mails_to(followers["es"])
    with translation.override("es"):
        when = date_format(change.changed_at, "DATETIME_FORMAT")
    assert when in spanish.body
    assert when not in english.body


def test_an_approved_update_mails_the_followers(
    editor, reviewer, commitment, followers, django_capture_on_commit_callbacks
):
    update = actions.submit_update(
        commitment=commitment, author=editor, narrative="Done", proposed_status=3
    )
    with django_capture_on_commit_callbacks(execute=True):
        actions.approve_update(update=update, by=reviewer, comment="Verified")
    run_worker()
    assert mails_to(reviewer) == []
    [message] = mails_to(editor)
    assert "Not started → Complete" in message.body and "Why: Verified" in message.body


def test_a_follower_who_can_no_longer_see_the_commitment_is_not_told(
    editor, commitment, followers, django_capture_on_commit_callbacks
):
    followers["en"].team_memberships.all().delete()  # left the team
    change_status(commitment, editor, django_capture_on_commit_callbacks)
    run_worker()
    assert mails_to(followers["en"]) == []
    assert len(mails_to(followers["es"])) == 1


def test_no_task_without_followers_and_none_for_a_change_rolled_back(
    editor, commitment, django_capture_on_commit_callbacks
):
    change_status(commitment, editor, django_capture_on_commit_callbacks)
    assert not DBTaskResult.objects.exists()
    actions.follow_commitment(commitment=commitment, user=make_user("other", email="o@x.example"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                actions.change_commitment_status(
                    commitment=commitment, status=3, reason="Oops", by=editor, via="web"
                )
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert callbacks == [] and not DBTaskResult.objects.exists()


def test_a_status_change_notice_that_the_mail_server_refused_is_tried_again_later(
    team, commitment, monkeypatch, django_capture_on_commit_callbacks
):
    editor = make_user("editor", team=team, role=TeamRole.EDITOR, email="editor@desk.example")
    follower = make_user("follower", team=team, email="follower@desk.example")
    actions.follow_commitment(commitment=commitment, user=follower)
    with django_capture_on_commit_callbacks(execute=True):
        actions.change_commitment_status(
            commitment=commitment, status=2, reason="Extraditions began", by=editor, via="web"
        )

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    run_worker()
    failed = DBTaskResult.objects.get(status="FAILED")
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["args"][1:] == [follower.pk, 2]  # that follower alone, later
    assert retry.run_after > failed.finished_at
    monkeypatch.undo()
    # The mail server is back and time passes: the later attempt delivers the notice, once.
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=failed.finished_at)
    run_worker()
    assert [m.to for m in mail.outbox] == [[follower.email]]
