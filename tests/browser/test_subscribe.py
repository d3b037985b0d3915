"""Following changes by e-mail in Chromium: by keyboard alone, with visible focus, and without WCAG violations.

The confirmation e-mail is read back from the SMTP server on loopback; its link is opened in the browser.
"""

import re

import pytest
from playwright.sync_api import Page

from tests import factories
from tests.browser.wcag import wcag_violations
from tests.conftest import in_app
from tests.smtp import smtp_server  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://[^/\s]+((?:/es)?/follow/(?:confirm|manage|unsubscribe)/[A-Za-z0-9._-]+)")


@pytest.fixture
def product(app) -> str:
    with in_app(app):
        vendor = factories.make_vendor(name="Acme Learning")
        school = factories.make_school(name="Adams Elementary")
        element = factories.make_element(name="Reading level")
        return factories.make_product(vendor, name="Reading Coach", elements=[element], schools=[school]).slug


def tab_to(page: Page, selector: str, presses: int = 120) -> None:
    """Press Tab until the element is focused; fails when it never is, or shows no focus."""
    target = page.locator(selector)
    for _ in range(presses):
        if target.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    assert target.evaluate("el => el === document.activeElement"), f"{selector} is not reachable by Tab"
    assert target.evaluate("el => getComputedStyle(el).outlineStyle") != "none", f"no visible focus on {selector}"


def links_in(message) -> dict[str, str]:
    paths = LINK.findall(message.get_body(("plain",)).get_content())
    return {path.split("/follow/")[1].split("/")[0]: path for path in paths}


@pytest.mark.parametrize("prefix", ["", "/es"], ids=["english", "spanish"])
def test_following_a_product_by_keyboard_alone(page, smtp_server, product, prefix):  # noqa: F811 - the fixture
    page.goto(f"{prefix}/products/{product}")
    tab_to(page, "#follow-product-email")
    page.keyboard.type("not an address")
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_url(f"**{prefix}/follow")
    found = wcag_violations(page, page.url)
    assert page.locator(".field__error").count() == 1
    assert page.locator("#email").input_value() == "not an address", "the form keeps what was typed"
    tab_to(page, "#email")
    page.keyboard.press("Control+A")
    page.keyboard.type("parent@example.org")
    tab_to(page, "#submit")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{prefix}/follow/sent")
    found += wcag_violations(page, page.url)
    assert len(page.locator("h1").all()) == 1

    [confirmation] = smtp_server.to("parent@example.org")
    links = links_in(confirmation)
    page.goto(links["confirm"])
    found += wcag_violations(page, page.url)
    tab_to(page, "main [type=submit]")
    with page.expect_navigation():  # the page is loaded already: wait for the answer to the form
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() in ("Subscription confirmed", "Suscripción confirmada")
    found += wcag_violations(page, page.url)

    page.goto(links["manage"])
    found += wcag_violations(page, page.url)
    tab_to(page, "#language")
    page.goto(links["manage"].replace("/manage/", "/unsubscribe/"))
    found += wcag_violations(page, page.url)
    tab_to(page, "main [type=submit]")
    with page.expect_navigation():  # the page is loaded already: wait for the answer to the form
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() in ("You are unsubscribed", "Se dio de baja")
    found += wcag_violations(page, page.url)
    assert found == []
