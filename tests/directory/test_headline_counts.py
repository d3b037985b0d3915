"""The home page's headline counts and the reports' approval and agreement state counts, from what
triggers keep, whichever path writes.

`product_status_count` (listed products per approval), `Vendor.product_count` (its products not
retired), `headline_count` (vendors with a listed product, data elements some listed product
receives) and `agreement_term_count` (agreements per group of the columns their state is derived
from) are kept by triggers (migrations 20261126_headline_counts and 20261126_headline_element_count).
After every change below (services, the importer, the ORM, raw SQL, multi-row statements), each
must equal what is counted afresh from every row (`kept_counts_check`; the home page's numbers as
its query did before), and the states derived from the groups must equal those of every agreement,
on several days.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import func, select

from clearinghouse import kept_counts_check
from clearinghouse.agreements import queries as agreement_queries
from clearinghouse.agreements import services as agreements
from clearinghouse.agreements.models import IN_FORCE_STATES, Agreement, AgreementState
from clearinghouse.agreements.state import state_in, state_sql
from clearinghouse.directory import services
from clearinghouse.directory.models import (
    DataElement,
    DataUse,
    Product,
    ProductStatus,
    headline_count,
    product_status_count,
)
from clearinghouse.directory.queries import HeadlineCounts, headline_counts, listed_clause
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.imports import files
from clearinghouse.imports import services as imports
from clearinghouse.imports.mapping import guess_mapping
from clearinghouse.reports import queries as reports
from clearinghouse.reports.queries import APPROVAL_TONES
from tests import factories
from tests.conftest import in_app

TODAY = date(2026, 11, 26)
# Today, before a term ends and after, a leap day's anniversary, before most agreements began.
DAYS = [TODAY, TODAY + timedelta(days=300), TODAY + timedelta(days=800), date(2028, 2, 29), TODAY - timedelta(days=600)]


def counted_afresh(day: date) -> HeadlineCounts:
    """The home page's four numbers counted from every row, as its query did before."""
    listed = listed_clause()
    return HeadlineCounts(
        db.session.scalar(select(func.count(Product.vendor_id.distinct())).where(listed)),
        db.session.scalar(select(func.count()).select_from(Product).where(listed)),
        db.session.scalar(select(func.count(DataUse.data_element_id.distinct())).join(DataUse.product).where(listed)),
        db.session.scalar(select(func.count()).select_from(Agreement).where(state_in(Agreement, day, IN_FORCE_STATES))),
    )


def states_afresh(day: date) -> dict[AgreementState, int]:
    states = select(state_sql(Agreement, day).label("state")).subquery()
    counts = dict.fromkeys(AgreementState, 0)
    for value, number in db.session.execute(select(states.c.state, func.count()).group_by(states.c.state)):
        counts[AgreementState(value)] = number
    return counts


def element(name: str) -> int:
    return db.session.scalar(select(DataElement.id).where(DataElement.name == name))


def check(expected: HeadlineCounts | None = None) -> None:
    db.session.expire_all()
    assert kept_counts_check.check(["vendor", "product_status_count", "headline_count", "agreement_term_count"]) == []
    assert db.session.scalar(select(func.count()).select_from(headline_count)) <= 1
    statuses = dict(db.session.execute(select(product_status_count)).tuples().all())
    approval = reports.products_by_approval()
    assert [bar.value for bar in approval.bars] == [statuses.get(str(status), 0) for status in APPROVAL_TONES]
    for day in DAYS:
        assert headline_counts(day) == counted_afresh(day), day
        assert agreement_queries.counts_by_state(day) == states_afresh(day), day
    if expected is not None:
        assert headline_counts(TODAY) == expected


def _catalog():
    identity = factories.make_category(name="Identity")
    name = factories.make_element(identity, name="Student name")
    grades = factories.make_element(identity, name="Grades")
    factories.make_element(identity, name="Diagnosis")
    acme = factories.make_vendor(name="Acme")
    globex = factories.make_vendor(name="Globex")
    reader = factories.make_product(acme, name="Reader", elements=[name, grades])
    maths = factories.make_product(acme, name="Maths", status=ProductStatus.UNDER_REVIEW, elements=[grades])
    planner = factories.make_product(globex, name="Planner", elements=[name])
    factories.make_agreement(acme, [reader], signed_on=date(2022, 1, 1), effective_on=date(2022, 1, 1),
                             expires_on=date(2024, 12, 31))  # fmt: skip
    in_force = factories.make_agreement(globex, [planner], signed_on=date(2024, 2, 29), effective_on=date(2024, 2, 29),
                                        expires_on=date(2026, 2, 28), auto_renews=True)  # fmt: skip
    db.session.commit()
    return acme, globex, reader, maths, planner, in_force


