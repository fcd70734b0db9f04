"""A briefing report printed to PDF by Chromium holds the meeting's commitments, without the
site's chrome; its Print button works with JavaScript and is absent without."""

from __future__ import annotations

import io
import unicodedata

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from agreements.models import Assessment, ComplianceScore, Milestone
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, make_commitment, make_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pdf_text(pdf: bytes) -> tuple[str, int]:
    """The PDF's text and its number of pages. Words are joined by single spaces (lines wrap
    where the paper says) and NFKC-normalised: the fonts set "fl" and "ffi" as ligatures."""
    reader = PdfReader(io.BytesIO(pdf))
    text = unicodedata.normalize("NFKC", " ".join(page.extract_text() for page in reader.pages))
    return " ".join(text.split()), len(reader.pages)


@pytest.fixture
def briefed(meeting, team, us, mexico, reviewer):
    titles = [
        "Halt the flow of fentanyl precursors",
        "Stop firearms trafficking southward",
        "Curb fuel theft along pipelines",
    ]
    commitments = [make_commitment(meeting, parties=[us, mexico], title=t) for t in titles]
    Assessment.objects.create(
        commitment=commitments[0],
        party=mexico,
        score=ComplianceScore.PARTIAL,
        justification="Seizures at ports doubled",
        as_of=meeting.start_date,
        assessed_by=reviewer,
    )
    Milestone.objects.create(
        commitment=commitments[1], title="Joint inspection plan", due_date=meeting.start_date
    )
    meeting.sources.add(make_source(team, title="Readout of the meeting"))
    return {"meeting": meeting, "titles": titles}


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_a_meeting_briefing_prints_to_pdf_with_its_commitments(page, briefed, paper):
    sign_in(page, "reviewer", PASSWORD)
    page.goto(f"/meetings/meeting-{briefed['meeting'].pk}/briefing/")
    text, pages = pdf_text(page.pdf(format=paper))
    for title in briefed["titles"]:
        assert title in text, title
    assert "Mexico" in text
    assert "0 partial compliance or work in progress" in text
    assert "Seizures at ports doubled" in text
    assert "Joint inspection plan" in text  # overdue
    assert "Readout of the meeting" in text  # the sources, at the end
    assert "BRIEFING REPORT" in text  # the kicker, in capitals by the stylesheet
    # The site's chrome is left out of the paper: navigation, who is signed in, the button.
    for chrome in ("Dashboard", "Sign out", "Two-factor", "save it as a PDF"):
        assert chrome not in text, chrome
    assert pages >= 1


def test_the_print_button_opens_the_print_dialog(page, briefed):
    sign_in(page, "reviewer", PASSWORD)
    page.goto(f"/meetings/meeting-{briefed['meeting'].pk}/briefing/")
    page.evaluate("window.print = () => { window.__printed = true; }")  # no dialog headless
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.__printed") is True
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("heading", name=briefed["titles"][0])).to_be_visible()


def test_without_javascript_there_is_no_print_button_but_the_page_reads(
    browser, live_server, briefed
):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, "reviewer", PASSWORD)
        page.goto(f"/meetings/meeting-{briefed['meeting'].pk}/briefing/")
        expect(page.get_by_role("button", name="Print")).to_have_count(0)
        expect(page.get_by_text("with your browser's Print command")).to_be_visible()
        expect(page.get_by_role("heading", name=briefed["titles"][2])).to_be_visible()
    finally:
        context.close()
