"""The school pages: every product used at a school, its data (sensitive first), agreement and
destruction states, in a constant number of queries; and the links to them from other pages."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from lxml import html as lxml_html
from sqlalchemy import event, select

from clearinghouse.destruction.models import RequestStatus
from clearinghouse.directory import school_queries
from clearinghouse.directory.models import DataElement, Product, School, Vendor
from clearinghouse.extensions import db
from clearinghouse.subscriptions.models import Subscriber, Subscription
from clearinghouse.timeutil import district_today, format_date
from tests import factories
from tests.conftest import count_queries, in_app


def _page(response):
    assert response.status_code == 200, response.status_code
    return lxml_html.fromstring(response.get_data(as_text=True))


def _text(node) -> str:
    return " ".join(node.text_content().split())


def _cards(page) -> dict[str, str]:
    """Each product card's text, by product name."""
    return {_text(card.xpath(".//h3")[0]): _text(card) for card in page.xpath("//main//li[contains(@class, 'card')]")}


def test_the_schools_index_lists_each_school_with_its_grades_and_counts(client, catalog):
    page = _page(client.get("/schools"))
    rows = {_text(row.xpath("th")[0]): [_text(td) for td in row.xpath("td")] for row in page.xpath("//tbody/tr")}
    # Lincoln: MathWorld (sensitive data) and Élan Reader; Roosevelt: Quiz Builder and Élan Reader.
    assert rows == {"Lincoln Elementary": ["K-5", "2", "1"], "Roosevelt Middle": ["6-8", "2", "0"]}
    assert page.xpath("//tbody//a/@href") == ["/schools/lincoln", "/schools/roosevelt"]


def test_a_school_page_names_every_product_with_sensitive_data_first(client, catalog):
    page = _page(client.get("/schools/lincoln"))
    assert _text(page.xpath("//h1")[0]) == "Lincoln Elementary"
    facts = dict(zip([_text(n) for n in page.xpath("//dl/dt")], [_text(n) for n in page.xpath("//dl/dd")], strict=True))
    assert facts["Grades"] == "K-5"
    assert facts["Products used"] == "2"
    assert facts["Products that receive sensitive data"] == "1"
    # The retired product used nowhere and the retired vendor's product are not in use here.
    cards = _cards(page)
    assert set(cards) == {"Élan Reader", "MathWorld"}
    math = cards["MathWorld"]
    assert "Sensitive data: Student Disability Information" in math
    assert math.index("Student Disability Information") < math.index("Date of Birth")
    today = district_today()
    assert f"Agreement: Signed, in effect until {format_date(today + timedelta(days=700))}" in math
    assert "Approved" in math
    assert "Sensitive data: none" in cards["Élan Reader"]
    assert f"Agreement: Signed, expiring on {format_date(today + timedelta(days=30))}" in cards["Élan Reader"]
    summary = _text(page.xpath("//section[@aria-labelledby='sensitive-heading']")[0])
    assert summary == "Sensitive data received at this school Student Disability Information: 1 product"
    links = page.xpath("//main//a/@href")
    assert "/products/mathworld" in links
    assert "/data/disability" in links
    assert "/directory?school=lincoln" in links
    assert "/api/v1/schools/lincoln" in links


def test_a_school_page_shows_destruction_and_a_missing_agreement(client, app, catalog):
    with in_app(app):
        acme = db.session.scalar(select(Vendor).where(Vendor.slug == "acme-learning"))
        lincoln = db.session.scalar(select(School).where(School.slug == "lincoln"))
        today = district_today()
        ended = factories.make_agreement(
            acme,
            [],
            signed_on=today - timedelta(days=800),
            effective_on=today - timedelta(days=800),
            expires_on=today - timedelta(days=70),
        )
        product = factories.make_product(acme, name="Spelling Bee", slug="spelling-bee", schools=[lincoln])
        ended.products.append(product)
        factories.make_product(acme, name="Unsigned App", slug="unsigned-app", schools=[lincoln])
        factories.make_destruction_request(
            acme,
            ended,
            issued_on=today - timedelta(days=60),
            status=RequestStatus.ACCEPTED,
            closed_on=today - timedelta(days=5),
        )
        db.session.commit()
        certified_on = format_date(today - timedelta(days=5))
        expired_on = format_date(today - timedelta(days=70))
    cards = _cards(_page(client.get("/schools/lincoln")))
    assert f"Agreement: Signed, expired on {expired_on}" in cards["Spelling Bee"]
    assert f"Data destruction certified on {certified_on}" in cards["Spelling Bee"]
    assert "No agreement on file" in cards["Unsigned App"]
    assert "The district has not recorded any student data for this product." in cards["Unsigned App"]


