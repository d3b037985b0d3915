"""Reading a directory listing page by page, as the tests that compare a fast path with the general one do."""

from collections.abc import Iterable

import pytest
from sqlalchemy import select

from clearinghouse.directory import queries
from clearinghouse.directory.models import Product
from clearinghouse.directory.queries import DirectoryFilters, search_products
from clearinghouse.directory.search import search_hits
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today

Reading = tuple[list[int], int, int]  # `every_page`'s: the ids in order, page 1's total, the total past the last


def every_page(filters: DirectoryFilters, per_page: int) -> Reading:
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


def searched(filters: DirectoryFilters) -> Reading:
    """What `every_page` must read of a search, from one plain statement built for it with its words and values:
    the products of its hits (`search_hits`) that match its filters (`DirectoryFilters.clauses`, an agreement
    filter as its ids), in its sort's order; every page's total, their number."""
    today = district_today()
    hits = search_hits(filters.terms)
    keys = queries._sort_keys(filters.effective_sort, hits)
    matches = (
        select(Product.id)
        .join(hits, hits.c.product_id == Product.id)
        .join(Product.vendor)
        .where(*filters.clauses(today, agreement_ids=True))
        .order_by(*(key.desc() if descending else key for key, descending in keys))
    )
    ids = list(db.session.scalars(matches))
    return ids, len(ids), len(ids)


def kept_pages_as_general(
    every: Iterable[DirectoryFilters], per_page: int, monkeypatch: pytest.MonkeyPatch
) -> dict[DirectoryFilters, Reading]:
    """Each filters' pages read through its kept page (it must have one, and its kept count must equal
    the listed count), then again through the general query (the kept page turned off): the same ids and
    totals. Returns the kept readings."""
    today = district_today()
    kept = {}
    for filters in every:
        found = filters.kept(today)
        assert found is not None, filters
        kept[filters] = every_page(filters, per_page)
        assert db.session.scalar(select(found[0])) == db.session.scalar(filters.listed_count(today, kept=False)), (
            filters
        )
    with monkeypatch.context() as patched:
        patched.setattr(queries, "_kept_page", lambda filters, today: None)  # the general query
        general = {filters: every_page(filters, per_page) for filters in kept}
    assert kept == general
    for filters, (ids, total, past_total) in kept.items():
        assert total == past_total == len(ids), filters
    return kept


def forget_search_statements(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a worker that has made no search's statements yet (`queries.search_picks` and the rest)."""
    monkeypatch.setattr(queries, "_SEARCH_PICKS", {})
    monkeypatch.setattr(queries, "_SEARCH_PAGES", {})
    monkeypatch.setattr(queries, "_SEARCH_COUNTS", {})


def refuse_building(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, building a search's page or count statement fails ("a statement was built")."""

    def refused(*args, **kwargs):
        raise AssertionError("a statement was built")

    monkeypatch.setattr(queries, "picked_page", refused)
    monkeypatch.setattr(DirectoryFilters, "listed_count", refused)
