"""A meeting's long sections in a real browser: "Show more" appends the next commitments in
place, and a section's next page is swapped in place, with no full page load."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agreements.models import Participant, Person
from agreements.views import meeting_sections, meetings
from tests.browser.conftest import axe_violations, htmx_settled, sign_in
from tests.conftest import PASSWORD, make_commitment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_show_more_appends_the_next_commitments_and_a_section_pages_in_place(
    page, reviewer, team, meeting, us, monkeypatch
):
    monkeypatch.setattr(meetings, "COMMITMENTS_SHOWN", 3)
    monkeypatch.setattr(meeting_sections, "SECTION_SHOWN", 2)
    for n in range(1, 8):
        make_commitment(meeting, title=f"Row {n}", position=n)
    for n in range(1, 4):
        person = Person.objects.create(team=team, name=f"Delegate {n}")
        Participant.objects.create(meeting=meeting, person=person, party=us, office="Envoy")
    sign_in(page, "reviewer", PASSWORD)
    page.goto(meeting.get_absolute_url())
    page.evaluate("window.__marker = 1")
    rows = page.locator("#commitments li strong")
    expect(rows).to_have_count(3)
    assert axe_violations(page) == ""
    page.get_by_role("link", name="Show more commitments").click()
    expect(rows).to_have_count(6)
    expect(page.locator("#commitments-more")).to_contain_text("Showing 1–6 of 7")
    page.get_by_role("link", name="Show more commitments").click()
    expect(rows).to_have_count(7)
    expect(page.locator("#commitments")).not_to_contain_text("Show more")
    htmx_settled(page)
    participants = page.locator("#participants")
    participants.get_by_role("link", name="Next").click()
    expect(participants).to_contain_text("Delegate 3")
    expect(participants).not_to_contain_text("Delegate 1")
    assert page.evaluate("window.__marker") == 1  # no full page load
    assert "participants_page=2" in page.url  # a reload shows the same page
    assert axe_violations(page) == ""
