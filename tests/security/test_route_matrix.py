"""Every route in `app.url_map`, walked once: CSRF on every POST, deny-by-default for staff, vendor and
requester areas, admin-only pages, requesters kept out of staff and vendor areas (and everyone else out of
theirs), each requester and vendor kept to their own records, security headers and a CSP without inline
code on every GET page.

Routes with URL parameters are built with dummy values; a 404 is fine there, a 500 never is, and
neither is access for the wrong role.
"""

import re
import uuid
from dataclasses import dataclass

import pytest
from flask import Flask, url_for
from werkzeug.routing import (
    BaseConverter,
    FloatConverter,
    IntegerConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
)

from clearinghouse.accounts.models import User
from clearinghouse.declarations import services as declarations
from clearinghouse.downloads import DOWNLOAD_POLICY
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.i18n import LanguageConverter
from clearinghouse.intake import services as intake
from tests import factories
from tests.conftest import client_as, in_app

# Blueprints whose routes are public by design (their modules say so); "static" serves the assets.
PUBLIC_BLUEPRINTS = {
    "directory",
    "audit",
    "reports",
    "api",
    "accounts",
    "health",
    "site_files",
    "imports_public",
    "subscriptions",
    "static",
}
# Public blueprints whose forms take no CSRF token, by design (their blueprint.py says why): visitors
# get no session cookie, and every write is either an unconfirmed request or made through a secret link.
NO_CSRF_BLUEPRINTS = {"subscriptions"}
# Staff routes that only administrators may use; officers get 403.
ADMIN_ONLY_ENDPOINTS = {"accounts_admin.create", "accounts_admin.deactivate", "accounts_admin.reactivate"}
ADMIN_ONLY_BLUEPRINTS = {"settings"}
# Public routes that need a signed-in user of any role.
SIGNED_IN_ENDPOINTS = {"accounts.change_password"}
DUMMY = {
    IntegerConverter: 987654,
    FloatConverter: 1.5,
    PathConverter: "no/such/thing",
    UUIDConverter: uuid.UUID(int=1),
    LanguageConverter: "es",  # clearinghouse.i18n: a public page's other-language address
    UnicodeConverter: "no-such-thing",
}
CHANGING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
FORM_EXPIRED = ("This form has expired", "Este formulario caducó")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<[a-z][^>]*\sstyle\s*=|<style[\s>]", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)


@dataclass(frozen=True)
class Route:
    endpoint: str
    rule: str
    url: str
    methods: frozenset[str]

    @property
    def blueprint(self) -> str:
        return self.endpoint.rpartition(".")[0] or self.endpoint

    @property
    def is_staff(self) -> bool:
        return self.rule == "/staff" or self.rule.startswith("/staff/")

    @property
    def is_vendor(self) -> bool:
        return self.rule == "/vendor" or self.rule.startswith("/vendor/")

    @property
    def is_requester(self) -> bool:
        """The requesters' own pages (intake: asking for tools, following one's requests)."""
        return self.rule == "/tools" or self.rule.startswith("/tools/")

    @property
    def is_admin_only(self) -> bool:
        return self.endpoint in ADMIN_ONLY_ENDPOINTS or self.blueprint in ADMIN_ONLY_BLUEPRINTS

    def __str__(self) -> str:
        return f"{self.endpoint} {self.url}"


def dummy_value(converter: BaseConverter):
    """A value the converter accepts (the app's converters derive from Werkzeug's)."""
    return next((value for kind, value in DUMMY.items() if isinstance(converter, kind)), "no-such-thing")


def all_routes(app: Flask) -> list[Route]:
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            values = {name: dummy_value(conv) for name, conv in rule._converters.items()}
            if rule.endpoint == "static":
                values = {"filename": "css/site.css"}
            url = url_for(rule.endpoint, **values)
            routes.append(Route(rule.endpoint, rule.rule, url, frozenset(rule.methods - {"HEAD", "OPTIONS"})))
    return routes


def _request(client, method: str, url: str):
    return client.open(url, method=method, data={} if method in CHANGING_METHODS else None)


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_every_route_is_public_by_design_or_behind_a_guard(app):
    unguarded = [
        str(r)
        for r in all_routes(app)
        if not (r.is_staff or r.is_vendor or r.is_requester or r.blueprint in PUBLIC_BLUEPRINTS)
    ]
    assert unguarded == [], "routes outside /staff, /vendor and /tools in a blueprint not known to be public"


