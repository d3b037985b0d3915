"""A parent in Chromium: home search, then a filter, then a product page, and what it tells them."""

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import in_app
from tests.directory.conftest import build_catalog

pytestmark = pytest.mark.browser


@pytest.fixture
def catalog(app):
    with in_app(app):
        return build_catalog()


def test_parent_searches_filters_and_reads_a_product_page(page: Page, catalog):
    page.goto("/")
    page.get_by_label("Search by product, company or purpose").fill("acme")
    page.get_by_role("button", name="Search").click()

    expect(page).to_have_url("/directory?q=acme")
    expect(page.locator("#results-heading")).to_contain_text("2 products matching “acme”")
    expect(page.get_by_role("link", name="MathWorld")).to_be_visible()
    expect(page.get_by_role("link", name="Quiz Builder")).to_be_visible()

    # Narrow with a filter: only products that receive disability information. No JavaScript needed.
    page.get_by_label("Data element").select_option(label="Student Disability Information")
    page.get_by_role("button", name="Show results").click()
    expect(page.locator("#results-heading")).to_contain_text("1 product matching “acme”")
    expect(page.get_by_label("Data element")).to_have_value("disability")
    expect(page.get_by_role("link", name="Quiz Builder")).to_have_count(0)

    page.get_by_role("link", name="MathWorld").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("MathWorld")
    data = page.locator("table.data-uses")
    expect(data.get_by_role("rowheader", name="Date of Birth")).to_be_visible()
    sensitive_row = data.get_by_role("row").filter(has_text="Student Disability Information")
    expect(sensitive_row.locator(".badge--sensitive")).to_have_text("Sensitive")  # words, not colour alone
    expect(page.get_by_text("2 kinds of student data, 1 of them sensitive")).to_be_visible()
    agreement = page.locator(".agreement").first
    expect(agreement).to_contain_text("National Data Privacy Agreement (NDPA)")
    expect(agreement.locator(".badge")).to_have_text("Active")
    expect(page.get_by_role("link", name="Acme Learning").first).to_be_visible()


def test_expiring_agreement_and_empty_state_in_the_browser(page: Page, catalog):
    page.goto("/directory")
    page.get_by_label("Agreement").select_option(value="expiring")
    page.get_by_role("button", name="Show results").click()
    expect(page.get_by_role("link", name="Élan Reader")).to_be_visible()
    expect(page.locator(".listing").first).to_contain_text("Agreement: Signed, expiring on ")

    page.get_by_label("Search by product, company or purpose").fill("nothing-like-this")
    page.get_by_role("button", name="Show results").click()
    expect(page.get_by_text("No products match.")).to_be_visible()
    page.get_by_role("link", name="Clear search and filters").first.click()
    expect(page).to_have_url("/directory")
    expect(page.locator("#results-heading")).to_contain_text("3 products")
