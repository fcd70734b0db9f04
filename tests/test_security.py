"""The security promises of the README, one test (or a few) each: session limits, production
defaults and headers, one team per link. Signing in (throttling, the username lock, the
security log) is tested in test_sign_in.py."""

from __future__ import annotations

import datetime
import time

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements.middleware import SEEN_KEY, SIGNED_IN_KEY
from agreements.models import TeamMembership

from .conftest import PASSWORD, compiled_sql, make_user
from .test_settings import settings_in

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
