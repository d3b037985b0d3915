"""The API's product list asked by status: every product, retired ones included (`status=all`), alone or with one
data element, category, school or kind, is walked by name with the directory's rule for it (`DirectoryFilters.kept`,
`_every_status_kept`: a count read from the links' index, the filter a check of each product) and reads its count
with its page (`api.queries._kept_walk`, `_walked_page`), where main's sorted every match (or, alone, counted them in
a statement of its own); one approval status alone reads its count kept per status (`DirectoryFilters.one_status_kept`)
with its page, where main counted its products in a statement of its own. Every page and total must be those of the
sort and of counting, on both databases, after writes too; on PostgreSQL, no page sorts every match. Run on PostgreSQL
with TEST_DATABASE_URL as well."""

import pytest
from sqlalchemy import func, select

from clearinghouse.api import queries
from clearinghouse.directory.models import (
    DataCategory,
    DataElement,
    Product,
    ProductKind,
    ProductStatus,
    School,
    Vendor,
)
from clearinghouse.directory.queries import DirectoryFilters, StatusFilter
from clearinghouse.extensions import db
from clearinghouse.page_cache import page_cache_of
from clearinghouse.timeutil import district_today
from tests.api.test_agreement_filter_plans import _sent
from tests.api.test_kept_walks import _every_node, _page_plan, _pages
from tests.conftest import in_app
from tests.directory.test_deep_pages import broadly_signed_catalog
from tests.directory.test_kept_totals import catalog_of_kinds

PER_PAGE = 25


def _filters_asked() -> dict[str, DirectoryFilters]:
    """No filter, and each data element, category, school and kind of `catalog_of_kinds`' catalogue alone, with
    every status: each one's query string and filters."""
    asked = {"": DirectoryFilters(status=StatusFilter.ALL)}
    for param, model, field in (
        ("element", DataElement, "element_id"),
        ("category", DataCategory, "category_id"),
        ("school", School, "school_id"),
        ("kind", ProductKind, "kind_id"),
    ):
        for record_id, slug in db.session.execute(select(model.id, model.slug)):
            asked[f"{param}={slug}&"] = DirectoryFilters(status=StatusFilter.ALL, **{field: record_id})
    return asked


def _counted(filters: DirectoryFilters) -> int:
    return db.session.scalar(select(func.count(Product.id)).where(*filters.clauses(district_today())))


def test_every_status_walked_pages_are_the_sorted_ones_and_say_the_counted_total(app, client, monkeypatch):
    """Every page (1, 2, 3, 7 and 25 a page, through the one past the last) of every product, alone and with each
    data element, category, school and kind, walked, equals the sort of every match (`_kept_walk` None), and says
    the number of products the filters' clauses count; retired products and those of the retired vendor are
    listed."""
    with in_app(app):
        catalog_of_kinds(("learning_platform", "reading"))
        asked = _filters_asked()
        counted = {query: _counted(filters) for query, filters in asked.items()}
        for query, filters in asked.items():  # a kind without a product: nothing to walk
            assert (queries._kept_walk(filters, district_today()) is None) is (counted[query] == 0), filters
    kept_walk = queries._kept_walk
    for query, total in counted.items():
        for per_page in (1, 2, 3, 7, 25):
            monkeypatch.setattr(queries, "_kept_walk", kept_walk)
            walked = _pages(client, f"{query}status=all", per_page)
            monkeypatch.setattr(queries, "_kept_walk", lambda filters, today: None)
            assert walked == _pages(client, f"{query}status=all", per_page), (query, per_page)
            slugs = [slug for _, page in walked for slug in page]
            assert len(slugs) == len(set(slugs)) == total, (query, per_page)
            assert {said for said, _ in walked} == {total}, (query, per_page)
    assert counted[""] == 22  # the retired products and the retired vendor's too


def test_every_product_reads_its_count_with_its_page(app, client):
    """Every product (`status=all`) reads its count with its page: once the list's matches are known (`_kept_walk`,
    once per data version), no statement counts apart (main counted every product in a statement of its own on
    each page), and the total is the counted one."""
    with in_app(app):
        catalog_of_kinds()
    client.get("/api/v1/products?status=all")
    for page in (1, 2, 8):  # the last: 22 products
        page_cache_of(app).store.clear()
        answer, statements = _sent(lambda page=page: client.get(f"/api/v1/products?status=all&per_page=3&page={page}"))
        assert answer.json["meta"]["total"] == 22
        counts = [statement for statement, _ in statements if "count(" in statement]
        assert all("product.slug" in statement for statement in counts), counts


