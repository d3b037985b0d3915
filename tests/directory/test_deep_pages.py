"""Deep pages of long lists, checked on PostgreSQL's plan, not on time: every listed product by name
(`queries._every_listed_page`; sorting every listed product with its vendor's name to reach the directory's
page 400 took 38-56 ms on the bench catalogue, walking the names and ranking only the page's ties 5), and a
data element's receivers (`queries.element_receivers`; page 100 of the most shared element probed data_use
for each of the 3,092 products it walked, 6 ms, and its middle and last pages walked 10,000-25,000).
"""

from functools import partial

import pytest
import sqlalchemy as sa

from clearinghouse.directory import queries
from clearinghouse.directory.models import DataElement
from clearinghouse.directory.queries import (
    AgreementFilter,
    DirectoryFilters,
    StatusFilter,
    element_receivers,
    search_products,
)
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app
from tests.directory.plans import compact_and_analyze, plan_of, statements_of

PRODUCTS = 3000
PER_PAGE = 25


def _catalog() -> None:
    """PRODUCTS products of PRODUCTS / 2 + 1 vendors (one in a hundred retired), two by two of the same name, one
    in forty retired; the tables compacted, analysed and vacuumed."""
    vendor = factories.make_vendor(name="Vendor")
    template = factories.make_product(vendor, name="Product 0")
    factories.copy_vendor(vendor, PRODUCTS // 2, retired_every=100)
    db.session.execute(
        sa.text(
            """INSERT INTO product (vendor_id, name, slug, status, website, purpose_md, grade_bands,
                   internal_notes, created_at, updated_at, translations, name_key, status_note,
                   agreement_status, agreement_note, category_text, kind_id)
               SELECT (SELECT min(id) FROM vendor) + n % (:count / 2 + 1), 'Product ' || (n / 2),
                   'product-' || n, CASE WHEN n % 40 = 7 THEN 'retired' ELSE status END, website, purpose_md,
                   grade_bands, internal_notes, created_at, updated_at, translations, 'product ' || n,
                   status_note, agreement_status, agreement_note, category_text, kind_id
               FROM product, generate_series(1, :count - 1) AS n WHERE product.id = :template"""
        ),
        {"count": PRODUCTS, "template": template.id},
    )
    compact_and_analyze("vendor", "product")
    # A plain VACUUM too, as autovacuum keeps it: it sets the visibility map, which lets an index of the names be
    # walked alone (VACUUM FULL leaves the map empty, and PostgreSQL then sorts the table instead).
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM product"))


def _receivers(shares: dict[str, int]) -> dict[str, DataElement]:
    """`_catalog`'s products, each element received by one product in `shares[name]`; the tables analysed."""
    elements = {name: factories.make_element(name=name) for name in shares}
    for name, share in shares.items():
        db.session.execute(
            sa.text(
                """INSERT INTO data_use (product_id, data_element_id, purpose, translations)
                   SELECT id, :element, 'Teaching.', '{}' FROM product WHERE id % :share = 0"""
            ),
            {"element": elements[name].id, "share": share},
        )
    compact_and_analyze("product", "data_use", "data_element")
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM product"))
    return elements


def broadly_signed_catalog() -> DataElement:
    """`_catalog` with one agreement signed for three products in four (`factories.sign_for_three_in_four`: a broad
    agreement filter) and a data element received by one product in five ("Often"), which it returns."""
    _catalog()
    factories.sign_for_three_in_four()
    return _receivers({"Often": 5})["Often"]


def _walks(plan: dict) -> bool:
    """The plan reads product under the alias of a page's pick (`page_statement`'s product_1, or the walk of the names
    of `seek_name_page`, whose cards read product under its own name)."""
    return any(node.get("Relation Name") == "product" and node.get("Alias") != "product" for node in _every_node(plan))


def _every_node(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _every_node(child))]


def _walk_of(plan: dict) -> list[dict]:
    """The plan's nodes, without those of its subplans (the listed rule's hashed sets)."""
    children = [child for child in plan.get("Plans", []) if child["Parent Relationship"] not in ("SubPlan", "InitPlan")]
    return [plan, *(node for child in children for node in _walk_of(child))]


def _page_plan(filters: DirectoryFilters, page: int) -> tuple[dict, int]:
    """The plan, as run, of the page's statement, and the number of matches the page says."""
    result, statements = statements_of(lambda: search_products(filters, page, PER_PAGE, district_today()))
    assert len(result.items) == PER_PAGE
    (statement, parameters), *_ = (found for found in statements if "product.slug" in found[0])
    return plan_of(statement, parameters, analyze=True), result.total


