"""In Chromium: an officer signs in, adds a signed agreement with its PDF, publishes it, and the
public product page shows the agreement and offers the document."""

from datetime import timedelta

import pytest

from clearinghouse.timeutil import district_today
from tests import factories
from tests.agreements.pdfs import pdf_bytes
from tests.conftest import in_app

pytestmark = pytest.mark.browser


def test_officer_publishes_an_agreement_that_parents_then_see(app, page):
    with in_app(app):
        today = district_today()
        factories.make_user(role="officer", email="officer@district.example")
        vendor = factories.make_vendor(name="Lexi Learning")
        factories.make_product(vendor, name="Lexi Reader", slug="lexi-reader")
        factories.make_product(vendor, name="Lexi Math")
    pdf = pdf_bytes(pages=2)

    page.goto("/login")
    page.get_by_label("E-mail address").fill("officer@district.example")
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()

    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Agreements").click()
    page.get_by_role("link", name="Add an agreement").click()
    page.get_by_label("Vendor").select_option(label="Lexi Learning")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Add an agreement with Lexi Learning").wait_for()

    page.get_by_label("Kind of agreement").select_option(label="National Data Privacy Agreement (NDPA)")
    page.get_by_label("Reference").fill("NDPA v2.1, 2026")
    page.get_by_label("Lexi Reader (Approved)").check()
    page.get_by_label("Signed on").fill((today - timedelta(days=3)).isoformat())
    page.get_by_label("In effect from").fill((today - timedelta(days=3)).isoformat())
    page.get_by_label("Expires on").fill((today + timedelta(days=3 * 365)).isoformat())
    page.get_by_label("Signed agreement (PDF)").set_input_files(
        {"name": "lexi-ndpa-signed.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )
    page.get_by_label("Publish the signed document on the public site").check()
    page.get_by_role("button", name="Add agreement").click()

    page.get_by_text("Agreement with Lexi Learning saved.").wait_for()
    assert page.get_by_text("lexi-ndpa-signed.pdf").is_visible()
    assert "published" in page.locator("dl.facts").inner_text()

    page.goto("/products/lexi-reader")
    card = page.locator(".agreement")
    assert "National Data Privacy Agreement (NDPA)" in card.inner_text()
    assert "Active" in card.inner_text()
    link = card.get_by_role("link", name="Download the signed agreement")
    download = page.request.get(link.get_attribute("href"))
    assert download.status == 200
    assert download.body() == pdf
