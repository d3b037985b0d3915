"""A page of an agreement filter past its last match (a stale link, a page number typed in): the page reads the
kept number of matches first, when the matches a page last saw say it starts past them, and walks the products
only when they have grown since (`queries._Paginated._past_end`). A walk in name order to a page past the end
reads every product to find none: `agreement=terminated&page=30` read 2,400 buffers of the bench's product
index, then counted. On both databases.
"""

from clearinghouse.directory import queries
from clearinghouse.directory.queries import AgreementFilter, DirectoryFilters, search_products
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app
from tests.directory.plans import statements_of

PER_PAGE = 2


def _page(filters: DirectoryFilters, page: int) -> tuple[list[str], int, list[str]]:
    """The page's product names, its number of matches, and the statements it ran."""
    today = district_today()
    result, statements = statements_of(lambda: search_products(filters, page, PER_PAGE, today))
    return [product.name for product in result.items], result.total, [statement for statement, _ in statements]


def _signed(vendor, names: list[str]) -> None:
    factories.make_agreement(vendor, [factories.make_product(vendor, name=name) for name in names])
    db.session.commit()  # PostgreSQL applies the kept counts' changes at commit


def test_a_page_past_the_last_match_counts_without_walking_until_the_matches_grow(app):
    with in_app(app):
        vendor = factories.make_vendor(name="Vendor")
        factories.make_product(vendor, name="Unsigned")
        _signed(vendor, ["Aster", "Birch", "Cedar"])
        queries.forget_seen_counts()
        active = DirectoryFilters(agreement=AgreementFilter.ACTIVE)

        assert _page(active, 1)[:2] == (["Aster", "Birch"], 3)
        # A page that no page has seen the matches of reads them first, then walks (once per worker and day).
        queries.forget_seen_counts()
        names, total, statements = _page(active, 4)
        assert (names, total, len(statements)) == ([], 3, 2)
        assert not any("product.slug" in statement for statement in statements[:1])

        names, total, statements = _page(active, 4)
        assert (names, total) == ([], 3)
        assert ["product.slug" in statement for statement in statements] == [False]  # the count alone: no walk

        _signed(vendor, ["Dogwood", "Elm", "Fir", "Ginkgo", "Hazel"])
        names, total, statements = _page(active, 4)
        assert (names, total) == (["Ginkgo", "Hazel"], 8)  # grown past the page's start: counted, then walked
        assert ["product.slug" in statement for statement in statements] == [False, True]
        assert _page(active, 2)[:2] == (["Cedar", "Dogwood"], 8)
        names, total, statements = _page(active, 5)  # the page's walk noted 8 matches: past them, the count alone
        assert (names, total, len(statements)) == ([], 8, 1)
