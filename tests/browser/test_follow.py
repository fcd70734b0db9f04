"""Following a commitment in a real browser: the button swaps in place, no page load."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agreements.models import Follow
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_following_and_unfollowing_swap_the_button_in_place(page, reviewer, commitment):
    sign_in(page, "reviewer", PASSWORD)
    page.goto(f"/commitments/commitment-{commitment.pk}/")
    page.evaluate("window.__marker = 1")  # a full page load would wipe it
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.get_by_text("You follow this commitment.")).to_be_visible()
    assert Follow.objects.filter(user=reviewer, commitment=commitment).exists()
    page.get_by_role("button", name="Stop following").click()
    expect(page.get_by_text("You no longer follow this commitment.")).to_be_visible()
    expect(page.get_by_role("button", name="Follow", exact=True)).to_be_visible()
    assert page.evaluate("window.__marker === 1")
    assert not Follow.objects.exists()