def test_every_changing_route_rejects_a_missing_csrf_token(app, csrf, admin_id):
    failures = []
    for route in (r for r in all_routes(app) if r.blueprint not in NO_CSRF_BLUEPRINTS):
        for method in sorted(route.methods & CHANGING_METHODS):
            for who, client in (("anonymous", app.test_client()), ("admin", client_as(app, admin_id))):
                response = _request(client, method, route.url)
                body = response.get_data(as_text=True)
                # A public page's other-language address says it in that language (/es/login).
                if response.status_code != 400 or not any(text in body for text in FORM_EXPIRED):
                    failures.append(f"{method} {route} as {who}: {response.status_code}")
    assert failures == []


def test_staff_routes_send_anonymous_users_to_sign_in_and_refuse_vendor_users(app, vendor_user_id):
    failures = []
    vendor = client_as(app, vendor_user_id)
    for route in (r for r in all_routes(app) if r.is_staff):
        for method in sorted(route.methods):
            anonymous = _request(app.test_client(), method, route.url)
            if not _is_login_redirect(anonymous):
                failures.append(f"{method} {route} anonymous: {anonymous.status_code}")
            as_vendor = _request(vendor, method, route.url)
            if as_vendor.status_code != 403:
                failures.append(f"{method} {route} vendor user: {as_vendor.status_code}")
    assert failures == []


def test_officers_reach_staff_routes_except_the_admin_only_ones(app, officer_id, admin_id):
    failures = []
    officer, admin = client_as(app, officer_id), client_as(app, admin_id)
    for route in (r for r in all_routes(app) if r.is_staff):
        for method in sorted(route.methods):
            response = _request(officer, method, route.url)
            if route.is_admin_only:
                if response.status_code != 403:
                    failures.append(f"{method} {route} officer on an admin-only route: {response.status_code}")
                response = _request(admin, method, route.url)
            if response.status_code in (401, 403, 500) or _is_login_redirect(response):
                failures.append(f"{method} {route}: {response.status_code}")
    assert failures == []


def test_vendor_routes_send_anonymous_users_to_sign_in_and_refuse_staff(app, vendor_user_id, officer_id, admin_id):
    failures = []
    vendor = client_as(app, vendor_user_id)
    for route in (r for r in all_routes(app) if r.is_vendor):
        for method in sorted(route.methods):
            anonymous = _request(app.test_client(), method, route.url)
            if not _is_login_redirect(anonymous):
                failures.append(f"{method} {route} anonymous: {anonymous.status_code}")
            for who, user_id in (("officer", officer_id), ("admin", admin_id)):
                response = _request(client_as(app, user_id), method, route.url)
                if response.status_code != 403:
                    failures.append(f"{method} {route} {who}: {response.status_code}")
            response = _request(vendor, method, route.url)
            if response.status_code in (401, 403, 500) or _is_login_redirect(response):
                failures.append(f"{method} {route} vendor user: {response.status_code}")
    assert failures == []


def test_requesters_are_refused_staff_and_vendor_routes_and_see_public_pages(app, requester_id):
    failures = []
    for route in all_routes(app):
        for method in sorted(route.methods):
            response = _request(client_as(app, requester_id), method, route.url)  # fresh: /logout ends a session
            if route.is_requester:
                if response.status_code in (401, 403, 500) or _is_login_redirect(response):
                    failures.append(f"{method} {route} requester on their own area: {response.status_code}")
            elif route.is_staff or route.is_vendor or route.endpoint in SIGNED_IN_ENDPOINTS:
                if response.status_code != 403:
                    failures.append(f"{method} {route} requester: {response.status_code}")
            elif method == "GET" and (response.status_code in (401, 403, 500) or _is_login_redirect(response)):
                failures.append(f"{method} {route} requester on a public page: {response.status_code}")
    assert failures == []


def test_requester_routes_send_anonymous_users_to_sign_in_and_refuse_everyone_else(
    app, vendor_user_id, officer_id, admin_id
):
    failures = []
    for route in (r for r in all_routes(app) if r.is_requester):
        for method in sorted(route.methods):
            anonymous = _request(app.test_client(), method, route.url)
            if not _is_login_redirect(anonymous):
                failures.append(f"{method} {route} anonymous: {anonymous.status_code}")
            for who, user_id in (("vendor user", vendor_user_id), ("officer", officer_id), ("admin", admin_id)):
                response = _request(client_as(app, user_id), method, route.url)
                if response.status_code != 403:
                    failures.append(f"{method} {route} {who}: {response.status_code}")
    assert failures == []


def _routes_with(app, argument: str, area) -> list[Route]:
    return [r for r in all_routes(app) if area(r) and f"<int:{argument}>" in r.rule]


