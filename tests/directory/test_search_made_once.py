"""A search's page statement is made once per sort and set of filters chosen (`queries._search_page`),
and its count once per set of filters chosen (`_search_count`): the search's words and each filter's
value are their parameters. Every such search's pages must be
exactly those of the general query, built for the request with the values in it; a search with other
values of the same filters builds nothing. A results page's rows carry what each product receives
(`CardProduct.received`), which must be what its data uses say, on a data element's page too (it
joins data_use to its rows). Run on PostgreSQL with TEST_DATABASE_URL as well.
"""

from itertools import combinations

import pytest
from sqlalchemy import select

from clearinghouse.directory import queries
from clearinghouse.directory.models import DataElement, DataUse, Product, ProductStatus, School, Tag
from clearinghouse.directory.queries import BOUND_FILTERS, DirectoryFilters, Sort, StatusFilter, search_products
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app
from tests.directory.every_page import every_page, forget_search_statements, refuse_building, searched

PER_PAGE = 3
SEARCHES = ("app", "tool", "app tool", "zeta", "nothing-like-it")


def _catalog() -> None:
    """Three vendors (one retired), products sharing words, with data, schools, tags and kinds spread
    unevenly, some retired."""
    categories = [factories.make_category(name=f"Category {c}") for c in "AB"]
    elements = [factories.make_element(categories[n % 2], name=f"Element {n}") for n in range(4)]
    schools = [factories.make_school(name=f"School {s}") for s in "XY"]
    tags = [Tag(name=f"Tag {t}", slug=f"tag-{t}", name_key=f"tag {t}") for t in "pq"]
    kinds = [factories.kind_named("learning_platform"), factories.kind_named("reading")]
    vendors = [factories.make_vendor(name=name) for name in ("Zeta", "Alpha")]
    vendors.append(factories.make_vendor(name="Gone", is_retired=True))
    for n in range(24):
        product = factories.make_product(
            vendors[n % 3],
            name=f"App {n // 3}" if n % 5 else f"Tool app {n // 3}",
            purpose_md="A reading tool." if n % 2 else "Math practice.",
            elements=[e for k, e in enumerate(elements) if (n + k) % 3 == 0],
            schools=[s for k, s in enumerate(schools) if (n + k) % 2 == 0],
            kind=kinds[n % 2],
            status=ProductStatus.RETIRED if n % 7 == 4 else ProductStatus.APPROVED,
        )
        product.tags = [t for k, t in enumerate(tags) if (n + k) % 4 == 0]
    db.session.commit()


