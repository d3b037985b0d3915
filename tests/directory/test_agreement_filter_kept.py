"""A directory page filtered by its agreement alone reads its number of matches from the kept groups of
products by agreement (`agreement_standing_count`, plus the products with several agreements counted one
by one) and checks each product while it walks them in order (`queries.agreement_filter_kept`): for every
filter value, in every sort and across page boundaries, its total and its products must be exactly those of
the general query (the matches read from `agreement_filter_ids`, counted and all sorted), after writes
through the services, the ORM, raw SQL and multi-row statements.
"""

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse import kept_counts_check
from clearinghouse.agreements import services as agreements
from clearinghouse.agreements.models import Agreement
from clearinghouse.directory import queries, services
from clearinghouse.directory.models import DataElement, DataUse, Product, ProductStatus, StatedAgreementStatus, Vendor
from clearinghouse.directory.queries import AgreementFilter, DirectoryFilters, Sort
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.timeutil import district_today
from tests import factories
from tests.agreements.test_status import CASES, TODAY
from tests.conftest import in_app
from tests.directory.every_page import kept_pages_as_general

PER_PAGE = 3


def agreement_catalog() -> None:
    """Each case of tests/agreements/test_status.py (every status and state, several agreements, stated
    statuses), twice over two vendors with the same product names, a day's dates moved to the real today."""
    shift = district_today() - TODAY
    for vendor_name in ("Zeta", "Alpha"):
        vendor = factories.make_vendor(name=vendor_name)
        for name, (stated, cases, _, _) in CASES.items():
            product = factories.make_product(vendor, name=name, agreement_status=stated)
            for fields in cases:
                fields = {key: value + shift if isinstance(value, date) else value for key, value in fields.items()}
                renewed = fields.pop("renewed", False)
                agreement = factories.make_agreement(vendor, [product], **fields)
                if renewed:
                    successor = factories.make_agreement(vendor, [product], **dict(fields, expires_on=None))
                    agreement.renewed_by_id = successor.id
    factories.make_product(factories.make_vendor(name="Gone", is_retired=True), name="active")
    db.session.commit()


def _check(monkeypatch) -> int:
    """Each agreement filter's kept page against the general one; returns how many matched something."""
    db.session.commit()  # PostgreSQL applies the kept counts' changes at commit
    db.session.expire_all()
    every = [DirectoryFilters(agreement=value, sort=sort) for value in AgreementFilter for sort in (None, *Sort)]
    kept = _kept_both_ways(every, monkeypatch)
    return len({filters.agreement for filters, (ids, _, _) in kept.items() if ids})


def _kept_both_ways(every: list[DirectoryFilters], monkeypatch) -> dict:
    """`kept_pages_as_general`, then again with each page after the first of a filter (whose matches it has seen,
    `queries._KEPT_SEEN`) reading each walked product's agreement by key (`PROBE_WALK`: any walk is short
    enough; on PostgreSQL) and then none: the same readings."""
    kept = kept_pages_as_general(every, PER_PAGE, monkeypatch)
    for probe_walk in (10**9, 0):
        queries.forget_seen_counts()
        with monkeypatch.context() as patched:
            patched.setattr(queries, "PROBE_WALK", probe_walk)
            assert kept_pages_as_general(every, PER_PAGE, monkeypatch) == kept
    return kept


