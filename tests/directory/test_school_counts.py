"""Each school's counts of listed products, of those that receive sensitive data, and of those
that receive each data element, are kept by triggers, whichever path writes.

`School.product_count` and `School.sensitive_product_count` are what the schools index, a school's
page, the API and the reports show; `school_element_count` is a school page's sensitive data. After
every change below (services, the importer, raw SQL), each school's counts must equal the counts
made from scratch from its links and the products' data (`kept_counts_check`), and the numbers each
step expects.
"""

import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse import kept_counts_check
from clearinghouse.directory import services
from clearinghouse.directory.models import (
    Product,
    ProductStatus,
    School,
)
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.imports import files
from clearinghouse.imports import services as imports
from clearinghouse.imports.mapping import guess_mapping
from tests import factories
from tests.conftest import in_app


def stored() -> dict[str, tuple[int, int]]:
    db.session.expire_all()
    rows = db.session.execute(select(School.slug, School.product_count, School.sensitive_product_count))
    return {slug: (every, sensitive) for slug, every, sensitive in rows}


def check(expected: dict[str, tuple[int, int]] | None = None) -> None:
    counts = stored()
    assert kept_counts_check.check(["school", "school_element_count"]) == []
    if expected is not None:
        assert {slug: counts[slug] for slug in expected} == expected


def _catalog():
    category = factories.make_category(name="Health")
    allergy = factories.make_element(category, name="Allergies", slug="allergies", is_sensitive=True)
    diagnosis = factories.make_element(category, name="Diagnosis", slug="diagnosis", is_sensitive=True)
    name = factories.make_element(category, name="Student name", slug="student-name")
    lincoln = factories.make_school(name="Lincoln", slug="lincoln")
    adams = factories.make_school(name="Adams", slug="adams")
    acme = factories.make_vendor(name="Acme")
    globex = factories.make_vendor(name="Globex")
    factories.make_product(acme, name="Reader", elements=[allergy, name], schools=[lincoln, adams])
    factories.make_product(globex, name="Maths", elements=[name], schools=[lincoln])
    db.session.commit()
    return allergy, diagnosis, name, lincoln, adams, acme, globex


def test_services_keep_the_counts(app):
    with in_app(app):
        allergy, diagnosis, name, lincoln, adams, acme, _globex = _catalog()
        check({"lincoln": (2, 1), "adams": (1, 1)})

        with unit_of_work():
            product = services.create_product(
                None, vendor=acme, school_ids=[adams.id], data_uses={name.id: ""}, name="Writer"
            )
        check({"lincoln": (2, 1), "adams": (2, 1)})

        with unit_of_work():  # its first sensitive data, and a second school
            services.update_product(
                product,
                None,
                version=product.version,
                school_ids=[adams.id, lincoln.id],
                data_uses={name.id: "", diagnosis.id: "Care"},
            )
        check({"lincoln": (3, 2), "adams": (2, 2)})

        with unit_of_work():  # a second sensitive element changes nothing; the first one gone neither
            services.update_product(
                product, None, version=product.version, data_uses={allergy.id: "", diagnosis.id: "Care"}
            )
            services.update_product(product, None, version=product.version, data_uses={allergy.id: ""})
        check({"lincoln": (3, 2), "adams": (2, 2)})

        with unit_of_work():  # its last sensitive data gone
            services.update_product(product, None, version=product.version, data_uses={name.id: ""})
        check({"lincoln": (3, 1), "adams": (2, 1)})

        with unit_of_work():
            services.retire_product(product, None, version=product.version)
        check({"lincoln": (2, 1), "adams": (1, 1)})

        with unit_of_work():  # brought back by its status
            services.update_product(product, None, version=product.version, status=ProductStatus.APPROVED)
        check({"lincoln": (3, 1), "adams": (2, 1)})

        with unit_of_work():  # the student's name made sensitive: every product receives sensitive data
            services.update_element(name, None, category_id=name.category_id, name=name.name, is_sensitive=True)
        check({"lincoln": (3, 3), "adams": (2, 2)})

        with unit_of_work():
            services.set_vendor_retired(acme, None, retired=True, version=acme.version)
        check({"lincoln": (1, 1), "adams": (0, 0)})

        with unit_of_work():  # the vendor back
            services.set_vendor_retired(acme, None, retired=False, version=acme.version)
        check({"lincoln": (3, 3), "adams": (2, 2)})


