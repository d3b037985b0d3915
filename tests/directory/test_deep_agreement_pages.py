"""Deep pages of a broad agreement filter, alone or with a school, and the retired products' pages, in the directory
and the API, checked on PostgreSQL's plan, not on time (`queries.walked_name_page`, which both find their pages by):

- the directory's pages of "active" sorted every match walked so far with its vendor's name (page 30 on the bench
  catalogue: 751 products walked, each one's vendor probed, 3,572 buffers); they now walk the names alone, from
  the nearer end, and rank by vendor only the page's products;
- with a school, the walk probed product_school for each product walked (page 20 of school-7: 12,686 buffers);
  the school's products are now read once and hashed (`queries.used_at_school(walking=True)`);
- the retired products (a product retired or its vendor) were found walking every product's name, or sorting every
  one read by id; they are now read in name order from their own index (`queries.unlisted_by_name`).

The pages' answers are those of the sorted statements: tests/directory/test_agreement_filter_kept.py,
test_agreement_facet_kept.py, test_status_pages_kept.py and tests/api/test_status_walks.py, on both databases.
"""

from functools import partial

import pytest
import sqlalchemy as sa

from clearinghouse.api import queries as api_queries
from clearinghouse.api.filters import ProductQuery
from clearinghouse.directory.models import ProductStatus
from clearinghouse.directory.queries import AgreementFilter, DirectoryFilters, search_products
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app
from tests.directory.plans import compact_and_analyze, plan_of, statements_of
from tests.directory.test_deep_pages import PER_PAGE, _catalog, _every_node, _walk_of, broadly_signed_catalog


def _page(filters: DirectoryFilters, page: int) -> tuple[dict, int, int]:
    """The plan, as run, of the directory page's statement, the number of matches it says, and its number of cards."""
    result, statements = statements_of(lambda: search_products(filters, page, PER_PAGE, district_today()))
    (statement, parameters), *_ = (found for found in statements if "product.slug" in found[0])
    return plan_of(statement, parameters, analyze=True), result.total, len(result.items)


def _edge(plan: dict) -> dict:
    """The walk of the names (`seek_name_page`'s CTE `edge`)."""
    (edge,) = [node for node in _every_node(plan) if node.get("Subplan Name") == "CTE edge"]
    return edge


def _walked(edge: dict) -> int:
    """How many index entries of product the walk read (kept or filtered out)."""
    read = [node for node in _walk_of(edge) if node.get("Relation Name") == "product"]
    return sum(node["Actual Rows"] + node.get("Rows Removed by Filter", 0) for node in read)


def _probes(plan: dict, relation: str) -> int:
    """How many times the plan read `relation` (a node's loops, summed)."""
    return sum(node.get("Actual Loops", 1) for node in _every_node(plan) if node.get("Relation Name") == relation)


def _largest_sort(plan: dict) -> int:
    return max(
        (
            node["Actual Rows"]
            for node in _every_node(plan)
            if "Sort" in node["Node Type"] or node["Node Type"] == "WindowAgg"
        ),
        default=0,
    )


def test_an_agreement_filters_deep_pages_walk_the_names_from_the_nearer_end(app):
    """On PostgreSQL, "active" (three products in four of 3,000): pages 2, a third in, past the middle and the last
    (each page after the first has seen the matches) walk the names in a CTE, no further than about the matches
    between the page and the nearer end, read the vendor only for the page's products and those tied with its
    first or last, and sort no more than a page or two (main's statement walked to the page probing each walked
    product's vendor and sorted everything walked)."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        broadly_signed_catalog()
        filters = DirectoryFilters(agreement=AgreementFilter.ACTIVE)
        matches = db.session.scalar(filters.listed_count(district_today(), kept=False))
        listed = db.session.scalar(DirectoryFilters().listed_count(district_today(), kept=False))
        last = -(-matches // PER_PAGE)
        search_products(filters, 1, PER_PAGE, district_today())  # the first page notes the matches
        for page in (2, last // 3, last // 2 + 2, last):
            plan, total, cards = _page(filters, page)
            assert total == matches
            assert cards == min(PER_PAGE, matches - (page - 1) * PER_PAGE)
            offset = (page - 1) * PER_PAGE
            nearer = min(offset + PER_PAGE, matches - offset)
            assert _walked(_edge(plan)) <= (nearer + PER_PAGE) * listed / matches * 1.5 + 2 * PER_PAGE, page
            assert _probes(plan, "vendor") <= 4 * PER_PAGE, (page, _probes(plan, "vendor"))
            assert _largest_sort(plan) <= 2 * PER_PAGE, (page, _largest_sort(plan))


def test_an_agreement_filter_with_a_school_reads_the_schools_products_once(app):
    """On PostgreSQL, "active" with a school used by one product in three, a middle and a last page: the walk reads the
    school's links once (hashed), not once per product walked, and sorts no more than a page or two (main's
    statement sorted every match walked, or probed product_school for each product)."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        broadly_signed_catalog()
        school = factories.make_school(name="Hill School")
        db.session.execute(
            sa.text("INSERT INTO product_school (product_id, school_id) SELECT id, :s FROM product WHERE id % 3 = 0"),
            {"s": school.id},
        )
        db.session.commit()
        compact_and_analyze("product", "product_school")
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM product"))
        filters = DirectoryFilters(agreement=AgreementFilter.ACTIVE, school_id=school.id)
        matches = db.session.scalar(filters.listed_count(district_today(), kept=False))
        last = -(-matches // PER_PAGE)
        for page in (2, last // 2, last):
            plan, total, _ = _page(filters, page)
            assert total == matches
            walk = _walk_of(_edge(plan))
            assert "product" in {node.get("Relation Name") for node in walk}, page
            links = [node for node in _every_node(plan) if node.get("Relation Name") == "product_school"]
            assert links, page
            assert all(node.get("Actual Loops", 1) <= 1 for node in links), page
            assert _largest_sort(plan) <= 2 * PER_PAGE, (page, _largest_sort(plan))


@pytest.mark.parametrize("lister", ["directory", "api"])
def test_the_retired_products_are_read_in_name_order_from_their_own_index(app, lister):
    """On PostgreSQL, the pages of `status=retired` (one product in forty of 3,000 retired, and the products of one
    vendor in a hundred) in the directory and the API, first, middle and last: the walk reads the retired products'
    names from ix_product_retired_name and no index of every product's names (main's walked every product's name,
    or sorted the retired products read one by one)."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        _catalog()
        filters, today = DirectoryFilters(status=ProductStatus.RETIRED), district_today()
        retired = db.session.scalar(sa.select(filters.one_status_kept()[0]))
        last = -(-retired // PER_PAGE)
        assert last >= 3
        for page in (1, last // 2 + 1, last):
            if lister == "directory":
                plan, total, cards = _page(filters, page)
                assert (total, cards) == (retired, min(PER_PAGE, retired - (page - 1) * PER_PAGE))
            else:
                query = ProductQuery(params={"status": "retired"}, filters=filters, matches_nothing=False)
                listed, statements = statements_of(partial(api_queries.list_products, query, page, PER_PAGE, today))
                assert listed.total == retired
                plan = plan_of(*next(found for found in statements if "edge" in found[0]), analyze=True)
            walk = _walk_of(_edge(plan))
            indexes = {node.get("Index Name") for node in walk} - {None}
            assert "ix_product_retired_name" in indexes, (page, indexes)
            assert not indexes & {"ix_product_name", "ix_product_name_listing"}, (page, indexes)
            named = [node for node in walk if node.get("Index Name") == "ix_product_retired_name"]
            assert sum(node["Actual Rows"] for node in named) <= retired, page
