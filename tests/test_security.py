"""The security promises of the README, one test (or a few) each: sign-in throttling, session
limits, production defaults and headers."""

from __future__ import annotations

import datetime
import io
import json
import logging
import re
import time
from contextlib import contextmanager
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements.actions import record_event
from agreements.middleware import SEEN_KEY, SIGNED_IN_KEY
from agreements.models import SecurityEvent, SecurityEventKind, SignInLock, TeamMembership
from tracker.logs import JsonFormatter

from .conftest import PASSWORD, compiled_sql, make_user
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


# --- Sessions ------------------------------------------------------------------------------------


def age_session(client, **seconds_ago) -> None:
    session = client.session
    for key, ago in seconds_ago.items():
        session[key] = int(time.time()) - ago
    session.save()


def test_a_session_ends_after_30_minutes_without_a_request(client, editor):
    client.force_login(editor)
    assert client.get("/").status_code == 200
    age_session(client, **{SEEN_KEY: 31 * 60})
    response = client.get("/commitments/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/").status_code == 302  # signed out for good


def test_a_session_ends_12_hours_after_sign_in_however_active(client, editor):
    client.force_login(editor)
    age_session(client, **{SIGNED_IN_KEY: 12 * 3600 + 1, SEEN_KEY: 10})
    assert client.get("/").status_code == 302


def test_an_htmx_request_of_an_ended_session_is_refused_and_the_page_stays(client, editor):
    """Not a redirect that would replace the page and what was typed in it: a 401, which
    tracker.js announces (tests/browser/test_resilience.py)."""
    client.force_login(editor)
    age_session(client, **{SEEN_KEY: 31 * 60})
    response = client.get("/commitments/", HTTP_HX_REQUEST="true")
    assert response.status_code == 401
    assert "without activity" in response.content.decode()


def test_activity_keeps_a_session_alive_without_a_write_per_request(client, editor):
    client.force_login(editor)
    client.get("/")
    with CaptureQueriesContext(connection) as ran:
        client.get("/")
    assert not any("django_session" in q["sql"] and "UPDATE" in q["sql"] for q in ran)
    age_session(client, **{SEEN_KEY: 29 * 60})  # active again before the limit: renewed
    assert client.get("/").status_code == 200
    assert time.time() - client.session[SEEN_KEY] < 5


