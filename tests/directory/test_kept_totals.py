"""A directory page filtered by one data category, data element or school alone (or not filtered)
reads its number of matches from a count kept by triggers and walks the products in order
(`DirectoryFilters.kept`): its total and its products, in every sort and across page boundaries,
must be exactly those of the general query (the matches counted and all sorted), after varied writes.
"""

from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse import kept_counts_check
from clearinghouse.directory import queries
from clearinghouse.directory.models import DataCategory, DataElement, DataUse, Product, ProductStatus, School, Vendor
from clearinghouse.directory.queries import DirectoryFilters, Sort, search_products
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app
from tests.directory.every_page import kept_pages_as_general

PER_PAGE = 3


def catalog_of_kinds(kinds: Sequence[str] = ("learning_platform",)) -> None:
    """Three categories, six elements, three schools, four vendors (one retired) and products with
    repeated names, some retired, linked unevenly; every fifth product of the last of `kinds`, the others of
    the first."""
    categories = [factories.make_category(name=f"Category {c}") for c in "ABC"]
    elements = [factories.make_element(categories[n % 3], name=f"Element {n}") for n in range(6)]
    schools = [factories.make_school(name=f"School {s}") for s in "XYZ"]
    vendors = [factories.make_vendor(name=name) for name in ("Zeta", "Alpha", "Mid")]
    vendors.append(factories.make_vendor(name="Gone", is_retired=True))
    for n in range(22):
        factories.make_product(
            vendors[n % 4],
            name=f"App {n % 7}",
            elements=[e for k, e in enumerate(elements) if (n + k) % 3 == 0 or k == n % 6],
            schools=[s for k, s in enumerate(schools) if (n + k) % 2 == 0],
            kind=kinds[-1] if n % 5 == 0 else kinds[0],
            status=ProductStatus.RETIRED if n % 7 == 3 else ProductStatus.APPROVED,
        )
    db.session.commit()


def _every_filter() -> list[DirectoryFilters]:
    """No filter, and each category, element and school alone, in every sort."""
    ids = [
        *({"category_id": i} for i in db.session.scalars(select(DataCategory.id))),
        *({"element_id": i} for i in db.session.scalars(select(DataElement.id))),
        *({"school_id": i} for i in db.session.scalars(select(School.id))),
        {},
    ]
    return [DirectoryFilters(sort=sort, **chosen) for chosen in ids for sort in (None, Sort.VENDOR, Sort.UPDATED)]


def _check(monkeypatch) -> int:
    """Each filter's kept page against the general one; returns how many filters matched something."""
    db.session.commit()  # PostgreSQL applies the kept counts' changes at commit
    db.session.expire_all()
    # The data elements' groups by agreement term (none here) follow the same writes.
    assert kept_counts_check.check(["agreement_term_element_count"]) == []
    kept = kept_pages_as_general(_every_filter(), PER_PAGE, monkeypatch)
    with monkeypatch.context() as patched:  # every page of every listed product walked as a deep one (PostgreSQL)
        patched.setattr(queries, "LISTED_WALK", 0)
        assert kept_pages_as_general(_every_filter(), PER_PAGE, monkeypatch) == kept
    return sum(1 for ids, _, _ in kept.values() if ids)


def test_kept_totals_and_pages_equal_the_general_query_after_varied_writes(app, monkeypatch):
    with in_app(app):
        catalog_of_kinds()
        assert _check(monkeypatch) > 10
        products = list(db.session.scalars(select(Product).order_by(Product.id)))
        elements = list(db.session.scalars(select(DataElement).order_by(DataElement.id)))
        schools = list(db.session.scalars(select(School).order_by(School.id)))
        categories = list(db.session.scalars(select(DataCategory).order_by(DataCategory.id)))
        alpha = db.session.scalar(select(Vendor).where(Vendor.name == "Alpha"))
        gone = db.session.scalar(select(Vendor).where(Vendor.name == "Gone"))

        products[0].status = ProductStatus.RETIRED  # retired
        products[3].status = ProductStatus.UNDER_REVIEW  # brought back, under review: listed
        _check(monkeypatch)
        alpha.is_retired = True  # a vendor retired, another brought back
        gone.is_retired = False
        _check(monkeypatch)
        products[5].data_uses = []  # a product's data removed, another's added
        products[6].data_uses.append(DataUse(data_element_id=elements[5].id, purpose="More."))
        products[7].schools = []  # a product taken from its schools, another placed in all
        products[8].schools = list(schools)
        _check(monkeypatch)
        elements[0].category_id = categories[2].id  # an element moved to another category
        products[9].name = "App A0"  # renamed to sort first
        _check(monkeypatch)
        db.session.delete(products[10])  # deleted
        products[11].vendor_id = alpha.id  # moved to a retired vendor
        _check(monkeypatch)
        # Multi-row statements, as an import or raw SQL writes them.
        db.session.execute(sa.delete(DataUse).where(DataUse.data_element_id == elements[1].id))
        db.session.execute(
            sa.update(Product).where(Product.id.in_([p.id for p in products[12:16]])).values(status="retired")
        )
        _check(monkeypatch)
        alpha.is_retired = False
        _check(monkeypatch)


@pytest.mark.parametrize(
    "chosen",
    [
        {"text": "app"},
        {"category_id": 1, "school_id": 1},
        {"element_id": 1, "status": ProductStatus.APPROVED},
        {"school_id": 1, "tag_id": 1},
        {"category_id": 1, "kind_id": 1},
    ],
)
def test_no_kept_total_for_a_search_or_several_filters(chosen):
    assert DirectoryFilters(**chosen).kept() is None


def test_a_category_element_or_school_deleted_since_the_form_read_it_finds_nothing(app):
    with in_app(app):
        catalog_of_kinds()
        for chosen in ({"category_id": 10_000}, {"element_id": 10_000}, {"school_id": 10_000}):
            for page in (1, 3):
                result = search_products(DirectoryFilters(**chosen), page, PER_PAGE, district_today())
                assert (result.items, result.total) == ([], 0), (chosen, page)
