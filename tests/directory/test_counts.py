"""Exact counts: "N products" is computed by its own index-only statement; it must equal the rows listed."""

import pytest
from sqlalchemy import select

from clearinghouse.agreements.models import Agreement
from clearinghouse.directory.models import DataCategory, DataElement, Product, ProductStatus, School, Vendor
from clearinghouse.directory.queries import (
    AgreementFilter,
    DirectoryFilters,
    Sort,
    StatusFilter,
    element_receivers,
    headline_counts,
    search_products,
)
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app


def _ids(model, **where):
    return db.session.scalar(select(model.id).filter_by(**where))


def _filters() -> list[DirectoryFilters]:
    """Every filter alone and in pairs, over the catalogue plus a retired vendor's product that matches them."""
    birth, language = _ids(DataElement, slug="date-of-birth"), _ids(DataElement, slug="language-information")
    demographics = _ids(DataCategory, name="Demographics")
    lincoln = _ids(School, slug="lincoln")
    texts = ["", "reading", "acme", "gradebook", "phonics", "zzz"]
    singles = [
        {},
        {"element_id": birth},
        {"element_id": language},
        {"category_id": demographics},
        {"school_id": lincoln},
        *({"agreement": value} for value in AgreementFilter),
    ]
    pairs = [
        {"element_id": birth, "school_id": lincoln},
        {"category_id": demographics, "school_id": lincoln},
        {"element_id": birth, "agreement": AgreementFilter.NONE},
        {"category_id": demographics, "agreement": AgreementFilter.EXPIRING},
        {"element_id": language, "category_id": demographics, "school_id": lincoln},
    ]
    statuses = [None, StatusFilter.ALL, ProductStatus.RETIRED, ProductStatus.APPROVED]
    return [
        DirectoryFilters(text=text, status=status, sort=Sort.NAME, **chosen)
        for text in texts
        for chosen in singles + pairs
        for status in statuses
    ]


@pytest.fixture
def wider_catalog(app, catalog):
    """The catalogue plus a product of a retired vendor and a retired product that match many filters."""
    with in_app(app):
        gone = db.session.scalar(select(Vendor).where(Vendor.slug == "gone-software"))
        acme = db.session.scalar(select(Vendor).where(Vendor.slug == "acme-learning"))
        elements = list(db.session.scalars(select(DataElement)))
        lincoln = db.session.scalar(select(School).where(School.slug == "lincoln"))
        factories.make_product(
            gone, name="Gone Reading", elements=elements, schools=[lincoln], purpose_md="Reading for acme phonics."
        )
        retired = factories.make_product(
            acme,
            name="Acme Reading Retired",
            elements=elements,
            schools=[lincoln],
            status=ProductStatus.RETIRED,
            purpose_md="Reading, gradebook.",
        )
        agreement = db.session.scalar(select(Agreement).where(Agreement.vendor_id == acme.id))
        agreement.products.append(retired)
        db.session.commit()
    return catalog


def test_directory_count_equals_the_products_listed_for_every_filter(app, wider_catalog):
    with in_app(app):
        today = district_today()
        checked = 0
        for filters in _filters():
            page = search_products(filters, 1, 100, today)
            assert page.total == len(page.items), filters
            checked += page.total
        assert checked > 100  # the filters do match products, so the counts are not all zero


def test_element_page_count_equals_the_listed_products_receiving_it(app, wider_catalog):
    with in_app(app):
        for element in db.session.scalars(select(DataElement)):
            page = element_receivers(element, 1, 100)
            assert page.total == len(page.items)
            assert all(use.product.status is not ProductStatus.RETIRED for use in page.items)
            assert all(not use.product.vendor.is_retired for use in page.items)


def test_headline_counts_count_listed_products_and_their_vendors(app, wider_catalog):
    with in_app(app):
        counts = headline_counts(district_today())
        listed = [
            p
            for p in db.session.scalars(select(Product))
            if p.status is not ProductStatus.RETIRED and not p.vendor.is_retired
        ]
        assert counts.products == len(listed) == 3
        assert counts.vendors == len({p.vendor_id for p in listed}) == 2
        assert counts.elements_shared == len({use.data_element_id for p in listed for use in p.data_uses})