def test_leaving_the_last_team_ends_the_session(client, editor):
    client.force_login(editor)
    assert client.get("/").status_code == 200
    TeamMembership.objects.filter(user=editor).delete()
    assert client.get("/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_each_session_is_read_by_sql_made_once_and_an_expired_one_is_not(client, editor, reviewer):
    """Every signed-in request reads its session: by SQL made once a process, run with each
    cookie's key (``agreements.sessions``), so each reader is still themselves, and a session
    past its expiry date reads as none, as Django's own query has it."""
    other = Client()
    client.force_login(editor)
    other.force_login(reviewer)
    assert client.get("/").context["user"] == editor  # the SQL made with the first session
    with compiled_sql() as compiled:
        assert other.get("/").context["user"] == reviewer
        assert client.get("/").context["user"] == editor
    assert not [sql for sql in compiled if "django_session" in sql]
    Session.objects.filter(session_key=other.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert other.get("/").status_code == 302  # to the sign-in page
    assert client.get("/").status_code == 200


def test_a_deactivated_user_is_signed_out_at_the_next_request(client, editor):
    client.force_login(editor)
    editor.is_active = False
    editor.save()
    assert client.get("/").status_code == 302


# --- Production defaults and headers ---------------------------------------------------------


def test_with_debug_off_https_is_the_default():
    out = settings_in(
        {"SECRET_KEY": "x"},
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_HSTS_INCLUDE_SUBDOMAINS",
    )
    assert out.stdout.strip() == "(True, True, True, True, True)"


def test_behind_a_proxy_its_https_header_is_trusted_only_when_named():
    assert (
        settings_in({"SECRET_KEY": "x"}, "hasattr(s, 'SECURE_PROXY_SSL_HEADER')").stdout.strip()
        == "(False,)"
    )
    out = settings_in(
        {"SECRET_KEY": "x", "PROXY_SSL_HEADER": "X-Forwarded-Proto"}, "s.SECURE_PROXY_SSL_HEADER"
    )
    assert out.stdout.strip() == "(('HTTP_X_FORWARDED_PROTO', 'https'),)"


def test_plain_http_is_redirected_and_https_answers_with_hsts(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/accounts/login/")  # not /healthz: load balancers check it over HTTP
    assert response.status_code == 301 and response["Location"].startswith("https://")
    assert "max-age=31536000" in client.get("/healthz", secure=True)["Strict-Transport-Security"]


@pytest.mark.parametrize("path", ["/", "/commitments/", "/admin/", "/accounts/login/"])
def test_every_page_carries_a_strict_content_security_policy(admin_client, path):
    policy = admin_client.get(path)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


def test_signed_in_pages_are_never_stored(client, editor, commitment):
    client.force_login(editor)
    for path in ["/", f"/commitments/commitment-{commitment.pk}/", "/admin/"]:
        response = client.get(path, follow=False)
        assert "no-store" in response["Cache-Control"], path


def test_a_url_that_answers_page_and_fragment_varies_on_hx_request(client, editor):
    client.force_login(editor)
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        assert "HX-Request" in client.get("/commitments/", **headers)["Vary"]


def test_a_new_user_without_a_team_is_told_why_they_are_signed_out(client, db):
    make_user("newcomer")
    response = client.post(
        "/accounts/login/", {"username": "newcomer", "password": PASSWORD}, follow=True
    )
    assert "belongs to no team" in response.content.decode()


# --- One team per link, in the actions --------------------------------------------------------


def test_every_action_refuses_a_link_to_another_teams_record(
    meeting, commitment, other_team, editor, us
):
    """Whoever calls an action (a page, the admin, a script), on SQLite as on PostgreSQL: a
    person, a commitment, a source or a meeting of another team is refused, said by field."""
    import datetime

    from django.core.exceptions import ValidationError

    from agreements import actions
    from agreements.models import ImplementationBody, MeetingLink, Participant, Person, Statement

    from .conftest import make_commitment, make_meeting, make_source

    theirs_meeting = make_meeting(other_team, start_date=datetime.date(2021, 1, 1))
    theirs = {
        "person": Person.objects.create(team=other_team, name="Their envoy"),
        "commitment": make_commitment(theirs_meeting),
        "source": make_source(other_team),
    }
    writes = {
        "speaker": lambda: actions.add_statement(
            statement=Statement(
                meeting=meeting, speaker=theirs["person"], text="Words", said_on=meeting.start_date
            ),
            by=editor,
        ),
        "commitments": lambda: actions.add_body(
            body=ImplementationBody(meeting=meeting, name="Group"),
            commitments=[theirs["commitment"]],
            by=editor,
        ),
        "sources": lambda: actions.submit_update(
            commitment=commitment, author=editor, narrative="n", sources=[theirs["source"]]
        ),
        "person": lambda: actions.save_meeting(
            meeting=meeting,
            expected=meeting.version,
            parties=[us],
            rows=[],
            participants=[
                actions.ParticipantRow(
                    Participant(person=theirs["person"], party=us, office="Envoy", role="delegate")
                )
            ],
            by=editor,
        ),
        "other": lambda: actions.link_meetings(
            link=MeetingLink(meeting=meeting, relation="follows_up", other=theirs_meeting),
            by=editor,
        ),
    }
    for field, write in writes.items():
        with pytest.raises(ValidationError) as refused:
            write()
        assert field in refused.value.message_dict, field
    assert not Statement.objects.exists()
    assert not ImplementationBody.objects.exists()
    assert not commitment.progress_updates.exists()
    assert not MeetingLink.objects.exists()
    assert not Participant.objects.exists()