def test_a_school_page_is_in_spanish_under_es(client, catalog):
    page = _page(client.get("/es/schools/lincoln"))
    assert page.get("lang") == "es"
    assert "Grados" in [_text(n) for n in page.xpath("//dl/dt")]
    assert page.xpath("//main//a[text()='MathWorld']/@href") == ["/es/products/mathworld"]
    assert page.xpath("//a[@hreflang='en']/@href") == ["/schools/lincoln"]


def test_an_unknown_or_retired_school(client, app, catalog):
    assert client.get("/schools/no-such-school").status_code == 404
    assert client.get("/schools/%e2%80%ae").status_code == 404
    with in_app(app):
        factories.make_school(name="Old Annex", slug="old-annex", is_retired=True)
        db.session.commit()
    page = _page(client.get("/schools/old-annex"))
    assert "no longer lists this school" in _text(page.xpath("//main")[0])
    assert "Old Annex" not in client.get("/schools").get_data(as_text=True)


def test_other_pages_link_to_the_school_pages(client, catalog):
    product = _page(client.get("/products/elan-reader"))
    assert product.xpath("//dd/a[starts-with(@href, '/schools/')]/@href") == ["/schools/lincoln", "/schools/roosevelt"]
    directory = _page(client.get("/directory?school=roosevelt"))
    assert "/schools/roosevelt" in directory.xpath("//main//a/@href")
    reports = _page(client.get("/reports/"))
    assert set(reports.xpath("//section[@aria-labelledby='schools']//a/@href")) == {
        "/schools/lincoln",
        "/schools/roosevelt",
    }
    home = _page(client.get("/"))
    assert home.xpath("//nav[contains(@class, 'site-nav')]//a[@href='/schools']")


def test_a_school_is_followed_by_e_mail_from_its_page(client, app, catalog):
    for prefix in ("", "/es"):
        page = _page(client.get(f"{prefix}/schools/lincoln"))
        (form,) = page.xpath("//section[contains(@class, 'follow')]//form")
        assert form.get("action") == f"{prefix}/follow"
        fields = {field.get("name"): field.get("value") for field in form.xpath(".//input")}
        assert fields == {"scope": "school", "target": "lincoln", "email": None}
        answer = client.post(form.get("action"), data={**fields, "email": f"parent{prefix.strip('/')}@example.org"})
        assert (answer.status_code, answer.headers["Location"]) == (303, f"{prefix}/follow/sent")
    with in_app(app):
        lincoln = db.session.scalar(select(School).where(School.slug == "lincoln"))
        followed = db.session.execute(
            select(Subscriber.email, Subscriber.language, Subscription.school_id).join(Subscription)
        )
        assert sorted(followed) == [
            ("parent@example.org", "en", lincoln.id),
            ("parentes@example.org", "es", lincoln.id),
        ]


def test_the_school_api_lists_and_details_schools(client, catalog):
    listing = client.get("/api/v1/schools").get_json()
    assert [(s["slug"], s["product_count"], s["sensitive_product_count"]) for s in listing["data"]] == [
        ("lincoln", 2, 1),
        ("roosevelt", 2, 0),
    ]
    assert listing["data"][0]["html_url"].endswith("/schools/lincoln")
    detail = client.get("/api/v1/schools/lincoln").get_json()["data"]
    assert {p["slug"] for p in detail["products"]} == {"elan-reader", "mathworld"}
    assert detail["grade_band"] == "K-5"
    assert client.get("/api/v1/schools/nope").status_code == 404