def test_a_requester_reaches_only_their_own_requests(app, requester_id):
    """Every route of a request (but joining, which adds one to it) is a 404 for another requester."""
    with in_app(app):
        owner = factories.make_user(
            role="requester", email="owner@district.example", password=None, oidc_issuer="https://i", oidc_subject="o"
        )
        school = factories.make_school(name="Owner School")
        with unit_of_work():
            tr, _ = intake.submit_request(
                intake.RequestDraft(name="Owner Tool", purpose="Reading.", school_ids=[school.id]), actor=owner
            )
        request_id = tr.id
    # Joining adds the requester to the request (they see it in the lookup), so it is left out here.
    routes = [r for r in _routes_with(app, "tool_request_id", lambda r: r.is_requester) if r.endpoint != "intake.join"]
    assert routes, "the walk must see the requester's request routes"
    failures = []
    for route in routes:
        url = route.url.replace(str(DUMMY[IntegerConverter]), str(request_id))
        for method in sorted(route.methods):
            response = _request(client_as(app, requester_id), method, url)
            if response.status_code != 404:
                failures.append(f"{method} {url} another requester: {response.status_code}")
    assert failures == []


def test_a_vendor_reaches_only_its_own_questionnaires(app, vendor_user_id, other_vendor_user_id):
    """Every route of a questionnaire is a 404 for another vendor's user (and their lists omit it)."""
    with in_app(app):
        owner = db.session.get(User, vendor_user_id)
        product = factories.make_product(owner.vendor, name="Owner Product")
        officer = factories.make_user(role="officer", email="inviter@district.example")
        with unit_of_work():
            declaration = declarations.invite(product, actor=officer, email=owner.email)
        declaration_id = declaration.id
    routes = _routes_with(app, "declaration_id", lambda r: r.is_vendor)
    assert routes, "the walk must see the questionnaire routes"
    failures = []
    for route in routes:
        url = route.url.replace(str(DUMMY[IntegerConverter]), str(declaration_id))
        for method in sorted(route.methods):
            response = _request(client_as(app, other_vendor_user_id), method, url)
            if response.status_code != 404:
                failures.append(f"{method} {url} another vendor: {response.status_code}")
            if method == "GET" and client_as(app, vendor_user_id).get(url).status_code != 200:
                failures.append(f"{method} {url} its own vendor: not 200")
    assert failures == []
    assert "Owner Product" not in client_as(app, other_vendor_user_id).get("/vendor/questionnaires").get_data(
        as_text=True
    )


def test_signed_in_public_routes_need_a_user(app):
    for route in (r for r in all_routes(app) if r.endpoint in SIGNED_IN_ENDPOINTS):
        assert _is_login_redirect(app.test_client().get(route.url)), route


@pytest.fixture
def viewers(app, admin_id, vendor_user_id, requester_id):
    """Who requests each kind of page: staff pages as an admin, vendor pages as a vendor user,
    requesters' pages as a requester."""
    return {
        "staff": client_as(app, admin_id),
        "vendor": client_as(app, vendor_user_id),
        "requester": client_as(app, requester_id),
        "public": app.test_client(),
    }


def test_every_get_page_has_security_headers_and_no_inline_code(app, viewers):
    failures = []
    for route in (r for r in all_routes(app) if "GET" in r.methods):
        kind = (
            "staff"
            if route.is_staff
            else "vendor"
            if route.is_vendor
            else "requester"
            if route.is_requester
            else "public"
        )
        client = viewers["staff"] if route.endpoint in SIGNED_IN_ENDPOINTS else viewers[kind]
        response = client.get(route.url)
        if response.status_code >= 500:
            failures.append(f"{route}: {response.status_code}")
            continue
        csp = response.headers.get("Content-Security-Policy", "")
        if response.headers.get("Content-Disposition", "").startswith("attachment;"):
            if csp != DOWNLOAD_POLICY:  # a download runs nothing, even when a browser opens it
                failures.append(f"{route}: download with CSP {csp!r}")
        elif "script-src 'self'" not in csp or "unsafe-inline" in csp or "unsafe-eval" in csp:
            failures.append(f"{route}: CSP {csp!r}")
        for header, value in (
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ):
            if response.headers.get(header) != value:
                failures.append(f"{route}: {header} {response.headers.get(header)!r}")
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            for name, pattern in (
                ("inline script", INLINE_SCRIPT),
                ("inline style", INLINE_STYLE),
                ("inline event handler", INLINE_HANDLER),
            ):
                match = pattern.search(html)
                if match:
                    failures.append(f"{route}: {name} {match.group(0)[:80]!r}")
        if kind != "public" and response.headers.get("Cache-Control") != "no-store":
            failures.append(f"{route}: signed-in page without Cache-Control: no-store")
    assert failures == []


def test_the_walk_sees_the_routes_it_must_check(app):
    endpoints = {r.endpoint for r in all_routes(app)}
    assert {
        "accounts.login",
        "accounts.logout",
        "accounts_admin.users",
        "accounts_admin.create",
        "settings.edit",
        "accounts.accept_invitation",
    } <= endpoints
