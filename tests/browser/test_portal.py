"""The whole certificate path in Chromium: invitation, password, upload, acceptance, public page."""

import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from clearinghouse.destruction.models import DestructionRequest, RequestStatus
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.browser.wcag import wcag_violations
from tests.conftest import in_app
from tests.portal import pdfs
from tests.portal.helpers import make_request
from tests.smtp import smtp_server  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

VENDOR_EMAIL = "dana@brightpath.example"
NEW_PASSWORD = "violet-harbor-lantern-47"


def _invitation_path(smtp, address: str) -> str:
    """The link in the invitation e-mail, as received by the loopback SMTP server."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for message in smtp.to(address):
            match = re.search(r"https?://[^/\s]+(/invitations/[^\s\"<>]+)", message.get_body(("plain",)).get_content())
            if match:
                return match.group(1)
        time.sleep(0.1)
    raise AssertionError(f"No invitation e-mail reached {address}.")


def test_invited_vendor_uploads_a_certificate_that_an_officer_accepts(
    app,
    page,
    browser,
    live_server,
    smtp_server,  # noqa: F811 - the fixture imported from tests.smtp
    tmp_path,
):
    with in_app(app):
        officer = factories.make_user(role="officer", email="officer@district.example")
        vendor = factories.make_vendor(name="BrightPath Learning")
        product = factories.make_product(vendor, name="BrightPath Reader")
        agreement = factories.make_agreement(
            vendor, [product], reference="NDPA 2023 BrightPath", expires_on=date(2026, 6, 30)
        )
        dr = make_request(vendor.id, agreement.id, reason="The BrightPath agreement expired and was not renewed.")
        officer_email, request_id, product_slug = officer.email, dr.id, product.slug
    certificate = tmp_path / "brightpath-certificate.pdf"
    # pyHanko signs with asyncio.run(), which cannot run in the thread where Playwright's loop runs.
    with ThreadPoolExecutor(max_workers=1) as worker:
        certificate.write_bytes(worker.submit(pdfs.signed_pdf, "Dana Reyes").result()[0])

    # The officer signs in and invites the vendor's contact.
    page.goto("/login")
    page.fill("#email", officer_email)
    page.fill("#password", factories.TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/staff/users/invite")
    page.select_option("#vendor_id", label="BrightPath Learning")
    page.fill("#email", VENDOR_EMAIL)
    page.fill("#name", "Dana Reyes")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".flash--success")).to_contain_text("Invitation e-mailed")

    # The contact follows the e-mailed link in a browser of their own and chooses a password.
    vendor_context = browser.new_context(base_url=live_server.url)
    vendor_page = vendor_context.new_page()
    vendor_page.set_default_timeout(10_000)
    try:
        vendor_page.goto(_invitation_path(smtp_server, VENDOR_EMAIL))
        vendor_page.fill("#name", "Dana Reyes")
        vendor_page.fill("#password", NEW_PASSWORD)
        vendor_page.fill("#confirm", NEW_PASSWORD)
        vendor_page.get_by_role("button", name="Set password and sign in").click()
        expect(vendor_page.locator("h1")).to_have_text("BrightPath Learning")

        # They open the request and upload the signed certificate.
        vendor_page.get_by_role("link", name=f"Request {request_id}").first.click()
        expect(vendor_page.locator("h1")).to_have_text(f"Destruction request {request_id}")
        vendor_page.get_by_role("link", name="Upload the signed certificate").click()
        # Sent empty, the form comes back with its errors, and stays usable for everyone.
        vendor_page.get_by_role("button", name="Submit the certificate").click()
        expect(vendor_page.locator(".error-summary")).to_contain_text("Enter the date the data was destroyed")
        assert wcag_violations(vendor_page) == []
        vendor_page.set_input_files("#document", str(certificate))
        vendor_page.fill("#signer_name", "Dana Reyes")
        vendor_page.fill("#signer_title", "Chief Privacy Officer")
        vendor_page.fill("#disposed_on", (district_today() - timedelta(days=2)).isoformat())
        vendor_page.get_by_label("Cryptographic erase (keys destroyed)").check()
        vendor_page.get_by_label(re.compile("including copies held by subcontractors")).check()
        vendor_page.get_by_role("button", name="Submit the certificate").click()
        expect(vendor_page.locator(".flash--success")).to_contain_text("Certificate submitted")
        expect(vendor_page.locator("main")).to_contain_text("Waiting for review")
    finally:
        vendor_context.close()

    # The officer reviews it on the request page: signed and intact, though not from a trusted root.
    page.goto(f"/staff/requests/{request_id}")
    review = page.locator(".certificate-review")
    expect(review).to_contain_text("Dana Reyes")
    expect(review).to_contain_text("Intact")
    expect(review).to_contain_text("Not chained to a trusted root")
    expect(review).to_contain_text("Cryptographic erase")
    assert wcag_violations(page) == []
    page.get_by_role("button", name="Accept and close the request").click()
    expect(page.locator(".flash--success")).to_contain_text("Certificate accepted")

    with in_app(app):
        assert db.session.get(DestructionRequest, request_id).status == RequestStatus.ACCEPTED

    # Anyone can now read on the product's public page that destruction was certified.
    public = browser.new_context(base_url=live_server.url)
    try:
        public_page = public.new_page()
        public_page.goto(f"/products/{product_slug}")
        expect(public_page.locator("main")).to_contain_text("Data destruction certified on")
    finally:
        public.close()
