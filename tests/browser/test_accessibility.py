"""axe-core (WCAG 2.1 A and AA) finds nothing on any page, signed in as staff, with the demo."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import OperationalError
from django.db.models import Count

from agreements.actions import submit_update
from agreements.models import ApiToken, Commitment, Meeting, Party
from tests.browser.conftest import axe_violations, open_every_disclosure, sign_in
from tests.conftest import PASSWORD

User = get_user_model()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def every_page() -> list[str]:
    meeting = Meeting.objects.get(title="U.S.–Mexico security meeting")
    body = meeting.bodies.get()
    # The sample desk's busiest commitment: updates, status changes, milestones moved and
    # met, assessments; and its meeting, briefing and a synthetic party's briefing.
    sample = (
        Commitment.objects.filter(team__slug="sample-desk")
        .annotate(updates=Count("progress_updates"))
        .order_by("-updates", "pk")
        .first()
    )
    return [
        "/",
        "/?as_of=2025-10-01",  # the dashboard as it stood on a past day
        "/meetings/",
        f"/meetings/meeting-{meeting.pk}/",
        f"/meetings/meeting-{meeting.pk}/?as_of=2025-10-01",  # as it stood on a past day
        "/meetings/new/",
        f"/meetings/meeting-{meeting.pk}/edit/",
        "/commitments/",
        "/commitments/?theme=drugs&sort=-title",
        "/commitments/?as_of=2025-10-01&sort=-status",
        f"/commitments/commitment-{meeting.commitments.order_by('position').first().pk}/",
        "/bodies/",
        f"/bodies/body-{body.pk}/",
        "/claims/",
        "/milestones/",
        "/calendar/",
        "/api-keys/",
        "/reviews/",
        "/search/?q=fentanyl",
        f"/history/meeting-{meeting.pk}/",
        f"/meetings/meeting-{meeting.pk}/briefing/",
        f"/meetings/meeting-{meeting.pk}/briefing/?as_of=2025-10-01",
        f"/bodies/body-{body.pk}/briefing/",
        f"/parties/party-{Party.objects.get(code='MX').pk}/briefing/",
        f"/parties/party-{Party.objects.get(code='MX').pk}/briefing/?as_of=2025-10-01",
        f"/meetings/meeting-{sample.meeting_id}/",
        f"/commitments/commitment-{sample.pk}/",
        f"/history/commitment-{sample.pk}/",
        f"/meetings/meeting-{sample.meeting_id}/briefing/",
        f"/parties/party-{sample.party_roles.first().party_id}/briefing/",
        f"/meetings/compare/?meetings={meeting.pk}&meetings={sample.meeting_id}",
    ]


def test_every_page_has_no_accessibility_violations(page):
    call_command("load_demo", stdout=io.StringIO())
    page.goto("/accounts/login/")
    assert axe_violations(page) == ""
    sign_in(page, "staff", "demo")
    for path in every_page():
        page.goto(path)
        open_every_disclosure(page)  # so the forms inside are checked too
        assert axe_violations(page) == "", path


def test_every_page_fits_a_phone(page):
    call_command("load_demo", stdout=io.StringIO())
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "staff", "demo")
    for path in every_page():
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"


def test_review_queue_with_an_update_has_no_violations(page):
    call_command("load_demo", stdout=io.StringIO())
    commitment = Commitment.objects.get(title="Halt fentanyl and other illicit drug flows")
    submit_update(
        commitment=commitment,
        author=User.objects.get(username="staff"),
        narrative="Seizures of fentanyl precursors rose",
        proposed_status=1,
    )
    sign_in(page, "reviewer", "demo")
    for path in ("/reviews/", f"/commitments/commitment-{commitment.pk}/"):
        page.goto(path)
        open_every_disclosure(page)
        assert axe_violations(page) == "", path


@pytest.mark.parametrize(
    "failure, status",
    [(ZeroDivisionError("a bug"), 500), (OperationalError("connection refused"), 503)],
)
def test_the_error_pages_have_no_violations_and_fit_a_phone(
    page, editor, monkeypatch, failure, status
):
    """The pages a failed request gets (a bug: 500; the database gone: 503), with what was sent
    shown back to copy, on a phone."""

    def fail(*args, **kwargs):
        raise failure

    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "editor", PASSWORD)
    monkeypatch.setattr(ApiToken, "issue", fail)
    page.goto("/api-keys/")
    page.get_by_label("What it is for").fill("the-ministry's-data-portal-on-a-rather-long-line")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Make the key").click()
    assert answer.value.status == status
    assert "the-ministry's-data-portal-on-a-rather-long-line" in page.inner_text(".typed")
    assert axe_violations(page) == ""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the {status} page scrolls sideways by {overflow}px on a phone"
