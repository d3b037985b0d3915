"""The open data API: lists, details, filters, pagination, validators for caches, bad input, query counts."""

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select
from werkzeug.http import http_date, parse_date

from clearinghouse.agreements.models import Agreement
from clearinghouse.api import queries
from clearinghouse.destruction.public import status_by_agreement
from clearinghouse.directory.models import Product, ProductStatus, School, Vendor
from clearinghouse.extensions import db
from clearinghouse.timeutil import DEFAULT_ZONE, district_today, zone_named
from tests import factories
from tests.api.sample import build_directory, many_products
from tests.conftest import count_queries, in_app

LISTS = ["/api/v1/vendors", "/api/v1/products", "/api/v1/data-elements", "/api/v1/agreements"]


@pytest.fixture
def directory(app) -> dict[str, int]:
    with in_app(app):
        return build_directory()


def walk(client, url: str) -> list[dict]:
    """Every row of a list, following the `next` links."""
    rows: list[dict] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json
        rows += response.json["data"]
        url = response.json["links"]["next"]
    return rows


def test_open_data_page_describes_the_api_with_links(client):
    response = client.get("/api/v1/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count("<h1") == 1
    for path in [*LISTS, "/api/v1/openapi.json"]:
        assert f'href="{path}"' in page


def test_vendors_are_listed_by_name_a_page_at_a_time(app, client):
    with in_app(app):
        for name in ["Echo", "Alpha", "Delta", "Bravo", "Charlie"]:
            factories.make_vendor(name=name)
    first = client.get("/api/v1/vendors?per_page=2").json
    assert first["meta"] == {"total": 5, "page": 1, "per_page": 2, "pages": 3}
    assert first["links"]["prev"] is None
    assert first["links"]["next"].endswith("/api/v1/vendors?page=2&per_page=2")
    names = [row["name"] for row in walk(client, "/api/v1/vendors?per_page=2")]
    assert names == ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    last = client.get("/api/v1/vendors?per_page=2&page=3").json
    assert last["links"]["next"] is None
    assert last["links"]["prev"].endswith("page=2&per_page=2")


def test_a_page_past_the_end_is_empty_not_an_error(app, client):
    with in_app(app):
        factories.make_vendor()
    body = client.get("/api/v1/vendors?page=7").json
    assert body["data"] == []
    assert body["meta"]["total"] == 1


def test_product_shows_its_data_uses_schools_and_agreement_facts(app, client, directory):
    body = client.get("/api/v1/products/acme-math").json["data"]
    assert body["vendor"]["name"] == "Acme Learning"
    assert body["kind"] == "math"
    assert body["status"] == "approved"
    assert [s["slug"] for s in body["schools"]] == ["north-elementary"]
    uses = {use["element"]: use for use in body["data_uses"]}
    assert uses["allergies"]["is_sensitive"] is True
    assert uses["allergies"]["category"] == "health"
    assert uses["date-of-birth"]["purpose"] == "To provide the service (Date of birth)."
    [agreement] = body["agreements"]
    with in_app(app):
        expected = db.session.get(Agreement, directory["active_agreement_id"]).state_on(district_today())
    assert agreement["state"] == expected.value
    assert agreement["signed_on"] == "2025-07-01"
    assert agreement["expires_on"] == "2028-06-30"
    assert agreement["destruction"] is None
    assert agreement["document_url"] is None  # the signed document is not published


def test_ended_agreement_shows_the_public_destruction_status(app, client, directory):
    body = client.get("/api/v1/products/beta-reader").json["data"]
    [agreement] = body["agreements"]
    assert agreement["state"] == "terminated"
    assert agreement["terminated_on"] == "2024-12-31"
    with in_app(app):
        status = status_by_agreement([directory["ended_agreement_id"]], district_today())[
            directory["ended_agreement_id"]
        ]
    assert agreement["destruction"] == {"label": status.label, "badge": "bad"}
    assert "overdue" in status.label


def test_vendor_detail_lists_products_and_agreements(client, directory):
    body = client.get("/api/v1/vendors/beta-reading-co").json["data"]
    assert [p["slug"] for p in body["products"]] == ["beta-reader", "old-phonics"]
    [agreement] = body["agreements"]
    assert [p["slug"] for p in agreement["products"]] == ["beta-reader", "old-phonics"]
    assert agreement["destruction"]["badge"] == "bad"


def test_agreements_list_has_vendor_products_and_state(client, directory):
    rows = client.get("/api/v1/agreements").json["data"]
    assert [(row["vendor"]["slug"], row["state"]) for row in rows][1] == ("beta-reading-co", "terminated")
    assert rows[0]["vendor"]["slug"] == "acme-learning"
    assert rows[0]["products"][0]["slug"] == "acme-math"


def test_data_elements_count_the_products_that_receive_them(client, directory):
    rows = {row["slug"]: row for row in client.get("/api/v1/data-elements").json["data"]}
    assert rows["date-of-birth"]["product_count"] == 2  # as in the directory: the retired product is not counted
    assert rows["allergies"]["product_count"] == 1
    assert rows["immunizations"]["product_count"] == 0
    assert rows["allergies"]["products_url"].endswith("/api/v1/products?element=allergies")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["acme-math", "beta-reader"]),  # retired products only when asked for
        ("status=retired", ["old-phonics"]),
        ("element=allergies", ["acme-math"]),
        ("category=demographics", ["acme-math", "beta-reader"]),
        ("school=south-middle", ["beta-reader"]),
        ("school=north-elementary&element=allergies", ["acme-math"]),
        ("school=south-middle&element=allergies", []),
        ("q=reader", ["beta-reader"]),
        ("q=acme+math", ["acme-math"]),
        ("agreement=terminated", ["beta-reader"]),
        ("agreement=terminated&status=all", ["beta-reader", "old-phonics"]),
        ("agreement=none", []),
        ("status=all", ["acme-math", "beta-reader", "old-phonics"]),
        ("element=no-such-element", []),
    ],
)
def test_product_filters_are_the_directorys_and_combine(client, directory, query, expected):
    body = client.get(f"/api/v1/products?{query}").json
    assert [row["slug"] for row in body["data"]] == expected
    assert body["meta"]["total"] == len(expected)