def test_every_status_pages_sort_no_match_but_the_pages(app, client):
    """On PostgreSQL, every product (3,000, some retired) alone, with a data element received by one in five, its
    category and the products' kind: page 1, the middle and the last walk the names (the CTE `edge`) and sort no
    more products than lie between the page and the nearer end of the matches, and a few pages (main's statement
    read, counted and sorted every match with its vendor's name, or sorted every product)."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        element = broadly_signed_catalog()
        kind = db.session.scalar(select(ProductKind.slug).join(Product, Product.kind_id == ProductKind.id).limit(1))
        asked = ["", f"element={element.slug}&", f"category={element.category.slug}&", f"kind={kind}&"]
        for query in asked:
            total = client.get(f"/api/v1/products?{query}status=all").json["meta"]["total"]
            last = -(-total // PER_PAGE)
            for page in (1, last // 2 + 1, last):
                plan, said = _page_plan(client, f"/api/v1/products?{query}status=all&page={page}")
                assert said == total
                sorted_rows = [node["Actual Rows"] for node in _every_node(plan) if node["Node Type"] == "Sort"]
                offset = (page - 1) * PER_PAGE
                nearer = min(offset + PER_PAGE, total - offset)  # the page's distance from the nearer end
                assert max(sorted_rows, default=0) <= nearer + 4 * PER_PAGE, (query, page, sorted_rows)
                assert any(node.get("Subplan Name") == "CTE edge" for node in _every_node(plan)), (query, page)


# The statuses `_statuses_catalog` gives the products it does not retire, in turn (none under review).
IN_TURN = (ProductStatus.APPROVED, ProductStatus.APPROVED_WITH_CONDITIONS, ProductStatus.NOT_APPROVED)


def _statuses_catalog() -> None:
    """`catalog_of_kinds`' catalogue (its retired products and retired vendor), the others' statuses in turn
    (`IN_TURN`, every ninth approved with no student data)."""
    catalog_of_kinds()
    shown = db.session.scalars(select(Product).where(Product.status != ProductStatus.RETIRED).order_by(Product.id))
    for n, product in enumerate(shown):
        product.status = IN_TURN[n % 3] if n % 9 else ProductStatus.APPROVED_NO_STUDENT_DATA
    db.session.commit()


def _each_status_as_sorted_and_counted(app, client, monkeypatch) -> dict[ProductStatus, int]:
    """Each status's pages (1, 2, 3 and 7 a page) walked are the sorted ones and say the counted total; the totals."""
    with in_app(app):
        totals = {status: _counted(DirectoryFilters(status=status)) for status in ProductStatus}
    kept_walk = queries._kept_walk
    for status, total in totals.items():
        for per_page in (1, 2, 3, 7):
            monkeypatch.setattr(queries, "_kept_walk", kept_walk)
            walked = _pages(client, f"status={status.value}", per_page)
            monkeypatch.setattr(queries, "_kept_walk", lambda filters, today: None)
            assert walked == _pages(client, f"status={status.value}", per_page), (status, per_page)
            slugs = [slug for _, page in walked for slug in page]
            assert len(slugs) == len(set(slugs)) == total, (status, per_page)
            assert {said for said, _ in walked} == {total}, (status, per_page)
        monkeypatch.setattr(queries, "_kept_walk", kept_walk)
    return totals


def test_each_status_walked_pages_are_the_sorted_ones_and_say_the_counted_total(app, client, monkeypatch):
    """Each approval status alone (one with no product), walked with its kept count, lists the pages of the sort of
    every match (`_kept_walk` None) and says the number the filters' clauses count; so again after a product's
    status changes, a product is retired and a vendor is retired (their counts kept by triggers)."""
    with in_app(app):
        _statuses_catalog()
        for status in ProductStatus:  # under review: no product, nothing to walk
            walk = queries._kept_walk(DirectoryFilters(status=status), district_today())
            assert (walk is None) is (status is ProductStatus.UNDER_REVIEW), status
    before = _each_status_as_sorted_and_counted(app, client, monkeypatch)
    assert before[ProductStatus.UNDER_REVIEW] == 0
    assert before[ProductStatus.RETIRED] > 0
    with in_app(app):
        kept_on = select(Vendor.id).where(Vendor.name.in_(["Zeta", "Alpha"]))  # vendors not retired below
        shown = select(Product).where(Product.vendor_id.in_(kept_on)).order_by(Product.id).limit(1)
        moved = db.session.scalar(shown.where(Product.status == ProductStatus.APPROVED))
        moved.status = ProductStatus.UNDER_REVIEW
        retired = db.session.scalar(shown.where(Product.status == ProductStatus.NOT_APPROVED))
        retired.status = ProductStatus.RETIRED
        db.session.scalar(select(Vendor).where(Vendor.name == "Mid")).is_retired = True
        db.session.commit()
    after = _each_status_as_sorted_and_counted(app, client, monkeypatch)
    assert after[ProductStatus.UNDER_REVIEW] == 1
    assert after[ProductStatus.RETIRED] > before[ProductStatus.RETIRED] + 1


def test_a_status_reads_its_count_with_its_page(app, client):
    """Each approval status that enough products have reads its count with its page: once its matches are known
    (`_kept_walk`, once per data version), no statement counts apart (main counted its products in a statement of
    its own on each page), and the total is the counted one."""
    with in_app(app):
        _statuses_catalog()
        counted = {status: _counted(DirectoryFilters(status=status)) for status in ProductStatus}
    for status in (ProductStatus.APPROVED, ProductStatus.NOT_APPROVED, ProductStatus.RETIRED):
        client.get(f"/api/v1/products?status={status.value}")
        for page in (1, 2):
            page_cache_of(app).store.clear()
            path = f"/api/v1/products?status={status.value}&per_page=2&page={page}"
            answer, statements = _sent(lambda path=path: client.get(path))
            assert answer.json["meta"]["total"] == counted[status] > 2, status
            counts = [statement for statement, _ in statements if "count(" in statement]
            assert all("product.slug" in statement for statement in counts), (status, counts)
