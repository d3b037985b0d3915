"""Every parent can use it: axe-core finds no WCAG 2.1 A/AA violation, keyboard, 320 px, print.

axe-core runs inside Debian's Chromium through Playwright, on every public page and the main
officer and vendor pages, with the demo data loaded.
"""

import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import url_for
from playwright.sync_api import Page
from sqlalchemy import select

from clearinghouse.accounts.models import User
from clearinghouse.agreements.models import Agreement, AgreementState
from clearinghouse.destruction.models import DestructionRequest, RequestStatus
from clearinghouse.directory.models import DataElement, Product, ProductKind, School, Vendor
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.i18n import LANG_ARG, configured_languages, is_localized_rule
from clearinghouse.intake import services as intake
from clearinghouse.subscriptions import services as subscriptions
from clearinghouse.subscriptions import tokens
from clearinghouse.subscriptions.models import Scope, Subscriber
from clearinghouse.timeutil import district_today, utcnow
from tests import factories
from tests.browser.wcag import wcag_violations
from tests.conftest import in_app

pytestmark = pytest.mark.browser

# The pages' markup does not depend on the database, and each of the eight corners of the matrix of
# languages, widths and colour schemes walks every public page (about eight minutes in all): the
# whole matrix runs on SQLite, and the PostgreSQL run keeps two opposite corners, so the pages are
# still walked in a browser on it.
ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")
CORNERS_ON_POSTGRES = {("en", 1280, "light"), ("es", 375, "dark")}


def _corner(language: str, width: int, scheme: str):
    marks = ()
    if ON_POSTGRES and (language, width, scheme) not in CORNERS_ON_POSTGRES:
        marks = pytest.mark.skip(reason="the same markup as on SQLite, where the whole matrix runs")
    return pytest.param(language, width, scheme, marks=marks, id=f"{language}-{width}px-{scheme}")


@pytest.fixture
def demo(app, runner) -> Iterator[dict]:
    result = runner.invoke(args=["seed-taxonomy"])
    assert result.exit_code == 0, result.output
    # The demo's first sweep opens destruction requests for its ended agreements (no e-mail is sent).
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    with in_app(app):
        product = db.session.scalars(select(Product).order_by(Product.id)).first()
        element = db.session.scalars(select(DataElement).order_by(DataElement.id)).first()
        # The school with the most products: the longest school page.
        school = max(db.session.scalars(select(School)), key=lambda s: (len(s.products), -s.id))
        # The kind with the most products used at schools: the longest list of the reports' overlap.
        overlapping = max(db.session.scalars(select(ProductKind)), key=lambda k: (k.placed_product_count, -k.id))
        request = db.session.scalars(
            select(DestructionRequest)
            .where(DestructionRequest.status == RequestStatus.OPEN, DestructionRequest.agreement_id.is_not(None))
            .order_by(DestructionRequest.id)
        ).first()
        vendor = db.session.get(Vendor, request.vendor_id)
        officer = factories.make_user(role="officer", email="a11y-officer@district.example")
        vendor_user = factories.make_user(role="vendor", email="a11y-vendor@vendor.example", vendor=vendor)
        # Two parents: one who has not confirmed yet (the confirm page) and one who has (manage, unsubscribe).
        now = utcnow()
        with unit_of_work():
            subscriptions.request_subscription(
                "a11y-parent@home.example", subscriptions.Target(Scope.DISTRICT), "en", client="a11y", now=now
            )
            waiting = subscriptions.request_subscription(
                "a11y-waiting@home.example", subscriptions.Target(Scope.DISTRICT), "en", client="a11y", now=now
            )
        parent = db.session.scalar(select(Subscriber).where(Subscriber.email == "a11y-parent@home.example"))
        with unit_of_work():
            subscriptions.confirm(tokens.confirmation_token(parent, "en", now), now)
        waiting = db.session.scalar(select(Subscriber).where(Subscriber.email == "a11y-waiting@home.example"))
        # A manage link whose address was deleted since (the "no subscription here" page).
        with unit_of_work():
            subscriptions.request_subscription(
                "a11y-gone@home.example", subscriptions.Target(Scope.DISTRICT), "en", client="a11y", now=now
            )
        gone = db.session.scalar(select(Subscriber).where(Subscriber.email == "a11y-gone@home.example"))
        gone_token = tokens.manage_token(gone)
        with unit_of_work():
            subscriptions.delete_subscriber(gone)
        yield {
            "product": product.slug,
            "products": _kinds_of_product_page(),
            "vendor": vendor.slug,
            "element": element.slug,
            "school": school.slug,
            "kind": overlapping.slug,
            "request": request.id,
            "agreement": request.agreement_id,
            "officer": officer.email,
            "vendor_user": vendor_user.email,
            "confirm_token": tokens.confirmation_token(waiting, "en", now),
            "expired_token": tokens.confirmation_token(waiting, "en", now - timedelta(days=tokens.CONFIRM_DAYS + 1)),
            "manage_token": tokens.manage_token(parent),
            "gone_token": gone_token,
        }


