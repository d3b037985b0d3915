"""The API's whole list of products: its first pages ask the listed rule of the index they walk, deeper pages of
the few unlisted ids (`filters.SHALLOW_WALK`), checked on PostgreSQL's plan, not on time, and on the pages' rows on
both databases; its count is read with its page."""

import pytest
import sqlalchemy as sa

from clearinghouse.api import queries
from clearinghouse.api.filters import SHALLOW_WALK
from clearinghouse.directory.models import Product, ProductStatus
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.api.sample import many_products
from tests.api.test_api import walk
from tests.conftest import count_queries, in_app
from tests.directory.plans import compact_and_analyze, plan_of, statements_of

PRODUCTS = 3000


def _index_names(plan: dict) -> set[str]:
    """Every index a plan reads, its subplans' included."""
    return {name for node in _all_nodes(plan) if (name := node.get("Index Name"))}


def _all_nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _all_nodes(child))]


def _page_plan(page: int) -> dict:
    today = district_today()
    _, statements = statements_of(lambda: queries.list_products(queries.WHOLE_LIST, page, 25, today).items)
    return plan_of(*statements[0])


def test_the_first_pages_read_the_listed_rule_from_the_index_they_walk(app):
    """On PostgreSQL, with PRODUCTS products (one in 50 retired) of PRODUCTS / 2 vendors (one in 100 retired),
    page 1 of the whole list walks the products' names and reads no set of unlisted ids (the retired products'
    index, the retired vendors' products by vendor: 337 of page 1's 700 buffers on the bench catalogue); a page
    past SHALLOW_WALK still does, where the rule asked of the walked index would have PostgreSQL sort every
    listed product."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        vendor = factories.make_vendor(name="Vendor")
        template = factories.make_product(vendor, name="Product 0")
        factories.copy_vendor(vendor, PRODUCTS // 2, retired_every=100)
        db.session.execute(
            sa.text(
                """INSERT INTO product (vendor_id, name, slug, status, website, purpose_md, grade_bands,
                       internal_notes, created_at, updated_at, translations, name_key, status_note,
                       agreement_status, agreement_note, category_text, kind_id)
                   SELECT (SELECT min(id) FROM vendor) + n % (:count / 2 + 1), 'Product ' || n, 'product-' || n,
                       CASE WHEN n % 50 = 0 THEN 'retired' ELSE status END, website, purpose_md, grade_bands,
                       internal_notes, created_at, updated_at, translations, 'product ' || n, status_note,
                       agreement_status, agreement_note, category_text, kind_id
                   FROM product, generate_series(1, :count - 1) AS n WHERE product.id = :template"""
            ),
            {"count": PRODUCTS, "template": template.id},
        )
        compact_and_analyze("vendor", "product")
        first = _index_names(_page_plan(1))
        deep = _index_names(_page_plan(SHALLOW_WALK // 25 + 2))
    assert "ix_product_retired_id" not in first
    assert "ix_product_vendor_id" not in first
    assert "ix_product_retired_id" in deep


@pytest.mark.parametrize("shallow_walk", [0, 5, 1000])
def test_every_page_is_the_same_however_far_the_listed_rule_is_read_from_the_walked_index(
    app, client, monkeypatch, shallow_walk
):
    """Pages that end within `SHALLOW_WALK` products and pages past it list the same products: none retired,
    none of a retired vendor, same-named products by vendor, across every page boundary and page size."""
    monkeypatch.setattr(queries, "SHALLOW_WALK", shallow_walk)
    with in_app(app):
        retired_vendor = factories.make_vendor(name="Kilo")
        for vendor_name in ["Zulu", "Alpha", "Mike", "Kilo"]:
            vendor = retired_vendor if vendor_name == "Kilo" else factories.make_vendor(name=vendor_name)
            for name in ["Reader", "Atlas", "Maps", "Quill", "Abacus"]:
                product = factories.make_product(vendor, name=name, slug=f"{name}-{vendor_name}".lower())
                if name == "Maps" or (name, vendor_name) == ("Atlas", "Zulu"):
                    product.status = ProductStatus.RETIRED
        retired_vendor.is_retired = True
        db.session.commit()
    expected = [
        f"{name}-{vendor}"
        for name in ["abacus", "atlas", "quill", "reader"]
        for vendor in ["alpha", "mike", "zulu"]
        if (name, vendor) != ("atlas", "zulu")
    ]
    for per_page in (1, 2, 3, 4, 25):
        assert [row["slug"] for row in walk(client, f"/api/v1/products?per_page={per_page}")] == expected
    assert client.get("/api/v1/products?per_page=3").json["meta"]["total"] == len(expected)


def test_the_whole_list_reads_its_count_with_its_page(app, client):
    """The whole list's page carries the list's count, as one approval status's does (main's page of a status and
    its count took a statement more); a page past the last, which has no row to carry it, counts on its own."""
    with in_app(app):
        many_products(5)
    client.get("/api/v1/products?status=approved")  # what every page reads first (the district's settings)
    with count_queries(app) as whole:
        body = client.get("/api/v1/products?per_page=2&page=2").json
    with count_queries(app) as filtered:
        assert client.get("/api/v1/products?per_page=2&page=2&status=approved").status_code == 200
    assert body["meta"] == {"total": 5, "page": 2, "per_page": 2, "pages": 3}
    assert len(whole) == len(filtered)
    assert not any("product_status_count" in statement and "product.id" not in statement for statement in whole)
    past = client.get("/api/v1/products?per_page=2&page=4").json
    assert past["meta"] == {"total": 5, "page": 4, "per_page": 2, "pages": 3}
    assert past["data"] == []


def test_a_pages_data_uses_and_schools_are_read_in_one_statement(app):
    """`product_data` reads the agreements, then the data uses (by id) and the schools (by name) together: two
    statements, where the uses and the schools took one each."""
    with in_app(app):
        vendor = factories.make_vendor()
        north, south = factories.make_school(name="North"), factories.make_school(name="Alder")
        elements = [factories.make_element(name=name) for name in ("Zip code", "Age")]
        first = factories.make_product(vendor, elements=elements, schools=[north, south])
        second = factories.make_product(vendor, elements=elements[1:], schools=[north])
        alone = factories.make_product(vendor)
        rows = db.session.execute(queries.product_rows(Product.vendor_id == vendor.id).order_by(Product.id)).all()
        today = district_today()
        data, statements = statements_of(lambda: queries.product_data(rows, today))
        slugs = [element.slug for element in elements]
        ids = (first.id, second.id, alone.id)
    assert len(statements) == 2
    assert [use[1] for use in data.uses[ids[0]]] == slugs
    assert [use[1] for use in data.uses[ids[1]]] == slugs[1:]
    assert [school[1:] for school in data.schools[ids[0]]] == [("alder", "Alder", "K-5"), ("north", "North", "K-5")]
    assert [school[1] for school in data.schools[ids[1]]] == ["north"]
    assert ids[2] not in data.uses
    assert ids[2] not in data.schools
