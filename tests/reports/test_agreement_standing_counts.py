"""The reports' products by agreement status, from groups kept by triggers, whichever path writes.

`Product.agreement_key` (no agreement, the sole one, several) and `agreement_standing_count`
(listed products per key and stated status) are kept by triggers (migration
20261126_agreement_standing_counts); `agreements.status.kept_status_counts` derives each group's
status on the day asked about. After every change below (services, the importer, raw SQL,
multi-row statements), the keys must equal keys made from the links, the groups must equal groups
counted afresh (`kept_counts_check`), and the counts must equal those `agreements.status.status_counts` makes from every
product (the reports' query before), on several days.
"""

from collections import Counter
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse import kept_counts_check
from clearinghouse.agreements import services as agreements
from clearinghouse.agreements.models import (
    agreement_product,
)
from clearinghouse.agreements.status import kept_status_counts, status_counts
from clearinghouse.directory import services
from clearinghouse.directory.models import Product, StatedAgreementStatus
from clearinghouse.directory.queries import listed_clause
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.imports import files
from clearinghouse.imports import services as imports
from clearinghouse.imports.mapping import guess_mapping
from clearinghouse.reports import queries
from clearinghouse.reports.queries import AGREEMENT_STATUS_TONES
from tests import factories
from tests.conftest import in_app

TODAY = date(2026, 11, 26)
DAYS = [TODAY, TODAY + timedelta(days=300), TODAY + timedelta(days=800), TODAY - timedelta(days=600)]


def kept(today: date) -> dict[str, int]:
    counts = db.session.execute(kept_status_counts(today, listed_clause())).tuples().all()
    return {status: count for status, count in counts if count}


def check(expected: dict[str, int] | None = None) -> None:
    db.session.expire_all()
    links = Counter(db.session.scalars(select(agreement_product.c.product_id)))
    sole = dict(
        db.session.execute(select(agreement_product.c.product_id, agreement_product.c.agreement_id)).tuples().all()
    )
    keys = dict(db.session.execute(select(Product.id, Product.agreement_key)).tuples().all())
    assert keys == {pid: {0: 0, 1: sole.get(pid)}.get(links[pid], -1) for pid in keys}
    assert kept_counts_check.check(["agreement_standing_count", "agreement_term_standing_count"]) == []
    for day in DAYS:
        assert kept(day) == dict(db.session.execute(status_counts(day, listed_clause())).tuples().all()), day
    if expected is not None:
        assert kept(TODAY) == expected


def _catalog():
    acme = factories.make_vendor(name="Acme")
    globex = factories.make_vendor(name="Globex")
    reader = factories.make_product(acme, name="Reader")
    maths = factories.make_product(acme, name="Maths", agreement_status=StatedAgreementStatus.REQUESTED)
    planner = factories.make_product(globex, name="Planner", agreement_status=StatedAgreementStatus.NOT_REQUIRED)
    ended = factories.make_agreement(acme, [reader], signed_on=date(2022, 1, 1), effective_on=date(2022, 1, 1),
                                     expires_on=date(2024, 12, 31))  # fmt: skip
    db.session.commit()
    return acme, globex, reader, maths, planner, ended


def test_services_keep_the_groups(app):
    with in_app(app):
        acme, _globex, reader, maths, _planner, ended = _catalog()
        check({"signed": 1, "requested": 1, "not_required": 1})

        with unit_of_work():  # a second agreement for Reader (several), the first for Maths
            agreements.create_agreement(
                None,
                acme,
                agreements.AgreementInput(
                    reference="NDPA 2",
                    product_ids=[reader.id, maths.id],
                    signed_on=date(2026, 7, 1),
                    effective_on=date(2027, 1, 1),
                    expires_on=date(2029, 6, 30),
                ),
                today=TODAY,
            )
        check({"signed": 2, "not_required": 1})

        with unit_of_work():
            agreements.renew_agreement(
                ended,
                None,
                agreements.AgreementInput(
                    reference="NDPA 3",
                    product_ids=[reader.id],
                    signed_on=date(2025, 1, 1),
                    effective_on=date(2025, 1, 1),
                    expires_on=date(2026, 12, 15),
                ),
                version=ended.version,
                today=TODAY,
            )
        check()

        with unit_of_work():  # Maths leaves the agreement: requested again
            product = db.session.get(Product, maths.id)
            services.update_product(product, None, version=product.version, agreement_status="declined_by_vendor")
        check()

        with unit_of_work():
            services.retire_product(db.session.get(Product, reader.id), None, version=reader.version)
        check()

        with unit_of_work():
            services.set_vendor_retired(acme, None, retired=True, version=acme.version)
        check({"not_required": 1})

        with unit_of_work():
            services.set_vendor_retired(acme, None, retired=False, version=acme.version)
        check()

        with unit_of_work():  # a new product, with no agreement
            services.create_product(None, vendor=acme, name="Atlas", school_ids=[], data_uses={})
        check()


def test_the_importer_keeps_the_groups(app):
    with in_app(app):
        _catalog()
        csv = (
            b"Vendor,Product,Status,Agreement status\n"
            b"Acme,Reader,Retired,\n"
            b"Initech,Writer,Approved,Requested\n"
            b"Globex,Planner,Approved,Declined by vendor\n"
        )
        table = files.read_table(csv)
        with unit_of_work():
            plan = imports.apply_import(table, guess_mapping(table.headers), actor=None)
        assert plan.errors == []
        check()