def _kinds_of_product_page() -> list[str]:
    """A demo product for each top a product page can have: an agreement that renews by itself, data
    destruction certified, an agreement ended or terminated, no agreement at all."""
    agreements = db.session.scalars(select(Agreement).order_by(Agreement.id)).all()
    certified = {
        request.agreement_id
        for request in db.session.scalars(
            select(DestructionRequest).where(DestructionRequest.status == RequestStatus.ACCEPTED)
        )
    }
    today = district_today()
    ended = (AgreementState.EXPIRED, AgreementState.TERMINATED)
    kinds = [
        next(a for a in agreements if a.auto_renews and a.products),
        next(a for a in agreements if a.id in certified and a.products),
        next(a for a in agreements if a.state_on(today) in ended and a.products),
    ]
    unsigned = db.session.scalars(select(Product).where(~Product.agreements.any()).order_by(Product.id)).first()
    return sorted({agreement.products[0].slug for agreement in kinds} | {unsigned.slug})


def violations(page: Page, path: str) -> list[str]:
    response = page.goto(path)
    assert response is not None, f"{path} gave no response"
    assert response.status < 400, f"{path} answered {response.status}"
    return wcag_violations(page, path)


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    with page.expect_navigation():  # wait for the answer, not for the page already loaded
        page.get_by_role("button", name="Sign in").click()


# Every public page is found in the URL map: each localized GET route is visited, with sample values for
# the routes that take any (a new public route with arguments fails here until it is given one).
NOT_PAGES = {"audit.feed", "accounts.start_district_sign_in"}  # an Atom feed; a redirect to the provider


def _samples(demo: dict) -> dict[str, list[dict | tuple[dict, int]]]:
    """{endpoint: its sample values}; a page that answers with an error status comes with it."""
    return {
        "directory.directory": [
            {},
            {"q": "math"},
            {"q": "zzzz-nothing-matches"},
            {"q": "readng"},  # "Did you mean …?"
            {"school": demo["school"], "sort": "name"},
        ],
        "directory.product": [{"slug": slug} for slug in [demo["product"], *demo["products"]]],
        "directory.vendor": [{"slug": demo["vendor"]}],
        "directory.data_element": [{"slug": demo["element"]}],
        "directory.school": [{"slug": demo["school"]}],
        "reports.overlap": [{"slug": demo["kind"]}],
        "subscriptions.follow": [
            {},
            {"scope": "product", "target": demo["product"]},
            {"scope": "school", "target": demo["school"]},
        ],
        "subscriptions.confirm": [{"token": demo["confirm_token"]}, ({"token": demo["expired_token"]}, 410)],
        "subscriptions.manage": [
            {"token": demo["manage_token"]},
            {"token": demo["manage_token"], "saved": 1},
            {"token": demo["gone_token"]},  # "no subscription here"
            ({"token": "not-a-link"}, 404),
        ],
        "subscriptions.unsubscribe": [{"token": demo["manage_token"]}],
        # The address a form posts to, opened as a page: the error page for a method not allowed.
        "subscriptions.delete": [({"token": demo["manage_token"]}, 405)],
    }


def public_paths(app, demo: dict, language: str) -> list[tuple[str, int]]:
    """Every public page in `language` with the status it answers with, from the app's URL map, and an
    address that matches none."""
    samples = _samples(demo)
    paths, unsampled = [], []
    with app.test_request_context():
        endpoints = {}
        for rule in app.url_map.iter_rules():
            if is_localized_rule(rule) and rule.endpoint not in NOT_PAGES:
                endpoints.setdefault(rule.endpoint, rule.arguments - {LANG_ARG})
        for endpoint, arguments in sorted(endpoints.items()):
            if endpoint in samples:
                values = samples[endpoint]
            elif arguments:
                unsampled.append(endpoint)
                continue
            else:
                values = [{}]
            for value in values:
                value, status = value if isinstance(value, tuple) else (value, 200)
                paths.append((url_for(endpoint, **{LANG_ARG: language}, **value), status))
    assert unsampled == [], f"public pages without a sample in {__name__}._samples: {unsampled}"
    prefix = "" if language == configured_languages()[0] else f"/{language}"
    return [*paths, (f"{prefix}/no-such-page", 404)]