def test_the_importer_keeps_the_counts(app):
    with in_app(app):
        _catalog()
        csv = (
            b"Vendor,Product,Status,Data elements,Schools\n"
            b"Acme,Reader,Approved,Student name,Lincoln\n"  # no longer sensitive, no longer at Adams
            b"Initech,Planner,Approved,Diagnosis; Student name,Adams\n"  # a new vendor and product
            b"Globex,Maths,Retired,Student name,Lincoln\n"  # retired by the file
        )
        table = files.read_table(csv)
        with unit_of_work():
            plan = imports.apply_import(table, guess_mapping(table.headers), actor=None)
        assert plan.errors == []
        check()


def test_raw_sql_keeps_the_counts(app):
    with in_app(app):
        allergy, diagnosis, _name, lincoln, adams, acme, globex = _catalog()
        reader = db.session.scalar(select(Product).where(Product.name == "Reader"))
        maths = db.session.scalar(select(Product).where(Product.name == "Maths"))
        spare = factories.make_product(globex, name="Spare", status=ProductStatus.UNDER_REVIEW, schools=[adams])
        db.session.commit()
        use = "INSERT INTO data_use (product_id, data_element_id, purpose, translations) VALUES (:p, :e, '', '{}')"
        statements = [
            (use, {"p": maths.id, "e": diagnosis.id}),
            ("UPDATE data_use SET purpose = 'Care' WHERE product_id = :p", {"p": maths.id}),
            ("UPDATE data_use SET data_element_id = :to WHERE product_id = :p AND data_element_id = :e",
             {"p": maths.id, "e": diagnosis.id, "to": allergy.id}),
            ("UPDATE data_use SET product_id = :to WHERE product_id = :p AND data_element_id = :e",
             {"p": maths.id, "e": allergy.id, "to": spare.id}),
            ("DELETE FROM data_use WHERE product_id = :p AND data_element_id = :e", {"p": spare.id, "e": allergy.id}),
            # Two sensitive uses of one product in one statement, then both gone in one.
            ("INSERT INTO data_use (product_id, data_element_id, purpose, translations) "
             "VALUES (:p, :a, '', '{}'), (:p, :d, '', '{}')", {"p": maths.id, "a": allergy.id, "d": diagnosis.id}),
            ("DELETE FROM data_use WHERE product_id = :p AND data_element_id IN (:a, :d)",
             {"p": maths.id, "a": allergy.id, "d": diagnosis.id}),
            ("INSERT INTO product_school (product_id, school_id) VALUES (:p, :s)", {"p": maths.id, "s": adams.id}),
            ("UPDATE product_school SET school_id = :to WHERE product_id = :p AND school_id = :s",
             {"p": spare.id, "s": adams.id, "to": lincoln.id}),
            ("DELETE FROM product_school WHERE product_id = :p AND school_id = :s", {"p": maths.id, "s": lincoln.id}),
            ("UPDATE product SET status = 'retired' WHERE id = :p", {"p": reader.id}),
            ("UPDATE product SET status = 'under_review' WHERE id = :p", {"p": reader.id}),
            ("UPDATE product SET vendor_id = :v WHERE id = :p", {"p": maths.id, "v": acme.id}),
            ("UPDATE vendor SET is_retired = :yes WHERE id = :v", {"v": acme.id, "yes": True}),
            ("UPDATE product SET vendor_id = :v WHERE id = :p", {"p": maths.id, "v": globex.id}),
            ("UPDATE vendor SET is_retired = :no WHERE id = :v", {"v": acme.id, "no": False}),
            ("UPDATE data_element SET is_sensitive = :no WHERE id = :e", {"e": allergy.id, "no": False}),
            ("UPDATE data_element SET is_sensitive = :yes WHERE id = :e", {"e": allergy.id, "yes": True}),
            ("DELETE FROM product WHERE id = :p", {"p": reader.id}),  # its links and uses go by cascade
            ("DELETE FROM school WHERE id = :s", {"s": adams.id}),
            ("DELETE FROM product_school", {}),
        ]  # fmt: skip
        for statement, params in statements:
            db.session.execute(sa.text(statement), params)
            db.session.commit()
            check()
        assert set(stored().values()) == {(0, 0)}


def test_a_product_deleted_through_the_orm_is_counted_off_once(app):
    with in_app(app):
        _catalog()
        with unit_of_work():
            db.session.delete(db.session.scalar(select(Product).where(Product.name == "Reader")))
        check({"lincoln": (1, 0), "adams": (0, 0)})
