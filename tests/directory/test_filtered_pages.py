"""A directory page with filters whose count is not kept and no search (several filters, a status: its
statement made once per filters and day, `queries._filtered_page`) lists exactly what one plain sorted
query of the same filters finds, page by page, with the same total before and past the last page. On
PostgreSQL, sorted by name, its counted matches are cut after the page on the name with their ties (FETCH
… WITH TIES) before their vendors' names are read: the same pages as without the cut, and the vendor read
for the tied matches only (checked on the plan as run).
"""

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse.directory import queries
from clearinghouse.directory.models import DataCategory, DataElement, DataUse, Product, ProductStatus, School
from clearinghouse.directory.queries import AgreementFilter, DirectoryFilters, Sort, StatusFilter, search_products
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app
from tests.directory.every_page import every_page
from tests.directory.plans import compact_and_analyze, plan_of, statements_of
from tests.directory.test_agreement_filter_kept import UNKEPT_WITH_ELEMENT, agreement_catalog

PER_PAGE = 3


def _links() -> None:
    """Two categories of three elements and two schools, linked unevenly to the agreement catalogue's
    products (each name twice, under two vendors: ties on the name across page boundaries)."""
    categories = [factories.make_category(name=f"Category {c}") for c in "AB"]
    elements = [factories.make_element(categories[n % 2], name=f"Element {n}") for n in range(3)]
    schools = [factories.make_school(name=f"School {s}") for s in "XY"]
    for n, product in enumerate(db.session.scalars(select(Product).order_by(Product.id))):
        for k, element in enumerate(elements):
            if (n + k) % 3:
                product.data_uses.append(DataUse(data_element_id=element.id, purpose="Teaching."))
        product.schools = [school for k, school in enumerate(schools) if (n + k) % 2 == 0]
    db.session.commit()


def _every_filters() -> list[DirectoryFilters]:
    """Each agreement filter value with a school and a category, and those not kept with a data element, a school,
    a category or a kind; an element with a school; a status with an element, and every status with an element and a
    school (with one filter or none it is kept: tests/directory/test_every_status_kept.py); every sort."""
    element, school, category = (
        db.session.scalar(select(model.id).order_by(model.id)) for model in (DataElement, School, DataCategory)
    )
    kind = db.session.scalar(select(Product.kind_id).order_by(Product.id))
    chosen = [
        # With one data element, category, school or kind, the others are kept (test_agreement_filter_kept.py,
        # test_agreement_facet_kept.py).
        *(
            {"agreement": value, name: facet_id}
            for value in UNKEPT_WITH_ELEMENT
            for name, facet_id in (
                ("element_id", element),
                ("school_id", school),
                ("category_id", category),
                ("kind_id", kind),
            )
        ),
        *({"agreement": value, "school_id": school, "category_id": category} for value in AgreementFilter),
        {"element_id": element, "school_id": school},
        {"element_id": element, "status": ProductStatus.APPROVED},
        {"status": StatusFilter.ALL, "element_id": element, "school_id": school},
        {"agreement": AgreementFilter.ACTIVE, "status": StatusFilter.ALL},
    ]
    return [DirectoryFilters(sort=sort, **fields) for fields in chosen for sort in (None, *Sort)]


def _sorted_at_once(filters: DirectoryFilters) -> list[int]:
    """The matches in the page's order, read by one plain sorted query."""
    keys = queries._sort_keys(filters.effective_sort, None)
    statement = (
        select(Product.id)
        .join(Product.vendor)
        .where(*filters.clauses(district_today()))
        .order_by(*queries._ordered(keys))
    )
    return list(db.session.scalars(statement))


