"""Each data element's count of listed receivers is kept by triggers, whichever path writes.

`DataElement.receiver_count` is what the data elements index, the home page, a data element's
page and the API show. After every change below (services, the importer, raw SQL), each element's
count must equal the count of its uses by listed products, computed from scratch (`kept_counts_check`),
and the numbers each step expects.
"""

import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse import kept_counts_check
from clearinghouse.directory import services
from clearinghouse.directory.models import DataElement, Product, ProductStatus
from clearinghouse.directory.queries import data_element_index, headline_counts
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.imports import files
from clearinghouse.imports import services as imports
from clearinghouse.imports.mapping import guess_mapping
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app


def stored() -> dict[str, int]:
    db.session.expire_all()
    return dict(db.session.execute(select(DataElement.slug, DataElement.receiver_count)).tuples().all())


def check(expected: dict[str, int] | None = None) -> None:
    counts = stored()
    # With each product's data elements' ids (`Product.received_element_ids`), kept by the same writes' triggers.
    assert kept_counts_check.check(["data_element", "product"]) == []
    if expected is not None:
        assert {slug: counts[slug] for slug in expected} == expected


def _catalog():
    category = factories.make_category(name="Demographics")
    birth = factories.make_element(category, name="Date of birth", slug="date-of-birth")
    name = factories.make_element(category, name="Student name", slug="student-name")
    email = factories.make_element(category, name="Email", slug="email")
    acme = factories.make_vendor(name="Acme")
    globex = factories.make_vendor(name="Globex")
    factories.make_product(acme, name="Reader", elements=[birth, name])
    factories.make_product(globex, name="Maths", elements=[birth])
    db.session.commit()
    return birth, name, email, acme, globex


def test_services_keep_the_counts(app):
    with in_app(app):
        birth, name, email, acme, _globex = _catalog()
        check({"date-of-birth": 2, "student-name": 1, "email": 0})

        with unit_of_work():
            product = services.create_product(
                None, vendor=acme, school_ids=[], data_uses={birth.id: "", email.id: "Log in"}, name="Writer"
            )
        check({"date-of-birth": 3, "student-name": 1, "email": 1})

        with unit_of_work():  # one use dropped, one added, one kept
            services.update_product(
                product, None, version=product.version, data_uses={email.id: "Log in", name.id: "Greet"}
            )
        check({"date-of-birth": 2, "student-name": 2, "email": 1})

        with unit_of_work():
            services.retire_product(product, None, version=product.version)
        check({"date-of-birth": 2, "student-name": 1, "email": 0})

        with unit_of_work():  # a retired product's uses still change, and still do not count
            services.update_product(product, None, version=product.version, data_uses={birth.id: ""})
        check({"date-of-birth": 2, "student-name": 1, "email": 0})

        with unit_of_work():  # brought back by its status
            services.update_product(product, None, version=product.version, status=ProductStatus.APPROVED)
        check({"date-of-birth": 3})

        with unit_of_work():
            services.set_vendor_retired(acme, None, retired=True, version=acme.version)
        check({"date-of-birth": 1, "student-name": 0})

        with unit_of_work():  # retiring a product of a retired vendor changes nothing
            services.retire_product(product, None, version=product.version)
        check({"date-of-birth": 1, "student-name": 0})

        with unit_of_work():  # the vendor back: its product that is not retired counts again
            services.set_vendor_retired(acme, None, retired=False, version=acme.version)
        check({"date-of-birth": 2, "student-name": 1, "email": 0})


def test_the_importer_keeps_the_counts(app):
    with in_app(app):
        _catalog()
        csv = (
            b"Vendor,Product,Status,Data elements\n"
            b"Acme,Reader,Approved,Date of birth; Email\n"  # drops the student's name, adds the e-mail
            b"Initech,Planner,Approved,Date of birth; Student name\n"  # a new vendor and product
            b"Globex,Maths,Retired,Date of birth\n"  # retired by the file
        )
        table = files.read_table(csv)
        with unit_of_work():
            plan = imports.apply_import(table, guess_mapping(table.headers), actor=None)
        assert plan.errors == []
        check({"date-of-birth": 2, "student-name": 1, "email": 1})


def test_raw_sql_keeps_the_counts(app):
    with in_app(app):
        _birth, name, email, acme, globex = _catalog()
        reader = db.session.scalar(select(Product).where(Product.name == "Reader"))
        maths = db.session.scalar(select(Product).where(Product.name == "Maths"))
        spare = factories.make_product(globex, name="Spare", status=ProductStatus.UNDER_REVIEW)
        db.session.commit()
        statements = [
            ("INSERT INTO data_use (product_id, data_element_id, purpose, translations) VALUES (:p, :e, '', '{}')",
             {"p": maths.id, "e": email.id}),
            ("UPDATE data_use SET data_element_id = :to WHERE product_id = :p AND data_element_id = :e",
             {"p": maths.id, "e": email.id, "to": name.id}),
            ("UPDATE data_use SET product_id = :to WHERE product_id = :p AND data_element_id = :e",
             {"p": maths.id, "e": name.id, "to": spare.id}),
            ("DELETE FROM data_use WHERE product_id = :p AND data_element_id = :e", {"p": spare.id, "e": name.id}),
            ("UPDATE product SET status = 'retired' WHERE id = :p", {"p": maths.id}),
            ("UPDATE product SET status = 'under_review' WHERE id = :p", {"p": maths.id}),
            ("UPDATE product SET vendor_id = :v WHERE id = :p", {"p": maths.id, "v": acme.id}),
            ("UPDATE vendor SET is_retired = :yes WHERE id = :v", {"v": acme.id, "yes": True}),
            ("UPDATE product SET vendor_id = :v WHERE id = :p", {"p": maths.id, "v": globex.id}),
            ("UPDATE vendor SET is_retired = :no WHERE id = :v", {"v": acme.id, "no": False}),
            ("INSERT INTO data_use (product_id, data_element_id, purpose, translations) VALUES (:p, :e, '', '{}')",
             {"p": reader.id, "e": email.id}),
            ("DELETE FROM product WHERE id = :p", {"p": reader.id}),  # its uses go by cascade
            ("DELETE FROM data_use", {}),
        ]  # fmt: skip
        for statement, params in statements:
            db.session.execute(sa.text(statement), params)
            db.session.commit()
            check()
        assert set(stored().values()) == {0}


def test_a_product_deleted_through_the_orm_is_counted_off_once(app):
    with in_app(app):
        _catalog()
        with unit_of_work():
            db.session.delete(db.session.scalar(select(Product).where(Product.name == "Reader")))
        check({"date-of-birth": 1, "student-name": 0})


def test_the_pages_read_the_counts(app, client):
    with in_app(app):
        _birth, _name, _email, _acme, _globex = _catalog()
        db.session.execute(sa.update(Product).where(Product.name == "Maths").values(status=ProductStatus.RETIRED))
        db.session.commit()
        counts = {count.element.slug: count.product_count for _, elements in data_element_index() for count in elements}
        assert counts == {"date-of-birth": 1, "student-name": 1, "email": 0}
        assert headline_counts(district_today()).elements_shared == 2
    assert client.get("/data/date-of-birth").status_code == 200
    api = client.get("/api/v1/data-elements").get_json()
    assert {item["slug"]: item["product_count"] for item in api["data"]} == counts
