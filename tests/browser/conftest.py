"""Playwright driving Debian's Chromium against the live test server."""

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.oidc_provider import provider  # noqa: F401 - re-exported fixture

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Assertions wait as long as actions do (`page.set_default_timeout` below), not Playwright's 5 s: in CI both
# suites share two cores, and a page's script answering after its fetch (the intake's "what the district
# already knows") once took longer than 5 s there.
EXPECT_TIMEOUT_MS = 10_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(EXPECT_TIMEOUT_MS)
    yield page
    context.close()
