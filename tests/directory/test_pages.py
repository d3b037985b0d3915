"""The public pages over real HTTP: what a parent sees on each, with no login."""

import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfWriter
from sqlalchemy import select

from clearinghouse.agreements.models import Agreement
from clearinghouse.destruction.models import DestructionRequest, RequestOrigin, RequestStatus
from clearinghouse.directory.models import Product
from clearinghouse.extensions import db
from clearinghouse.settings.services import ensure_settings
from clearinghouse.storage import store_pdf
from clearinghouse.timeutil import district_today, utcnow
from tests import factories
from tests.conftest import in_app


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_home_shows_search_box_and_headline_counts(client, catalog):
    html = _text(client.get("/"))
    assert '<form class="search-form" method="get" action="/directory"' in html
    assert 'name="q"' in html
    assert '<label class="field__label" for="q">' in html
    # Vendors with a listed product: Acme, Bright (Gone is retired). Products: three listed of five.
    assert '<span class="stat__number">2</span> companies' in html
    assert '<span class="stat__number">3</span> products in use' in html
    # Data elements received by listed products: date of birth, disability, language.
    assert '<span class="stat__number">3</span> kinds of student data shared' in html
    # Agreements in force: the active one and the expiring one; the expired one does not count.
    assert '<span class="stat__number">2</span> agreements in force' in html
    assert "Recently updated" in html
    assert "Old Phonics" not in html


def test_home_with_an_empty_directory_says_zero(client):
    html = _text(client.get("/"))
    assert '<span class="stat__number">0</span> companies' in html
    assert "Recently updated" not in html


def test_product_page_shows_everything_a_parent_needs(client, catalog):
    html = _text(client.get("/products/mathworld"))
    assert "<h1>MathWorld</h1>" in html
    assert '<a href="/vendors/acme-learning">Acme Learning</a>' in html
    assert "Learning platform" in html
    assert "Approved" in html
    assert '<a href="/schools/lincoln">Lincoln Elementary</a> (K-5)' in html
    assert "<strong>arithmetic</strong>" in html  # purpose rendered from Markdown
    # Data grouped by category, sensitive ones marked with words.
    assert "<caption>Demographics</caption>" in html
    assert "<caption>Special Indicators</caption>" in html
    data = html[html.index("<h2>Student data it receives</h2>") :]
    assert data.index("Date of Birth") < data.index("Student Disability Information")
    row = data[data.index("Student Disability Information") :]
    assert row.index('<span class="badge badge--sensitive">Sensitive</span>') < row.index("</th>")
    assert "2 kinds of student data, 1 of them sensitive" in html
    assert "To provide the service (Date of Birth)." in html
    # The agreement, its dates and state.
    assert "National Data Privacy Agreement (NDPA)" in html
    assert '<span class="badge badge--ok">Active</span>' in html
    today = district_today()
    assert f"{(today + timedelta(days=700)):%B} {(today + timedelta(days=700)).day}" in html
    assert "Not published" in html
    assert "Change history" in html


def test_product_page_shows_expiring_and_expired_states(client, catalog):
    assert '<span class="badge badge--warn">Expiring soon</span>' in _text(client.get("/products/elan-reader"))
    html = _text(client.get("/products/old-phonics"))
    assert '<span class="badge badge--bad">Expired</span>' in html
    assert '<span class="badge badge--neutral">Retired</span>' in html


def test_product_of_a_retired_vendor_shows_as_retired(client, catalog):
    html = _text(client.get("/products/legacy-gradebook"))
    assert '<span class="badge badge--neutral">Retired</span>' in html
    assert "No agreement on file" in html


def test_product_page_markdown_is_sanitised(client, app):
    with in_app(app):
        vendor = factories.make_vendor(name="Sneaky Inc", slug="sneaky")
        factories.make_product(
            vendor,
            name="Trap",
            slug="trap",
            website="javascript:alert(1)",
            purpose_md="<script>alert(1)</script><img src=x onerror=alert(2)>"
            '[x](javascript:alert(3)) **bold** <a href="https://ok.example">ok</a>',
        )
    html = _text(client.get("/products/trap"))
    main = html[html.index("<main") : html.index("</main>")]
    assert "<script>" not in main
    assert "onerror" not in main
    assert "javascript:" not in main
    assert "<strong>bold</strong>" in main
    assert 'href="https://ok.example"' in main


def test_product_page_shows_change_history_and_destruction_status(client, app, catalog):
    with in_app(app):
        product = db.session.scalar(select(Product).where(Product.slug == "old-phonics"))
        factories.make_revision(
            product.vendor,
            product,
            summary="Old Phonics no longer receives Lunch status.",
            occurred_at=utcnow() - timedelta(days=3),
        )
        factories.make_revision(product.vendor, product, summary="Old Phonics: status changed to Retired.")
    html = _text(client.get("/products/old-phonics"))
    history = html[html.index("Change history") :]
    assert history.index("status changed to Retired") < history.index("no longer receives Lunch status")
    assert "Updated on" in history


