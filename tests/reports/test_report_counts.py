"""The reports' counts kept by triggers, whichever path writes.

`DataCategory.product_count` (listed products that receive the category's data) and
`ProductKind.placed_product_count` / `school_count` (listed products of the kind used at some
school, and the schools that use them) are what the reports' "Products per data category" and
overlap list show. After every change below (services, the importer, raw SQL, multi-row statements),
each must equal the count made from scratch by the aggregate the reports ran before
(migration 20261126_report_counts).
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse import kept_counts_check
from clearinghouse.directory import services
from clearinghouse.directory.models import (
    DataCategory,
    Product,
    ProductKind,
    ProductStatus,
)
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.imports import files
from clearinghouse.imports import services as imports
from clearinghouse.imports.mapping import guess_mapping
from clearinghouse.reports import queries
from tests import factories
from tests.conftest import in_app


def stored() -> tuple[dict[str, int], dict[str, tuple[int, int]]]:
    db.session.expire_all()
    categories = db.session.execute(select(DataCategory.slug, DataCategory.product_count)).tuples().all()
    kinds = db.session.execute(
        select(ProductKind.slug, ProductKind.placed_product_count, ProductKind.school_count)
    ).all()
    return dict(categories), {slug: (products, schools) for slug, products, schools in kinds}


def check(categories: dict[str, int] | None = None, kinds: dict[str, tuple[int, int]] | None = None) -> None:
    kept = stored()
    assert kept_counts_check.check(["data_category", "product_kind", "product"]) == []
    if categories is not None:
        assert {slug: kept[0][slug] for slug in categories} == categories
    if kinds is not None:
        assert {slug: kept[1][slug] for slug in kinds} == kinds


def _catalog():
    health = factories.make_category(name="Health", slug="health")
    identity = factories.make_category(name="Identity", slug="identity")
    allergy = factories.make_element(health, name="Allergies", slug="allergies")
    diagnosis = factories.make_element(health, name="Diagnosis", slug="diagnosis")
    name = factories.make_element(identity, name="Student name", slug="student-name")
    lincoln = factories.make_school(name="Lincoln", slug="lincoln")
    adams = factories.make_school(name="Adams", slug="adams")
    maths_kind = factories.make_kind(name="Counting", slug="counting")
    reading_kind = factories.make_kind(name="Phonics", slug="phonics")
    acme = factories.make_vendor(name="Acme")
    globex = factories.make_vendor(name="Globex")
    factories.make_product(acme, name="Reader", kind=reading_kind, elements=[allergy, name], schools=[lincoln, adams])
    factories.make_product(globex, name="Maths", kind=maths_kind, elements=[name], schools=[lincoln])
    db.session.commit()
    return allergy, diagnosis, name, lincoln, adams, acme, globex, maths_kind, reading_kind


def test_services_keep_the_counts(app):
    with in_app(app):
        allergy, diagnosis, name, lincoln, adams, acme, _globex, maths_kind, reading_kind = _catalog()
        check({"health": 1, "identity": 2}, {"counting": (1, 1), "phonics": (1, 2)})

        with unit_of_work():
            product = services.create_product(
                None, vendor=acme, school_ids=[adams.id], data_uses={name.id: ""}, name="Counter", kind=maths_kind
            )
        check({"health": 1, "identity": 3}, {"counting": (2, 2), "phonics": (1, 2)})

        with unit_of_work():  # its first health data, and a second school already counted for the kind
            services.update_product(
                product,
                None,
                version=product.version,
                school_ids=[adams.id, lincoln.id],
                data_uses={name.id: "", diagnosis.id: "Care"},
            )
        check({"health": 2, "identity": 3}, {"counting": (2, 2)})

        with unit_of_work():  # a second health element changes nothing; the first one gone neither
            services.update_product(
                product, None, version=product.version, data_uses={allergy.id: "", diagnosis.id: "Care"}
            )
            services.update_product(product, None, version=product.version, data_uses={allergy.id: ""})
        check({"health": 2, "identity": 2})

        with unit_of_work():  # its last health data gone, and its schools
            services.update_product(product, None, version=product.version, data_uses={name.id: ""}, school_ids=[])
        check({"health": 1, "identity": 3}, {"counting": (1, 1)})

        with unit_of_work():  # another kind, at a school again
            services.update_product(product, None, version=product.version, kind=reading_kind, school_ids=[adams.id])
        check(kinds={"counting": (1, 1), "phonics": (2, 2)})

        with unit_of_work():
            services.retire_product(product, None, version=product.version)
        check({"identity": 2}, {"phonics": (1, 2)})

        with unit_of_work():  # brought back by its status
            services.update_product(product, None, version=product.version, status=ProductStatus.APPROVED)
        check({"identity": 3}, {"phonics": (2, 2)})

        with unit_of_work():  # a school renamed: Lincoln's products list it after Adams
            services.update_school(lincoln, None, name="Washington")
        check()

        with unit_of_work():  # the student's name moved to Health
            services.update_element(name, None, category_id=allergy.category_id, name=name.name)
        check({"health": 3, "identity": 0})

        with unit_of_work():
            services.set_vendor_retired(acme, None, retired=True, version=acme.version)
        check({"health": 1}, {"phonics": (0, 0), "counting": (1, 1)})

        with unit_of_work():  # the vendor back
            services.set_vendor_retired(acme, None, retired=False, version=acme.version)
        check({"health": 3}, {"phonics": (2, 2), "counting": (1, 1)})


def test_the_importer_keeps_the_counts(app):
    with in_app(app):
        _catalog()
        csv = (
            b"Vendor,Product,Status,Data elements,Schools\n"
            b"Acme,Reader,Approved,Student name,Lincoln\n"  # no longer health data, no longer at Adams
            b"Initech,Planner,Approved,Diagnosis; Student name,Adams; Lincoln\n"  # a new vendor and product
            b"Globex,Maths,Retired,Student name,Lincoln\n"  # retired by the file
        )
        table = files.read_table(csv)
        with unit_of_work():
            plan = imports.apply_import(table, guess_mapping(table.headers), actor=None)
        assert plan.errors == []
        check()


def test_raw_sql_keeps_the_counts(app):
    with in_app(app):
        allergy, diagnosis, name, lincoln, adams, acme, globex, maths_kind, reading_kind = _catalog()
        reader = db.session.scalar(select(Product).where(Product.name == "Reader"))
        maths = db.session.scalar(select(Product).where(Product.name == "Maths"))
        spare = factories.make_product(
            globex, name="Spare", kind=maths_kind, status=ProductStatus.UNDER_REVIEW, schools=[adams]
        )
        other = factories.make_product(globex, name="Other", kind=maths_kind, schools=[lincoln])
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
            # Two health uses of one product in one statement, then both gone in one.
            ("INSERT INTO data_use (product_id, data_element_id, purpose, translations) "
             "VALUES (:p, :a, '', '{}'), (:p, :d, '', '{}')", {"p": maths.id, "a": allergy.id, "d": diagnosis.id}),
            # Both moved to another product in one statement, and back.
            ("UPDATE data_use SET product_id = :to WHERE product_id = :p AND data_element_id IN (:a, :d)",
             {"p": maths.id, "a": allergy.id, "d": diagnosis.id, "to": other.id}),
            ("UPDATE data_use SET product_id = :to WHERE product_id = :p", {"p": other.id, "to": maths.id}),
            ("DELETE FROM data_use WHERE product_id = :p AND data_element_id IN (:a, :d)",
             {"p": maths.id, "a": allergy.id, "d": diagnosis.id}),
            # Links: one product at two schools in one statement, two products of a kind at one school.
            ("DELETE FROM product_school WHERE product_id = :p", {"p": reader.id}),
            ("INSERT INTO product_school (product_id, school_id) VALUES (:p, :s), (:p, :t)",
             {"p": reader.id, "s": lincoln.id, "t": adams.id}),
            ("INSERT INTO product_school (product_id, school_id) VALUES (:p, :s)", {"p": maths.id, "s": adams.id}),
            ("UPDATE product_school SET school_id = :to WHERE product_id = :p AND school_id = :s",
             {"p": spare.id, "s": adams.id, "to": lincoln.id}),
            ("UPDATE product_school SET school_id = :to WHERE product_id = :p", {"p": other.id, "to": adams.id}),
            ("UPDATE product_school SET product_id = :to WHERE product_id = :p", {"p": spare.id, "to": other.id}),
            ("DELETE FROM product_school WHERE school_id = :s AND product_id IN (:p, :q)",
             {"s": lincoln.id, "p": maths.id, "q": spare.id}),
            ("DELETE FROM product_school WHERE product_id = :p AND school_id = :s", {"p": maths.id, "s": lincoln.id}),
            # Schools renamed: their products' names made again (Lincoln after Adams, then before it, both).
            ("UPDATE school SET name = 'Zinc' WHERE id = :s", {"s": lincoln.id}),
            ("UPDATE school SET name = 'Aaron' WHERE id = :s", {"s": lincoln.id}),
            ("UPDATE school SET name = name || ' Elementary'", {}),
            ("UPDATE product SET status = 'retired' WHERE id = :p", {"p": reader.id}),
            ("UPDATE product SET status = 'under_review' WHERE id = :p", {"p": reader.id}),
            ("UPDATE product SET kind_id = :k WHERE vendor_id = :v", {"k": reading_kind.id, "v": globex.id}),
            ("UPDATE product SET status = 'retired' WHERE vendor_id = :v", {"v": globex.id}),
            ("UPDATE product SET status = 'approved', kind_id = :k WHERE vendor_id = :v",
             {"k": maths_kind.id, "v": globex.id}),
            ("UPDATE product SET vendor_id = :v WHERE id = :p", {"p": maths.id, "v": acme.id}),
            ("UPDATE vendor SET is_retired = :yes WHERE id = :v", {"v": acme.id, "yes": True}),
            ("UPDATE product SET vendor_id = :v WHERE id = :p", {"p": maths.id, "v": globex.id}),
            ("UPDATE vendor SET is_retired = :no WHERE id = :v", {"v": acme.id, "no": False}),
            ("UPDATE vendor SET is_retired = :yes", {"yes": True}),
            ("UPDATE vendor SET is_retired = :no", {"no": False}),
            ("UPDATE data_element SET category_id = :c WHERE id = :e", {"e": name.id, "c": allergy.category_id}),
            ("DELETE FROM product WHERE id = :p", {"p": reader.id}),  # its links and uses go by cascade
            ("DELETE FROM school WHERE id = :s", {"s": adams.id}),
            ("DELETE FROM product WHERE vendor_id = :v", {"v": globex.id}),
            ("DELETE FROM product_school", {}),
        ]  # fmt: skip
        for statement, params in statements:
            db.session.execute(sa.text(statement), params)
            db.session.commit()
            check()
        assert set(stored()[1].values()) == {(0, 0)}


def test_a_product_deleted_through_the_orm_is_counted_off_once(app):
    with in_app(app):
        _catalog()
        with unit_of_work():
            db.session.delete(db.session.scalar(select(Product).where(Product.name == "Reader")))
        check({"health": 0, "identity": 1}, {"phonics": (0, 0), "counting": (1, 1)})


def test_the_reports_read_the_kept_counts(app):
    """The figures are those the reports counted before (categories in order, overlaps per kind)."""
    with in_app(app):
        _allergy, _diagnosis, name, _lincoln, adams, _acme, globex, maths_kind, _reading = _catalog()
        factories.make_product(globex, name="Sums", kind=maths_kind, elements=[name], schools=[adams])
        db.session.commit()
        categories, kinds = stored()
        figure = queries.products_per_category()
        assert [(str(bar.label), bar.value) for bar in figure.bars] == [("Health", 1), ("Identity", 3)]
        assert categories == {"health": 1, "identity": 3}
        overlaps = queries.overlapping_products()
        assert [(o.kind.slug, o.product_count, o.school_count) for o in overlaps] == [("counting", 2, 2)]
        assert kinds["counting"] == (2, 2)
        assert queries.build_report(date(2026, 11, 26)).overlaps == overlaps