def test_the_directorys_deep_pages_sort_no_more_than_their_ties(app, monkeypatch):
    """On PostgreSQL, the first pages, a middle page and the last full page of the directory, unfiltered, by name
    (its product's name, its vendor's, its id): no sort reads more than a few pages of products (where main's
    statement sorted every listed product from the middle on); the walk asks each product's status and vendor
    until LISTED_WALK products (here four pages: PostgreSQL prices a long walk on the wider index above sorting
    every listed product), then whether it is among the unlisted ids (`queries._KeptPage.pick`)."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        _catalog()
        monkeypatch.setattr(queries, "LISTED_WALK", 4 * PER_PAGE)
        listed = db.session.scalar(DirectoryFilters().listed_count(district_today(), kept=False))
        for page in (1, 4, 5, listed // PER_PAGE // 2, listed // PER_PAGE):
            plan, total = _page_plan(DirectoryFilters(), page)
            assert total == listed
            sorted_rows = [node["Actual Rows"] for node in _every_node(plan) if node["Node Type"] == "Sort"]
            assert max(sorted_rows) <= 4 * PER_PAGE, (page, sorted_rows)
            (edge,) = [node for node in _every_node(plan) if node.get("Subplan Name") == "CTE edge"]
            asked = " ".join(node.get("Filter", "") for node in _walk_of(edge))
            assert ("status" in asked) is (page <= 4), (page, asked)


def test_a_data_elements_pages_walk_no_further_than_the_nearer_end_probing_nothing(app):
    """On PostgreSQL, pages of a data element received by every product and by one in twenty-five (page 1, a
    quarter in, past the middle, the last, past the last): the pick of the page's products walks the products
    by name, asking each whether it receives the element from the index it walks (`queries.receives_element`:
    no data_use read), from the first receiver or, past the middle, from the last back (`_ElementPage.pick`),
    so it walks no more than about the receivers between the page and the nearer end (where main's statement
    probed data_use for each product it walked, and walked from the first to the last page)."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        _catalog()
        elements = _receivers({"Everywhere": 1, "Rare": 25})
        listed = db.session.scalar(DirectoryFilters().listed_count(district_today(), kept=False))
        for element in elements.values():
            db.session.refresh(element)
            receivers = element.receiver_count
            last = -(-receivers // PER_PAGE)
            for page in sorted({1, last // 4 + 1, last // 2 + 2, last, last + 1}):
                result, statements = statements_of(partial(element_receivers, element, page, PER_PAGE))
                offset = (page - 1) * PER_PAGE
                assert len(result.items) == max(min(PER_PAGE, receivers - offset), 0)
                (statement, parameters), *_ = (found for found in statements if "product.slug" in found[0])
                plan = plan_of(statement, parameters, analyze=True)
                # The pick of the page's products: the first LIMIT over the walk of product (how the 25 products'
                # cards and uses are then joined is the planner's choice).
                picked = next(node for node in _every_node(plan) if node["Node Type"] == "Limit" and _walks(node))
                read = [node for node in _walk_of(picked) if node.get("Relation Name") in ("product", "data_use")]
                assert {node["Relation Name"] for node in read} == {"product"}, (element.name, page)
                nearer = min(offset + PER_PAGE, max(receivers - offset, 0))
                walked = sum(node["Actual Rows"] + node.get("Rows Removed by Filter", 0) for node in read)
                if element.name == "Everywhere":  # the rare one's few receivers PostgreSQL may read all and sort
                    assert walked <= (nearer + PER_PAGE) * listed / receivers + PER_PAGE, (page, walked)


def test_an_agreement_filter_with_a_data_element_walks_the_products_and_reads_no_data_use(app):
    """On PostgreSQL, `agreement=active` (three products in four) with a data element received by every product
    or by one in five, pages 1 and 2: the page's statement walks the products by name, asking each whether it
    receives the element from the index it walks (`queries.receives_element`), and its cards read what each
    product receives from its row: it reads no data_use (main's statement probed data_use for each product it
    walked, and again for each card)."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        _catalog()
        factories.sign_for_three_in_four()
        elements = _receivers({"Everywhere": 1, "Often": 5})
        for element in elements.values():
            for page in (1, 2):
                filters = DirectoryFilters(agreement=AgreementFilter.ACTIVE, element_id=element.id)
                plan, total = _page_plan(filters, page)
                assert total == db.session.scalar(filters.listed_count(district_today(), kept=False))
                picked = next(node for node in _every_node(plan) if node["Node Type"] == "Limit" and _walks(node))
                walked = {node.get("Relation Name") for node in _walk_of(picked)} - {None}
                assert "product" in walked, (element.name, page, walked)
                read = {node.get("Relation Name") for node in _every_node(plan)}
                assert "data_use" not in read, (element.name, page, read)


def test_an_agreement_filter_with_a_category_school_or_kind_walks_the_products_and_counts_no_match(app):
    """On PostgreSQL, `agreement=active` (three products in four) with a data category (its element received by one
    product in five), a school (one in three) or a kind (one in four), pages 1 and 2: the page's statement reads the
    number of matches from the kept groups (`agreement_term_category_count`, `_school_count`, `_kind_count`) and
    walks the products by name, stopping after the page: no window or sort reads more than the page's rows (main's
    statement read, counted and sorted every match: "active" with category-2, 6,489 of them on the bench
    catalogue)."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        element = broadly_signed_catalog()
        school, kind = factories.make_school(name="Hill School"), factories.make_kind(name="Tutor")
        db.session.execute(
            sa.text("INSERT INTO product_school (product_id, school_id) SELECT id, :s FROM product WHERE id % 3 = 0"),
            {"s": school.id},
        )
        db.session.execute(sa.text("UPDATE product SET kind_id = :k WHERE id % 4 = 1"), {"k": kind.id})
        db.session.commit()
        compact_and_analyze("product", "product_school")
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM product"))
        chosen = {
            "agreement_term_category_count": {"category_id": element.category_id},
            "agreement_term_school_count": {"school_id": school.id},
            "agreement_term_kind_count": {"kind_id": kind.id},
        }
        for kept, facet in chosen.items():
            for page in (1, 2):
                filters = DirectoryFilters(agreement=AgreementFilter.ACTIVE, **facet)
                plan, total = _page_plan(filters, page)
                assert total == db.session.scalar(filters.listed_count(district_today(), kept=False))
                nodes = _every_node(plan)
                assert kept in {node.get("Relation Name") for node in nodes}, (facet, page)
                counted = [node["Actual Rows"] for node in nodes if node["Node Type"] in ("WindowAgg", "Sort")]
                assert max(counted, default=0) <= 2 * PER_PAGE * page, (facet, page, counted)
                assert any(node["Node Type"] == "Limit" and _walks(node) for node in nodes), (facet, page)


def test_every_status_with_a_data_element_counts_no_match_and_walks_the_first_pages(app):
    """On PostgreSQL, `status=all` (every product, retired ones included) with a data element received by every
    product or by one in five: the page's statement reads the element's number of receivers from data_use's index
    (a product receives an element once), so no window counts the matches (pages 1, 2 and a middle one); pages 1
    and 2 walk the products by name, asking each from the index it walks, no further than the page needs, and
    sort no more than a page (main's statement counted, in a window, and sorted every product that receives the
    element: 20,049 on the bench catalogue, about 45 ms). Deeper, PostgreSQL may sort this small catalogue."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        _catalog()
        elements = _receivers({"Everywhere": 1, "Often": 5})
        for element in elements.values():
            filters = DirectoryFilters(status=StatusFilter.ALL, element_id=element.id)
            receivers = db.session.scalar(queries._filtered_count(filters, district_today()))
            for page in (1, 2, receivers // PER_PAGE // 2):
                plan, total = _page_plan(filters, page)
                assert total == receivers
                nodes = _every_node(plan)
                assert not [node for node in nodes if node["Node Type"] == "WindowAgg"], (element.name, page)
                if page > 2:
                    continue
                sorted_rows = [node["Actual Rows"] for node in nodes if node["Node Type"] == "Sort"]
                assert max(sorted_rows, default=0) <= 2 * PER_PAGE, (element.name, page, sorted_rows)
                picked = next(node for node in nodes if node["Node Type"] == "Limit" and _walks(node))
                read = [node for node in _walk_of(picked) if node.get("Relation Name") == "product"]
                walked = sum(node["Actual Rows"] + node.get("Rows Removed by Filter", 0) for node in read)
                assert walked <= (page * PER_PAGE + PER_PAGE) * PRODUCTS / receivers, (element.name, page, walked)
