"""A directory page of one approval status reads its number of matches with its page, from the count kept per
status (`DirectoryFilters.one_status_kept`: `product_status_count`, the retired ones from the unlisted ids), where
main counted its products in a statement of its own (the approved ones: 621 buffers, 4.6 ms of PostgreSQL on the
bench; the retired ones 3,336). Every page says the total counting finds, after writes too. On both databases.
"""

from functools import partial

from sqlalchemy import func, select

from clearinghouse.directory.models import Product, ProductStatus, Vendor
from clearinghouse.directory.queries import DirectoryFilters, search_products
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests.conftest import in_app
from tests.directory.plans import statements_of
from tests.directory.test_kept_totals import catalog_of_kinds

PER_PAGE = 3


def _pages_say_the_counted_total() -> dict[ProductStatus, int]:
    """Each status's pages, through the one past the last: each runs one statement (with a row) and says the number
    of products the filters' clauses count, and together they list those products once each. Returns those
    numbers."""
    db.session.commit()  # PostgreSQL applies the kept counts' changes at commit
    today = district_today()
    totals = {}
    for status in ProductStatus:
        filters = DirectoryFilters(status=status)
        counted = db.session.scalar(select(func.count(Product.id)).where(*filters.clauses(today)))
        listed = []
        for page in range(1, counted // PER_PAGE + 3):
            result, statements = statements_of(partial(search_products, filters, page, PER_PAGE, today))
            assert result.total == counted, (status, page)
            # Past the last page (no row to carry it), the kept count in a statement of its own.
            assert len(statements) == (1 if result.items or page == 1 else 2), (status, page)
            listed += [product.id for product in result.items]
        assert len(listed) == len(set(listed)) == counted, status
        totals[status] = counted
    return totals


def test_each_status_page_says_the_counted_total_in_one_statement(app):
    with in_app(app):
        catalog_of_kinds()
        before = _pages_say_the_counted_total()
        assert before[ProductStatus.RETIRED] > 0
        assert before[ProductStatus.APPROVED] > 0

        products = list(db.session.scalars(select(Product).order_by(Product.id)))
        products[1].status = ProductStatus.UNDER_REVIEW
        products[2].status = ProductStatus.RETIRED
        db.session.scalar(select(Vendor).where(Vendor.name == "Zeta")).is_retired = True
        after = _pages_say_the_counted_total()
        assert after != before
        assert after[ProductStatus.RETIRED] > before[ProductStatus.RETIRED]
