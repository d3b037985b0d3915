"""The directory filtered by its agreement alone walks the products in name order and stops after the
page (`queries.agreement_filter_kept`), checked on PostgreSQL's plan, not on time: reading, counting and
sorting every match of `agreement=active` took 50 ms on the bench catalogue.
"""

import pytest
import sqlalchemy as sa

from clearinghouse.directory.queries import AgreementFilter, DirectoryFilters, search_products
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app
from tests.directory.plans import compact_and_analyze, plan_of, statements_of

PRODUCTS = 3000


def _nodes(plan: dict) -> list[dict]:
    """The plan's nodes, without those of its subplans (a filter's hashed sets, the count's)."""
    children = [child for child in plan.get("Plans", []) if child["Parent Relationship"] not in ("SubPlan", "InitPlan")]
    return [plan, *(node for child in children for node in _nodes(child))]


def test_an_agreement_page_walks_the_products_in_order_and_stops(app):
    """On PostgreSQL, with three in four of PRODUCTS products
    (of PRODUCTS / 2 vendors) under one active agreement, page 1 of `agreement=active`
    reads the products in name order from an index of their names and stops: no product table scan, no count of
    every match (a window), no sort of them all."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        vendor = factories.make_vendor(name="Vendor")
        template = factories.make_product(vendor, name="Product 0")
        # as in a real catalogue, two or three products a vendor
        factories.copy_vendor(vendor, PRODUCTS // 2, retired_every=100)
        db.session.execute(
            sa.text(
                """INSERT INTO product (vendor_id, name, slug, status, website, purpose_md, grade_bands,
                       internal_notes, created_at, updated_at, translations, name_key, status_note,
                       agreement_status, agreement_note, category_text, kind_id)
                   SELECT (SELECT min(id) FROM vendor) + n % (:count / 2 + 1), 'Product ' || n, 'product-' || n,
                       status, website, repeat(purpose_md, 20), grade_bands, repeat('Notes. ', 100), created_at,
                       updated_at, translations, 'product ' || n, status_note, agreement_status, agreement_note,
                       category_text, kind_id
                   FROM product, generate_series(1, :count - 1) AS n WHERE product.id = :template"""
            ),
            {"count": PRODUCTS, "template": template.id},
        )
        agreement = factories.make_agreement(vendor, [])
        db.session.execute(
            sa.text(
                "INSERT INTO agreement_product (agreement_id, product_id) SELECT :a, id FROM product WHERE id % 4 > 0"
            ),
            {"a": agreement.id},
        )
        compact_and_analyze("vendor", "product")
        today = district_today()
        result, statements = statements_of(
            lambda: search_products(DirectoryFilters(agreement=AgreementFilter.ACTIVE), 1, 25, today)
        )
        assert result.total == db.session.scalar(
            DirectoryFilters(agreement=AgreementFilter.ACTIVE).listed_count(today, kept=False)
        )
        (statement, parameters), *_ = (found for found in statements if "product.slug" in found[0])
        nodes = _nodes(plan_of(statement, parameters))
        (pick,) = [n for n in nodes if n["Node Type"] == "Limit"]
        picked = _nodes(pick)
        shape = [(n["Node Type"], n.get("Relation Name"), n.get("Index Name")) for n in picked]
        # ix_product_name_listing once vacuumed (its visibility map lets it be read alone), else ix_product_name.
        assert [n for n in picked if n.get("Index Name", "").startswith("ix_product_name")], shape
        assert not [n for n in picked if n["Node Type"] in ("Seq Scan", "Sort", "WindowAgg", "Hash")], shape
