"""Every page and the admin run under the Content-Security-Policy without one violation: no
inline script, no eval, no inline style, nothing from elsewhere (the policy is in settings)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from agreements.models import Claim, Commitment, ImplementationBody, Meeting, Source
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Recorded by the page itself, from its first script on: the browser's own report of each
# blocked script, style, image or frame.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def paths(records) -> list[str]:
    meeting, commitment = records[Meeting], records[Commitment]
    body, claim, source = records[ImplementationBody], records[Claim], records[Source]
    return [
        "/",
        "/meetings/",
        meeting.get_absolute_url(),
        "/meetings/new/",
        f"/meetings/meeting-{meeting.pk}/edit/",
        "/commitments/",
        commitment.get_absolute_url(),
        "/bodies/",
        body.get_absolute_url(),
        "/claims/",
        "/reviews/",
        "/search/?q=seizures",
        f"/history/commitment-{commitment.pk}/",
        "/admin/",
        reverse("admin:agreements_meeting_changelist"),
        reverse("admin:agreements_meeting_change", args=[meeting.pk]),
        reverse("admin:agreements_commitment_change", args=[commitment.pk]),
        reverse("admin:agreements_claim_change", args=[claim.pk]),
        reverse("admin:agreements_source_add"),
        reverse("admin:agreements_source_change", args=[source.pk]),
        reverse("admin:auth_user_changelist"),
        "/accounts/two-factor/",  # its QR code is a data: image
    ]


def test_no_page_breaks_the_content_security_policy(page, admin_user, records):
    page.add_init_script(LISTEN)
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security" in m.text else None)
    sign_in(page, "admin", PASSWORD)
    broken = {}
    for path in paths(records):
        response = page.goto(path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        if found := page.evaluate("window.__violations"):
            broken[path] = found
    assert broken == {}
    assert console == []


def test_a_violation_would_be_seen(page, admin_user, records):
    """The listener works: a script injected inline is blocked and reported."""
    page.add_init_script(LISTEN)
    sign_in(page, "admin", PASSWORD)
    page.goto("/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
        " document.body.append(s); }"
    )
    for _ in range(50):  # page.evaluate runs outside the page's CSP; wait_for_function not
        if page.evaluate("window.__violations.length"):
            break
        page.wait_for_timeout(100)
    assert page.evaluate("window.__violations") == ["script-src-elem blocked inline"]
    assert page.evaluate("window.x") is None