def test_the_public_pages_come_from_the_url_map(app, demo):
    english, spanish = public_paths(app, demo, "en"), public_paths(app, demo, "es")
    assert len(english) == len(spanish) >= 30
    english_paths = [path for path, _status in english]
    for path in (
        "/",
        "/directory",
        "/directory?q=readng",
        "/your-rights",
        "/schools",
        f"/schools/{demo['school']}",
        "/follow",
        "/follow/sent",
        f"/follow/manage/{demo['manage_token']}",
        "/reports/",
        f"/reports/overlap/{demo['kind']}",
        "/changes",
        "/data",
        f"/data/{demo['element']}",
        f"/vendors/{demo['vendor']}",
        "/about",
        "/login",
    ):
        assert path in english_paths, path
    assert all(path.startswith("/es/") for path, _status in spanish)
    assert {status for _path, status in english} == {200, 404, 405, 410}
    assert len(demo["products"]) == 4, "an agreement renewing itself, destruction certified, one ended, none"


def _fill_and_send(page: Page, fields: dict[str, str], button: str = "main [type=submit]") -> int:
    """Fill in a form of the page and send it; the status of the answer."""
    for selector, value in fields.items():
        page.locator(selector).fill(value)
    with page.expect_navigation() as answer:
        page.locator(button).first.click()
    return answer.value.status


def pages_behind_forms(page: Page, app, demo: dict, language: str) -> Iterator[tuple[str, int, int]]:
    """The pages a family reaches by sending a form, each yielded once shown: (what, status, expected):
    the follow form refused, its answer, the throttle's refusal, confirmed, saved, unsubscribed."""
    prefix = "" if language == configured_languages()[0] else f"/{language}"
    page.goto(f"{prefix}/follow")
    yield "follow: a refused address", _fill_and_send(page, {"#email": "not an address"}), 422
    page.goto(f"{prefix}/follow")
    yield "follow: sent", _fill_and_send(page, {"#email": "a11y-new@home.example"}), 200
    limit = app.config["SUBSCRIBE_MAX_PER_CLIENT"]
    app.config["SUBSCRIBE_MAX_PER_CLIENT"] = 1  # the request just sent was this connection's one
    try:
        page.goto(f"{prefix}/follow")
        yield "follow: too many requests", _fill_and_send(page, {"#email": "a11y-other@home.example"}), 429
    finally:
        app.config["SUBSCRIBE_MAX_PER_CLIENT"] = limit
    page.goto(f"{prefix}/follow/confirm/{demo['confirm_token']}")
    yield "confirmed", _fill_and_send(page, {}), 200
    page.goto(f"{prefix}/follow/manage/{demo['manage_token']}")
    yield "manage: saved", _fill_and_send(page, {}, "main form.form-narrow [type=submit]"), 200
    page.goto(f"{prefix}/follow/unsubscribe/{demo['manage_token']}")
    yield "unsubscribed", _fill_and_send(page, {}), 200


PAPER = {"light": "rgb(255, 255, 255)", "dark": "rgb(18, 21, 25)"}  # --paper in static/css/site.css


