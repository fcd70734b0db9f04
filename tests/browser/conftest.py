"""Headless Chromium through Playwright, against pytest-django's live_server.

Debian's Chromium is used (never a downloaded browser). Where it is missing the browser tests are
skipped with a printed reason, except under CI (CI=true), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; the live server's database setup
# is synchronous Django code, which Django would otherwise refuse to run there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )


def pytest_collection_modifyitems(config, items):
    if chromium_path():
        return
    if os.environ.get("CI"):
        # CI must run the browser tests; failing here beats a green run that skipped them.
        raise pytest.UsageError("CI is set but Chromium is not installed: apt-get install chromium")
    reason = "Chromium is not installed (apt-get install chromium): browser tests skipped"
    print(f"\n*** {reason} ***")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def htmx_settled(page) -> None:
    """Wait until htmx has swapped, processed and settled what it fetched: typing into content
    it has not processed yet would go unheard (a race of milliseconds a person never wins)."""
    from playwright.sync_api import expect

    # A locator, not wait_for_function: that evaluates a string, which the CSP forbids.
    busy = page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")
    expect(busy).to_have_count(0)


def open_every_disclosure(page) -> None:
    """Open every ``<details>`` on the page and wait for the forms fetched on opening."""
    from playwright.sync_api import expect

    for summary in page.locator("details > summary").all():
        summary.click()
    expect(page.locator("details[open] .form-slot:not(:has(form))")).to_have_count(0)
    htmx_settled(page)


def axe_violations(page) -> str:
    """Run axe-core (WCAG 2.1 A and AA rules) on the page; return a report of violations, or ''."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
        },
    )
    return "" if results.violations_count == 0 else results.generate_report()
