"""Signing in, guarded: throttling by username and address, the username lock against failures
from any mix of addresses, and the security log of every sign-in, failure and lock. The other
security promises are in test_security.py."""

from __future__ import annotations

import datetime
import io
import json
import logging
import re
from contextlib import contextmanager
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from agreements.actions import record_event
from agreements.models import SecurityEvent, SecurityEventKind, SignInLock
from tracker.logs import JsonFormatter

from .conftest import PASSWORD, make_user
from .test_reminders import run_worker
from .test_settings import settings_in

SIGN_IN_PAGES = ["/accounts/login/", "/admin/login/"]


def attempt(
    client, page: str, username: str, password: str, address: str = "203.0.113.7", **headers
):
    return client.post(
        page, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


@contextmanager
def time_machine(moment: datetime.datetime):
    """``timezone.now()`` at ``moment``: the username lock's clock."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


# --- Sign-in throttling ------------------------------------------------------------------------


@pytest.mark.parametrize("page", SIGN_IN_PAGES)
def test_five_failures_refuse_that_username_from_that_address_even_with_the_right_password(
    client, admin_user, page
):
    for _ in range(4):
        assert attempt(client, page, "admin", "wrong").status_code == 200  # the form again
    assert attempt(client, page, "admin", "wrong").status_code == 429  # the fifth: locked
    locked = attempt(client, page, "admin", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_holds_on_the_other_sign_in_page_too(client, admin_user):
    for _ in range(5):
        attempt(client, "/accounts/login/", "admin", "wrong")
    assert attempt(client, "/admin/login/", "admin", PASSWORD).status_code == 429


def test_other_users_and_other_addresses_are_unaffected(client, editor, admin_user):
    for _ in range(5):
        attempt(client, "/accounts/login/", "admin", "wrong")
    assert attempt(client, "/accounts/login/", "editor", PASSWORD).status_code == 302
    client.logout()
    other_address = attempt(client, "/accounts/login/", "admin", PASSWORD, "198.51.100.9")
    assert other_address.status_code == 302


def test_a_success_clears_the_count(client, editor):
    for _ in range(4):
        attempt(client, "/accounts/login/", "editor", "wrong")
    assert attempt(client, "/accounts/login/", "editor", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, "/accounts/login/", "editor", "wrong")
    assert attempt(client, "/accounts/login/", "editor", PASSWORD).status_code == 302


def test_an_unknown_username_gets_the_same_answer_as_a_wrong_password(client, editor):
    def answer(username: str) -> tuple[int, str]:
        response = attempt(client, "/accounts/login/", username, "wrong")
        html = response.content.decode().replace(f'value="{username}"', "")  # the echo
        return response.status_code, re.sub(r"[A-Za-z0-9]{64}", "<csrf token>", html)

    assert answer("editor") == answer("nobody")
    for _ in range(4):
        attempt(client, "/accounts/login/", "nobody", "wrong")
    assert attempt(client, "/accounts/login/", "nobody", "wrong").status_code == 429


# --- The username lock: failures from any mix of addresses ------------------------------------

PROXY = "10.0.0.5"


def rotating(client, page: str, username: str, password: str, n: int, through_proxy: bool):
    """A sign-in from the ``n``-th of many addresses: each its own socket address, or each
    forwarded by the named proxy (as behind nginx)."""
    visitor = f"198.51.{n // 250}.{n % 250 + 1}"
    if through_proxy:
        return client.post(
            page,
            {"username": username, "password": password},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=visitor,
        )
    return attempt(client, page, username, password, visitor)


@pytest.fixture
def proxy(settings):
    settings.FORWARDED_ALLOW_IPS = [PROXY]


@pytest.mark.parametrize("through_proxy", [False, True], ids=["direct", "through-the-proxy"])
def test_twenty_failures_from_rotating_addresses_lock_the_username_for_every_address(
    client, editor, proxy, through_proxy, django_capture_on_commit_callbacks
):
    """Each address stays under the per-address limit (one try each); the username does not."""
    editor.email = "editor@desk.example"
    editor.save()
    for n in range(19):
        assert (
            rotating(client, "/accounts/login/", "editor", "wrong", n, through_proxy).status_code
            == 200
        )
    with django_capture_on_commit_callbacks(execute=True):
        locked = rotating(client, "/accounts/login/", "editor", "wrong", 19, through_proxy)
    assert locked.status_code == 429
    assert "from several addresses" in locked.content.decode()
    for n in range(20, 23):  # the right password, from addresses never seen: refused
        right = rotating(client, "/accounts/login/", "editor", PASSWORD, n, through_proxy)
        assert right.status_code == 429
        assert "records admin unlocks it" in right.content.decode()
    assert "_auth_user_id" not in client.session
    lock = SignInLock.objects.get(username="editor")
    assert (lock.failures, lock.addresses) == (20, 20)
    # Its owner is told, by email, through the tasks queue.
    assert run_worker() == 1
    [notice] = mail.outbox
    assert notice.to == ["editor@desk.example"]
    assert "20 failed sign-ins" in notice.body and "from 20 different addresses" in notice.body
    assert "records admin" in notice.body


def test_the_username_lock_holds_on_the_admin_sign_in_page_too(client, admin_user):
    for n in range(20):
        rotating(client, "/accounts/login/", "admin", "wrong", n, through_proxy=False)
    assert rotating(client, "/admin/login/", "admin", PASSWORD, 99, False).status_code == 429


def test_the_owner_signing_in_meanwhile_gives_a_guesser_no_more_tries(client, editor):
    for n in range(10):
        rotating(client, "/accounts/login/", "editor", "wrong", n, through_proxy=False)
    assert attempt(client, "/accounts/login/", "editor", PASSWORD, "192.0.2.1").status_code == 302
    client.logout()
    for n in range(10, 19):
        rotating(client, "/accounts/login/", "editor", "wrong", n, through_proxy=False)
    assert rotating(client, "/accounts/login/", "editor", "wrong", 19, False).status_code == 429


def test_an_unknown_username_is_locked_alike_and_nobody_is_mailed(
    client, editor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            rotating(client, "/accounts/login/", "nobody", "wrong", n, False).status_code
            for n in range(20)
        ]
    assert answers == [200] * 19 + [429]
    assert SignInLock.objects.filter(username="nobody").exists()
    run_worker()
    assert mail.outbox == []
    # Other usernames are unaffected.
    assert attempt(client, "/accounts/login/", "editor", PASSWORD, "198.51.0.1").status_code == 302


def test_the_username_lock_ends_after_its_window_and_old_failures_are_forgotten(
    client, editor, settings
):
    for n in range(20):
        rotating(client, "/accounts/login/", "editor", "wrong", n, False)
    assert attempt(client, "/accounts/login/", "editor", PASSWORD, "192.0.2.9").status_code == 429
    later = timezone.now() + settings.USERNAME_FAILURE_WINDOW + datetime.timedelta(minutes=1)
    with time_machine(later):
        # One more failure, a day on, locks nothing: the twenty are out of the window.
        assert (
            attempt(client, "/accounts/login/", "editor", "wrong", "192.0.2.8").status_code == 200
        )
        assert not SignInLock.objects.holding().exists()
        assert (
            attempt(client, "/accounts/login/", "editor", PASSWORD, "192.0.2.9").status_code == 302
        )


def test_a_records_admin_unlocks_a_username_in_the_admin(client, editor, admin_user):
    for n in range(20):
        rotating(client, "/accounts/login/", "editor", "wrong", n, False)
    lock = SignInLock.objects.get(username="editor")
    admin = Client()
    admin.force_login(admin_user)
    changelist = admin.get("/admin/agreements/signinlock/?holds=1")
    assert "editor" in changelist.content.decode()
    response = admin.post(
        "/admin/agreements/signinlock/", {"action": "unlock", "_selected_action": [lock.pk]}
    )
    assert response.status_code == 302
    lock.refresh_from_db()
    assert lock.unlocked_by == admin_user and not lock.holds
    # From the address the guesses came from too: the per-address counts went with it.
    assert rotating(client, "/accounts/login/", "editor", PASSWORD, 0, False).status_code == 302
    unlocked = SecurityEvent.objects.get(kind=SecurityEventKind.UNLOCKED)
    assert (unlocked.user, unlocked.by) == (editor, admin_user)
    # The count starts again from the unlock: one more failure locks nothing.
    client.logout()
    rotating(client, "/accounts/login/", "editor", "wrong", 30, False)
    assert SignInLock.objects.holding().count() == 0


def test_only_records_admins_see_the_locks_and_the_log(client, admin_user, team):
    staff = make_user("clerk", team=team, is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="agreements"))
    client.force_login(staff)
    for url in ("/admin/agreements/signinlock/", "/admin/agreements/securityevent/"):
        assert client.get(url).status_code == 403


# --- The security log -------------------------------------------------------------------------


@pytest.fixture
def json_log():
    """What the production logging setup (settings.LOGGING: JSON lines on stdout) writes, read
    back as objects: the console handler's stream, swapped for the test."""
    handler = next(
        h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        handler.setStream(previous)


def test_sign_ins_failures_and_lockouts_are_logged_with_who_when_and_from_where(
    client, editor, json_log
):
    before = timezone.now()
    agent = {"HTTP_USER_AGENT": "Probe/1.0"}
    for _ in range(5):
        attempt(client, "/accounts/login/", "editor", "wrong", "203.0.113.7", **agent)
    attempt(client, "/accounts/login/", "editor", PASSWORD, "203.0.113.7", **agent)  # refused
    attempt(client, "/accounts/login/", "editor", PASSWORD, "198.51.100.9", **agent)  # in
    client.post("/accounts/logout/", REMOTE_ADDR="198.51.100.9")
    events = list(SecurityEvent.objects.order_by("pk"))
    assert [e.kind for e in events] == [
        *["sign_in_failed"] * 5,
        "locked_from_address",
        "sign_in_refused",
        "signed_in",
        "signed_out",
    ]
    assert {e.user for e in events} == {editor}
    assert [e.ip_address for e in events] == ["203.0.113.7"] * 7 + ["198.51.100.9"] * 2
    assert all(e.at >= before and e.request_id for e in events)
    assert events[0].user_agent == "Probe/1.0" and events[0].path == "/accounts/login/"
    lines = [line for line in json_log() if line["logger"] == "security"]
    assert [line["event"] for line in lines] == [e.kind for e in events]
    first = lines[0]
    assert first["level"] == "INFO" and first["time"].startswith(str(before.year))
    assert (first["username"], first["ip_address"], first["request_id"]) == (
        "editor",
        "203.0.113.7",
        events[0].request_id,
    )


def test_the_security_log_is_written_whatever_log_level_says():
    out = settings_in(
        {"SECRET_KEY": "x", "LOG_LEVEL": "ERROR"},
        "s.LOGGING['root']['level'], s.LOGGING['loggers']['security']['level']",
    )
    assert out.stdout.strip() == "('ERROR', 'INFO')"
    assert logging.getLogger("security").isEnabledFor(logging.INFO)


def test_records_admins_read_the_log_in_the_admin_and_nobody_changes_it(admin_client, editor):
    event = record_event(SecurityEventKind.SIGN_IN_FAILED, username="editor")
    listing = admin_client.get("/admin/agreements/securityevent/", {"q": "editor"})
    assert listing.status_code == 200 and "Sign-in failed" in listing.content.decode()
    change = f"/admin/agreements/securityevent/{event.pk}/change/"
    assert admin_client.get(change).status_code == 200  # read
    admin_client.post(change, {"kind": "signed_in", "username": "admin"})
    event.refresh_from_db()
    assert (event.kind, event.username) == ("sign_in_failed", "editor")
    assert admin_client.get("/admin/agreements/securityevent/add/").status_code == 403
    delete = f"/admin/agreements/securityevent/{event.pk}/delete/"
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert SecurityEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the append-only trigger is PostgreSQL's (SQLite's test flush deletes rows)",
)
def test_postgresql_refuses_to_change_or_delete_the_security_log(editor):
    record_event(SecurityEventKind.SIGNED_IN, user=editor)
    for statement in (
        "UPDATE agreements_securityevent SET username = 'someone'",
        "DELETE FROM agreements_securityevent",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert SecurityEvent.objects.get().username == "editor"
