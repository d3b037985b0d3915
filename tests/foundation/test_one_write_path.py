"""One write path: an agreement entered through the staff forms, the importer and the demo loader
leaves the same audit events, versions and public disclosure revisions, because all three call the
same service cores."""

import csv
import io
from datetime import date, timedelta

from sqlalchemy import select

from clearinghouse.agreements.models import Agreement
from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.demo import loader
from clearinghouse.directory.models import DataCategory, DataElement, Product, Vendor
from clearinghouse.directory.taxonomy import seed_taxonomy
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import client_as, empty_all_tables, in_app
from tests.imports.conftest import web_import

VENDOR = "Abacus Learning"
PRODUCT = "Abacus Math"
# The demo loader's description of the same vendor: its "active" agreement history is an NDPA
# signed 420 days ago, in effect from 400 days ago until 690 days from now.
DEMO_VENDOR = {
    "name": VENDOR,
    "web_domain": "abacus",
    "agreements": "active",
    "about": "Makes adaptive math practice.",
    "products": [
        {"name": PRODUCT, "kind": "math", "status": "approved", "grades": "K-5", "purpose": "Adaptive math practice."}
    ],
}
SIGNED, EFFECTIVE, EXPIRES = -420, -400, 690


def _day(today: date, offset: int) -> str:
    return (today + timedelta(days=offset)).isoformat()


def _elements() -> list[DataElement]:
    """The data elements a demo math product receives, as the demo data names them."""
    data = loader.district()
    wanted = [tuple(data["data_elements"][key]) for key in data["usual_uses"]["math"]]
    rows = db.session.execute(select(DataCategory.name, DataElement).join(DataElement.category)).all()
    by_name = {(category, element.name): element for category, element in rows}
    return [by_name[name] for name in wanted]


def _through_the_forms(app, today: date) -> None:
    with in_app(app):
        officer_id = factories.make_user(role="officer").id
        uses = {
            element.id: loader.district()["usual_purposes"][key]
            for key, element in zip(loader.district()["usual_uses"]["math"], _elements(), strict=True)
        }
    client = client_as(app, officer_id)
    response = client.post(
        "/staff/vendors/new", data={"name": VENDOR, "description_md": "Makes adaptive math practice."}
    )
    assert response.status_code == 302, response.text
    with in_app(app):
        vendor_id = db.session.scalar(select(Vendor.id))
    product = {"vendor_id": vendor_id, "name": PRODUCT, "kind": "math", "status": "approved", "grade_bands": "K-5"}
    product["purpose_md"] = "Adaptive math practice."
    for element_id, purpose in uses.items():
        product[f"use_{element_id}"] = "y"
        product[f"purpose_{element_id}"] = purpose
    response = client.post("/staff/products/new", data=product)
    assert response.status_code == 302, response.text
    with in_app(app):
        product_id = db.session.scalar(select(Product.id))
    agreement = {
        "kind": "ndpa",
        "product_ids": [product_id],
        "signed_on": _day(today, SIGNED),
        "effective_on": _day(today, EFFECTIVE),
        "expires_on": _day(today, EXPIRES),
    }
    response = client.post(f"/staff/agreements/new?vendor_id={vendor_id}", data=agreement)
    assert response.status_code == 302, response.text


def _through_the_importer(app, today: date) -> None:
    with in_app(app):
        officer_id = factories.make_user(role="officer").id
        elements = "; ".join(f"{element.category.name}: {element.name}" for element in _elements())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["vendor", "product", "status", "data_elements", "agreement_kind", "signed_on", "effective_on", "expires_on"]
    )
    writer.writerow(
        [
            VENDOR,
            PRODUCT,
            "Approved",
            elements,
            "NDPA",
            _day(today, SIGNED),
            _day(today, EFFECTIVE),
            _day(today, EXPIRES),
        ]
    )
    response = web_import(client_as(app, officer_id), out.getvalue().encode())
    assert response.status_code == 302, response.text


def _through_the_demo_loader(app, today: date) -> None:
    with in_app(app), unit_of_work():
        loader._vendor(DEMO_VENDOR, today, [], loader.DemoResult())


def _what_was_written(app) -> dict:
    with in_app(app):
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.record_type.in_(["vendor", "product", "agreement"]))
            .order_by(AuditEvent.id)
        )
        revisions = db.session.scalars(select(DisclosureRevision).order_by(DisclosureRevision.id))
        records = [db.session.scalar(select(model)) for model in (Vendor, Product, Agreement)]
        return {
            "actions": [(event.record_type, event.action) for event in events],
            "versions": [record.version for record in records],
            "revisions": [(revision.kind, revision.summary, revision.product_id is not None) for revision in revisions],
            "agreement": [
                (a.kind, a.signed_on, a.effective_on, a.expires_on) for a in db.session.scalars(select(Agreement))
            ],
        }


def test_the_form_the_importer_and_the_demo_loader_write_the_same_agreement(app):
    # One "today" for the three paths: a run that crosses midnight in the district still compares
    # the same dates (it failed once at 05:00 UTC, midnight in New York).
    with in_app(app):
        today = district_today()
    written = []
    for path in (_through_the_forms, _through_the_importer, _through_the_demo_loader):
        with in_app(app), unit_of_work():
            seed_taxonomy()
        path(app, today)
        written.append(_what_was_written(app))
        with in_app(app):
            empty_all_tables()

    forms, importer, demo = written
    assert forms["actions"] == [
        ("vendor", "vendor.created"),
        ("product", "product.created"),
        ("agreement", "agreement.created"),
    ]
    assert forms["versions"] == [1, 1, 1]
    assert [kind for kind, _summary, _per_product in forms["revisions"]] == ["product.added", "agreement.signed"]
    assert forms["revisions"][1][1].startswith(f"{PRODUCT}: {VENDOR} signed a National Data Privacy Agreement (NDPA)")
    assert importer == forms
    assert demo == forms