def test_products_are_listed_by_name_then_vendor_a_page_at_a_time(app, client):
    """Each page is picked on narrow columns before its rows are loaded (`api.queries.list_products`):
    walked a product at a time, the list is the one sorted whole, same-named products by vendor."""
    with in_app(app):
        for vendor_name in ["Zulu", "Alpha", "Mike"]:
            vendor = factories.make_vendor(name=vendor_name)
            for name in ["Reader", "Atlas", "Maps"]:
                factories.make_product(vendor, name=name, slug=f"{name}-{vendor_name}".lower())
        db.session.commit()
    whole = client.get("/api/v1/products?per_page=100").json
    assert whole["meta"]["total"] == 9
    slugs = [row["slug"] for row in whole["data"]]
    assert slugs[:3] == ["atlas-alpha", "atlas-mike", "atlas-zulu"]
    assert [row["slug"] for row in walk(client, "/api/v1/products?per_page=1")] == slugs
    assert client.get("/api/v1/products?per_page=4&page=3").json["meta"] == {
        "total": 9,
        "page": 3,
        "per_page": 4,
        "pages": 3,
    }


def test_every_page_of_same_named_products_is_the_one_sorted_whole(app, client):
    """A page of the list, whole or by status, is picked by the names at its places in (name, id) order,
    then ranked by vendor (`directory.queries.seek_name_page`; a filtered list sorts its matches): with names shared
    by several vendors whose names sort against their ids, across every page boundary, with unlisted
    products among them, each page size walks the list sorted whole, with or without a filter."""
    with in_app(app):
        retired_vendor = factories.make_vendor(name="Kilo")
        for vendor_name in ["Zulu", "Alpha", "Mike", "Kilo"]:
            vendor = retired_vendor if vendor_name == "Kilo" else factories.make_vendor(name=vendor_name)
            for name in ["Reader", "Atlas", "Maps", "Quill", "Abacus"][: 5 if vendor_name != "Alpha" else 3]:
                product = factories.make_product(vendor, name=name, slug=f"{name}-{vendor_name}".lower())
                if (name, vendor_name) == ("Maps", "Mike"):
                    product.status = ProductStatus.RETIRED
        retired_vendor.is_retired = True
        db.session.commit()
    for query in ["", "status=all&", "status=approved&", "status=retired&", "kind=learning_platform&"]:
        whole = client.get(f"/api/v1/products?{query}per_page=100").json
        slugs = [row["slug"] for row in whole["data"]]
        assert whole["meta"]["total"] == len(slugs)
        keys = [(row["name"], row["vendor"]["name"]) for row in whole["data"]]
        assert keys == sorted(keys)
        for per_page in range(1, 8):
            assert [row["slug"] for row in walk(client, f"/api/v1/products?{query}per_page={per_page}")] == slugs
    listed = [row["slug"] for row in client.get("/api/v1/products?per_page=100").json["data"]]
    assert listed[:3] == ["abacus-mike", "abacus-zulu", "atlas-alpha"]
    assert "maps-mike" not in listed
    assert "reader-kilo" not in listed