# --- Query counts ----------------------------------------------------------------------------


def _grow_school(total: int) -> None:
    """Bring the school "busy" up to `total` products, each with sensitive and other data and an agreement."""
    school = db.session.scalar(select(School).where(School.slug == "busy"))
    if school is None:
        school = factories.make_school(name="Busy School", slug="busy", grade_band="K-12")
        category = factories.make_category(name="Health", slug="health")
        factories.make_element(category, name="Allergies", slug="allergies", is_sensitive=True)
    allergies = db.session.scalar(select(DataElement).where(DataElement.slug == "allergies"))
    category = allergies.category
    have = len(school.products)
    today = district_today()
    for n in range(have, total):
        vendor = factories.make_vendor(name=f"Busy Vendor {n}")
        element = factories.make_element(category, name=f"Busy Element {n}")
        product = factories.make_product(
            vendor, name=f"Busy Product {n}", elements=[allergies, element], schools=[school]
        )
        agreement = factories.make_agreement(
            vendor,
            [product],
            signed_on=today - timedelta(days=900),
            effective_on=today - timedelta(days=900),
            expires_on=today - timedelta(days=100 + n),
        )
        factories.make_destruction_request(vendor, agreement, issued_on=today - timedelta(days=90))
        factories.make_agreement(vendor, [product], expires_on=None)
    db.session.commit()
    assert db.session.scalar(select(Product).where(Product.name == f"Busy Product {total - 1}")) is not None


SCHOOL_PAGES = ["/schools", "/schools/busy", "/es/schools/busy", "/api/v1/schools", "/api/v1/schools/busy"]


def _counts(app, client) -> dict[str, int]:
    counts = {}
    for url in SCHOOL_PAGES:
        with count_queries(app) as statements:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = len(statements)
    return counts


def test_school_pages_run_a_constant_number_of_queries(app, client):
    with in_app(app):
        _grow_school(3)
    small = _counts(app, client)
    with in_app(app):
        _grow_school(40)
    large = _counts(app, client)
    assert small == large
    # The page: settings, school, its counts, its sensitive data, a page of products, their data,
    # their agreements, destruction statuses.
    assert small["/schools/busy"] <= 8, small
    assert small["/schools"] <= 2, small


# --- Paging: a page of products, the figures of all ----------------------------------------------


@contextmanager
def products_loaded() -> Iterator[list[int]]:
    """How many Product rows the block turned into objects (ORM `load` events)."""
    loaded: list[int] = []

    def on_load(target, context):
        loaded.append(target.id)

    event.listen(Product, "load", on_load)
    try:
        yield loaded
    finally:
        event.remove(Product, "load", on_load)


def test_a_school_page_loads_one_page_of_products_and_counts_them_all_in_sql(app, client):
    with in_app(app):
        _grow_school(30)
    names = sorted(f"Busy Product {n}" for n in range(30))
    with products_loaded() as loaded:
        first = _page(client.get("/schools/busy"))
    assert loaded == []  # a page's products are read as plain rows (`CardProduct`), 25 of them (PAGE_SIZE)
    with in_app(app):
        assert len(school_queries.school_page("busy", district_today(), 1, 25).results.items) == 25
    terms, values = first.xpath("//dl/dt"), first.xpath("//dl/dd")
    facts = dict(zip([_text(n) for n in terms], [_text(n) for n in values], strict=True))
    assert (facts["Products used"], facts["Products that receive sensitive data"]) == ("30", "30")
    summary = _text(first.xpath("//section[@aria-labelledby='sensitive-heading']")[0])
    assert summary == "Sensitive data received at this school Allergies: 30 products"
    assert list(_cards(first)) == names[:25]
    assert _text(first.xpath("//h2[@id='products-heading']")[0]) == "Products used at this school, page 1 of 2"
    nav = first.xpath("//nav[@class='pagination'][@aria-label='Pages']")[0]
    assert nav.xpath(".//a[@aria-current='page']/@href") == ["/schools/busy?page=1"]
    assert nav.xpath(".//a[@rel='next']/@href") == ["/schools/busy?page=2"]
    with products_loaded() as loaded:
        second = _page(client.get("/schools/busy?page=2"))
    assert loaded == []
    with in_app(app):
        assert len(school_queries.school_page("busy", district_today(), 2, 25).results.items) == 5
    assert list(_cards(second)) == names[25:]
    assert "30" in _text(second.xpath("//dl")[0])  # the figures are the school's, on every page
    # Each product still names its sensitive data first.
    assert _cards(second)[names[25]].index("Allergies") < _cards(second)[names[25]].index("Busy Element")
    spanish = _page(client.get("/es/schools/busy?page=2"))
    assert spanish.xpath("//nav[@class='pagination']//a[@rel='prev']/@href") == ["/es/schools/busy?page=1"]
    with products_loaded() as loaded:
        past = _page(client.get("/schools/busy?page=9"))
    assert loaded == []
    assert "There is no page 9 of these results." in _text(past.xpath("//main")[0])
    assert past.xpath("//main//a[text()='Go to the first page']/@href") == ["/schools/busy"]


