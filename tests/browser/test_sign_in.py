"""Signing in, in a real browser, and the pages it reaches being accessible."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations, sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_signs_in_and_lands_on_the_dashboard(page, editor, meeting):
    sign_in(page, "editor", PASSWORD)
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert page.get_by_text(meeting.title).is_visible()


def test_wrong_password_shows_an_error_and_keeps_the_username(page, editor):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("Username").input_value() == "editor"


def test_sign_in_page_and_dashboard_have_no_accessibility_violations(page, editor, meeting):
    page.goto("/accounts/login/")
    assert axe_violations(page) == ""
    sign_in(page, "editor", PASSWORD)
    assert axe_violations(page) == ""
