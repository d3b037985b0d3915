"""The API's product list with a filter whose number of matches triggers keep (a data element, category, school or
agreement filter alone, an agreement filter with a data element) that enough products match: its pages are found
walking the names and checking each product (`api.queries._walked_page`, `directory.queries.seek_name_page` with
`DirectoryFilters.kept`'s clauses), from the last match back past the middle, where main's statement read and sorted
every match with its vendor's name for each page. The same rows as the sort (both databases); on PostgreSQL's
plan, no sort of every match and a walk no longer than the page's distance from the nearer end."""

import pytest
import sqlalchemy as sa

from clearinghouse.api import queries
from clearinghouse.directory import queries as directory_queries
from clearinghouse.directory.models import ProductStatus
from clearinghouse.directory.queries import AgreementFilter, DirectoryFilters
from clearinghouse.extensions import db
from clearinghouse.page_cache import page_cache_of
from clearinghouse.timeutil import district_today
from tests import factories
from tests.api.test_api import walk
from tests.conftest import in_app
from tests.directory.plans import plan_of
from tests.directory.test_deep_pages import broadly_signed_catalog

PER_PAGE = 25
RETIRED = {("Maps", "Mike"), ("Atlas", "Zulu")}


def _tied_catalogue() -> dict[str, str]:
    """Products of the same names at several vendors (one retired), some retired, five in six under an active
    agreement, two in three receiving an element of a category, one in two used at a school; the filters' query
    strings."""
    category = factories.make_category(name="Contact")
    element = factories.make_element(category, name="Email")
    school = factories.make_school(name="Hill School")
    retired_vendor = factories.make_vendor(name="Kilo")
    n = 0
    for vendor_name in ["Zulu", "Alpha", "Mike", "Kilo", "Echo"]:
        vendor = retired_vendor if vendor_name == "Kilo" else factories.make_vendor(name=vendor_name)
        covered = []
        for name in ["Reader", "Atlas", "Maps", "Quill", "Abacus", "Atlas Pro"]:
            n += 1
            product = factories.make_product(
                vendor,
                name=name,
                slug=f"{name}-{vendor_name}".lower().replace(" ", "-"),
                elements=[element] if n % 3 else [],
                schools=[school] if n % 2 else [],
                status=ProductStatus.RETIRED if (name, vendor_name) in RETIRED else ProductStatus.APPROVED,
            )
            if n % 6:
                covered.append(product)
        factories.make_agreement(vendor, covered)
    retired_vendor.is_retired = True
    db.session.commit()
    return {
        "agreement": "agreement=active",
        "element": f"element={element.slug}",
        "category": f"category={category.slug}",
        "school": f"school={school.slug}",
        "agreement and element": f"agreement=active&element={element.slug}",
    }


def _pages(client, query: str, per_page: int) -> list[tuple[int, list[str]]]:
    """Every page of the list, and the one past the last: (total, slugs) of each, each a cache miss."""
    pages = []
    for page in range(1, 40):
        page_cache_of(client.application).store.clear()
        answer = client.get(f"/api/v1/products?{query}&per_page={per_page}&page={page}").json
        pages.append((answer["meta"]["total"], [row["slug"] for row in answer["data"]]))
        if not answer["data"]:
            return pages
    raise AssertionError(query)


@pytest.mark.parametrize("probe_walk", [0, 10**9])
def test_walked_pages_are_the_sorted_ones(app, client, monkeypatch, probe_walk):
    """Each kept filter's pages, at page sizes from 1 to 25 (so every boundary, ties of a name across vendors at
    it, the first page, the middle ones walked from either end, the last and the one past it), walked with the
    agreement rule hashed or probed by key (`PROBE_WALK`, PostgreSQL), are those of the sort of every match
    (`_kept_walk` None: `_filtered_page`), with the same totals; none retired, none of a retired vendor."""
    monkeypatch.setattr(directory_queries, "PROBE_WALK", probe_walk)
    with in_app(app):
        asked = _tied_catalogue()
        assert queries._kept_walk(DirectoryFilters(agreement=AgreementFilter.ACTIVE), district_today()) is not None
    kept_walk = queries._kept_walk
    for query in asked.values():
        for per_page in (1, 2, 3, 5, 7, 25):
            monkeypatch.setattr(queries, "_kept_walk", kept_walk)
            walked = _pages(client, query, per_page)
            monkeypatch.setattr(queries, "_kept_walk", lambda filters, today: None)
            assert walked == _pages(client, query, per_page), (query, per_page)
        slugs = [slug for _, page in walked for slug in page]
        assert len(slugs) == len(set(slugs)) == walked[0][0] > 0, query
        assert "atlas-zulu" not in slugs, query
        assert not any(slug.endswith("-kilo") for slug in slugs), query
    monkeypatch.setattr(queries, "_kept_walk", kept_walk)
    first = [row["slug"] for row in walk(client, f"/api/v1/products?{asked['agreement']}&per_page=2")]
    assert first[:5] == ["abacus-alpha", "abacus-echo", "abacus-mike", "abacus-zulu", "atlas-alpha"]


def _every_node(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _every_node(child))]


def _page_plan(client, path: str) -> tuple[dict, int]:
    """The plan, as run, of the statement that reads the page's products (their slugs), and the list's total."""
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    page_cache_of(client.application).store.clear()
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", before)
    try:
        answer = client.get(path)
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", before)
    assert answer.status_code == 200
    (statement, parameters), *_ = (found for found in statements if "product.slug" in found[0])
    return plan_of(statement, parameters, analyze=True), answer.json["meta"]["total"]


def test_the_apis_middle_and_last_pages_of_a_kept_filter_sort_no_match_but_the_pages(app, client):
    """On PostgreSQL, `agreement=active` (three products in four), a data element received by one product in five
    and both together: page 1, the middle page and the last page sort no more than a few pages of products (main's
    statement sorted every match up to the page, with its vendor's name: on the bench the middle page of "active"
    read 24,000 buffers), and the walk of the products by name reads no more than about the products between the
    page and the nearer end of the matches."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        element = broadly_signed_catalog()
        listed = db.session.scalar(DirectoryFilters().listed_count(district_today(), kept=False))
        for query in ("agreement=active", f"element={element.slug}", f"agreement=active&element={element.slug}"):
            total = client.get(f"/api/v1/products?{query}").json["meta"]["total"]
            last = -(-total // PER_PAGE)
            for page in (1, last // 2 + 1, last):
                plan, said = _page_plan(client, f"/api/v1/products?{query}&page={page}")
                assert said == total
                sorted_rows = [node["Actual Rows"] for node in _every_node(plan) if node["Node Type"] == "Sort"]
                assert max(sorted_rows, default=0) <= 4 * PER_PAGE, (query, page, sorted_rows)
                (edge,) = [node for node in _every_node(plan) if node.get("Subplan Name") == "CTE edge"]
                walked = sum(
                    node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
                    for node in _every_node(edge)
                    if node.get("Relation Name") == "product"
                )
                offset = (page - 1) * PER_PAGE
                nearer = min(offset + PER_PAGE, total - offset)
                assert walked <= (nearer + PER_PAGE) * listed / total + PER_PAGE, (query, page, walked)
