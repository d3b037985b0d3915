"""The whole intake in Chromium: a teacher signs in through the district's provider (on loopback),
asks for a tool and sees the overlap while typing; the officer (signed in the same way) invites the
vendor; the vendor's contact sets a password from the e-mailed link, finds a kind of data with the
questionnaire's search box and submits it; the officer accepts it and approves; the teacher's e-mail
arrives at the loopback SMTP server; the public product page shows the declared data and the decision."""

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from clearinghouse.app import create_app
from clearinghouse.directory.models import ProductStatus
from clearinghouse.extensions import db
from tests import factories
from tests.conftest import LiveServer
from tests.oidc_provider import OFFICER_EMAIL, district_config
from tests.smtp import SMTPServer

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://\S+")


@pytest.fixture(scope="module")
def mail() -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site_app(app, provider, mail, database_url, tmp_path_factory) -> Iterator[Flask]:
    """The app with district sign-in and the loopback SMTP server."""
    site_app = create_app(
        district_config(
            provider,
            database_url,
            tmp_path_factory.mktemp("intake-site"),
            WTF_CSRF_ENABLED=True,
            SMTP_HOST=mail.host,
            SMTP_PORT=mail.port,
            SMTP_STARTTLS=False,
            SMTP_USERNAME="",
        )
    )
    yield site_app
    with site_app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def site(site_app) -> Iterator[LiveServer]:
    """The same app served over HTTP."""
    server = LiveServer(site_app)
    site_app.config["BASE_URL"] = server.url
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _reading_tool_at_north(site_app) -> None:
    """An approved reading tool used at North Elementary, and one data element (every test's tables are
    emptied after it)."""
    with site_app.app_context():
        north = factories.make_school(name="North Elementary")
        acme = factories.make_vendor(name="Acme Learning")
        factories.make_product(acme, name="Acme Reader", kind="reading", status=ProductStatus.APPROVED, schools=[north])
        factories.make_element(factories.make_category(name="Demographics"), name="Date of birth")
        db.session.remove()


def _context(browser: Browser, site: LiveServer) -> BrowserContext:
    context = browser.new_context(base_url=site.url)
    context.set_default_timeout(10_000)
    return context


def _sign_in_with_provider(page: Page, provider, sub: str, email: str, name: str) -> None:
    provider.set_user(sub, email=email, email_verified=True, name=name)
    page.goto("/login")
    page.get_by_role("link", name="Sign in with your district account").click()
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text(name)


def _link_in(mail: SMTPServer, to: str, subject_has: str) -> str:
    [message] = [m for m in mail.to(to) if subject_has in str(m["Subject"])]
    return message.get_body(("plain",)).get_content()


