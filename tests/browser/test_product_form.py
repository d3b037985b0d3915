"""The product form in Chromium: find a kind of data with the search box and add it by keyboard
alone; axe-core finds no WCAG 2.1 A/AA violation on the form, with the list closed or filtered."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from clearinghouse.directory.models import DataElement, Product
from clearinghouse.directory.taxonomy import seed_taxonomy
from clearinghouse.extensions import db, unit_of_work
from tests import factories
from tests.browser.test_accessibility import sign_in
from tests.browser.wcag import wcag_violations
from tests.conftest import in_app

pytestmark = pytest.mark.browser


@pytest.fixture
def product(app) -> dict:
    with in_app(app):
        with unit_of_work():
            seed_taxonomy()
        elements = list(db.session.scalars(select(DataElement).order_by(DataElement.id).limit(3)))
        vendor = factories.make_vendor(name="Garden Learning")
        product = factories.make_product(vendor, name="Word Garden", elements=elements)
        factories.make_product(factories.make_vendor(name="Other Co"), name="Math Trail", elements=elements[:1])
        officer = factories.make_user(role="officer", email="form-officer@district.example")
        target = db.session.scalar(select(DataElement).where(DataElement.name == "Medical alerts / health data"))
        return {"id": product.id, "officer": officer.email, "target": target.id, "target_name": target.name}


def test_an_officer_finds_and_adds_a_kind_of_data_by_keyboard_alone(page, app, product):
    sign_in(page, product["officer"])
    page.goto(f"/staff/products/{product['id']}/edit")
    assert wcag_violations(page) == []
    search = page.get_by_label("Find a kind of data to add")
    search.focus()
    page.keyboard.type("allerg")
    status = page.locator("#element-search-status")
    assert "1 match" in status.inner_text()
    checkbox = page.locator(f"#use_{product['target']}")
    assert checkbox.is_visible()  # its category opened; the others are hidden
    assert page.locator("details.element-picker__group:not([hidden])").count() == 1
    assert wcag_violations(page) == []
    page.keyboard.press("Enter")  # goes to the first match; it does not save the form
    assert checkbox.evaluate("el => el === document.activeElement")
    assert page.url.endswith("/edit")
    page.keyboard.press("Space")
    assert checkbox.is_checked()
    save = page.get_by_role("button", name="Save changes")
    for _ in range(80):  # on to the save button, by Tab alone
        page.keyboard.press("Tab")
        if save.evaluate("el => el === document.activeElement"):
            break
    assert save.evaluate("el => el === document.activeElement"), "the save button is not reachable by Tab"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("Word Garden saved.")).to_be_visible()
    assert page.get_by_label(f"Why it receives {product['target_name']}", exact=True).is_visible()
    with in_app(app):
        uses = {use.data_element_id: use.purpose for use in db.session.get(Product, product["id"]).data_uses}
        assert len(uses) == 4
        assert uses[product["target"]] == ""


def test_without_javascript_the_categories_open_and_tick_by_keyboard(browser, live_server, app, product):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, product["officer"])
        page.goto(f"/staff/products/{product['id']}/edit")
        assert page.get_by_label("Find a kind of data to add").count() == 0
        checkbox = page.locator(f"#use_{product['target']}")
        assert not checkbox.is_visible()  # its category is closed
        summary = page.locator("details", has=checkbox).locator("summary")
        summary.focus()
        page.keyboard.press("Enter")
        assert checkbox.is_visible()
        checkbox.focus()
        page.keyboard.press("Space")
        with page.expect_navigation():
            page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_text("Word Garden saved.")).to_be_visible()
        with in_app(app):
            uses = {use.data_element_id for use in db.session.get(Product, product["id"]).data_uses}
            assert product["target"] in uses
    finally:
        context.close()