def test_filtered_pages_equal_one_sorted_query_with_or_without_the_cut(app, monkeypatch):
    with in_app(app):
        agreement_catalog()
        _links()
        every = _every_filters()
        readings = {}
        for filters in every:
            assert filters.kept(district_today()) is None, filters
            ids, total, past_total = readings[filters] = every_page(filters, PER_PAGE)
            assert ids == _sorted_at_once(filters), filters
            assert total == past_total == len(ids), filters
        assert sum(1 for ids, _, _ in readings.values() if len(ids) > PER_PAGE) > 60
        with monkeypatch.context() as patched:  # without the cut (SQLite's pages, on PostgreSQL too)
            patched.setattr(queries, "_fetches_with_ties", lambda: False)
            assert {filters: every_page(filters, PER_PAGE) for filters in every} == readings


PRODUCTS = 2000


def _bulk_catalog() -> tuple[DataElement, School]:
    """PRODUCTS products of PRODUCTS / 2 + 1 vendors, each receiving one data element and used at one school
    (but the first), the tables compacted and analysed."""
    vendor = factories.make_vendor(name="Vendor")
    element, school = factories.make_element(), factories.make_school()
    template = factories.make_product(vendor, name="Product 0", elements=[element], schools=[school])
    factories.copy_vendor(vendor, PRODUCTS // 2)
    db.session.execute(
        sa.text(
            """INSERT INTO product (vendor_id, name, slug, status, website, purpose_md, grade_bands,
                   internal_notes, created_at, updated_at, translations, name_key, status_note,
                   agreement_status, agreement_note, category_text, kind_id)
               SELECT (SELECT min(id) FROM vendor) + n % (:count / 2 + 1), 'Product ' || n, 'product-' || n,
                   status, website, purpose_md, grade_bands, internal_notes, created_at, updated_at,
                   translations, 'product ' || n, status_note, agreement_status, agreement_note,
                   category_text, kind_id
               FROM product, generate_series(1, :count - 1) AS n WHERE product.id = :template"""
        ),
        {"count": PRODUCTS, "template": template.id},
    )
    db.session.execute(
        sa.text(
            """INSERT INTO data_use (product_id, data_element_id, purpose, translations)
               SELECT id, :element, 'Teaching.', '{}' FROM product WHERE id <> :template"""
        ),
        {"element": element.id, "template": template.id},
    )
    db.session.execute(
        sa.text("INSERT INTO product_school (product_id, school_id) SELECT id, :school FROM product WHERE id <> :t"),
        {"school": school.id, "t": template.id},
    )
    compact_and_analyze("vendor", "product", "data_use", "product_school")
    return element, school


def test_a_counted_page_by_name_reads_the_vendors_of_its_tied_matches_only(app):
    """On PostgreSQL, page 1 of a data element with a school (two filters: every match read and counted)
    sorted by name reads no vendor while it reads and counts the matches, and then the vendors of about a
    page of them (the tied ones), not of each of the thousands."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("FETCH … WITH TIES is PostgreSQL's")
        element, school = _bulk_catalog()
        filters = DirectoryFilters(element_id=element.id, school_id=school.id)
        result, statements = statements_of(lambda: search_products(filters, 1, 25, district_today()))
        assert result.total == PRODUCTS
        (statement, parameters), *_ = (found for found in statements if "product.slug" in found[0])
        plan = plan_of(statement, parameters, analyze=True)
        (counted,) = [node for node in _every_node(plan) if node["Node Type"] == "WindowAgg"]
        assert counted["Actual Rows"] == PRODUCTS
        read_for_every_match = [node.get("Alias") for node in _every_node(counted) if _reads_vendor_names(node)]
        assert not read_for_every_match
        (tied,) = [node for node in _every_node(plan) if node.get("Alias") == "tied"]
        assert tied["Actual Rows"] <= 2 * 25
        assert any(_reads_vendor_names(node) for node in _every_node(plan) if node not in _every_node(counted))


def test_a_broad_agreement_filter_with_an_element_walks_to_its_page_only(app):
    """On PostgreSQL, page 1 of "signed, in effect" with a data element that every product receives (both
    kept: `agreement_term_element_count`) reads its total from the kept groups and walks the products in name
    order until the page is full: no node of its pick of the page's ids reads a tenth of the 2,000 matches,
    where main's statement read, sorted and counted them all."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plan is PostgreSQL's")
        element = _every_product_signed_for()
        filters = DirectoryFilters(agreement=AgreementFilter.ACTIVE, element_id=element.id)
        result, statements = statements_of(lambda: search_products(filters, 1, 25, district_today()))
        assert (result.total, len(result.items)) == (PRODUCTS, 25)
        (statement, parameters), *_ = (found for found in statements if "product.slug" in found[0])
        plan = plan_of(statement, parameters, analyze=True)
        # The pick of the page's ids (how the 25 products' cards are then joined is the planner's choice).
        picked = _pick_of(plan)
        read = [(node.get("Alias"), node["Actual Rows"] * node["Actual Loops"]) for node in _every_node(picked)]
        assert max(rows for _, rows in read) < PRODUCTS / 10, read


def _every_product_signed_for(drafts: int = 0) -> DataElement:
    """`_bulk_catalog`'s products, every one under one agreement signed a year ago (in effect), beside `drafts`
    unsigned agreements of the same vendor; the tables analyzed. Returns the element every product receives."""
    element, _ = _bulk_catalog()
    signed = district_today().replace(year=district_today().year - 1)
    signer = factories.make_vendor(name="Signer")
    agreement = factories.make_agreement(signer, [], signed_on=signed, effective_on=signed)
    for _ in range(drafts):
        factories.make_agreement(signer, [], signed_on=None)
    db.session.execute(
        sa.text("INSERT INTO agreement_product (agreement_id, product_id) SELECT :a, id FROM product"),
        {"a": agreement.id},
    )
    compact_and_analyze("product", "agreement", "agreement_product", "agreement_term_element_count")
    return element


def _reads_vendor_names(node: dict) -> bool:
    """A scan of vendor for its name (not the check that it is not retired, an anti-join on its own alias)."""
    return node.get("Relation Name") == "vendor" and node.get("Alias") != "retired_vendor"


def _every_node(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _every_node(child))]