def test_raw_sql_keeps_the_groups(app):
    with in_app(app):
        acme, globex, reader, maths, planner, ended = _catalog()
        other = factories.make_agreement(globex, [], reference="NDPA 9", dates_recorded=False,
                                         signed_on=None, effective_on=None, expires_on=None)  # fmt: skip
        draft = factories.make_agreement(acme, [], reference="NDPA 10", signed_on=None)
        spare = factories.make_product(acme, name="Spare")
        db.session.commit()
        link = "INSERT INTO agreement_product (agreement_id, product_id) VALUES "
        statements = [
            (link + "(:a, :p), (:b, :p)", {"a": other.id, "b": draft.id, "p": maths.id}),  # several at once
            (link + "(:a, :p), (:a, :q)", {"a": draft.id, "p": planner.id, "q": reader.id}),
            ("DELETE FROM agreement_product WHERE agreement_id = :a AND product_id = :p",
             {"a": other.id, "p": maths.id}),
            ("UPDATE agreement_product SET product_id = :to WHERE agreement_id = :a AND product_id = :p",
             {"a": draft.id, "p": reader.id, "to": spare.id}),
            ("UPDATE agreement_product SET agreement_id = :to WHERE agreement_id = :a AND product_id = :p",
             {"a": draft.id, "p": maths.id, "to": other.id}),
            ("UPDATE product SET agreement_status = 'requested' WHERE vendor_id = :v", {"v": globex.id}),
            ("UPDATE product SET status = 'retired' WHERE id = :p", {"p": reader.id}),
            ("UPDATE product SET status = 'approved' WHERE id = :p", {"p": reader.id}),
            ("UPDATE product SET vendor_id = :v WHERE id = :p", {"p": maths.id, "v": globex.id}),
            ("UPDATE vendor SET is_retired = :yes WHERE id = :v", {"v": globex.id, "yes": True}),
            ("UPDATE vendor SET is_retired = :no", {"no": False}),
            ("UPDATE agreement SET terminated_on = :d WHERE id = :a", {"a": ended.id, "d": date(2023, 5, 1)}),
            ("UPDATE agreement SET expires_on = :d, auto_renews = :yes", {"d": date(2027, 3, 1), "yes": True}),
            ("UPDATE agreement SET signed_on = NULL WHERE id = :a", {"a": other.id}),
            ("UPDATE agreement SET renewed_by_id = :b WHERE id = :a", {"a": ended.id, "b": other.id}),
            ("UPDATE agreement SET effective_on = :d, renewed_by_id = NULL", {"d": date(2026, 12, 1)}),
            ("DELETE FROM agreement WHERE id = :a", {"a": draft.id}),  # its links go by cascade
            ("DELETE FROM product WHERE id = :p", {"p": reader.id}),
            ("DELETE FROM agreement_product", {}),
            ("DELETE FROM product", {}),
        ]  # fmt: skip
        for statement, params in statements:
            db.session.execute(sa.text(statement), params)
            db.session.commit()
            check()
        assert kept(TODAY) == {}


def test_the_report_counts_as_before(app):
    with in_app(app):
        _catalog()
        before = dict(db.session.execute(status_counts(TODAY, listed_clause())).tuples().all())
        figure = queries.products_by_agreement_status(TODAY)
        assert {status.value: bar.value for status, bar in zip(AGREEMENT_STATUS_TONES, figure.bars, strict=True)} == {
            status.value: before.get(status.value, 0) for status in AGREEMENT_STATUS_TONES
        }


def test_an_agreements_dates_move_its_products(app):
    """An agreement whose term columns change moves its products between term groups: with its products in
    the same unit (either order of the flush), terminated, renewed, deleted through the ORM."""
    with in_app(app):
        acme, _globex, _reader, maths, _planner, ended = _catalog()
        spare = factories.make_product(acme, name="Spare", agreement_status=StatedAgreementStatus.REQUESTED)
        signed = dict(signed_on=date(2025, 7, 1), effective_on=date(2025, 7, 1), expires_on=date(2027, 6, 30))
        same_dates = factories.make_agreement(acme, [maths], reference="NDPA 4", **signed)
        other = factories.make_agreement(acme, [spare], reference="NDPA 5", **signed)
        db.session.commit()
        check()

        with unit_of_work():  # new dates and a product more, in one save
            data = agreements.AgreementInput.of(same_dates)
            data.expires_on, data.product_ids = date(2026, 12, 31), [maths.id, spare.id]
            agreements.update_agreement(same_dates, None, data, version=same_dates.version, today=TODAY)
        check()

        with unit_of_work():  # a product less, then new dates, flushed in that order
            agreement = db.session.get(type(same_dates), same_dates.id)
            agreement.products = [product for product in agreement.products if product.id != spare.id]
            db.session.flush()
            agreement.auto_renews = True
            db.session.flush()
        check()

        with unit_of_work():
            agreements.terminate_agreement(
                other, None, version=other.version, terminated_on=TODAY, reason="Vendor left", today=TODAY
            )
        check()

        with unit_of_work():
            product = db.session.get(Product, spare.id)
            services.update_product(product, None, version=product.version, agreement_status="not_required")
        check()

        with unit_of_work():  # deleted with its links, through the ORM
            db.session.delete(db.session.get(type(ended), ended.id))
        check()

        with unit_of_work():
            db.session.delete(db.session.get(type(same_dates), same_dates.id))
        check()
