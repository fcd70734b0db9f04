"""Two-factor sign-in (security 2): an authenticator app with recovery codes, that anyone can
turn on and that admins and editors must use, the demo's accounts aside."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agreements.models import ApiToken, CalendarFeed, Preference, SecurityEvent
from agreements.reauth import CONFIRMED_KEY, confirmation_url

from .conftest import PASSWORD
from .test_reminders import run_worker


@pytest.fixture(autouse=True)
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True
    settings.TWO_FACTOR_EXEMPT = []


def code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """What the user's app shows (``steps_ahead`` periods of 30 s later: a code is good once)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def sign_in(client, username: str, page: str = "/accounts/login/"):
    return client.post(page, {"username": username, "password": PASSWORD, "next": "/claims/"})


def turn_on(client) -> tuple[TOTPDevice, list[str]]:
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(confirmed=False)
    response = client.post("/accounts/two-factor/", {"code": code(device)})
    assert response.status_code == 200
    return TOTPDevice.objects.get(pk=device.pk), response.context["codes"]


def test_an_editor_must_set_it_up_before_anything_else(client, editor, commitment):
    assert sign_in(client, "editor").status_code == 302
    response = client.get(commitment.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/?next=")
    assert client.get("/", HTTP_HX_REQUEST="true").status_code == 401
    page = client.get("/accounts/two-factor/").content.decode()
    assert 'src="data:image/svg+xml;base64,' in page  # the QR code, allowed by the CSP
    assert "Admins and editors sign in with a second factor" in page


def test_setting_it_up_takes_a_code_from_the_app_and_gives_recovery_codes(client, editor):
    sign_in(client, "editor")
    client.get("/accounts/two-factor/")
    device = TOTPDevice.objects.get(user=editor, confirmed=False)
    wrong = "000000" if code(device) != "000000" else "111111"
    refused = client.post("/accounts/two-factor/", {"code": wrong})
    assert refused.status_code == 422
    assert "does not match" in refused.content.decode()
    # Each wrong code makes the next wait (django-otp's throttle): even the right one, now.
    throttled = client.post("/accounts/two-factor/", {"code": code(device)})
    assert "Too many wrong codes in a row" in throttled.content.decode()
    TOTPDevice.objects.get(pk=device.pk).throttle_reset()  # the wait, passed
    device, codes = turn_on(client)
    assert device.confirmed and len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/").status_code == 200  # this session passed the step


def test_next_time_the_password_is_followed_by_a_code(client, editor):
    sign_in(client, "editor")
    device, _ = turn_on(client)
    client.logout()
    response = sign_in(client, "editor")
    assert client.get("/").status_code == 302
    assert client.get("/")["Location"].startswith("/accounts/verify/")
    refused = client.post("/accounts/verify/", {"code": "12345678"})
    assert refused.status_code == 422 and "not right" in refused.content.decode()
    TOTPDevice.objects.get(pk=device.pk).throttle_reset()  # the wait the wrong code set, passed
    response = client.post("/accounts/verify/", {"code": code(device, 1), "next": "/claims/"})
    assert response.status_code == 302 and response["Location"] == "/claims/"
    assert client.get("/").status_code == 200


def test_a_recovery_code_works_once(client, editor):
    sign_in(client, "editor")
    _, codes = turn_on(client)
    client.logout()
    sign_in(client, "editor")
    assert client.post("/accounts/verify/", {"code": codes[0]}).status_code == 302
    assert client.get("/").status_code == 200
    client.logout()
    sign_in(client, "editor")
    assert client.post("/accounts/verify/", {"code": codes[0]}).status_code == 422


def test_the_admin_sign_in_page_leads_to_the_same_step(client, admin_user):
    assert sign_in(client, "admin", "/admin/login/").status_code == 302
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/")


def test_a_reviewer_may_turn_it_on_and_is_then_asked_too(client, reviewer):
    sign_in(client, "reviewer")
    assert client.get("/").status_code == 200  # not required of reviewers
    device, _ = turn_on(client)
    client.logout()
    sign_in(client, "reviewer")
    assert client.get("/").status_code == 302
    client.post("/accounts/verify/", {"code": code(device, 1)})
    assert client.get("/").status_code == 200


def test_the_demo_accounts_are_the_exception(client, editor, settings):
    settings.TWO_FACTOR_EXEMPT = ["editor"]
    sign_in(client, "editor")
    assert client.get("/").status_code == 200


def test_the_verify_page_never_sends_anyone_off_site(client, editor):
    sign_in(client, "editor")
    device, _ = turn_on(client)
    client.logout()
    sign_in(client, "editor")
    response = client.post(
        "/accounts/verify/", {"code": code(device, 1), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


# --- Before the code: only the second-factor pages and sign-out (#22, point 2) --------------------


@pytest.fixture
def password_only(client, editor):
    """Someone who has the editor's password but not their authenticator: signed in, the code
    not given. Returns the editor's device."""
    sign_in(client, "editor")
    device, _codes = turn_on(client)
    client.logout()
    sign_in(client, "editor")
    return device


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/accounts/password/", {}),
        (
            "post",
            "/accounts/password/",
            {
                "old_password": PASSWORD,
                "new_password1": "taken over 123",
                "new_password2": "taken over 123",
            },
        ),
        ("get", "/accounts/two-factor/", {}),
        ("post", "/accounts/two-factor/", {"action": "new_codes"}),
        ("post", "/accounts/two-factor/", {"action": "off"}),
        ("get", "/accounts/confirm/", {}),
        ("get", "/api-keys/", {}),
        ("post", "/api-keys/", {"action": "make", "name": "exfiltration"}),
        ("get", "/calendar/", {}),
        ("post", "/calendar/", {}),
        ("get", "/admin/", {}),
        ("get", "/admin/password_change/", {}),
        ("get", "/", {}),
    ],
)
def test_before_the_code_every_other_page_sends_to_the_code(
    client, editor, password_only, method, path, data
):
    """The attack: the password alone reached all of /accounts/, and changed the password
    (locking the owner out) or made new recovery codes to pass the second step with."""
    tokens = set(StaticToken.objects.values_list("token", flat=True))
    response = getattr(client, method)(path, data)
    assert response.status_code == 302, path
    assert response["Location"].startswith("/accounts/verify/?next=")
    editor.refresh_from_db()
    assert editor.check_password(PASSWORD)
    assert set(StaticToken.objects.values_list("token", flat=True)) == tokens
    assert TOTPDevice.objects.filter(user=editor, confirmed=True).exists()
    assert not ApiToken.objects.exists() and not CalendarFeed.objects.exists()


def test_before_the_code_the_code_page_sign_out_and_language_answer(client, editor, password_only):
    assert client.get("/accounts/verify/").status_code == 200
    assert client.post("/accounts/language/", {"language": "es", "next": "/"}).status_code == 302
    assert not Preference.objects.filter(user=editor).exists()  # the account is not changed
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_before_setting_it_up_only_the_set_up_confirm_and_sign_out_answer(client, editor):
    sign_in(client, "editor")
    for path in ("/accounts/password/", "/api-keys/", "/calendar/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(
            "/accounts/two-factor/?next="
        ), path
    assert client.get("/accounts/two-factor/").status_code == 200
    assert client.get("/accounts/confirm/").status_code == 200


# --- Recent confirmation before a change (#22, point 2) -------------------------------------------


def verified(client, editor) -> TOTPDevice:
    """The editor signed in with the code, long enough ago that it is no longer recent."""
    sign_in(client, "editor")
    device, _codes = turn_on(client)
    client.logout()
    sign_in(client, "editor")
    assert client.post("/accounts/verify/", {"code": code(device, 1)}).status_code == 302
    session = client.session
    session[CONFIRMED_KEY] = int(time.time()) - 11 * 60
    session.save()
    # Eleven minutes on, the app shows a code not yet used (each is good once).
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    return TOTPDevice.objects.get(pk=device.pk)


SENSITIVE = {
    "password change": ("get", "/accounts/password/", {}, "/accounts/password/"),
    "API key": (
        "post",
        "/api-keys/",
        {"action": "make", "name": "portal"},
        "/api-keys/?name=portal",
    ),
    "calendar address": ("post", "/calendar/", {}, "/calendar/"),
    "new recovery codes": (
        "post",
        "/accounts/two-factor/",
        {"action": "new_codes"},
        "/accounts/two-factor/",
    ),
    "turning it off": ("post", "/accounts/two-factor/", {"action": "off"}, "/accounts/two-factor/"),
}


def made(editor) -> dict:
    return {
        "API key": ApiToken.objects.filter(user=editor).count(),
        "calendar address": CalendarFeed.objects.filter(user=editor).count(),
        "recovery codes": sorted(StaticToken.objects.values_list("token", flat=True)),
        "app": TOTPDevice.objects.filter(user=editor).count(),
    }


@pytest.mark.parametrize("what", SENSITIVE)
def test_a_change_asks_for_a_code_again_after_ten_minutes(client, editor, what):
    device = verified(client, editor)
    method, path, data, back = SENSITIVE[what]
    before = made(editor)
    response = getattr(client, method)(path, data)
    assert response.status_code == 302
    assert response["Location"] == confirmation_url(back)
    assert made(editor) == before  # nothing was made or removed
    page = client.get(response["Location"])
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.content.decode()
    confirmed = client.post(response["Location"], {"code": code(device), "next": back})
    assert confirmed.status_code == 302 and confirmed["Location"] == back
    assert SecurityEvent.objects.filter(kind="identity_confirmed", user=editor).exists()
    # Now it goes through.
    done = getattr(client, method)(path, data)
    assert done.status_code in (200, 302)
    assert not done.get("Location", "").startswith("/accounts/confirm/")
    if what != "password change":
        assert made(editor) != before


def test_a_wrong_code_confirms_nothing_and_is_logged(client, editor):
    device = verified(client, editor)
    wrong = "000000" if code(device) != "000000" else "111111"
    response = client.post("/accounts/confirm/", {"code": wrong, "next": "/api-keys/"})
    assert response.status_code == 422
    assert "not right" in response.content.decode()
    assert client.post("/api-keys/", {"action": "make", "name": "x"}).status_code == 302
    assert not ApiToken.objects.exists()
    assert SecurityEvent.objects.filter(
        kind="second_factor_failed", user=editor, detail="confirm"
    ).exists()


def test_the_password_is_changed_after_a_recent_code_logged_and_told_by_email(
    client, editor, django_capture_on_commit_callbacks
):
    editor.email = "editor@desk.example"
    editor.save()
    device = verified(client, editor)
    client.post("/accounts/confirm/", {"code": code(device)})
    new = "a new long passphrase 42"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/password/",
            {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
            REMOTE_ADDR="203.0.113.7",
        )
    assert response.status_code == 302
    editor.refresh_from_db()
    assert editor.check_password(new)
    assert SecurityEvent.objects.filter(kind="password_changed", user=editor).exists()
    assert run_worker() == 1
    [notice] = mail.outbox
    assert notice.to == ["editor@desk.example"]
    assert notice.subject == "Your account: Password changed"
    assert "From the address 203.0.113.7." in notice.body
    assert "tell your security officer" in notice.body


def test_without_a_second_factor_the_password_is_asked_again_and_guesses_are_throttled(
    client, reviewer
):
    """A reviewer need not have a second factor: their proof is the password, given at sign-in
    (recent for 10 minutes), then asked again, counted like any sign-in."""
    sign_in(client, "reviewer")
    assert client.post("/api-keys/", {"action": "make", "name": "a"}).status_code == 200
    session = client.session
    session[CONFIRMED_KEY] = int(time.time()) - 11 * 60
    session.save()
    assert client.post("/api-keys/", {"action": "make", "name": "b"})["Location"].startswith(
        "/accounts/confirm/"
    )
    page = client.get("/accounts/confirm/").content.decode()
    assert 'autocomplete="current-password"' in page
    for _ in range(4):
        refused = client.post("/accounts/confirm/", {"password": "wrong"})
        assert refused.status_code == 422 and "not right" in refused.content.decode()
    locked = client.post("/accounts/confirm/", {"password": "wrong"})
    assert locked.status_code == 429  # the fifth: locked out, and signed out
    assert "_auth_user_id" not in client.session
    assert SecurityEvent.objects.filter(kind="sign_in_failed", user=reviewer).count() == 5


def test_turning_it_off_lets_a_reviewer_sign_in_with_the_password_alone(client, reviewer):
    sign_in(client, "reviewer")
    turn_on(client)
    response = client.post("/accounts/two-factor/", {"action": "off"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    assert not StaticDevice.objects.filter(user=reviewer).exists()
    client.logout()
    sign_in(client, "reviewer")
    assert client.get("/").status_code == 200
    kinds = list(SecurityEvent.objects.filter(user=reviewer).values_list("kind", flat=True))
    assert "second_factor_on" in kinds and "second_factor_off" in kinds


def test_an_editor_who_turns_it_off_must_set_it_up_again_at_once(client, editor):
    sign_in(client, "editor")
    turn_on(client)
    client.post("/accounts/two-factor/", {"action": "off"})
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/")


# --- Two-factor devices in the admin ----------------------------------------------------------


def test_an_admin_turns_someones_second_factor_off_after_confirming_and_never_sees_it(
    client, editor, admin_user, settings
):
    settings.TWO_FACTOR_EXEMPT = ["admin"]
    sign_in(client, "editor")
    device, codes = turn_on(client)
    admin = Client()
    admin.force_login(admin_user)
    page = admin.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    assert device.key not in page and device.config_url not in page
    codes_page = admin.get(
        f"/admin/otp_static/staticdevice/{StaticDevice.objects.get(user=editor).pk}/change/"
    ).content.decode()
    assert not any(c in codes_page for c in codes)
    assert admin.get("/admin/otp_totp/totpdevice/add/").status_code == 403
    turn_off = {"action": "turn_off", "_selected_action": [device.pk]}
    session = admin.session
    session[CONFIRMED_KEY] = int(time.time()) - 11 * 60
    session.save()
    asked = admin.post("/admin/otp_totp/totpdevice/", turn_off, follow=True)
    assert "needs a recent confirmation" in asked.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    admin.post("/accounts/confirm/", {"password": PASSWORD})
    admin.post("/admin/otp_totp/totpdevice/", turn_off)
    assert not TOTPDevice.objects.filter(user=editor).exists()
    assert not StaticDevice.objects.filter(user=editor).exists()
    event = SecurityEvent.objects.get(kind="second_factor_off")
    assert (event.user, event.by) == (editor, admin_user)


def test_an_admin_sets_someones_password_only_after_confirming(
    client, editor, admin_user, settings
):
    settings.TWO_FACTOR_EXEMPT = ["admin"]
    admin = Client()
    admin.force_login(admin_user)
    session = admin.session
    session[CONFIRMED_KEY] = int(time.time()) - 11 * 60
    session.save()
    url = f"/admin/auth/user/{editor.pk}/password/"
    assert admin.get(url)["Location"] == confirmation_url(url)
    own = admin.get("/admin/password_change/")
    assert own["Location"] == confirmation_url("/admin/password_change/")
    admin.post("/accounts/confirm/", {"password": PASSWORD})
    new = "set by the admin 2026"
    response = admin.post(url, {"password1": new, "password2": new, "usable_password": "true"})
    assert response.status_code == 302
    editor.refresh_from_db()
    assert editor.check_password(new)
    event = SecurityEvent.objects.get(kind="password_changed")
    assert (event.user, event.by) == (editor, admin_user)
