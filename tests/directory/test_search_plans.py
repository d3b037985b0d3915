"""A search for a word most products hold, sorted by update or with a status filter, must read its hits
and the products once each (PostgreSQL). In one statement, the page's LIMIT led PostgreSQL to walk
product in the sort's order and compare each product with every hit (a nested loop, 23,500 × 10,000
rows on 25,000 products: 5-70 s); the matches are now a subquery planned to be read whole
(`queries._page_statement`). Checked on the plans' shape, not on time: with a few thousand products as
wide as a real catalogue's, no statement of a page may scan product or the search index (or a
materialized set of rows) again for each row of a nested loop's outer side.
"""

import pytest
import sqlalchemy as sa

from clearinghouse.directory.models import ProductStatus
from clearinghouse.directory.queries import DirectoryFilters, Sort, StatusFilter, search_products
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app
from tests.directory.plans import compact_and_analyze, plan_of, statements_of

PRODUCTS = 3000


def _many_products() -> None:
    """PRODUCTS products of PRODUCTS / 2 vendors, two in five holding the word "a", a few retired (one statement),
    their rows and documents about as wide as a real catalogue's (the planner weighs pages read)."""
    vendor = factories.make_vendor(name="Vendor")
    template = factories.make_product(vendor, name="Product 0")
    # as in a real catalogue, two or three products a vendor, one vendor in a hundred retired
    factories.copy_vendor(vendor, PRODUCTS // 2, retired_every=100)
    db.session.execute(
        sa.text(
            """INSERT INTO product (vendor_id, name, slug, status, website, purpose_md, grade_bands,
                   internal_notes, created_at, updated_at, translations, name_key, status_note,
                   agreement_status, agreement_note, category_text, kind_id, agreement_key)
               SELECT (SELECT min(id) FROM vendor) + n % (:count / 2 + 1), 'Product ' || n, 'product-' || n,
                   CASE WHEN n % 17 = 0 THEN 'retired' ELSE status END, website,
                   CASE WHEN n % 5 < 2 THEN 'A tool for class ' ELSE 'Helps with skill ' END || words.text,
                   grade_bands, repeat('Notes. ', 100), created_at, updated_at - n * interval '1 minute', translations,
                   'product ' || n, status_note, agreement_status, agreement_note, category_text, kind_id,
                   agreement_key
               FROM product, generate_series(1, :count) AS n, LATERAL (
                   SELECT string_agg('word' || ((n * 7 + k) % 997), ' ') AS text FROM generate_series(1, 150) AS k
               ) AS words
               WHERE product.id = :template"""
        ),
        {"count": PRODUCTS - 1, "template": template.id},
    )
    compact_and_analyze("vendor", "product", "product_search")


def _rescans(plan: dict, inner: bool = False) -> list[str]:
    """The scans of a whole table (product, product_search) or of a materialized row set on the inner
    side of a nested loop: run again for each row of its outer side."""
    found = []
    whole = plan["Node Type"] == "Materialize" or plan.get("Relation Name") in SCANNED_WHOLE
    if inner and whole and plan["Node Type"] in ("Seq Scan", "Bitmap Heap Scan", "Materialize", "Subquery Scan"):
        found.append(f"{plan['Node Type']} {plan.get('Relation Name', '')}".strip())
    children = plan.get("Plans", [])
    for n, child in enumerate(children):
        found += _rescans(child, inner or (plan["Node Type"] == "Nested Loop" and n == 1))
    return found


SCANNED_WHOLE = {"product", "product_search"}


def test_common_word_pages_read_each_hit_once(app) -> None:
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        _many_products()
        today = district_today()
        rescans = {}
        for status in (None, StatusFilter.ALL, ProductStatus.RETIRED, ProductStatus.APPROVED):
            for sort in Sort:
                filters = DirectoryFilters(text="a", sort=sort, status=status)
                _, statements = statements_of(lambda filters=filters: search_products(filters, 1, 25, today))
                for statement, parameters in statements:
                    found = _rescans(plan_of(statement, parameters))
                    if found:
                        rescans[(sort.value, status and status.value, statement[:40])] = found
        assert not rescans, rescans
