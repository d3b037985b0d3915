"""Every field reaches only the audiences clearinghouse/visibility.py allows, on every page and e-mail.

The district of tests/visibility/world.py holds a marker in each text field. The public walk
requests every public GET route of `app.url_map` (with real ids and slugs) anonymously; the vendor
walk requests every vendor portal route (and every public route that needs a signed-in user) as
the vendor's user, plus the invitation page its new contact receives; the vendor's e-mails are
every message the real flows delivered to its users and contact over loopback SMTP. Then:
- no audience sees the marker of a field the table keeps from it (and the vendor sees nothing of
  another vendor's but public facts);
- each audience sees the marker of every text field shown to it first (public fields on the
  public walk; vendor-only fields on the vendor walk), so nothing passes by showing nothing;
- every text field of every table holds its marker, so a new column is walked from day one.
"""

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import String, cast, func, select

from clearinghouse.extensions import db
from clearinghouse.i18n import LANG_ARG
from clearinghouse.notices import services as notice_services
from clearinghouse.visibility import FIELDS, Audience
from tests.conftest import client_as, in_app
from tests.visibility.markers import OTHER, UNMARKABLE, json_columns, marker, text_columns
from tests.visibility.world import PARENT_ADDRESS, World, build

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

# Public routes with URL parameters, and the URLs that walk them with the world's real records.
PUBLIC_SAMPLES: dict[str, Callable[[World], list[str]]] = {
    "directory.product": lambda w: [f"/products/{slug}" for slug in w.product_slugs],
    "directory.vendor": lambda w: [f"/vendors/{slug}" for slug in w.vendor_slugs],
    "directory.data_element": lambda w: [f"/data/{slug}" for slug in w.element_slugs],
    "directory.school": lambda w: [f"/schools/{slug}" for slug in w.school_slugs],
    "directory.agreement_document": lambda w: [f"/agreements/{w.published_agreement_id}/document"],
    "reports.overlap": lambda w: [f"/reports/overlap/{slug}" for slug in w.kind_slugs],
    "api.product": lambda w: [f"/api/v1/products/{slug}" for slug in w.product_slugs],
    "api.vendor": lambda w: [f"/api/v1/vendors/{slug}" for slug in w.vendor_slugs],
    "api.school": lambda w: [f"/api/v1/schools/{slug}" for slug in w.school_slugs],
    # A link that was never issued; the real link is the invitee's (see the vendor walk).
    "accounts.accept_invitation": lambda w: ["/invitations/not-a-link-anyone-was-sent"],
    # A subscriber's links, never issued: each page shows only its own subscriber's address to them.
    "subscriptions.confirm": lambda w: ["/follow/confirm/not-a-link-anyone-was-sent"],
    "subscriptions.manage": lambda w: ["/follow/manage/not-a-link-anyone-was-sent"],
    "subscriptions.unsubscribe": lambda w: ["/follow/unsubscribe/not-a-link-anyone-was-sent"],
}
# More views of routes without parameters: every row, retired ones included, on one page.
PUBLIC_VARIANTS = {
    "directory.directory": ["?status=all"],
    "imports_public.export_csv": ["?status=all"],
    "api.vendors": ["?per_page=100"],
    "api.products": ["?per_page=100&status=all"],
    "api.agreements": ["?per_page=100"],
    "api.data_elements": ["?per_page=100"],
    "api.schools": ["?per_page=100"],
}
EXPECTED_STATUS = {
    "/invitations/not-a-link-anyone-was-sent": 404,
    # District sign-in is off in the suite's app; tests/accounts/test_district_sign_in.py walks it.
    "/login/district": 404,
    "/es/login/district": 404,
    "/login/district/callback": 404,
    **{
        f"{language}/follow/{page}/not-a-link-anyone-was-sent": 404
        for language in ("", "/es")
        for page in ("confirm", "manage", "unsubscribe")
    },
}
VENDOR_SAMPLES: dict[str, Callable[[World], list[str]]] = {
    "portal.show_agreement": lambda w: [f"/vendor/agreements/{i}" for i in w.agreement_ids],
    "portal.show_request": lambda w: [f"/vendor/requests/{i}" for i in w.request_ids],
    "portal.upload_certificate": lambda w: [f"/vendor/requests/{i}/certificate" for i in w.open_request_ids],
    "portal.download_certificate": lambda w: [f"/vendor/certificates/{i}/file" for i in w.certificate_ids],
    "portal.questionnaire": lambda w: [f"/vendor/questionnaires/{i}" for i in w.declaration_ids],
}
# Every e-mail template, by who receives it. A new template must be placed here.
VENDOR_EMAILS = {
    "invitation",
    "request_issued",
    "request_reminder",
    "certificate_accepted",
    "certificate_rejected",
    "request_withdrawn",
    "declaration_invited",
    "declaration_reminder",
}
# To the district's staff: its officers, and the requesters (district staff who asked for a tool).
STAFF_EMAILS = {
    "agreement_expiring",
    "certificate_submitted",
    "request_escalated",
    "declaration_submitted",
    "tool_request_opened",
    "tool_request_joined",
    "tool_request_decided",
}
PUBLIC_EMAILS = {"subscription_confirm", "subscription_known", "subscription_digest"}  # to a subscriber
TEXT_TYPES = ("text/", "application/json", "application/atom+xml", "application/xml")
INVITATION_LINK = re.compile(r"https?://[^/\s]+(/invitations/[A-Za-z0-9._-]+)")