def spread_statuses() -> None:
    """Every approval status among the products, three after three by id (at every vendor)."""
    statuses = list(ProductStatus)
    for n, product in enumerate(db.session.scalars(select(Product).order_by(Product.id))):
        product.status = statuses[n // 3 % len(statuses)]
    db.session.commit()


def _every_search() -> list[DirectoryFilters]:
    values = {
        "element_id": db.session.scalar(select(DataElement.id).order_by(DataElement.id.desc())),
        "category_id": db.session.scalar(select(DataElement.category_id).order_by(DataElement.id)),
        "school_id": db.session.scalar(select(School.id).order_by(School.id)),
        "tag_id": db.session.scalar(select(Tag.id).order_by(Tag.id)),
        "kind_id": db.session.scalar(select(Product.kind_id).order_by(Product.id.desc())),
    }
    chosen_sets = [(), *((name,) for name in BOUND_FILTERS), *combinations(("element_id", "school_id", "tag_id"), 2)]
    return [
        DirectoryFilters(text=text, sort=sort, **{name: values[name] for name in chosen})
        for text in SEARCHES
        for sort in (None, Sort.RELEVANCE, Sort.NAME, Sort.VENDOR, Sort.UPDATED)
        for chosen in chosen_sets
    ]


def test_searches_made_once_read_the_general_querys_pages(app):
    with in_app(app):
        _catalog()
        searches = _every_search()
        made_once = {filters: every_page(filters, PER_PAGE) for filters in searches}
        assert made_once == {filters: searched(filters) for filters in searches}
        for filters, (ids, total, past_total) in made_once.items():
            assert total == past_total == len(ids), filters
        # Enough of them find products, on several pages, and each filter alone finds some.
        assert sum(1 for ids, _, _ in made_once.values() if len(ids) > PER_PAGE) > 60
        for name in BOUND_FILTERS:
            found = [ids for filters, (ids, _, _) in made_once.items() if getattr(filters, name) is not None and ids]
            assert found, name


def test_searches_with_a_status_made_once_read_the_general_querys_pages(app):
    """A status filter (each approval status, and every product with "all") is part of the statements made once
    (`queries.SearchShape`): the hits joined to their products, retired ones and those of a retired vendor
    too, by each sort and with filters."""
    with in_app(app):
        _catalog()
        spread_statuses()
        element = db.session.scalar(select(DataElement.id).order_by(DataElement.id))
        school = db.session.scalar(select(School.id).order_by(School.id))
        searches = [
            DirectoryFilters(text=text, status=status, sort=sort, **chosen)
            for text in SEARCHES
            for status in (*ProductStatus, StatusFilter.ALL)
            for sort in (None, *Sort)
            for chosen in ({}, {"element_id": element}, {"school_id": school})
        ]
        made_once = {filters: every_page(filters, PER_PAGE) for filters in searches}
        assert made_once == {filters: searched(filters) for filters in searches}
        for filters, (ids, total, past_total) in made_once.items():
            assert total == past_total == len(ids), filters
        found = {filters.status for filters, (ids, _, _) in made_once.items() if ids}
        assert found == {*ProductStatus, StatusFilter.ALL}
        assert sum(1 for ids, _, _ in made_once.values() if len(ids) > PER_PAGE) > 60


def test_a_search_with_a_status_and_other_values_builds_no_statement(app, monkeypatch):
    """Fails on main, which built a search's statements for each request with a status filter."""
    with in_app(app):
        _catalog()
        elements = list(db.session.scalars(select(DataElement.id).order_by(DataElement.id)))
        today = district_today()
        forget_search_statements(monkeypatch)
        first_filters = DirectoryFilters(text="app", status=StatusFilter.ALL, element_id=elements[0])
        first = search_products(first_filters, 1, 5, today)
        assert first.items
        assert search_products(first_filters, 9, 5, today).total == first.total  # past the last page: counted
        counts = dict(queries._SEARCH_COUNTS)

        refuse_building(monkeypatch)
        other_filters = DirectoryFilters(text="tool", status=StatusFilter.ALL, element_id=elements[2])
        other = search_products(other_filters, 1, 5, today)
        assert other.total == len(other.items) > 0
        assert {product.id for product in other.items} != {product.id for product in first.items}
        assert search_products(other_filters, 9, 5, today).total == other.total
        assert counts == queries._SEARCH_COUNTS  # the count made once too
        with pytest.raises(AssertionError, match="built"):  # another status: its own statements
            search_products(DirectoryFilters(text="app", status=ProductStatus.RETIRED), 1, 5, today)


def test_a_search_with_other_values_builds_no_statement(app, monkeypatch):
    with in_app(app):
        _catalog()
        elements = list(db.session.scalars(select(DataElement.id).order_by(DataElement.id)))
        schools = list(db.session.scalars(select(School.id).order_by(School.id)))
        today = district_today()
        forget_search_statements(monkeypatch)
        first_filters = DirectoryFilters(text="app", element_id=elements[0], school_id=schools[0])
        first = search_products(first_filters, 1, 5, today)
        assert first.items
        assert search_products(first_filters, 9, 5, today).total == first.total  # past the last page: counted

        refuse_building(monkeypatch)
        other_filters = DirectoryFilters(text="app", element_id=elements[2], school_id=schools[1])
        other = search_products(other_filters, 1, 5, today)
        assert other.total == len(other.items) > 0
        assert {product.id for product in other.items} != {product.id for product in first.items}
        past = search_products(other_filters, 9, 5, today)
        assert past.items == []
        assert past.total == other.total
        with pytest.raises(AssertionError, match="built"):  # another set of filters: built once, then
            search_products(DirectoryFilters(text="tool", element_id=elements[1], sort=Sort.NAME), 1, 5, today)


def _received_by_product() -> dict[int, list[int]]:
    received: dict[int, list[int]] = {}
    for product_id, element_id in db.session.execute(select(DataUse.product_id, DataUse.data_element_id)):
        received.setdefault(product_id, []).append(element_id)
    return received


def test_a_pages_rows_carry_what_each_product_receives(app):
    with in_app(app):
        _catalog()
        factories.make_product(name="App with no data")  # receives nothing: an empty list, not None
        db.session.commit()
        received = _received_by_product()
        today = district_today()
        rows = [
            *search_products(DirectoryFilters(), 1, 50, today).items,  # the kept page (no search)
            *search_products(DirectoryFilters(text="app"), 1, 50, today).items,  # made once
            *search_products(DirectoryFilters(text="app", status=ProductStatus.RETIRED), 1, 50, today).items,
        ]
        assert any(not row.received for row in rows)
        assert len({row.id for row in rows}) > 20
        for row in rows:
            assert sorted(row.received) == sorted(received.get(row.id, [])), row.name
        # A data element's page joins data_use to its rows: what each product receives is still all of it.
        element = db.session.scalar(select(DataElement).order_by(DataElement.id))
        uses = queries.element_receivers(element, 1, 50).items
        assert len(uses) > 3
        for use in uses:
            assert len(use.product.received) > 1
            assert sorted(use.product.received) == sorted(received[use.product_id])
