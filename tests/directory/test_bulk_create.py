"""The bulk cores (`create_products`, `create_agreements`) write what their one-at-a-time cores write:
the same rows, slugs, audit events and disclosure revisions, in a constant number of queries."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from clearinghouse.agreements import services as agreements
from clearinghouse.agreements.models import Agreement, AgreementKind
from clearinghouse.agreements.services import AgreementInput
from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.directory import services as directory
from clearinghouse.directory.models import Product, School
from clearinghouse.errors import DomainError, ItemRefused
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.slugs import unique_slug, unique_slugs
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import count_queries, empty_all_tables, in_app

NAMES = ["Reading Coach", "Reading Coach!", "Math Lab", "Math Lab 2", "Ünïcode Math"]


def _setup() -> dict:
    vendor = factories.make_vendor(name="Acme Learning")
    other = factories.make_vendor(name="Brightpath")
    school = factories.make_school(name="Lincoln Elementary")
    element = factories.make_element(name="Date of Birth")
    factories.make_product(vendor, name="Existing", slug="acme-learning-reading-coach")
    return {"vendors": [vendor, other, vendor, other, vendor], "school": school.id, "element": element.id}


def _items(made: dict) -> list[directory.NewProduct]:
    return [
        directory.NewProduct(
            vendor=vendor,
            values={"name": name, "status": "approved", "grade_bands": "K-5", "purpose_md": "Practice."},
            school_ids=[made["school"]] if n % 2 else [],
            data_uses={made["element"]: "Sign-in"} if n != 2 else {},
        )
        for n, (vendor, name) in enumerate(zip(made["vendors"], NAMES, strict=True))
    ]


def _written() -> dict:
    products = db.session.scalars(select(Product).where(Product.name != "Existing").order_by(Product.id))
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "product.created").order_by(AuditEvent.id)
    )
    revisions = db.session.scalars(select(DisclosureRevision).order_by(DisclosureRevision.id))
    return {
        "products": [
            (p.name, p.slug, p.status, p.version, sorted(s.name for s in p.schools), [u.purpose for u in p.data_uses])
            for p in products
        ],
        "events": [(e.record_label, {k: v for k, v in e.changes.items() if k != "vendor_id"}) for e in events],
        "revisions": [(r.kind, r.summary, r.details) for r in revisions],
    }


def test_create_products_writes_what_create_product_writes_one_by_one(app):
    written = []
    for bulk in (False, True):
        with in_app(app):
            made = _setup()
            with unit_of_work():
                items = _items(made)
                if bulk:
                    assert all(item.vendor.name for item in items)  # read again after the setup's commit
                    with count_queries(app) as queries:
                        directory.create_products(None, items)
                    # names taken, kinds, schools, elements, slugs, then the inserts: not one query per product
                    assert len([q for q in queries if q.lstrip().upper().startswith("SELECT")]) <= 6
                else:
                    for item in items:
                        directory.create_product(
                            None,
                            vendor=item.vendor,
                            school_ids=item.school_ids,
                            data_uses=item.data_uses,
                            **item.values,
                        )
            written.append(_written())
            db.session.remove()
            empty_all_tables()
    one_by_one, bulk = written
    assert bulk == one_by_one
    assert [slug for _name, slug, *_rest in bulk["products"]] == [
        "acme-learning-reading-coach-2",  # the plain slug is taken by another product
        "brightpath-reading-coach",
        "acme-learning-math-lab",
        "brightpath-math-lab-2",
        "acme-learning-unicode-math",
    ]


def test_create_products_refuses_before_writing_and_names_the_item(app):
    with in_app(app):
        made = _setup()
        items = _items(made)
        items[3].values["name"] = "Reading Coach!"  # the vendor of item 1 gets it, earlier in the list
        with pytest.raises(ItemRefused) as refused:
            directory.create_products(None, items)
        assert refused.value.index == 3
        assert refused.value.message == "Brightpath already has a product named Reading Coach!."
        items[3].values["name"] = "Existing"
        items[3].vendor = made["vendors"][0]
        with pytest.raises(ItemRefused) as refused:
            directory.create_products(None, items)
        assert refused.value.index == 3
        assert db.session.scalar(select(Product.id).where(Product.name == "Math Lab")) is None
        with pytest.raises(DomainError, match="already has a product named Existing"):
            directory.create_product(None, vendor=made["vendors"][0], school_ids=[], data_uses={}, name="Existing")


def test_create_agreements_writes_what_create_agreement_writes(app):
    today = district_today()
    written = []
    for bulk in (False, True):
        with in_app(app):
            vendor = factories.make_vendor(name="Acme Learning")
            products = [factories.make_product(vendor, name=name) for name in ("Alpha", "Beta")]
            data = [
                AgreementInput(
                    kind=AgreementKind.NDPA,
                    product_ids=[products[0].id, products[1].id],
                    signed_on=today - timedelta(days=30),
                    effective_on=today - timedelta(days=30),
                    expires_on=today + timedelta(days=300),
                ),
                AgreementInput(kind=AgreementKind.CUSTOM, product_ids=[products[1].id], dates_recorded=False),
            ]
            with unit_of_work():
                if bulk:
                    agreements.create_agreements(None, [(vendor, item) for item in data], today=today)
                else:
                    for item in data:
                        agreements.create_agreement(None, vendor, item, today=today)
            events = db.session.scalars(
                select(AuditEvent).where(AuditEvent.record_type == "agreement").order_by(AuditEvent.id)
            )
            revisions = db.session.scalars(select(DisclosureRevision).order_by(DisclosureRevision.id))
            written.append(
                {
                    "agreements": [
                        (a.kind, a.signed_on, a.expires_on, a.dates_recorded, sorted(p.name for p in a.products))
                        for a in db.session.scalars(select(Agreement).order_by(Agreement.id))
                    ],
                    "events": [
                        (e.action, e.record_label, {k: v for k, v in e.changes.items() if k != "vendor_id"})
                        for e in events
                    ],
                    "revisions": [(r.kind, r.summary, r.product_id is not None) for r in revisions],
                }
            )
            db.session.remove()
            empty_all_tables()
    assert written[0] == written[1]
    assert len(written[0]["revisions"]) == 3  # the signed one for each of its two products, the one on file


def test_unique_slugs_are_what_unique_slug_gives_each_text_in_turn(app):
    with in_app(app):
        factories.make_school(name="North", slug="north")
        factories.make_school(name="North 3", slug="north-3")
        texts = ["North", "north", "North 2", "South", "South", "North"]
        assert unique_slugs(School, texts) == [
            "north-2",
            "north-4",
            "north-2-2",
            "south",
            "south-2",
            "north-5",
        ]
        assert unique_slug(School, "North") == "north-2"
