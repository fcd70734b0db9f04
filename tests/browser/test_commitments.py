"""Commitment pages in a real browser: htmx swaps without a full page load."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from agreements.actions import submit_draft, submit_update
from agreements.models import Milestone, MilestoneStatus, ProgressUpdate
from tests.browser.conftest import axe_violations, htmx_settled, sign_in
from tests.conftest import PASSWORD, make_body, make_commitment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def mark_page(page) -> None:
    """Leave a marker on the window: a full page load would wipe it."""
    page.evaluate("window.__marker = 1")


def still_same_page(page) -> bool:
    return page.evaluate("window.__marker === 1")


def test_filtering_updates_the_table_and_the_url_without_reloading(page, editor, meeting):
    make_commitment(meeting, title="Halt fentanyl", theme="drugs")
    make_commitment(meeting, title="Stop guns", theme="arms")
    sign_in(page, "editor", PASSWORD)
    page.goto("/commitments/")
    mark_page(page)
    page.get_by_label("Theme").select_option("arms")
    page.wait_for_url("**/commitments/?*theme=arms*")
    table = page.locator("#commitment-table")
    expect(table.get_by_text("Halt fentanyl")).to_have_count(0)
    expect(table.get_by_text("Stop guns")).to_be_visible()
    assert still_same_page(page)
    page.get_by_label("Search").fill("fent")
    page.get_by_label("Theme").select_option("")
    page.wait_for_url("**q=fent**")
    expect(table.get_by_text("Stop guns")).to_have_count(0)
    expect(table.get_by_text("Halt fentanyl")).to_be_visible()
    assert still_same_page(page)
    page.reload()  # the pushed URL shows the same list
    expect(page.get_by_label("Search")).to_have_value("fent")
    expect(table.get_by_text("Stop guns")).to_have_count(0)


def test_ticking_a_milestone_in_place_and_the_dashboard_reflects_it(page, editor, commitment):
    today = timezone.localdate()
    commitment.meeting.start_date = today - datetime.timedelta(days=40)
    commitment.meeting.save(update_fields=["start_date"])
    Milestone.objects.create(
        commitment=commitment,
        title="Joint statistics published",
        due_date=today - datetime.timedelta(days=3),
    )
    sign_in(page, "editor", PASSWORD)
    dashboard = page.get_by_role("region", name="Milestones overdue")
    assert page.get_by_text("Joint statistics published").is_visible()
    page.goto(f"/commitments/commitment-{commitment.pk}/")
    mark_page(page)
    switch = page.get_by_role("switch", name="Joint statistics published")
    assert switch.get_attribute("aria-checked") == "false"
    switch.click()
    page.get_by_text("“Joint statistics published” done.").wait_for()
    assert (
        page.get_by_role("switch", name="Joint statistics published").get_attribute("aria-checked")
        == "true"
    )
    assert still_same_page(page)
    assert Milestone.objects.get().status == MilestoneStatus.DONE
    page.goto("/")
    assert dashboard.get_by_text("Joint statistics published").count() == 0


def test_posting_a_progress_update_shows_it_in_the_timeline(page, editor, reviewer, commitment):
    sign_in(page, "editor", PASSWORD)
    page.goto(f"/commitments/commitment-{commitment.pk}/")
    mark_page(page)
    page.get_by_role("button", name="Submit for review").click()  # empty: the browser refuses it
    narrative = page.get_by_label("What happened")
    assert narrative.evaluate("element => element.validity.valueMissing")
    assert not ProgressUpdate.objects.exists()
    page.get_by_label("Proposed status").select_option("2")
    page.get_by_label("What happened").fill("Seizures of precursors rose 20%")
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Progress update submitted for review.").wait_for()
    timeline = page.get_by_role("region", name="Timeline")
    assert timeline.get_by_text("Seizures of precursors rose 20%").is_visible()
    assert page.get_by_text("Proposed: Intermediate").count() == 0  # header not re-rendered
    assert still_same_page(page)
    assert ProgressUpdate.objects.get().proposed_status == 2


def test_a_new_date_opens_and_is_saved_in_place_without_a_page_load(page, editor, commitment):
    """The page draws the form closed and empty: opening it fetches it, a refused date comes
    back next to its field with what was typed, and the saved one shows, all on one page."""
    today = timezone.localdate()
    commitment.meeting.start_date = today - datetime.timedelta(days=40)
    commitment.meeting.save(update_fields=["start_date"])
    Milestone.objects.create(
        commitment=commitment, title="Joint report", due_date=today + datetime.timedelta(days=3)
    )
    sign_in(page, "editor", PASSWORD)
    page.goto(f"/commitments/commitment-{commitment.pk}/")
    mark_page(page)
    moved = page.locator("details.reschedule")
    expect(moved.locator("form")).to_have_count(0)  # not drawn until opened
    moved.locator("summary").click()
    expect(moved.locator("form")).to_be_visible()
    htmx_settled(page)
    moved.get_by_label("Reason").fill("The talks resumed late")
    moved.get_by_role("button", name="Move the date").click()  # no date: refused
    htmx_settled(page)
    moved = page.locator("details.reschedule")
    expect(moved.locator(".errorlist")).to_be_visible()
    expect(moved.get_by_label("Reason")).to_have_value("The talks resumed late")
    moved.locator("input[name=to_date]").fill((today + datetime.timedelta(days=60)).isoformat())
    moved.get_by_role("button", name="Move the date").click()
    expect(page.locator(".moves li")).to_contain_text("The talks resumed late")
    assert still_same_page(page)


def test_commitment_pages_have_no_accessibility_violations(page, editor, commitment):
    Milestone.objects.create(
        commitment=commitment, title="Step", due_date=commitment.meeting.start_date
    )
    sign_in(page, "editor", PASSWORD)
    page.goto("/commitments/")
    assert axe_violations(page) == ""
    page.goto(f"/commitments/commitment-{commitment.pk}/")
    assert axe_violations(page) == ""


def test_flags_show_as_badges_on_the_list_and_the_page(page, editor, meeting):
    commitment = make_commitment(
        meeting, title="Curb fuel theft", is_stalled=True, target_date=datetime.date(2025, 10, 1)
    )
    sign_in(page, "editor", PASSWORD)
    for url in ("/commitments/", f"/commitments/commitment-{commitment.pk}/"):
        page.goto(url)
        expect(page.locator("main .badge.warn").first).to_have_text("Stalled")
        expect(page.locator("main .badge.danger").first).to_have_text("Overdue")
        expect(page.get_by_text("<span", exact=False)).to_have_count(0)


def test_a_refused_action_keeps_its_section_and_says_why(page, editor, commitment):
    draft = submit_update(commitment=commitment, author=editor, narrative="Draft", draft=True)
    sign_in(page, "editor", PASSWORD)
    page.goto(f"/commitments/commitment-{commitment.pk}/")
    mark_page(page)
    page.get_by_label("What happened").fill("Typed, not yet sent")
    submit_draft(update=draft, by=editor)  # meanwhile, from another tab
    page.get_by_role("button", name="Submit this draft for review").click()
    area = page.locator("#update-area")
    expect(area.get_by_role("alert")).to_have_text("Only a draft can be submitted.")
    expect(area.get_by_role("heading", name="Post a progress update")).to_be_visible()
    expect(area.get_by_text("Draft", exact=True).first).to_be_visible()  # the timeline stays
    expect(page.get_by_label("What happened")).to_have_value("Typed, not yet sent")
    assert still_same_page(page)


def test_picking_a_body_by_typing_filters_the_list(page, editor, meeting):
    fentanyl = make_commitment(meeting, title="Halt fentanyl", theme="drugs")
    make_commitment(meeting, title="Stop guns", theme="arms")
    body = make_body(meeting, name="Security Implementation Group")
    body.commitments.add(fentanyl)
    make_body(meeting, name="Migration working group")
    sign_in(page, "editor", PASSWORD)
    page.goto("/commitments/")
    mark_page(page)
    lists = []
    page.on(
        "request", lambda r: "_pick" not in r.url and "/commitments/?" in r.url and lists.append(r)
    )
    page.get_by_label("Body: type to find").fill("secur")
    select = page.locator("#id_body")
    expect(select.locator("option", has_text="Security Implementation Group")).to_have_count(1)
    expect(select.locator("option", has_text="Migration")).to_have_count(0)
    page.get_by_label("Body: type to find").blur()  # its "change" is the search box's own
    htmx_settled(page)
    assert lists == []  # typing to find did not reload the list
    select.select_option(f"body-{body.pk}")  # as the API and the open data name it
    page.wait_for_url(f"**body=body-{body.pk}**")
    table = page.locator("#commitment-table")
    expect(table.get_by_text("Stop guns")).to_have_count(0)
    expect(table.get_by_text("Halt fentanyl")).to_be_visible()
    assert still_same_page(page)
    assert axe_violations(page) == ""


def test_earlier_events_of_a_long_timeline_come_in_place(page, editor, commitment):
    """The timeline's next events are fetched into the list where the link was, newest
    first, without a page load; once the oldest is shown no link is left."""
    from agreements.views.commitment_timeline import PAGE
    from tests.conftest import make_status_change

    for i in range(PAGE + 3):
        make_status_change(commitment, reason=f"Change number {i}")
    sign_in(page, "editor", PASSWORD)
    page.goto(f"/commitments/commitment-{commitment.pk}/")
    mark_page(page)
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline.get_by_text("Change number 0", exact=True)).to_have_count(0)
    timeline.get_by_role("link", name="Show 3 earlier events").click()
    expect(timeline.get_by_text("Change number 0", exact=True)).to_be_visible()
    htmx_settled(page)
    items = timeline.locator("ol.timeline > li").all_inner_texts()
    assert len(items) == PAGE + 3 and "Change number 2" in items[-3]  # newest first
    expect(timeline.get_by_role("link", name="earlier event")).to_have_count(0)
    assert still_same_page(page)
