"""Review findings (second pass) on the day's work: languages, reminders, briefings, production.

Each test asserts the correct behaviour; each failed against the code as first written.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import RequestFactory
from django_tasks_db.models import DBTaskResult

from agreements import actions
from agreements.models import Follow, TeamRole
from tests.conftest import make_user
from tests.test_reminders import run_worker
from tracker.proxy import client_ip

# --- A status-change notice that fails to send is lost --------------------------------------------


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


# --- Sign-in throttling: the app and gunicorn disagree on who the proxy is ------------------------


def _request(remote: str, forwarded: str):
    return RequestFactory().post(
        "/accounts/login/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded
    )


def test_a_proxy_named_by_its_network_in_forwarded_allow_ips_gives_the_visitors_address(settings):
    # gunicorn (tracker/gunicorn.conf.py reads the same FORWARDED_ALLOW_IPS) accepts networks
    # and believes 10.0.0.7's X-Forwarded-Proto; the app does not believe its X-Forwarded-For, so
    # every visitor is counted as the proxy's one address: five wrong passwords from anyone
    # lock a username out for everyone.
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.0/8"]
    assert client_ip(_request("10.0.0.7", "203.0.113.5")) == "203.0.113.5"


def test_behind_a_proxy_on_a_unix_socket_throttling_counts_the_visitors_address(settings):
    # README's BIND=unix:/run/tracker/gunicorn.sock: gunicorn sets REMOTE_ADDR to "" and trusts a
    # unix-socket peer; the app counts every visitor as "".
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1", "::1"]
    assert client_ip(_request("", "203.0.113.5")) == "203.0.113.5"


# --- Following an archived commitment cannot be stopped ------------------------------------------


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


# --- The daily command reads each candidate's whole digest, one user at a time -------------------


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


# --- send_reminders: a date at the end of the calendar is a traceback, not a clear message -------


def test_send_reminders_refuses_a_date_too_late_to_remind_of_with_a_clear_message(db):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("send_reminders", "--date", "9999-12-30")