def test_product_page_shows_public_destruction_status_of_an_ended_agreement(client, app, catalog):
    with in_app(app):
        agreement = db.session.scalar(select(Agreement).where(Agreement.products.any(Product.slug == "old-phonics")))
        today = district_today()
        db.session.add(
            DestructionRequest(
                vendor_id=agreement.vendor_id,
                agreement_id=agreement.id,
                origin=RequestOrigin.AGREEMENT_ENDED,
                reason="The agreement ended.",
                issued_on=today - timedelta(days=90),
                due_on=today - timedelta(days=30),
                status=RequestStatus.OPEN,
            )
        )
        db.session.commit()
    html = _text(client.get("/products/old-phonics"))
    assert "Data destruction overdue since" in html
    assert "badge--bad" in html


def test_vendor_page_lists_products_and_agreements(client, catalog):
    html = _text(client.get("/vendors/acme-learning"))
    assert "<h1>Acme Learning</h1>" in html
    assert "<strong>maths</strong>" in html  # description rendered from Markdown…
    assert "<script>" not in html.split("<main")[1]
    assert "javascript:" not in html
    assert '<a href="/products/mathworld">MathWorld</a>' in html
    assert '<a href="/products/quiz-builder">Quiz Builder</a>' in html
    assert "Under review" in html
    assert "Covers" in html


def test_vendor_page_names_the_products_each_agreement_covers_by_name(app, client):
    """Each agreement's card names its own products (read apart from the agreements, as plain rows), in the
    order of their names whatever their case, a retired product among them."""
    with in_app(app):
        vendor = factories.make_vendor(name="Two Deals", slug="two-deals")
        zeta = factories.make_product(vendor, name="Zeta Maps", slug="zeta-maps")
        alpha = factories.make_product(vendor, name="alpha Notes", slug="alpha-notes", status="retired")
        middle = factories.make_product(vendor, name="Middle Math", slug="middle-math")
        factories.make_agreement(vendor, [zeta, alpha], effective_on=date(2025, 7, 1))
        factories.make_agreement(vendor, [middle], effective_on=date(2024, 7, 1))
        factories.make_agreement(vendor, [], effective_on=date(2023, 7, 1))
        db.session.commit()
    html = _text(client.get("/vendors/two-deals"))
    covers = re.findall(r"<dt>Covers</dt><dd>(.*?)</dd>", html)
    assert covers == [
        '<a href="/products/alpha-notes">alpha Notes</a>, <a href="/products/zeta-maps">Zeta Maps</a>',
        '<a href="/products/middle-math">Middle Math</a>',
        "No products listed",
    ]
    spanish = _text(client.get("/es/vendors/two-deals"))
    assert '<a href="/es/products/alpha-notes">alpha Notes</a>, <a href="/es/products/zeta-maps">Zeta Maps</a>' in (
        spanish
    )


def test_product_page_names_its_schools_by_name_with_their_grades(app, client):
    with in_app(app):
        schools = [
            factories.make_school(name="Washington High", slug="washington", grade_band="9-12"),
            factories.make_school(name="Adams Middle", slug="adams", grade_band=""),
        ]
        factories.make_product(name="Atlas", slug="atlas", schools=schools)
        db.session.commit()
    html = _text(client.get("/products/atlas"))
    assert (
        '<dt>Who uses it</dt><dd><a href="/schools/adams">Adams Middle</a>, '
        '<a href="/schools/washington">Washington High</a> (9-12)'
    ) in html


def test_vendor_page_lists_its_products_a_page_at_a_time(app, client):
    with in_app(app):
        vendor = factories.make_vendor(name="Many Tools", slug="many-tools")
        for n in range(27):
            factories.make_product(vendor, name=f"Tool {n:02d}", slug=f"tool-{n:02d}")
        db.session.commit()
    first = _text(client.get("/vendors/many-tools"))
    assert "Products, page 1 of 2" in first
    assert '<a href="/products/tool-24">Tool 24</a>' in first
    assert "tool-25" not in first
    assert '<a rel="next" href="/vendors/many-tools?page=2">' in first
    second = _text(client.get("/vendors/many-tools?page=2"))
    assert "Products, page 2 of 2" in second
    assert '<a href="/products/tool-26">Tool 26</a>' in second
    assert "tool-24" not in second
    past = _text(client.get("/vendors/many-tools?page=3"))
    assert "There is no page 3 of these results." in past
    assert '<a href="/vendors/many-tools">Go to the first page</a>' in past


def test_retired_vendor_page_says_so(client, catalog):
    html = _text(client.get("/vendors/gone-software"))
    assert "The district no longer works with this company." in html


