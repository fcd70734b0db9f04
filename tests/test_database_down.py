"""When the database does not answer: a 503 that says nothing was saved and keeps what was
typed (security 9); /readyz answers 503 too (tests/test_urls.py)."""

from __future__ import annotations

import importlib

import pytest
from django.db import OperationalError
from django.urls import reverse

from agreements import actions
from agreements.models import Meeting

from .conftest import PASSWORD, meeting_data


def down(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


@pytest.fixture
def client(client):
    client.raise_request_exception = False  # answered as production answers it
    return client


def test_a_save_the_database_cannot_take_is_a_503_that_shows_what_was_typed(
    client, editor, team, us, mexico, monkeypatch
):
    client.force_login(editor)
    monkeypatch.setattr(actions, "save_meeting", down)
    rows = [{"title": "Halt fentanyl", "text": "Seizures at ports", "theme": "drugs"}]
    response = client.post(
        reverse("agreements:meeting_create"), meeting_data(team, us, mexico, rows)
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert "nothing was saved" in html
    assert (
        "Halt fentanyl" in html and "Seizures at ports" in html and "Border security talks" in html
    )
    assert "csrfmiddlewaretoken" not in html
    assert not Meeting.objects.exists()


def test_an_htmx_save_gets_the_503_alone_and_the_page_stays(
    client, editor, commitment, monkeypatch
):
    client.force_login(editor)
    monkeypatch.setattr(actions, "submit_update", down)
    response = client.post(
        commitment.get_absolute_url(),
        {"action": "post_update", "narrative": "Seizures rose 20%"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 503
    assert response.content.decode() == "The database did not answer; nothing was saved."


def test_a_database_gone_before_the_view_is_a_503_too(client, editor, monkeypatch):
    """The session is read from the database by a middleware, before any view runs."""
    client.force_login(editor)
    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", down)
    response = client.get("/")
    assert response.status_code == 503


def test_a_sign_in_never_echoes_the_password(client, editor, monkeypatch):
    monkeypatch.setattr("django.contrib.auth.backends.ModelBackend.authenticate", down)
    response = client.post("/accounts/login/", {"username": "editor", "password": PASSWORD})
    assert response.status_code == 503
    assert PASSWORD not in response.content.decode()


def test_any_other_failure_is_a_500_with_its_reference_and_what_was_typed(
    client, editor, team, us, mexico, monkeypatch
):
    client.force_login(editor)
    monkeypatch.setattr(actions, "save_meeting", lambda *a, **k: 1 / 0)
    rows = [{"title": "Halt fentanyl", "text": "Seizures at ports", "theme": "drugs"}]
    response = client.post(
        reverse("agreements:meeting_create"),
        meeting_data(team, us, mexico, rows),
        HTTP_X_REQUEST_ID="req-7f3a",
    )
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert response["X-Request-ID"] == "req-7f3a"  # the log's entry of the error carries it too
    html = response.content.decode()
    assert "The tracker failed to answer" in html
    assert '<code class="reference">req-7f3a</code>' in html
    assert "Halt fentanyl" in html and "may not have been saved" in html
    assert "csrfmiddlewaretoken" not in html
    assert "Traceback" not in html and "ZeroDivisionError" not in html


def test_an_htmx_request_that_fails_gets_its_reference_alone(
    client, editor, commitment, monkeypatch
):
    client.force_login(editor)
    monkeypatch.setattr(actions, "submit_update", lambda *a, **k: 1 / 0)
    response = client.post(
        commitment.get_absolute_url(),
        {"action": "post_update", "narrative": "Seizures rose 20%"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 500
    reference = response["X-Request-ID"]
    assert response.content.decode() == f"The server failed to answer (reference {reference})."


def test_the_failure_page_speaks_the_readers_language(client, editor, monkeypatch):
    client.force_login(editor)
    dashboard = importlib.import_module("agreements.views.dashboard")
    monkeypatch.setattr(dashboard, "_figures", lambda *a, **k: 1 / 0)
    response = client.get("/", headers={"accept-language": "es"})
    assert response.status_code == 500
    html = response.content.decode()
    assert 'lang="es"' in html and "The tracker failed to answer" not in html


def test_no_password_or_code_is_ever_shown_back(client, editor, team, us, mexico, monkeypatch):
    """Django's password change, and the two-factor pages, are marked sensitive: a failure
    there shows nothing of what was sent; elsewhere a field named as a secret is left out."""
    client.force_login(editor)
    monkeypatch.setattr("django.contrib.auth.forms.PasswordChangeForm.clean", lambda f: 1 / 0)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "n3w-s3cret!", "new_password2": "n3w-s3cret!"},
    )
    html = response.content.decode()
    assert response.status_code == 500 and "may not have been saved" in html
    assert PASSWORD not in html and "n3w-s3cret!" not in html
    assert "no-store" in response["Cache-Control"]
    two_factor = importlib.import_module("agreements.views.two_factor")
    monkeypatch.setattr(two_factor, "_devices", lambda user: 1 / 0)
    response = client.post("/accounts/verify/", {"code": "918273"})
    assert response.status_code == 500 and "918273" not in response.content.decode()
    monkeypatch.setattr(actions, "save_meeting", lambda *a, **k: 1 / 0)
    sent = meeting_data(team, us, mexico, [])
    sent |= {"recovery_code": "ab12-cd34", "api_token": "at_x1y2"}
    response = client.post(reverse("agreements:meeting_create"), sent)
    html = response.content.decode()
    assert response.status_code == 500 and "Border security talks" in html
    assert "ab12-cd34" not in html and "at_x1y2" not in html


def test_an_error_page_that_cannot_be_drawn_still_answers_with_its_reference(
    client, editor, monkeypatch
):
    client.force_login(editor)
    dashboard = importlib.import_module("agreements.views.dashboard")
    monkeypatch.setattr(dashboard, "_figures", lambda *a, **k: 1 / 0)
    errors = importlib.import_module("agreements.views.errors")
    monkeypatch.setattr(errors.loader, "render_to_string", lambda *a, **k: 1 / 0)
    response = client.get("/", headers={"x-request-id": "req-9c2e"})
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "The server failed to answer (reference req-9c2e)."


def test_trying_a_page_again_keeps_its_filters(client, editor, monkeypatch):
    client.force_login(editor)
    monkeypatch.setattr("agreements.forms.CommitmentFilterForm.filter", lambda *a, **k: 1 / 0)
    response = client.get("/commitments/", {"theme": "drugs", "status": "1"})
    assert response.status_code == 500
    assert 'href="/commitments/?theme=drugs&amp;status=1"' in response.content.decode()
