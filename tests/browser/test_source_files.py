"""Keeping a document with a source, in a real browser (#23): a PDF chosen from the meeting's
page, kept in place (htmx, no reload), then fetched back by its link byte for byte."""

from __future__ import annotations

import hashlib

import pytest
from playwright.sync_api import expect

from agreements.models import SourceFile
from tests.browser.conftest import axe_violations, htmx_settled, sign_in
from tests.conftest import PASSWORD, make_meeting, make_source
from tests.documents import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_editor_keeps_a_pdf_from_the_meeting_page(page, editor, team):
    meeting = make_meeting(team, title="Border security talks")
    source = make_source(team, title="Joint statement")
    meeting.sources.add(source)
    data = make_pdf("Joint statement on fentanyl precursors")
    sign_in(page, "editor", PASSWORD)
    page.goto(f"/meetings/meeting-{meeting.pk}/")
    page.evaluate("window.__marker = 1")
    page.get_by_text("Keep a file with “Joint statement”").click()
    page.get_by_label("File").set_input_files(
        {"name": "Joint statement.pdf", "mimeType": "application/pdf", "buffer": data}
    )
    page.get_by_label("Retrieved on").fill("2025-09-04")
    assert axe_violations(page) == ""
    page.get_by_role("button", name="Keep the file").click()
    link = page.locator("#sources").get_by_role("link", name="Joint statement.pdf")
    expect(link).to_be_visible()
    htmx_settled(page)
    assert page.evaluate("window.__marker") == 1  # kept in place, no full page load
    kept = SourceFile.objects.get()
    assert kept.sha256 == hashlib.sha256(data).hexdigest()
    expect(page.locator("#sources")).to_contain_text(kept.sha256[:12])
    fetched = page.request.get(link.get_attribute("href"))
    assert fetched.status == 200 and fetched.body() == data


def test_a_refused_file_says_why_next_to_the_field(page, editor, team):
    meeting = make_meeting(team, title="Border security talks")
    meeting.sources.add(make_source(team, title="Joint statement"))
    sign_in(page, "editor", PASSWORD)
    page.goto(f"/meetings/meeting-{meeting.pk}/")
    page.get_by_text("Keep a file with “Joint statement”").click()
    page.get_by_label("File").set_input_files(
        {"name": "statement.pdf", "mimeType": "application/pdf", "buffer": b"just words"}
    )
    page.get_by_role("button", name="Keep the file").click()
    error = page.locator("#sources .errorlist")
    expect(error).to_contain_text("By its content this file is: plain text.")
    assert not SourceFile.objects.exists()