def test_the_school_api_is_paged_like_the_lists_with_links_from_base_url(app, client):
    with in_app(app):
        _grow_school(30)
    with products_loaded() as loaded:
        response = client.get("/api/v1/schools/busy?page=3&per_page=10", headers={"Host": "evil.example"})
    assert loaded == []  # the page's products are read as plain rows (`api.queries.product_rows`)
    body = response.get_json()
    assert (body["data"]["product_count"], body["data"]["sensitive_product_count"]) == (30, 30)
    assert [p["name"] for p in body["data"]["products"]] == sorted(f"Busy Product {n}" for n in range(30))[20:]
    assert body["meta"] == {"total": 30, "page": 3, "per_page": 10, "pages": 3}
    assert body["links"] == {
        "self": "http://localhost/api/v1/schools/busy?page=3&per_page=10",
        "first": "http://localhost/api/v1/schools/busy?page=1&per_page=10",
        "last": "http://localhost/api/v1/schools/busy?page=3&per_page=10",
        "next": None,
        "prev": "http://localhost/api/v1/schools/busy?page=2&per_page=10",
    }
    assert len(client.get("/api/v1/schools/busy").get_json()["data"]["products"]) == 25
    for bad in ("page=0", "per_page=101", "page=x"):
        refused = client.get(f"/api/v1/schools/busy?{bad}")
        assert refused.status_code == 400, bad
        assert refused.mimetype == "application/json"


def test_a_schools_data_is_named_in_the_readers_language(client, app):
    # The elements' translations are read as text and decoded once an element (`school_queries`).
    with in_app(app):
        school = factories.make_school(name="Hale", slug="hale")
        grade = factories.make_element(name="Grade", is_sensitive=True, translations={"es": {"name": "Curso"}})
        plain = factories.make_element(name="Plain Email")
        bare = factories.make_element(name="Bare Field", is_sensitive=True)  # no translation
        for name in ("Alpha App", "Beta App"):
            factories.make_product(name=name, elements=[plain, grade, bare], schools=[school])
        db.session.commit()
        expected = {"grade": grade.slug, "plain": plain.slug, "bare": bare.slug}
    for prefix, grade_name in (("", "Grade"), ("/es", "Curso")):
        page = _page(client.get(f"{prefix}/schools/hale"))
        cards = _cards(page)
        assert set(cards) == {"Alpha App", "Beta App"}
        for text in cards.values():
            assert grade_name in text
            assert "Plain Email" in text
        summary = [_text(item) for item in page.xpath("//ul[@class='sensitive-summary']/li")]
        assert sorted(line.split(":")[0] for line in summary) == sorted([grade_name, "Bare Field"])
        links = page.xpath("//main//a/@href")
        assert {f"{prefix}/data/{slug}" for slug in expected.values()} <= set(links)
