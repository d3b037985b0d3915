"""The directory asked for every product, retired ones included (`status=all`), with one data element, data
category, school or kind, or alone, reads its number of matches from an index of the links and walks the products
in order (`DirectoryFilters._every_status_kept`): its total and its products, in every sort and across page
boundaries (first, middle, last, past the last), must be exactly those of the general query (the matches
counted and all sorted), after varied writes.
"""

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse.directory import queries
from clearinghouse.directory.models import (
    DataCategory,
    DataElement,
    DataUse,
    Product,
    ProductKind,
    ProductStatus,
    School,
    Vendor,
)
from clearinghouse.directory.queries import DirectoryFilters, Sort, StatusFilter, search_products
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app
from tests.directory.every_page import Reading, every_page
from tests.directory.test_kept_totals import catalog_of_kinds

PER_PAGE = 3
KINDS = ("learning_platform", "assessment")


def _every_filter() -> list[DirectoryFilters]:
    """Every status with each category, element, school and kind alone, and with none, in every sort."""
    ids = [
        *({"category_id": i} for i in db.session.scalars(select(DataCategory.id))),
        *({"element_id": i} for i in db.session.scalars(select(DataElement.id))),
        *({"school_id": i} for i in db.session.scalars(select(School.id))),
        *({"kind_id": i} for i in db.session.scalars(select(ProductKind.id).where(ProductKind.slug.in_(KINDS)))),
        {},
    ]
    return [
        DirectoryFilters(status=StatusFilter.ALL, sort=sort, **chosen)
        for chosen in ids
        for sort in (None, Sort.VENDOR, Sort.UPDATED)
    ]


def _check(monkeypatch: pytest.MonkeyPatch) -> int:
    """Each filter's kept page against the general one; returns how many filters matched something."""
    db.session.commit()
    db.session.expire_all()
    today = district_today()
    kept: dict[DirectoryFilters, Reading] = {}
    for filters in _every_filter():
        found = filters.kept(today)
        assert found is not None, filters
        assert db.session.scalar(select(found[0])) == db.session.scalar(queries._filtered_count(filters, today)), (
            filters
        )
        kept[filters] = every_page(filters, PER_PAGE)
    with monkeypatch.context() as patched:
        patched.setattr(queries, "_kept_page", lambda filters, today: None)  # the general query
        general = {filters: every_page(filters, PER_PAGE) for filters in kept}
    assert kept == general
    for filters, (ids, total, past_total) in kept.items():
        assert total == past_total == len(ids), filters
    return sum(1 for ids, _, _ in kept.values() if ids)


def test_every_status_totals_and_pages_equal_the_general_query_after_varied_writes(app, monkeypatch):
    with in_app(app):
        catalog_of_kinds(KINDS)
        assert _check(monkeypatch) > 30
        products = list(db.session.scalars(select(Product).order_by(Product.id)))
        elements = list(db.session.scalars(select(DataElement).order_by(DataElement.id)))
        schools = list(db.session.scalars(select(School).order_by(School.id)))
        categories = list(db.session.scalars(select(DataCategory).order_by(DataCategory.id)))
        alpha = db.session.scalar(select(Vendor).where(Vendor.name == "Alpha"))

        products[0].status = ProductStatus.RETIRED
        alpha.is_retired = True
        products[5].data_uses = []  # a product's data removed, another's added
        products[6].data_uses.append(DataUse(data_element_id=elements[5].id, purpose="More."))
        products[7].schools = []
        products[8].schools = list(schools)
        _check(monkeypatch)
        elements[0].category_id = categories[2].id  # an element moved to another category
        products[9].name = "App A0"  # renamed to sort first
        products[10].kind = factories.kind_named(KINDS[1])
        db.session.delete(products[11])
        _check(monkeypatch)
        db.session.execute(sa.delete(DataUse).where(DataUse.data_element_id == elements[1].id))
        db.session.execute(
            sa.update(Product).where(Product.id.in_([p.id for p in products[12:16]])).values(status="retired")
        )
        _check(monkeypatch)


@pytest.mark.parametrize(
    "chosen",
    [
        {"element_id": 1, "school_id": 1},
        {"category_id": 1, "kind_id": 1},
        {"element_id": 1, "tag_id": 1},
        {"text": "app"},
    ],
)
def test_no_kept_total_for_every_status_with_several_filters_or_a_search(chosen):
    assert DirectoryFilters(status=StatusFilter.ALL, **chosen).kept() is None


def test_every_status_with_a_link_deleted_since_the_form_read_it_finds_nothing(app):
    with in_app(app):
        catalog_of_kinds(KINDS)
        for chosen in ({"category_id": 10_000}, {"element_id": 10_000}, {"school_id": 10_000}, {"kind_id": 10_000}):
            for page in (1, 3):
                filters = DirectoryFilters(status=StatusFilter.ALL, **chosen)
                result = search_products(filters, page, PER_PAGE, district_today())
                assert (result.items, result.total) == ([], 0), (chosen, page)