def test_services_keep_the_counts(app):
    with in_app(app):
        acme, globex, reader, maths, _planner, in_force = _catalog()
        check(HeadlineCounts(vendors=2, products=3, elements_shared=2, agreements_in_force=1))

        with unit_of_work():
            agreements.create_agreement(
                None,
                acme,
                agreements.AgreementInput(
                    reference="NDPA 2",
                    product_ids=[maths.id],
                    signed_on=date(2026, 7, 1),
                    effective_on=date(2026, 7, 1),
                    expires_on=date(2027, 1, 15),
                ),
                today=TODAY,
            )
        check(HeadlineCounts(vendors=2, products=3, elements_shared=2, agreements_in_force=2))

        with unit_of_work():
            agreements.terminate_agreement(
                in_force, None, version=in_force.version, terminated_on=TODAY, reason="Closed.", today=TODAY
            )
        check(HeadlineCounts(vendors=2, products=3, elements_shared=2, agreements_in_force=1))

        with unit_of_work():
            product = db.session.get(Product, maths.id)
            services.update_product(product, None, version=product.version, status="approved")
        check()

        with unit_of_work():
            services.retire_product(db.session.get(Product, reader.id), None, version=reader.version)
        check(HeadlineCounts(vendors=2, products=2, elements_shared=2, agreements_in_force=1))

        with unit_of_work():
            services.set_vendor_retired(globex, None, retired=True, version=globex.version)
        check(HeadlineCounts(vendors=1, products=1, elements_shared=1, agreements_in_force=1))

        with unit_of_work():
            services.set_vendor_retired(globex, None, retired=False, version=globex.version)
        check()

        with unit_of_work():  # a new vendor's first product, the first to receive a diagnosis
            initech = services.create_vendor(None, name="Initech")
            services.create_product(
                None, vendor=initech, name="Atlas", school_ids=[], data_uses={element("Diagnosis"): ""}
            )
        check(HeadlineCounts(vendors=3, products=3, elements_shared=3, agreements_in_force=1))


def test_the_importer_keeps_the_counts(app):
    with in_app(app):
        _catalog()
        csv = (
            b"Vendor,Product,Status,Agreement status,Data elements\n"
            b"Acme,Reader,Retired,,Student name\n"
            b"Acme,Maths,Retired,,Grades\n"  # Acme's last product
            b"Initech,Writer,Approved,Requested,Diagnosis\n"  # a new vendor
            b"Initech,Painter,Under review,,Grades\n"
            b"Globex,Planner,Not approved,,Student name\n"
        )
        table = files.read_table(csv)
        with unit_of_work():
            plan = imports.apply_import(table, guess_mapping(table.headers), actor=None)
        assert plan.errors == []
        check(HeadlineCounts(vendors=2, products=3, elements_shared=3, agreements_in_force=1))


def test_the_orm_keeps_the_counts(app):
    with in_app(app):
        acme, globex, reader, maths, planner, in_force = _catalog()
        reader.status = ProductStatus.RETIRED
        maths.vendor_id = globex.id  # Acme's last product moves
        db.session.commit()
        check(HeadlineCounts(vendors=1, products=2, elements_shared=2, agreements_in_force=1))

        in_force.expires_on = date(2026, 12, 31)
        in_force.auto_renews = False
        in_force.renewed_by_id = factories.make_agreement(globex, [], reference="Next", signed_on=None).id
        db.session.commit()
        check()

        maths.data_uses.append(DataUse(data_element_id=element("Diagnosis"), purpose=""))
        db.session.commit()
        check(HeadlineCounts(vendors=1, products=2, elements_shared=3, agreements_in_force=1))
        db.session.delete(maths.data_uses[-1])
        db.session.commit()
        check()

        db.session.delete(in_force)
        db.session.delete(planner)
        db.session.commit()
        check(HeadlineCounts(vendors=1, products=1, elements_shared=1, agreements_in_force=0))
        db.session.delete(db.session.get(Product, reader.id))
        for ended in db.session.scalars(select(Agreement).where(Agreement.vendor_id == acme.id)):
            db.session.delete(ended)
        db.session.delete(acme)
        db.session.commit()
        check()