def _pick_of(plan: dict) -> dict:
    """The pick of the page's ids: `page_statement`'s subquery `page`, or the walk of the names of a page that has
    seen its matches (`queries.walked_name_page`: `seek_name_page`'s CTE `edge`)."""
    (picked,) = [
        node for node in _every_node(plan) if node.get("Alias") == "page" or node.get("Subplan Name") == "CTE edge"
    ]
    return picked


def test_a_broad_agreement_filter_seen_before_reads_its_page_alone_each_agreement_by_key(app):
    """On PostgreSQL, once a page of "signed, in effect" with a data element has read its matches
    (`queries._KEPT_SEEN`), the next page of it reads no kept count first (one statement fewer), and its walk
    reads the agreement of each product it walks by key (`queries._probing`), where the first page asked every
    agreement its state (hashed): here 300 drafts beside the one agreement of every product."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plan is PostgreSQL's")
        element = _every_product_signed_for(drafts=300)
        filters = DirectoryFilters(agreement=AgreementFilter.ACTIVE, element_id=element.id)
        (first, first_statements), (second, second_statements) = (
            statements_of(lambda: search_products(filters, 1, 25, district_today())) for _ in range(2)
        )
        assert first.total == second.total == PRODUCTS
        assert [product.id for product in first.items] == [product.id for product in second.items]
        assert len(second_statements) == len(first_statements) - 1
        (statement, parameters), *_ = (found for found in second_statements if "product.slug" in found[0])
        plan = plan_of(statement, parameters, analyze=True)
        picked = _pick_of(plan)
        agreements = [node for node in _every_node(picked) if node.get("Relation Name") == "agreement"]
        assert agreements
        assert all(node["Alias"] == "probed_agreement" for node in agreements), agreements
        assert all(node["Node Type"] == "Index Scan" and node["Actual Loops"] < 2 * 25 for node in agreements)
