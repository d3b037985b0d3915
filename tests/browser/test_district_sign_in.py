"""A teacher signs in through the district's provider in Chromium: the app's button, the provider's
own page (oidc-provider-mock's server on loopback), and back to the page the teacher came from."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from clearinghouse.app import create_app
from clearinghouse.extensions import db
from tests.conftest import LiveServer
from tests.oidc_provider import district_config

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def district_site(app, provider, database_url, tmp_path_factory) -> Iterator[LiveServer]:
    """The app with district sign-in, served over HTTP; BASE_URL (the provider's way back) is its address."""
    district_app = create_app(
        district_config(provider, database_url, tmp_path_factory.mktemp("district-site"), WTF_CSRF_ENABLED=True)
    )
    server = LiveServer(district_app)
    district_app.config["BASE_URL"] = server.url
    server.start()
    yield server
    server.stop()
    with district_app.app_context():
        db.engine.dispose()


@pytest.fixture
def district_page(browser: Browser, district_site) -> Iterator[Page]:
    context = browser.new_context(base_url=district_site.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_a_teacher_signs_in_through_the_providers_page_and_comes_back(district_page, provider):
    page = district_page
    provider.set_user("browser-teacher", email="bea.teacher@district.example", email_verified=True, name="Bea Teacher")
    page.goto("/directory?q=reading")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in").click()
    page.get_by_role("link", name="Sign in with your district account").click()

    page.wait_for_url(f"{provider.issuer}/oauth2/authorize?**")  # the provider's own page
    page.get_by_placeholder("sub").fill("browser-teacher")
    page.get_by_role("button", name="Authorize").click()

    page.wait_for_url("**/directory?q=reading")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_contain_text("Bea Teacher")
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    expect(nav.get_by_role("link", name="Staff")).to_have_count(0)  # a requester has no staff area

    nav.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    expect(page.get_by_role("navigation", name="Main")).not_to_contain_text("Bea Teacher")


def test_an_outside_address_is_refused_in_the_sites_look(district_page, provider):
    page = district_page
    provider.set_user("browser-outsider", email="someone@gmail.example", email_verified=True, name="Outsider")
    page.goto("/login")
    page.get_by_role("link", name="Sign in with your district account").click()
    page.get_by_placeholder("sub").fill("browser-outsider")
    page.get_by_role("button", name="Authorize").click()
    expect(page.locator("h1")).to_have_text("You are not signed in")
    expect(page.get_by_text("only @district.example accounts can sign in here")).to_be_visible()
    expect(page.get_by_role("link", name="Back to the sign-in page")).to_be_visible()
