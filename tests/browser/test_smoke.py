"""Chromium loads the site: the browser harness itself works."""

import pytest

pytestmark = pytest.mark.browser


def test_home_page_renders_in_chromium(page):
    page.goto("/")
    assert page.locator("h1").inner_text().startswith("Who receives student data")
    assert page.locator("a.skip-link").get_attribute("href") == "#main"
