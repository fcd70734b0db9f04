"""Time, in the browser (issue #21, point 7): staff enter a 2021 meeting whose commitment was
carried out in 2022, through the pages; the reviewer approves; the commitment reads Complete
since its 2022 day; the dashboard on 31 Dec 2021 shows it not started; the meeting's chart
steps up in 2022; its briefing prints the chart."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agreements.models import Meeting
from tests.browser.conftest import htmx_settled, sign_in
from tests.browser.test_whole_meeting import pick
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_past_meeting_carried_out_a_year_later_reads_right_on_every_day(
    page, editor, reviewer, us, mexico
):
    sign_in(page, "editor", PASSWORD)
    page.goto("/meetings/new/")
    htmx_settled(page)
    page.get_by_label("Title:", exact=True).first.fill("High-Level Security Dialogue")
    page.get_by_label("Start date").fill("2021-10-08")
    page.get_by_label("City").fill("Mexico City")
    page.get_by_label("Outcome type").select_option("joint_statement")
    pick(page, page, "Parties", "united", "United States")
    pick(page, page, "Parties", "mex", "Mexico")
    row = page.locator("fieldset.commitment-row").nth(0)
    row.get_by_label("Title").fill("Bicentennial Framework working groups")
    row.get_by_label("Theme").select_option("drugs")
    row.get_by_label("Text").fill("Set up the Framework's working groups")
    row.get_by_label("United States").select_option("joint")
    row.get_by_label("Mexico").select_option("joint")
    page.get_by_role("button", name="Save meeting").first.click()
    page.get_by_role("heading", name="High-Level Security Dialogue").wait_for()
    meeting = Meeting.objects.get(title="High-Level Security Dialogue")
    commitment = meeting.commitments.get()

    # The progress, a year after the meeting, entered today.
    page.goto(commitment.get_absolute_url())
    page.get_by_label("Day of the progress").fill("2022-06-15")
    page.get_by_label("What happened").fill("The working groups met for the first time.")
    page.get_by_label("Proposed status").select_option("3")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("The working groups met for the first time.").first).to_be_visible()

    page.context.clear_cookies()
    sign_in(page, "reviewer", PASSWORD)
    page.goto("/reviews/")
    page.get_by_role("button", name="Approve").first.click()
    expect(page.get_by_text("Approved: update on").first).to_be_visible()

    page.goto(commitment.get_absolute_url())
    expect(page.locator(".badge.status-3").first).to_have_text("Complete")
    expect(page.get_by_text("since 15 Jun 2022")).to_be_visible()

    # The dashboard on the last day of 2021: the commitment had not started.
    page.goto("/")
    page.get_by_label("Show as of").fill("2021-12-31")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_text("As it stood on 31 December 2021")).to_be_visible()
    expect(page.locator("p.stat")).to_have_text("0%")
    status_rows = page.locator("table.data", has_text="Commitments by implementation status")
    expect(status_rows.get_by_role("row", name="Not started 1")).to_be_visible()

    # The meeting's chart steps up in 2022: its table, and the picture drawn.
    page.goto(meeting.get_absolute_url())
    chart = page.locator("#over-time figure.chart")
    expect(chart.get_by_role("row", name="Q1 2022 0%")).to_be_visible()
    expect(chart.get_by_role("row", name="Q2 2022 100%")).to_be_visible()
    image = chart.get_by_role("img")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") > 0

    # Its briefing prints the chart.
    page.goto(f"/meetings/meeting-{meeting.pk}/briefing/")
    page.emulate_media(media="print")
    printed = page.locator("figure.chart")
    expect(printed.get_by_role("img")).to_be_visible()
    assert printed.get_by_role("img").evaluate("img => img.complete && img.naturalWidth") > 0
    expect(printed.get_by_role("row", name="Q2 2022 100%")).to_be_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
