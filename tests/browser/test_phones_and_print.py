"""Phones and print in Chromium: the directory's results first with its filters one tap away (with and
without JavaScript), the reports' charts readable at 375 px and unclipped at 1280 px, no page that
scrolls sideways at 375 px (public, staff and vendor), and a printed page that names the district."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from clearinghouse.settings.services import ensure_settings
from tests.browser.test_accessibility import demo, sign_in  # noqa: F401 - the demo fixture
from tests.conftest import in_app

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def phone(browser: Browser, live_server) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _above(page: Page, first: str, second: str) -> bool:
    return page.locator(first).bounding_box()["y"] < page.locator(second).bounding_box()["y"]


@pytest.mark.parametrize("prefix", ["", "/es"], ids=["english", "spanish"])
def test_on_a_phone_the_directory_shows_results_first_with_filters_one_tap_away(phone, demo, prefix):  # noqa: F811
    phone.goto(prefix + "/directory")
    summary = phone.locator(".filters-disclosure > summary")
    form = phone.locator("form.filters")
    assert summary.is_visible()
    assert form.is_hidden(), "the filters should be folded away on a phone"
    assert _above(phone, ".filters-disclosure > summary", "#results-heading")
    first_result = phone.locator(".cards .card").first
    assert first_result.bounding_box()["y"] < PHONE["height"], "the first result is not on the first screen"
    summary.tap()
    assert form.is_visible()
    phone.locator("#" + phone.locator("form.filters select").first.get_attribute("id")).select_option(index=1)
    phone.locator("form.filters button[type=submit]").tap()
    phone.wait_for_url("**/directory?**")
    assert phone.evaluate(OVERFLOW) <= 0


def test_without_javascript_the_filters_are_shown_and_work(browser, live_server, demo):  # noqa: F811
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto("/directory")
    assert page.locator("form.filters").is_visible()
    page.locator("form.filters input[type=search], form.filters input[name=q]").first.fill("math")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**/directory?q=math**")
    assert page.locator("#results-heading").is_visible()
    context.close()


def test_on_a_wide_screen_the_filters_stand_beside_the_results(browser, live_server, demo):  # noqa: F811
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    page = context.new_page()
    page.goto("/directory")
    assert page.locator("form.filters").is_visible()
    assert page.locator(".filters-disclosure > summary").is_hidden()
    filters, results = page.locator("form.filters").bounding_box(), page.locator("#results-heading").bounding_box()
    assert filters["x"] + filters["width"] <= results["x"]
    context.close()


CHART_TEXT_INSIDE = """svg => {
  const box = svg.viewBox.baseVal;
  return [...svg.querySelectorAll('text')].filter(t => {
    const b = t.getBBox();
    return b.x < box.x - 0.5 || b.x + b.width > box.x + box.width + 0.5;
  }).map(t => t.textContent);
}"""


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
@pytest.mark.parametrize("prefix", ["", "/es"], ids=["english", "spanish"])
def test_report_charts_are_readable_and_unclipped(browser, live_server, demo, viewport, prefix):  # noqa: F811
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    page = context.new_page()
    page.goto(prefix + "/reports/")
    charts = page.locator("svg.bar-chart")
    assert charts.count() > 0
    for i in range(charts.count()):
        chart = charts.nth(i)
        assert chart.evaluate(CHART_TEXT_INSIDE) == [], f"chart {i} clips its labels"
        box = chart.bounding_box()
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= viewport["width"]
        # Readable: its 14-unit text is drawn at 10 px or more on the screen.
        scale = box["width"] / chart.evaluate("svg => svg.viewBox.baseVal.width")
        assert 14 * scale >= 10, f"chart {i} is drawn at {14 * scale:.1f}px text"
    assert page.evaluate(OVERFLOW) <= 0
    context.close()


def _staff_paths(demo) -> list[str]:  # noqa: F811
    return [
        "/staff/",
        "/staff/agreements",
        "/staff/agreements/new",
        f"/staff/agreements/{demo['agreement']}",
        "/staff/vendors",
        "/staff/vendors/new",
        "/staff/products",
        "/staff/products/new",
        "/staff/kinds",
        "/staff/requests/",
        f"/staff/requests/{demo['request']}",
        "/staff/audit",
        "/staff/import",
        "/staff/outbox/",
        "/staff/users/",
        "/staff/data-elements",
        "/staff/schools",
        "/staff/tool-requests/",
        "/staff/subscribers/",
    ]


def _sideways(page: Page, paths: list[str]) -> list[str]:
    wide = []
    for path in paths:
        response = page.goto(path)
        assert response is not None, f"{path} gave no response"
        assert response.status < 400, f"{path} answered {response.status}"
        overflow = page.evaluate(OVERFLOW)
        if overflow > 0:
            wide.append(f"{path} scrolls sideways by {overflow}px")
    return wide


def test_staff_and_vendor_pages_do_not_scroll_sideways_on_a_phone(browser, live_server, demo, app):  # noqa: F811
    vendor_paths = [
        "/vendor/",
        f"/vendor/requests/{demo['request']}",
        f"/vendor/requests/{demo['request']}/certificate",
        f"/vendor/agreements/{demo['agreement']}",
        "/vendor/questionnaires",
        "/vendor/requests",
        "/vendor/certificates",
    ]
    wide = []
    for email, paths in ((demo["officer"], _staff_paths(demo)), (demo["vendor_user"], vendor_paths)):
        context = browser.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True)
        page = context.new_page()
        page.set_default_timeout(20_000)
        sign_in(page, email)
        wide += _sideways(page, paths)
        context.close()
    assert wide == []


@pytest.mark.parametrize("prefix", ["", "/es"], ids=["english", "spanish"])
def test_a_printed_page_names_the_district_and_its_address(page, demo, app, live_server, prefix):  # noqa: F811

    with in_app(app):
        district = ensure_settings().district_name
    page.goto(f"{prefix}/products/{demo['product']}")
    assert page.locator(".print-header").is_hidden()
    page.emulate_media(media="print")
    header = page.locator(".print-header")
    assert header.is_visible()
    assert district in header.inner_text()
    assert f"{prefix}/products/{demo['product']}" in header.inner_text()
    for hidden in (".site-nav", ".language-switch", ".site-footer", ".follow"):
        if page.locator(hidden).count():
            assert page.locator(hidden).first.is_hidden(), hidden
    page.goto(f"{prefix}/directory")
    assert page.locator(".filters-disclosure").is_hidden()
    assert district in page.locator(".print-header").inner_text()
    assert page.pdf(format="Letter").startswith(b"%PDF-")


def _tab_to(page: Page, selector: str, presses: int = 60) -> None:
    """Tab until the element has focus; it must then show it (an outline)."""
    target = page.locator(selector).first
    for _ in range(presses):
        if target.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    assert target.evaluate("el => el === document.activeElement"), f"{selector} is not reachable by Tab"
    assert target.evaluate("el => getComputedStyle(el).outlineStyle") != "none", f"no visible focus on {selector}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_in_spanish_on_a_phone_search_and_language_switch_work_by_keyboard_alone(browser, live_server, demo, scheme):  # noqa: F811
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto("/es/")
    _tab_to(page, "main form[role=search] input[name=q]")
    page.keyboard.type("math")
    page.keyboard.press("Enter")
    page.wait_for_url("**/es/directory?q=math**")
    assert page.locator("html").get_attribute("lang") == "es"
    # The folded filters open from the keyboard too.
    _tab_to(page, ".filters-disclosure > summary")
    page.keyboard.press("Enter")
    assert page.locator("form.filters").is_visible()
    page.goto("/es/directory?q=math")
    _tab_to(page, ".language-switch a")
    page.keyboard.press("Enter")
    page.wait_for_url("**/directory?q=math")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("form.filters input[name=q]").input_value() == "math"
    context.close()
