"""In Chromium: an officer imports an inventory step by step — upload, columns, values, facts, vendors,
repeated rows, preview, confirm — and a parent then finds the products on the public pages."""

import pytest

from tests import factories
from tests.browser.test_accessibility import violations
from tests.conftest import in_app

pytestmark = pytest.mark.browser

INVENTORY = (
    "Product,Vendor,DPA Status,Website\n"
    "Linewize (Qoria) — DPA Approved 02/03/2025,,,https://www.linewize.com\n"
    "Khan Academy,Khan Academy,01. DPA Approved,https://www.khanacademy.org\n"
    "Cool Math Games,Coolmath,Not Approved / Declined,https://www.coolmathgames.com\n"
    "Cool Math Games,Coolmath Inc.,Not Approved / Declined,https://coolmathgames.com\n"
    "Odd Tool,Odd Co,Special Arrangement,https://odd.example.com\n"
).encode()


def test_officer_imports_step_by_step_and_parents_see_the_products(app, page):
    with in_app(app):
        factories.make_user(role="officer", email="officer@district.example")

    page.goto("/login")
    page.get_by_label("E-mail address").fill("officer@district.example")
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()

    page.goto("/staff/import")
    page.get_by_label("Inventory file").set_input_files(
        {"name": "inventory.csv", "mimeType": "text/csv", "buffer": INVENTORY}
    )
    page.get_by_role("button", name="Continue to the columns").click()

    page.get_by_role("heading", name="Match the columns").wait_for()
    assert page.get_by_label("DPA Status").input_value() == "status"
    page.get_by_role("button", name="Save and check the values").click()

    page.get_by_role("heading", name="Check what the values mean").wait_for()
    assert page.get_by_text("Not understood").is_visible()  # "Special Arrangement"
    page.get_by_role("button", name="Save these meanings and continue").click()
    page.get_by_text("Choose what this value says.").first.wait_for()  # nothing unmatched becomes a default
    page.get_by_label("Approval for “Special Arrangement”").select_option(label="Under review")
    page.get_by_label("Agreement for “Special Arrangement”").select_option(label="Requested")
    page.get_by_role("button", name="Save these meanings and continue").click()

    page.get_by_role("heading", name="Facts found in the text").wait_for()
    assert page.locator("mark", has_text="DPA Approved 02/03/2025").is_visible()
    page.get_by_role("button", name="Save and continue to the vendors").click()

    page.get_by_role("heading", name="Vendors and names").wait_for()
    assert page.get_by_text("Linewize — by Qoria").is_visible()
    page.get_by_role("button", name="Save and continue to the repeated rows").click()

    page.get_by_role("heading", name="Repeated rows").wait_for()
    assert page.locator("mark", has_text="https://coolmathgames.com").is_visible()
    page.get_by_label("“Cool Math Games”").select_option(label="Merge them into one product")
    page.get_by_role("button", name="Save and continue to the preview").click()

    page.get_by_role("heading", name="Check the import").wait_for()
    assert "Qoria" in page.locator("#agreements-heading + form").inner_text()
    # Every step, drawn again now that each holds the officer's choices, meets WCAG 2.1 AA.
    base = page.url.removesuffix("/preview")
    found = []
    for step in ("columns", "values", "proposals", "vendors", "duplicates", "preview"):
        found += violations(page, f"{base}/{step}")
    assert found == []
    page.get_by_role("button", name="Import it").click()
    page.get_by_role("heading", name="Imported").wait_for()
    assert "4 products created" in page.locator("main").inner_text()

    page.goto("/directory")
    listing = page.locator("main").inner_text()
    for name in ("Linewize", "Khan Academy", "Cool Math Games", "Odd Tool"):
        assert name in listing
    page.get_by_role("link", name="Linewize").first.click()
    assert "Qoria" in page.locator("main").inner_text()