def test_agreement_filter_pages_equal_the_general_query_after_varied_writes(app, monkeypatch):
    with in_app(app):
        agreement_catalog()
        assert _check(monkeypatch) >= 9
        today = district_today()
        zeta, alpha = (db.session.scalar(select(Vendor).where(Vendor.name == name)) for name in ("Zeta", "Alpha"))
        products = list(db.session.scalars(select(Product).where(Product.vendor_id == zeta.id).order_by(Product.id)))

        with unit_of_work():  # one agreement for three products: each now has several, or a sole one
            agreements.create_agreement(
                None,
                zeta,
                agreements.AgreementInput(
                    reference="NDPA 90",
                    product_ids=[p.id for p in products[:3]],
                    signed_on=today - timedelta(days=10),
                    effective_on=today - timedelta(days=10),
                    expires_on=today + timedelta(days=20),
                ),
                today=today,
            )
        _check(monkeypatch)
        active = db.session.scalar(select(Agreement).where(Agreement.products.contains(products[8])))
        with unit_of_work():
            agreements.terminate_agreement(
                active, None, version=active.version, terminated_on=today, reason="Ended.", today=today
            )
        with unit_of_work():
            services.update_product(products[4], None, version=products[4].version, agreement_status="requested")
            services.retire_product(products[5], None, version=products[5].version)
        _check(monkeypatch)
        with unit_of_work():
            services.set_vendor_retired(alpha, None, retired=True, version=alpha.version)
        _check(monkeypatch)

        # The ORM: a link added and one taken away, an agreement's dates, a product renamed.
        added = factories.make_agreement(zeta, [], reference="NDPA 91")
        products[10].agreements.append(added)
        products[11].agreements = []
        db.session.get(Agreement, active.id).expires_on = today + timedelta(days=5)
        products[12].name = "0 first by name"
        products[12].status = ProductStatus.UNDER_REVIEW
        _check(monkeypatch)

        # Raw SQL and multi-row statements, as an import writes them.
        ids = [p.id for p in products]
        db.session.execute(sa.text("UPDATE vendor SET is_retired = false"))
        db.session.execute(
            sa.update(Product)
            .where(Product.id.in_(ids[13:18]))
            .values(agreement_status=StatedAgreementStatus.NOT_REQUIRED)
        )
        db.session.execute(
            sa.text("UPDATE agreement SET expires_on = :day WHERE expires_on IS NULL"), {"day": today + timedelta(1)}
        )
        db.session.execute(
            sa.text("DELETE FROM agreement_product WHERE product_id IN (:a, :b)"), dict(a=ids[0], b=ids[6])
        )
        db.session.execute(
            sa.text("INSERT INTO agreement_product (agreement_id, product_id) SELECT min(id), :p FROM agreement"),
            {"p": ids[7]},
        )
        db.session.execute(sa.delete(Product).where(Product.id == ids[9]))
        _check(monkeypatch)


def test_an_agreement_filter_with_another_filter_is_counted(app):
    today = district_today()
    for chosen in ({"text": "app"}, {"status": ProductStatus.APPROVED}, {"tag_id": 1}):
        assert DirectoryFilters(agreement=AgreementFilter.ACTIVE, **chosen).kept(today) is None
    for chosen in ({"school_id": 1}, {"text": "app"}, {"status": ProductStatus.APPROVED}, {"category_id": 1}):
        assert DirectoryFilters(agreement=AgreementFilter.ACTIVE, element_id=1, **chosen).kept(today) is None
    assert DirectoryFilters(agreement=AgreementFilter.ACTIVE).kept() is None  # without the day it asks about
    assert DirectoryFilters(agreement=AgreementFilter.ACTIVE, element_id=1).kept() is None
    # A stated status that a term group cannot tell (it depends on the product's agreements, not on one's).
    for value in UNKEPT_WITH_ELEMENT:
        assert DirectoryFilters(agreement=value, element_id=1).kept(today) is None


# With a data element: the filters whose every part a term group of `agreement_term_element_count` can answer.
UNKEPT_WITH_ELEMENT = (AgreementFilter.REQUESTED, AgreementFilter.DECLINED_BY_VENDOR, AgreementFilter.NOT_REQUIRED)


def _receiving(elements: list[DataElement]) -> None:
    """Each product of the agreement catalogue receives some of `elements`, unevenly (none for some)."""
    for n, product in enumerate(db.session.scalars(select(Product).order_by(Product.id))):
        for k, element in enumerate(elements):
            if (n + k) % 3:
                product.data_uses.append(DataUse(data_element_id=element.id, purpose="Teaching."))
    db.session.commit()


def _check_with_elements(monkeypatch, elements: list[int], *, unwalked: bool = False) -> int:
    """Each agreement filter (that a term group answers) with each data element: its kept page against the
    general one, walked (and with `unwalked`, read by main's statement after the kept count: `WALK_SHARE` 0, so
    that no number of matches is enough); the kept count of the groups against the rows. Returns how many
    matched something."""
    db.session.commit()  # PostgreSQL applies the kept counts' changes at commit
    db.session.expire_all()
    assert kept_counts_check.check(["agreement_term_element_count"]) == []
    every = [
        DirectoryFilters(agreement=value, element_id=element, sort=sort)
        for value in AgreementFilter
        if value not in UNKEPT_WITH_ELEMENT
        for element in elements
        for sort in (None, Sort.VENDOR, Sort.UPDATED)
    ]
    kept = _kept_both_ways(every, monkeypatch)
    if unwalked:
        with monkeypatch.context() as patched:
            patched.setattr(queries, "WALK_SHARE", 0)
            assert kept_pages_as_general(every, PER_PAGE, monkeypatch) == kept
    return len({(filters.agreement, filters.element_id) for filters, (ids, _, _) in kept.items() if ids})


