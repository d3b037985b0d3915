"""Reading a directory listing page by page, as the tests that compare a fast path with the general one do."""

from clearinghouse.directory.queries import DirectoryFilters, search_products
from clearinghouse.timeutil import district_today


def every_page(filters: DirectoryFilters, per_page: int) -> tuple[list[int], int, int]:
    """Every page's products in order, then the total page 1 gives and the total a page past the last gives."""
    today = district_today()
    ids, page = [], 1
    while True:
        result = search_products(filters, page, per_page, today)
        ids += [product.id for product in result.items]
        if page == 1:
            first_total = result.total
        if not result.has_next:
            break
        page += 1
    past = search_products(filters, page + 2, per_page, today)
    assert past.items == []
    return ids, first_total, past.total
