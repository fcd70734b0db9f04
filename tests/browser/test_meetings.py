"""Recording a meeting in a real browser: commitment rows added in place."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agreements.models import Meeting
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_recording_a_meeting_with_rows_added_in_place(page, editor, us, mexico):
    sign_in(page, "editor", PASSWORD)
    page.goto("/meetings/new/")
    page.evaluate("window.__marker = 1")
    page.get_by_label("Title:", exact=True).first.fill("Border security talks")
    page.get_by_label("Start date").fill("2025-09-03")
    page.get_by_label("Outcome type").select_option("reaffirmation")
    page.get_by_role("checkbox", name="Mexico").check()
    page.get_by_role("checkbox", name="United States").check()

    rows = page.locator("fieldset.commitment-row")
    rows.nth(0).get_by_label("Title").fill("Halt fentanyl")
    rows.nth(0).get_by_label("Theme").select_option("drugs")
    rows.nth(0).get_by_label("Text").fill("Disrupt shipments of fentanyl")
    rows.nth(0).get_by_label("Mexico").select_option("committed")

    page.get_by_role("button", name="Add commitment").click()
    rows.nth(1).wait_for()
    assert page.evaluate("window.__marker") == 1  # no full page load
    second = rows.nth(1)
    expect(second.get_by_label("Title")).to_be_focused()  # htmx honours autofocus after settling
    second.get_by_label("Title").fill("Stop guns")
    second.get_by_label("Theme").select_option("arms")
    second.get_by_label("Text").fill("Stop firearms moving south")
    second.get_by_label("United States").select_option("committed")
    expect(page.locator("#id_commitments-TOTAL_FORMS")).to_have_value("2")

    page.get_by_role("button", name="Add commitment").click()  # a third row, left empty
    rows.nth(2).wait_for()
    page.get_by_role("button", name="Save meeting").first.click()
    page.get_by_role("heading", name="Border security talks").wait_for()
    assert page.get_by_text("Meeting “Border security talks” saved.").is_visible()
    assert page.get_by_role("link", name="Halt fentanyl").is_visible()
    assert page.get_by_role("link", name="Stop guns").is_visible()
    meeting = Meeting.objects.get()
    assert meeting.commitments.count() == 2