@pytest.mark.parametrize(
    ("language", "width", "scheme"),
    [_corner(lang, width, scheme) for lang in ("en", "es") for width in (1280, 375) for scheme in ("light", "dark")],
)
def test_public_pages_have_no_wcag_violations(browser, live_server, app, demo, language, width, scheme):
    """Every public page, and the pages its forms answer with, in one browser session per language,
    width and colour scheme."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}, color_scheme=scheme
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    found, wrong = [], []

    def check(path: str) -> None:
        assert page.locator("html").get_attribute("lang") == language, path
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == PAPER[scheme], f"{path} is not in the {scheme} scheme: {background}"
        if width == 375:
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"
        found.extend(wcag_violations(page, path))

    for path, status in public_paths(app, demo, language):
        response = page.goto(path)
        assert response is not None, f"{path} gave no response"
        if response.status != status:
            wrong.append(f"{path} answered {response.status}, not {status}")
        check(path)
    for what, status, expected in pages_behind_forms(page, app, demo, language):
        if status != expected:
            wrong.append(f"{what} answered {status}, not {expected}")
        check(f"{page.url} ({what})")
    context.close()
    assert wrong == []
    assert found == []


def test_the_language_switch_works_by_keyboard_alone_with_visible_focus(page, demo):
    page.goto(f"/products/{demo['product']}?from=search")
    switch = page.locator(".language-switch a")
    for _ in range(10):
        page.keyboard.press("Tab")
        if switch.evaluate("el => el === document.activeElement"):
            break
    assert switch.evaluate("el => el === document.activeElement"), "the language switch is not reachable by Tab"
    assert switch.evaluate("el => getComputedStyle(el).outlineStyle") != "none", "focus is not visible on the switch"
    assert switch.get_attribute("lang") == "es"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/es/products/{demo['product']}?from=search")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator(".language-switch a").inner_text() == "English"
    back = page.locator(".language-switch a")
    for _ in range(10):
        page.keyboard.press("Tab")
        if back.evaluate("el => el === document.activeElement"):
            break
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/products/{demo['product']}?from=search")
    assert page.locator("html").get_attribute("lang") == "en"


def test_officer_pages_have_no_wcag_violations(page, demo):
    sign_in(page, demo["officer"])
    found = []
    for path in [
        "/staff/",
        "/staff/agreements",
        f"/staff/agreements/{demo['agreement']}",
        "/staff/vendors",
        "/staff/products",
        "/staff/kinds",
        "/staff/requests/",
        f"/staff/requests/{demo['request']}",
        "/staff/audit",
        "/staff/import",
        "/staff/outbox",
        "/staff/users",
    ]:
        found += violations(page, path)
    assert found == []


def test_vendor_pages_have_no_wcag_violations(page, demo):
    sign_in(page, demo["vendor_user"])
    found = []
    for path in [
        "/vendor/",
        f"/vendor/requests/{demo['request']}",
        f"/vendor/requests/{demo['request']}/certificate",
        f"/vendor/agreements/{demo['agreement']}",
    ]:
        found += violations(page, path)
    assert found == []


def test_search_to_product_works_by_keyboard_alone_with_visible_focus(page, demo):
    page.goto("/")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip-link"
    search = page.get_by_role("searchbox").first
    for _ in range(30):
        page.keyboard.press("Tab")
        if search.evaluate("el => el === document.activeElement"):
            break
    assert search.evaluate("el => el === document.activeElement"), "the search box is not reachable by Tab"
    outline = search.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none", "focus is not visible on the search box"
    page.keyboard.type("a")
    page.keyboard.press("Enter")
    page.wait_for_url("**/directory**")
    first_result = page.locator("main a[href^='/products/']").first
    href = first_result.get_attribute("href")
    for _ in range(80):
        page.keyboard.press("Tab")
        if first_result.evaluate("el => el === document.activeElement"):
            break
    assert first_result.evaluate("el => el === document.activeElement"), "no result link reachable by Tab"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{href}")
    assert page.locator("h1").count() == 1


@pytest.mark.parametrize("path_key", ["home", "directory", "product"])
def test_pages_fit_a_320_pixel_wide_screen(browser, live_server, demo, path_key):
    paths = {"home": "/", "directory": "/directory", "product": f"/products/{demo['product']}"}
    context = browser.new_context(base_url=live_server.url, viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(paths[path_key])
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    context.close()
    assert overflow <= 0, f"{paths[path_key]} scrolls sideways by {overflow}px at 320px"


def test_product_page_prints_cleanly(page, demo):
    page.goto(f"/products/{demo['product']}")
    page.emulate_media(media="print")
    assert page.locator(".site-nav").is_hidden()
    assert page.locator(".site-footer").is_hidden()
    assert page.locator("h1").is_visible()
    pdf = page.pdf(format="Letter")
    assert pdf.startswith(b"%PDF-")


def test_intake_pages_have_no_wcag_violations(browser, live_server, demo, app):
    """A requester's pages (the form after the check step too), the officer's queue and request page,
    and the vendor's questionnaires."""

    with in_app(app):
        teacher = factories.make_user(role="requester", email="a11y-teacher@district.example")
        school = db.session.scalars(select(School).order_by(School.id)).first()
        with unit_of_work():
            tr, _ = intake.submit_request(
                intake.RequestDraft(name="Story Maker", purpose="Stories.", school_ids=[school.id], kind="reading"),
                actor=teacher,
            )
        officer = db.session.scalar(select(User).where(User.email == demo["officer"]))
        vendor = db.session.scalar(select(Vendor).where(Vendor.slug == demo["vendor"]))
        with unit_of_work():
            intake.link_product(tr, actor=officer, product_id=vendor.products[0].id)
        with unit_of_work():
            intake.invite_vendor(tr, actor=officer, email=demo["vendor_user"])
        request_id, product_name = tr.id, vendor.products[0].name
    found = []
    for email, paths in (
        ("a11y-teacher@district.example", ["/tools/", "/tools/new", f"/tools/{request_id}"]),
        (demo["officer"], ["/staff/tool-requests/", f"/staff/tool-requests/{request_id}"]),
        (demo["vendor_user"], ["/vendor/questionnaires"]),
    ):
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        sign_in(page, email)
        for path in paths:
            found += violations(page, path)
        if email == demo["vendor_user"]:
            found += violations(page, page.get_by_role("link", name=product_name).get_attribute("href"))
        if paths[0] == "/tools/":  # the check step without JavaScript draws what the district knows
            page.goto("/tools/new")
            page.get_by_label("The tool's name").fill("Story")
            page.get_by_role("button", name="Check first").click()
            found += wcag_violations(page, "/tools/new (checked)")
        context.close()
    assert found == []