def test_a_tool_goes_from_a_teachers_request_to_a_public_decision(browser, site, provider, mail):
    teacher = _context(browser, site).new_page()
    _sign_in_with_provider(teacher, provider, "intake-teacher", "tess.teacher@district.example", "Tess Teacher")
    teacher.get_by_role("navigation", name="Main").get_by_role("link", name="My tool requests").click()
    teacher.get_by_role("link", name="Ask for a tool").click()
    teacher.get_by_label("What kind of tool is it?").select_option("reading")
    teacher.get_by_label("North Elementary").check()
    teacher.get_by_label("The tool's name").fill("Story Maker")
    findings = teacher.locator("#findings")
    expect(findings).to_contain_text(
        "Approved tools of this kind already used at your schools"
    )  # the overlap, while typing
    expect(findings.get_by_role("link", name="Acme Reader")).to_be_visible()
    teacher.get_by_label("What is it for?").fill("Students write and illustrate short stories.")
    teacher.get_by_role("button", name="Send the request").click()
    expect(teacher.get_by_role("status")).to_contain_text("Your request was sent to the privacy office.")
    expect(teacher.locator("h1")).to_have_text("Your request: Story Maker")

    # A principal asks for the same tool: while typing they are offered the open request, and join it.
    principal = _context(browser, site).new_page()
    _sign_in_with_provider(principal, provider, "intake-principal", "pat.principal@district.example", "Pat Principal")
    principal.goto("/tools/new")
    principal.get_by_label("The tool's name").fill("story mak")
    expect(principal.locator("#findings")).to_contain_text("Already under review")
    principal.get_by_role("button", name="Join this request instead (Story Maker)").click()
    expect(principal.get_by_role("status")).to_contain_text("You were added to the request for Story Maker.")

    officer = _context(browser, site).new_page()
    _sign_in_with_provider(officer, provider, "intake-officer", OFFICER_EMAIL, "Olive Officer")
    officer.goto("/staff/tool-requests/")
    officer.get_by_role("link", name="Story Maker").click()
    officer.get_by_label("Or a new product: its vendor's name").fill("StoryCo")
    officer.get_by_role("button", name="Link the product").click()
    officer.get_by_label("The vendor contact's e-mail address").fill("dana@storyco.example")
    officer.get_by_role("button", name="Invite the vendor").click()
    expect(officer.get_by_role("status")).to_contain_text("was invited to declare")

    invitation = LINK.search(_link_in(mail, "dana@storyco.example", "Set up your account")).group(0)
    vendor = _context(browser, site).new_page()
    vendor.goto(invitation)
    vendor.get_by_label("Your name").fill("Dana Vendor")
    vendor.get_by_label("Choose a password").fill("a long vendor passphrase 42")
    vendor.get_by_label("Type the password again").fill("a long vendor passphrase 42")
    vendor.get_by_role("button", name="Set password and sign in").click()
    vendor.goto("/vendor/questionnaires")
    vendor.get_by_role("link", name="Story Maker").click()
    why = vendor.get_by_label("Why Date of birth?")
    expect(why).to_be_hidden()  # an element asks its purpose once ticked: no page of open boxes
    vendor.get_by_label("Find a kind of data to add").fill("birth")
    vendor.get_by_role("checkbox", name="Date of birth").check()
    why.fill("To group students by age.")
    vendor.get_by_label("Where is the data stored?").fill("United States")
    vendor.get_by_label("How long is the data kept?").fill("One school year.")
    vendor.get_by_label("How is the data disposed of?").fill("Secure erase")
    vendor.get_by_label("Within how many days of the district's request is it disposed of?").fill("30")
    vendor.get_by_label("Within how many hours do you tell the district of a breach?").fill("72")
    vendor.get_by_role("group", name="Subprocessor 1").get_by_label("Name").fill("CloudHost")
    for question in (
        "Do you sell student data?",
        "Do you show students targeted advertising?",
        "Do you track students across other sites?",
    ):
        vendor.get_by_role("group", name=question).get_by_label("No").check()
    vendor.get_by_label("We sign the National Data Privacy Agreement (NDPA)").check()
    vendor.get_by_role("button", name="Submit my answers").click()
    expect(vendor.get_by_role("status")).to_contain_text("Your answers were submitted.")

    officer.reload()
    expect(officer.locator("dl.facts")).to_contain_text("Ready to decide")
    expect(officer.get_by_role("region", name="The vendor's declaration")).to_contain_text(
        "Date of birth: To group students by age."
    )
    officer.get_by_label("Approved", exact=True).check()
    officer.get_by_label("Accept the vendor's declaration as the product's data uses and purposes").check()
    officer.get_by_role("button", name="Record the decision").click()
    expect(officer.get_by_role("status")).to_contain_text("Decided.")

    assert _link_in(mail, "pat.principal@district.example", "Story Maker: approved")  # every requester is told
    body = _link_in(mail, "tess.teacher@district.example", "Story Maker: approved")
    public_link = next(link for link in LINK.findall(body) if "/products/" in link)
    public = _context(browser, site).new_page()
    public.goto(public_link)
    expect(public.locator("h1")).to_contain_text("Story Maker")
    expect(public.locator("main")).to_contain_text("Approved")
    expect(public.locator("main")).to_contain_text("Date of birth")
    expect(public.locator("main")).to_contain_text("To group students by age.")


def test_what_was_typed_before_the_script_arrived_is_looked_up_when_it_does(browser, site, provider):
    """On a slow link the form can be filled before intake.js runs; its events are gone by then, so the
    script looks up what it finds in the form once it starts."""
    teacher = _context(browser, site).new_page()
    _sign_in_with_provider(teacher, provider, "late-teacher", "lee.late@district.example", "Lee Late")
    teacher.route("**/js/intake.js", lambda route: route.abort())
    teacher.goto("/tools/new")
    teacher.get_by_label("What kind of tool is it?").select_option("reading")
    teacher.get_by_label("North Elementary").check()
    teacher.get_by_label("The tool's name").fill("Comic Lab")
    findings = teacher.locator("#findings")
    expect(findings).not_to_contain_text("Approved tools of this kind")  # nothing listens yet
    teacher.unroute("**/js/intake.js")
    teacher.add_script_tag(url="/static/js/intake.js")
    expect(findings).to_contain_text("Approved tools of this kind already used at your schools")
    expect(findings.get_by_role("link", name="Acme Reader")).to_be_visible()