@dataclass(frozen=True)
class Seen:
    """One thing an audience received: a page or an e-mail, as lower-case text."""

    source: str
    text: str


def _response_text(response) -> str:
    parts = [response.headers.get("Content-Disposition", "")]
    if response.mimetype.startswith(TEXT_TYPES):
        parts.append(html.unescape(response.get_data(as_text=True)))
    return "\n".join(parts).lower()


def _get(client, url: str) -> Seen:
    response = client.get(url)
    expected = EXPECTED_STATUS.get(url, 200)
    assert response.status_code == expected, f"GET {url}: {response.status_code}, expected {expected}"
    return Seen(f"GET {url}", _response_text(response))


def _get_routes(app: Flask, prefix: str | None):
    """GET routes under `prefix` (None: every route outside /staff and /vendor), static files aside."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        under = rule.rule.split("/")[1]
        # /tools is the requesters' own area: district staff, like /staff (tests/security walks its guards).
        if (prefix is None and under not in ("staff", "vendor", "tools")) or under == prefix:
            yield rule


def _urls(rule, samples: dict, variants: dict, world: World) -> list[str]:
    # A public page's other-language rule (clearinghouse.i18n) is walked in Spanish, where translations show.
    language = "/es" if LANG_ARG in rule.arguments and LANG_ARG not in (rule.defaults or {}) else ""
    if rule.arguments - {LANG_ARG}:
        if rule.endpoint not in samples:
            pytest.fail(
                f"No sample URL for {rule.endpoint} ({rule.rule}): add one to tests/visibility/test_who_sees_what.py "
                "so that the walk covers it."
            )
        return [language + url for url in samples[rule.endpoint](world)]
    path = rule.rule.replace(f"/<lang:{LANG_ARG}>", language)
    return [path] + [path + query for query in variants.get(rule.endpoint, [])]


def _walk_public(app: Flask, world: World) -> tuple[list[Seen], list]:
    """Every public page, anonymously; routes that send an anonymous visitor to sign in are returned."""
    seen, signed_in = [], []
    client = app.test_client()
    for rule in _get_routes(app, None):
        urls = _urls(rule, PUBLIC_SAMPLES, PUBLIC_VARIANTS, world)
        first = client.get(urls[0])
        if first.status_code == 302 and urlsplit(first.headers["Location"]).path == "/login":
            signed_in.append(rule)
            continue
        seen.extend(_get(client, url) for url in urls)
    return seen, signed_in


def _walk_vendor(app: Flask, world: World, signed_in: list, invitation_path: str) -> list[Seen]:
    client = client_as(app, world.vendor_user_id)
    rules = [*_get_routes(app, "vendor"), *signed_in]
    seen = [_get(client, url) for rule in rules for url in _urls(rule, VENDOR_SAMPLES, {}, world)]
    # The vendor's invited contact opens the link from their e-mail, before signing in.
    seen.append(_get(app.test_client(), invitation_path))
    return seen


def _email_text(message: EmailMessage) -> str:
    headers = "\n".join(f"{name}: {' '.join(str(message[name]).split())}" for name in ("Subject", "From", "To"))
    bodies = [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
    return html.unescape("\n".join([headers, *bodies])).lower()


@pytest.fixture
def template_of_subject(monkeypatch) -> dict[str, str]:
    """{subject: template} of every e-mail rendered while the test runs."""
    rendered: dict[str, str] = {}
    render = notice_services._EmailRenderer.render

    def recording(self, template: str, context: dict, language: str | None = None) -> tuple[str, str, str]:
        subject, text, body_html = render(self, template, context, language)
        rendered[subject] = template
        return subject, text, body_html

    monkeypatch.setattr(notice_services._EmailRenderer, "render", recording)
    return rendered


def _leaks(seen: list[Seen], audience: Audience, tags: tuple[str, ...]) -> list[str]:
    """Each field the audience must not see whose marker (with one of `tags`) is in what it saw."""
    found = []
    for table, columns in FIELDS.items():
        for column, rule in columns.items():
            if rule.shown_to(audience):
                continue
            for tag in tags:
                needle = marker(table, column, tag)
                found += [
                    f"{table}.{column}{f' ({tag})' if tag else ''} in {s.source}: {rule.why}"
                    for s in seen
                    if needle in s.text
                ]
    return found


def _missing(seen: list[Seen], audience: Audience) -> list[str]:
    """Each text field whose widest audience is `audience` but whose marker it never saw."""
    text = "\n".join(s.text for s in seen)
    return [
        f"{table}.{column}"
        for table, columns in FIELDS.items()
        for column in text_columns(table)
        if columns[column].audience == audience
        and (table, column) not in UNMARKABLE
        and marker(table, column) not in text
    ]


def test_every_column_of_every_table_has_a_decided_audience(app):
    tables = {table.name: {column.key for column in table.columns} for table in db.metadata.sorted_tables}
    assert {table: set(columns) for table, columns in FIELDS.items()} == tables
    unexplained = [
        f"{table}.{column}"
        for table, columns in FIELDS.items()
        for column, rule in columns.items()
        if rule.audience != Audience.PUBLIC and not rule.why
    ]
    assert unexplained == [], "a field kept from the public must say why"


def test_every_email_template_is_placed_with_its_audience():
    templates = {path.stem for path in (TEMPLATES / "emails").glob("[!_]*.txt")}
    assert templates == VENDOR_EMAILS | STAFF_EMAILS | PUBLIC_EMAILS
    assert not VENDOR_EMAILS & STAFF_EMAILS
    assert not (VENDOR_EMAILS | STAFF_EMAILS) & PUBLIC_EMAILS


def test_public_and_vendor_see_only_the_fields_meant_for_them(app, smtp_server, template_of_subject):
    with in_app(app):
        world = build()
        unmarked = [
            f"{table}.{column}"
            for table in FIELDS
            for column in [*text_columns(table), *json_columns(table)]
            if (table, column) not in UNMARKABLE
            and not db.session.scalar(
                select(func.count())
                .select_from(db.metadata.tables[table])
                .where(cast(db.metadata.tables[table].c[column], String).contains(marker(table, column)))
            )
        ]
    assert unmarked == [], "tests/visibility/world.py must put a marker in these fields"

    to_vendor = [m for m in smtp_server.messages if {a.lower() for a in m.envelope_to} & world.vendor_addresses]
    for message in smtp_server.messages:
        recipients = {a.lower() for a in message.envelope_to}
        template = template_of_subject[" ".join(str(message["Subject"]).split())]
        assert not (recipients & world.vendor_addresses and recipients & world.officer_addresses), (
            f"one e-mail ({template}) went to the vendor and to the district's staff"
        )
        if template in STAFF_EMAILS:
            assert not recipients & world.vendor_addresses, f"the staff e-mail {template} went to the vendor"
    sent_to_vendor = {template_of_subject[" ".join(str(m["Subject"]).split())] for m in to_vendor}
    assert sent_to_vendor == VENDOR_EMAILS, "the flows must send the vendor every kind of vendor e-mail"
    emails = [Seen(f"e-mail {m['Subject']!s}", _email_text(m)) for m in to_vendor]
    [invitation_path] = {
        INVITATION_LINK.search(m.get_body(("plain",)).get_content()).group(1)
        for m in to_vendor
        if template_of_subject[" ".join(str(m["Subject"]).split())] == "invitation"
    }

    public, signed_in = _walk_public(app, world)
    # The e-mails to a parent who follows the district are public: its digest says every public change.
    to_parent = [m for m in smtp_server.messages if PARENT_ADDRESS in m.envelope_to]
    sent_to_parent = {template_of_subject[" ".join(str(m["Subject"]).split())] for m in to_parent}
    assert "subscription_digest" in sent_to_parent
    assert sent_to_parent <= PUBLIC_EMAILS
    public += [Seen(f"e-mail {m['Subject']!s}", _email_text(m)) for m in to_parent]
    vendor = [*_walk_vendor(app, world, signed_in, invitation_path), *emails]

    assert _leaks(public, Audience.PUBLIC, ("", OTHER)) == []
    assert _leaks(vendor, Audience.VENDOR, ("",)) == []
    # Of another vendor (and of the district's staff), our vendor sees nothing but what is public.
    other_private = [
        f"{table}.{column} in {s.source}"
        for table, columns in FIELDS.items()
        for column, rule in columns.items()
        if not rule.shown_to(Audience.PUBLIC)
        for s in vendor
        if marker(table, column, OTHER) in s.text
    ]
    assert other_private == []
    assert _missing(public, Audience.PUBLIC) == [], "public fields the public walk never showed"
    assert _missing(vendor, Audience.VENDOR) == [], "vendor fields the vendor walk never showed"