def test_data_elements_index_groups_by_category_with_counts(client, catalog):
    html = _text(client.get("/data"))
    assert html.index('<h2 id="category-demographics">Demographics</h2>') < html.index("Special Indicators")
    birth = html[html.index('href="/data/date-of-birth"') :]
    assert "<td>3</td>" in birth[: birth.index("</tr>")]  # listed products only: MathWorld, Quiz, Élan
    disability = html[html.index('href="/data/disability"') :]
    assert '<span class="badge badge--sensitive">Sensitive</span>' in disability[: disability.index("</tr>")]
    medical = html[html.index('href="/data/medical-alerts"') :]
    assert "<td>0</td>" in medical[: medical.index("</tr>")]


def test_data_element_page_lists_every_product_receiving_it(client, catalog):
    html = _text(client.get("/data/date-of-birth"))
    assert "<h1>Date of Birth</h1>" in html
    assert "3 products in use receive it" in html
    for name in ("MathWorld", "Quiz Builder", "Élan Reader"):
        assert f">{name}</a>" in html
    assert "Old Phonics" not in html
    assert "Legacy Gradebook" not in html
    assert "To provide the service (Date of Birth)." in html


def test_data_element_page_paginates(client, app):
    with in_app(app):
        element = factories.make_element(name="Student ID", slug="student-id")
        vendor = factories.make_vendor()
        for n in range(30):
            factories.make_product(vendor, name=f"App {n:02d}", elements=[element])
    first = _text(client.get("/data/student-id"))
    assert "30 products in use receive it, page 1 of 2" in first
    assert "App 00" in first
    assert "App 25" not in first
    second = _text(client.get("/data/student-id?page=2"))
    assert "App 25" in second
    assert "App 00" not in second
    assert 'rel="prev" href="/data/student-id?page=1"' in second


def test_sensitive_element_page_says_it_is_sensitive(client, catalog):
    html = _text(client.get("/data/disability"))
    assert "This is sensitive student data." in html
    assert "1 product in use receives it" in html


def test_element_nobody_receives_has_an_empty_state(client, catalog):
    html = _text(client.get("/data/medical-alerts"))
    assert "No product in use receives this data." in html


def test_about_page_has_a_default_privacy_notice(client, app):
    html = _text(client.get("/about"))
    assert "<h1>About this site</h1>" in html
    assert "No tracking." in html
    assert "No cookies for visitors." in html


def test_about_page_shows_the_districts_own_notice_as_markdown(client, app):
    with in_app(app):
        settings = ensure_settings()
        settings.privacy_notice_md = "Our **own** notice. <script>x()</script>"
        db.session.commit()
    html = _text(client.get("/about"))
    assert "Our <strong>own</strong> notice." in html
    assert "No tracking." not in html
    assert "<script>x()" not in html


def test_public_pages_need_no_login_and_set_no_cookie(client, catalog):
    for url in (
        "/",
        "/directory",
        "/products/mathworld",
        "/vendors/acme-learning",
        "/data",
        "/data/date-of-birth",
        "/about",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, url


@pytest.mark.parametrize(
    "url",
    [
        "/products/no-such-product",
        "/vendors/no-such-vendor",
        "/data/no-such-element",
        "/products/%00",
        "/products/%F0%9F%98%80",
        "/vendors/a%ED%A0%80b",
        "/data/" + "x" * 5000,
        "/products/MATHWORLD%27%20OR%201=1",
        "/agreements/999999/document",
        "/agreements/abc/document",
    ],
)
def test_unknown_pages_get_the_sites_404(client, catalog, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _agreement_with_document(app, published: bool) -> tuple[int, bytes]:
    data = _pdf()
    with in_app(app):
        vendor = factories.make_vendor()
        product = factories.make_product(vendor)
        stored = store_pdf(io.BytesIO(data), "Signed NDPA 2025.pdf")
        db.session.flush()
        agreement = factories.make_agreement(vendor, [product], document_id=stored.id, is_document_published=published)
        return agreement.id, data


def test_published_agreement_document_downloads_as_an_attachment(client, app):
    agreement_id, data = _agreement_with_document(app, published=True)
    response = client.get(f"/agreements/{agreement_id}/document")
    assert response.status_code == 200
    assert response.data == data
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert f'filename="agreement-{agreement_id}.pdf"' in response.headers["Content-Disposition"]
    assert "Signed NDPA 2025" not in response.headers["Content-Disposition"]  # the uploader's name is not public
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    with in_app(app):
        slug = db.session.get(Agreement, agreement_id).products[0].slug
    assert f'href="/agreements/{agreement_id}/document"' in _text(client.get(f"/products/{slug}"))


def test_unpublished_agreement_document_is_not_found(client, app):
    agreement_id, _ = _agreement_with_document(app, published=False)
    assert client.get(f"/agreements/{agreement_id}/document").status_code == 404
    with in_app(app):
        slug = db.session.get(Agreement, agreement_id).products[0].slug
    assert "/document" not in _text(client.get(f"/products/{slug}"))


def test_published_flag_without_a_document_is_not_found(client, app):
    with in_app(app):
        vendor = factories.make_vendor()
        agreement_id = factories.make_agreement(vendor, [], is_document_published=True).id
    assert client.get(f"/agreements/{agreement_id}/document").status_code == 404