def test_filters_are_kept_in_the_page_links(client, directory):
    links = client.get("/api/v1/products?element=date-of-birth&per_page=1").json["links"]
    assert "element=date-of-birth" in links["next"]
    assert "per_page=1" in links["next"]


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page=99999999999999999999", "page"),
        ("page=%EF%BC%91", "page"),  # a full-width digit one
        ("per_page=101", "per_page"),
        ("per_page=0", "per_page"),
        ("status=approved-ish", "status"),
        ("agreement=whenever", "agreement"),
        ("element=Date%20of%20birth", "element"),
        ("school=%27%3B--", "school"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_bad_parameters_get_a_json_400_that_says_what_to_fix(client, query, word):
    response = client.get(f"/api/v1/products?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert f"'{word}'" in response.json["error"]["message"]


def test_unknown_slug_is_a_json_404(client):
    for url in ["/api/v1/products/nope", "/api/v1/vendors/nope"]:
        response = client.get(url)
        assert response.status_code == 404
        assert response.json["error"]["status"] == 404


@pytest.mark.parametrize("url", [*LISTS, "/api/v1/products/acme-math", "/api/v1/vendors/acme-learning"])
def test_responses_can_be_cached_and_revalidated_by_etag(client, directory, url):
    first = client.get(url)
    assert first.headers["Cache-Control"] == "no-cache"  # keep it, but ask again: never older than the last change
    etag = first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_etag_changes_when_the_data_changes(app, client, directory):
    etag = client.get("/api/v1/vendors").headers["ETag"]
    with in_app(app):
        vendor = db.session.scalar(db.select(Vendor).where(Vendor.slug == "acme-learning"))
        vendor.website = "https://new.acme.example"
        db.session.commit()
    response = client.get("/api/v1/vendors", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag


def test_last_modified_is_the_latest_change_and_answers_if_modified_since(app, client, directory):
    response = client.get("/api/v1/vendors")
    last_modified = parse_date(response.headers["Last-Modified"])
    shown = [vendor["slug"] for vendor in response.json["data"]]
    with in_app(app):  # the latest change among the vendors on this page and their products
        vendors = db.session.scalars(db.select(Vendor).where(Vendor.slug.in_(shown))).all()
        latest = max([v.updated_at for v in vendors] + [p.updated_at for v in vendors for p in v.products])
    assert last_modified == latest.replace(microsecond=0)
    # The date alone earns no 304 (the ETag does): it cannot see a row that left the list.
    since = client.get("/api/v1/vendors", headers={"If-Modified-Since": http_date(last_modified)})
    assert since.status_code == 200
    etag = since.headers["ETag"]
    both = client.get("/api/v1/vendors", headers={"If-Modified-Since": http_date(last_modified), "If-None-Match": etag})
    assert both.status_code == 304


def test_a_product_that_leaves_a_list_is_never_hidden_behind_an_unchanged_last_modified(app, client, directory):
    first = client.get("/api/v1/products")
    shown = [product["slug"] for product in first.json["data"]]
    last_modified = first.headers["Last-Modified"]
    with in_app(app):  # retire a product that is not the latest change: the list's Last-Modified stays
        rows = db.session.scalars(db.select(Product).where(Product.slug.in_(shown))).all()
        oldest = min(rows, key=lambda product: product.updated_at)
        slug = oldest.slug
        db.session.execute(
            db.update(Product)
            .where(Product.id == oldest.id)
            .values(status=ProductStatus.RETIRED, updated_at=oldest.updated_at)
        )
        db.session.commit()
    for headers in ({"If-Modified-Since": last_modified}, {}):
        again = client.get("/api/v1/products", headers=headers)
        assert again.status_code == 200
        assert slug not in [product["slug"] for product in again.json["data"]]


def test_lists_whose_states_follow_the_date_are_fresh_from_the_districts_midnight(client, directory):
    # An agreement turns from active to expiring at midnight without any row changing.
    response = client.get("/api/v1/agreements")
    last_modified = parse_date(response.headers["Last-Modified"])
    with client.application.app_context():
        midnight = datetime.combine(district_today(), time.min, tzinfo=zone_named(DEFAULT_ZONE))
    assert last_modified >= midnight


def test_data_elements_have_an_etag_but_no_last_modified(client, directory):
    response = client.get("/api/v1/data-elements")
    assert response.headers["ETag"]
    assert "Last-Modified" not in response.headers


@pytest.mark.parametrize("url", LISTS)
def test_each_list_runs_a_constant_number_of_queries(app, client, url):
    with in_app(app):
        many_products(4)
    with count_queries(app) as few:
        assert client.get(f"{url}?per_page=100").status_code == 200
    with in_app(app):
        many_products(30, start=4)
    with count_queries(app) as many:
        body = client.get(f"{url}?per_page=100").json
    assert len(body["data"]) > 4
    assert len(many) == len(few), many


@pytest.mark.parametrize(
    "url", ["/api/v1/products/bulk-vendor-000-bulk-product-000", "/api/v1/vendors/bulk-vendor-000"]
)
def test_details_run_a_constant_number_of_queries(app, client, url):
    with in_app(app):
        many_products(3)
    with count_queries(app) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) <= 6, queries


def test_a_school_runs_a_constant_number_of_queries(app, client):
    with in_app(app):
        many_products(4)
        slug = db.session.scalar(select(School.slug))
    with count_queries(app) as few:
        assert client.get(f"/api/v1/schools/{slug}?per_page=100").status_code == 200
    with in_app(app):
        many_products(30, start=4)
        school = db.session.scalar(select(School).where(School.slug == slug))
        for product in db.session.scalars(select(Product)):
            if school not in product.schools:
                product.schools.append(school)
        db.session.commit()
    with count_queries(app) as many:
        body = client.get(f"/api/v1/schools/{slug}?per_page=100").json
    assert len(body["data"]["products"]) == 34
    assert len(many) == len(few), many


def test_an_auto_renewing_agreement_gives_its_next_renewal(app, client):
    with in_app(app):
        today = district_today()
        vendor = factories.make_vendor(name="Renewing Co", slug="renewing-co")
        product = factories.make_product(vendor, name="Renewing App", slug="renewing-app")
        lapsed_end = today - timedelta(days=400)  # its first term ended more than a year ago
        factories.make_agreement(
            vendor,
            [product],
            signed_on=lapsed_end - timedelta(days=365),
            effective_on=lapsed_end - timedelta(days=365),
            expires_on=lapsed_end,
            auto_renews=True,
        )
        db.session.commit()
        expected = db.session.query(Agreement).one().renews_on(today)
    [agreement] = client.get("/api/v1/products/renewing-app").json["data"]["agreements"]
    assert agreement["state"] == "active"
    assert agreement["expires_on"] == lapsed_end.isoformat()
    assert agreement["renews_on"] == expected.isoformat()
    assert expected > today


def test_product_data_gives_each_product_its_agreements_one_shared_by_two_to_both(app):
    with in_app(app):
        vendor = factories.make_vendor()
        first, second, alone = (factories.make_product(vendor) for _ in range(3))
        shared = factories.make_agreement(vendor, [first, second])
        own = factories.make_agreement(vendor, [first])
        rows = db.session.execute(queries.product_rows(Product.vendor_id == vendor.id).order_by(Product.id)).all()
        data = queries.product_data(rows, district_today())
        assert [row.slug for row in rows] == [first.slug, second.slug, alone.slug]
        assert rows[0].vendor_slug == vendor.slug
        assert rows[0].kind == first.kind.slug
        assert sorted(a.id for a in data.agreements[first.id]) == sorted([shared.id, own.id])
        assert [a.id for a in data.agreements[second.id]] == [shared.id]
        assert alone.id not in data.agreements
        assert sorted(a.id for a in data.all_agreements()) == sorted([shared.id, own.id, shared.id])
        assert queries.product_data([], district_today()) == queries.ProductData({}, {}, {}, {})


def test_a_page_of_product_rows_is_counted_by_the_number_it_is_given(app):
    with in_app(app):
        many_products(3)
        school = db.session.scalar(select(School))
        found = queries.get_school(school.slug, 1, 2)
        assert found is not None
        _, pagination = found
        assert pagination.total == school.product_count
        assert [row.name for row in pagination.items] == sorted(row.name for row in pagination.items)
        assert len(pagination.items) == min(2, school.product_count)
