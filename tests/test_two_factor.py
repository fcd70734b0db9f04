"""Two-factor sign-in (security 2): an authenticator app with recovery codes, that anyone can
turn on and that admins and editors must use, the demo's accounts aside."""

from __future__ import annotations

import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from .conftest import PASSWORD


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
