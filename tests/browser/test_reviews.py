"""A reviewer approves an update in place, and the commitment's official status follows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agreements.actions import submit_update
from agreements.models import ImplementationStatus
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, make_commitment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_returns_one_update_and_approves_another_in_place(
    page, editor, reviewer, commitment
):
    first = submit_update(commitment=commitment, author=editor, narrative="Vague news")
    submit_update(
        commitment=commitment, author=editor, narrative="Seizures rose 20%", proposed_status=2
    )
    sign_in(page, "reviewer", PASSWORD)
    page.goto("/reviews/")
    page.evaluate("window.__marker = 1")
    expect(page.locator("#review-count")).to_have_text("2 updates waiting, oldest first")
    item = page.locator(f"#review-{first.pk}")
    item.get_by_role("button", name="Return for revision").click()
    expect(item.get_by_text("Say what to revise when returning an update.")).to_be_visible()
    item.get_by_label("Comment").fill("Which figures? Cite them.")
    item.get_by_role("button", name="Return for revision").click()
    expect(page.get_by_text("Returned to its author")).to_be_visible()
    expect(page.locator("#review-count")).to_have_text("1 update waiting, oldest first")
    second = page.locator("li.review").nth(1)
    second.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Approved: update on")).to_be_visible()
    expect(page.locator("#review-count")).to_have_text("0 updates waiting, oldest first")
    assert page.evaluate("window.__marker") == 1
    commitment.refresh_from_db()
    assert commitment.status == ImplementationStatus.INTERMEDIATE
    page.goto(f"/commitments/commitment-{commitment.pk}/")
    expect(page.get_by_text("Which figures? Cite them.")).to_be_visible()


def test_a_decided_row_shows_the_decision_its_badge_and_the_new_status(
    page, editor, reviewer, commitment
):
    update = submit_update(
        commitment=commitment, author=editor, narrative="Seizures rose 20%", proposed_status=2
    )
    sign_in(page, "reviewer", PASSWORD)
    page.goto("/reviews/")
    row = page.locator(f"#review-{update.pk}")
    expect(row.locator(".badge.state-submitted")).to_have_text("Submitted")
    row.get_by_role("button", name="Approve").click()
    expect(row.get_by_text("Approved: update on")).to_be_visible()
    expect(row.locator(".badge.state-approved")).to_have_text("Approved")
    expect(row.locator(".badge.state-submitted")).to_have_count(0)
    expect(row.locator(".badge.status-2")).to_have_text("Intermediate")
    expect(row.get_by_role("button", name="Approve")).to_have_count(0)


def test_show_more_appends_the_next_updates_in_place_and_they_are_decided_there(
    page, editor, reviewer, meeting
):
    """The queue shows 25 updates; "Show more updates" appends the rest under them without a
    reload, and a decision on an appended row answers in place as on the first ones."""
    updates = [
        submit_update(commitment=make_commitment(meeting), author=editor, narrative=f"News {n}")
        for n in range(27)
    ]
    sign_in(page, "reviewer", PASSWORD)
    page.goto("/reviews/")
    page.evaluate("window.__marker = 1")
    expect(page.locator("li.review")).to_have_count(25)
    page.get_by_role("link", name="Show more updates").click()
    expect(page.locator("li.review")).to_have_count(27)
    expect(page.get_by_role("link", name="Show more updates")).to_have_count(0)
    last = page.locator(f"#review-{updates[-1].pk}")
    last.get_by_role("button", name="Approve").click()
    expect(last.get_by_text("Approved: update on")).to_be_visible()
    expect(page.locator("#review-count")).to_have_text("26 updates waiting, oldest first")
    assert page.evaluate("window.__marker") == 1