def test_raw_sql_keeps_the_counts(app):
    with in_app(app):
        acme, globex, reader, maths, planner, in_force = _catalog()
        product = (
            "INSERT INTO product (vendor_id, name, name_key, slug, kind_id, status, purpose_md, translations, "
            "grade_bands, website, agreement_status, agreement_note, status_note, internal_notes, category_text, "
            "version, created_at, updated_at) SELECT :v, :n || '-' || id, :n || '-' || id, :n || '-' || id, "
            "(SELECT min(id) FROM product_kind), :s, '', '{}', '', '', 'none_on_file', '', '', '', '', 1, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM product"
        )
        agreement = (
            "INSERT INTO agreement (vendor_id, kind, reference, signed_on, effective_on, expires_on, auto_renews, "
            "termination_reason, is_document_published, dates_recorded, internal_notes, destruction_not_requested, "
            "version, created_at, updated_at) VALUES "
            "(:v, 'ndpa', 'A', :d, :d, :e, :no, '', :no, :yes, '', :no, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP), "
            "(:v, 'ndpa', 'B', :d, :d, :e, :yes, '', :no, :yes, '', :no, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP), "
            "(:v, 'ndpa', 'C', NULL, NULL, NULL, :no, '', :no, :no, '', :no, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
        use = "INSERT INTO data_use (product_id, data_element_id, purpose, translations) VALUES "
        flags = {"yes": True, "no": False}
        diagnosis, name, grades = element("Diagnosis"), element("Student name"), element("Grades")
        statements = [
            # Two products' first uses of one element in one statement, then all its uses gone in one.
            (use + "(:p, :e, '', '{}'), (:q, :e, '', '{}')", {"p": reader.id, "q": planner.id, "e": diagnosis}),
            ("UPDATE data_use SET data_element_id = :e WHERE product_id = :p AND data_element_id = :d",
             {"p": planner.id, "d": diagnosis, "e": grades}),
            ("DELETE FROM data_use WHERE data_element_id = :e", {"e": diagnosis}),
            ("UPDATE data_use SET product_id = :p WHERE product_id = :q AND data_element_id = :e",
             {"p": maths.id, "q": planner.id, "e": name}),
            ("UPDATE product SET status = 'retired' WHERE id = :p", {"p": maths.id}),
            # Three products at once, for a vendor without one, then three more of two statuses.
            (product, {"v": globex.id, "n": "bulk", "s": "approved"}),
            ("UPDATE product SET status = 'under_review' WHERE name LIKE 'bulk-%' AND id % 2 = 0", {}),
            ("UPDATE product SET vendor_id = :v WHERE name LIKE 'bulk-%'", {"v": acme.id}),
            ("UPDATE product SET status = 'retired' WHERE vendor_id = :v", {"v": acme.id}),  # all of Acme's
            ("UPDATE product SET status = 'not_approved' WHERE vendor_id = :v", {"v": acme.id}),
            ("UPDATE vendor SET is_retired = :yes", flags),  # every vendor in one statement
            ("UPDATE vendor SET is_retired = :no WHERE id = :v", {"v": globex.id, **flags}),
            ("UPDATE vendor SET is_retired = :no", flags),
            ("DELETE FROM product WHERE name LIKE 'bulk-%' AND id % 2 = 1", {}),
            (agreement, {"v": acme.id, "d": date(2025, 3, 1), "e": date(2026, 3, 1), **flags}),
            ("UPDATE agreement SET expires_on = :e WHERE reference IN ('A', 'B')", {"e": date(2027, 3, 1)}),
            ("UPDATE agreement SET dates_recorded = :yes, signed_on = :d WHERE reference = 'C'",
             {"d": date(2026, 1, 1), **flags}),
            ("UPDATE agreement SET terminated_on = :d WHERE id = :a", {"a": in_force.id, "d": date(2027, 1, 1)}),
            ("UPDATE agreement SET renewed_by_id = (SELECT id FROM agreement WHERE reference = 'C') "
             "WHERE reference = 'A'", {}),
            ("UPDATE agreement SET reference = 'D' WHERE reference = 'B'", {}),  # not a term: no change
            ("DELETE FROM agreement WHERE reference IN ('A', 'D')", {}),
            ("DELETE FROM agreement_product", {}),
            ("DELETE FROM agreement", {}),
            ("DELETE FROM product", {}),
        ]  # fmt: skip
        for statement, params in statements:
            db.session.execute(sa.text(statement), params)
            db.session.commit()
            check()
        assert headline_counts(TODAY) == HeadlineCounts(0, 0, 0, 0)