def agreement_writes(
    products: list[Product], retired: Vendor, today: date, check: Callable[[], object], *, signed: slice
) -> Agreement:
    """Writes to agreements, `check()` after each few: a new agreement for `products[signed]` (several for some),
    an agreement's term changed and one terminated, the vendor `retired` retired; then in one transaction an
    agreement's dates and its products, both ways, and a product deleted. Returns the agreement that transaction
    added (`products[9]`'s and `products[10]`'s)."""
    vendor = db.session.get(Vendor, products[0].vendor_id)
    with unit_of_work():
        agreements.create_agreement(
            None,
            vendor,
            agreements.AgreementInput(
                reference="NDPA 90",
                product_ids=[p.id for p in products[signed]],
                signed_on=today - timedelta(days=10),
                effective_on=today - timedelta(days=10),
                expires_on=today + timedelta(days=20),
            ),
            today=today,
        )
    active = db.session.scalar(select(Agreement).where(Agreement.products.contains(products[8])))
    active.expires_on = today + timedelta(days=5)
    check()
    with unit_of_work():
        agreements.terminate_agreement(
            active, None, version=active.version, terminated_on=today, reason="Ended.", today=today
        )
    with unit_of_work():  # a vendor retired
        services.set_vendor_retired(retired, None, retired=True, version=retired.version)
    check()

    # In one transaction, an agreement's dates and its products, both ways; a product deleted.
    added = factories.make_agreement(vendor, [products[9]], reference="NDPA 91", signed_on=today, effective_on=today)
    db.session.flush()
    added.expires_on = today + timedelta(days=30)
    products[10].agreements.append(added)
    db.session.flush()
    products[11].agreements = []
    db.session.delete(products[12])
    check()
    return added


def test_agreement_filter_with_an_element_pages_equal_the_general_query_after_varied_writes(app, monkeypatch):
    with in_app(app):
        agreement_catalog()
        elements = [factories.make_element(name=f"Element {n}") for n in range(3)]
        _receiving(elements)
        ids = [element.id for element in elements]
        assert _check_with_elements(monkeypatch, ids, unwalked=True) >= 12
        today = district_today()
        zeta, alpha = (db.session.scalar(select(Vendor).where(Vendor.name == name)) for name in ("Zeta", "Alpha"))
        products = list(db.session.scalars(select(Product).where(Product.vendor_id == zeta.id).order_by(Product.id)))

        # Data uses added and removed; a product's status and stated status; a product retired.
        products[0].data_uses = []
        received = {use.data_element_id for use in products[1].data_uses}
        products[1].data_uses.append(DataUse(data_element_id=min(set(ids) - received), purpose="More."))
        products[2].status = ProductStatus.RETIRED
        with unit_of_work():
            services.update_product(products[4], None, version=products[4].version, agreement_status="requested")
        _check_with_elements(monkeypatch, ids)

        added = agreement_writes(
            products, alpha, today, partial(_check_with_elements, monkeypatch, ids), signed=slice(5, 8)
        )

        # Raw SQL and multi-row statements, as an import writes them.
        db.session.execute(sa.text("UPDATE vendor SET is_retired = false"))
        db.session.execute(
            sa.update(Product)
            .where(Product.id.in_([p.id for p in products[13:18]]))
            .values(agreement_status=StatedAgreementStatus.NOT_REQUIRED)
        )
        db.session.execute(
            sa.text("UPDATE agreement SET expires_on = :day WHERE expires_on IS NULL"), {"day": today + timedelta(1)}
        )
        db.session.execute(sa.delete(DataUse).where(DataUse.data_element_id == ids[1]))
        db.session.execute(
            sa.text("INSERT INTO data_use (product_id, data_element_id, purpose, translations) "
                    "SELECT id, :e, 'Teaching.', '{}' FROM product WHERE id NOT IN "
                    "(SELECT product_id FROM data_use WHERE data_element_id = :e)"),
            {"e": ids[2]},
        )  # fmt: skip
        db.session.execute(sa.text("DELETE FROM agreement WHERE id = :a"), {"a": added.id})
        _check_with_elements(monkeypatch, ids)
