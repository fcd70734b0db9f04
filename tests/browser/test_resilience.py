"""What a browser shows when things go wrong, without JavaScript, and on paper."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agreements.models import Milestone, MilestoneStatus, TeamMembership
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, make_commitment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_failed_request_is_shown_and_typed_text_kept(page, editor, commitment, other_team):
    TeamMembership.objects.create(user=editor, team=other_team, role="editor")
    sign_in(page, "editor", PASSWORD)
    page.goto(f"/commitments/commitment-{commitment.pk}/")
    page.get_by_label("What happened").fill("Seizures rose 20%")
    # Meanwhile an admin takes the editor off this team: the post is now refused (404).
    TeamMembership.objects.filter(user=editor, team=commitment.team).delete()
    page.get_by_role("button", name="Submit for review").click()
    alert = page.locator("#request-error")
    expect(alert).to_contain_text("no longer exists, or is not visible to you (HTTP 404)")
    expect(page.get_by_label("What happened")).to_have_value("Seizures rose 20%")


def test_a_session_that_ended_meanwhile_is_said_and_typed_text_kept(page, editor, commitment):
    sign_in(page, "editor", PASSWORD)
    page.goto(f"/commitments/commitment-{commitment.pk}/")
    page.get_by_label("What happened").fill("Seizures rose 20%")
    # Meanwhile an admin takes the editor off their only team: their sessions end.
    TeamMembership.objects.filter(user=editor).delete()
    page.get_by_role("button", name="Submit for review").click()
    alert = page.locator("#request-error")
    expect(alert).to_contain_text("Your session has ended. Sign in again in a new tab")
    expect(page.get_by_label("What happened")).to_have_value("Seizures rose 20%")


@pytest.fixture
def page_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_everything_works_without_javascript(page_without_javascript, editor, commitment, meeting):
    page = page_without_javascript
    make_commitment(meeting, title="Stop guns", theme="arms")
    milestone = Milestone.objects.create(
        commitment=commitment, title="First report", due_date=meeting.start_date
    )
    sign_in(page, "editor", PASSWORD)
    page.goto("/commitments/")
    page.get_by_label("Theme").select_option("arms")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**theme=arms**")
    expect(page.locator("#commitment-table").get_by_text(commitment.title)).to_have_count(0)
    page.goto(f"/commitments/commitment-{commitment.pk}/")
    page.get_by_role("switch", name="First report").click()
    page.get_by_text("“First report” done.").wait_for()  # the message after the redirect
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.DONE
    page.goto("/meetings/new/")
    page.get_by_label("Title:", exact=True).first.fill("Typed title")
    page.get_by_role("button", name="Add commitment").click()
    expect(page.locator("fieldset.commitment-row")).to_have_count(2)
    expect(page.get_by_label("Title:", exact=True).first).to_have_value("Typed title")


def test_printed_pages_leave_out_navigation_and_controls(page, editor, commitment):
    sign_in(page, "editor", PASSWORD)
    page.goto("/commitments/")
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.locator("form.filters")).to_be_hidden()
    expect(page.get_by_role("link", name=commitment.title)).to_be_visible()
