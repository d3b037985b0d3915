"""The API's addresses and labels are made once per request (`api.serializers.slug_url`, `_label`):
the same strings as `external_url` and the enum's label, for any slug, under a script root too; and
its standings' words are those of `AgreementStanding.label`."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from clearinghouse.agreements.models import AgreementKind, AgreementState
from clearinghouse.agreements.status import standing
from clearinghouse.api import serializers
from clearinghouse.directory.models import Product, ProductStatus, StatedAgreementStatus
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from clearinghouse.urls import external_url
from tests import factories
from tests.conftest import in_app

ENDPOINTS = ["api.product", "api.vendor", "api.school", "directory.product", "directory.vendor", "directory.school"]


@pytest.mark.parametrize("script_root", ["", "/clearinghouse"])
def test_addresses_are_external_urls(app, script_root):
    with app.test_request_context("/api/v1/products", environ_base={"SCRIPT_NAME": script_root}):
        for endpoint in ENDPOINTS:
            for slug in ("lantern-reader-2", "x", "Odd Slug/é", "a b", "lantern-reader-2"):  # the last: kept
                assert serializers.slug_url(endpoint, slug) == external_url(endpoint, slug=slug)
        assert serializers.html_url("product", "x-1") == external_url("directory.product", slug="x-1")
        assert serializers.html_url("document", 7) == external_url("directory.agreement_document", agreement_id=7)


def test_labels_are_the_enums_labels(app):
    members = [*ProductStatus, *AgreementKind, *AgreementState]
    with app.test_request_context("/api/v1/products"):
        for _ in range(2):  # made, then kept
            assert [serializers._label(member) for member in members] == [str(member.label) for member in members]
    with app.app_context():  # outside a request: made each time
        assert serializers._label(ProductStatus.APPROVED) == str(ProductStatus.APPROVED.label)


def test_each_products_standing_says_what_its_label_says(app, client):
    """The API words a standing from its phrase with the request's kept words, and derives each
    agreement's state once a request: the same words as `AgreementStanding.label`, for each phrase."""
    with in_app(app):
        today = district_today()
        day = timedelta(days=1)
        vendor = factories.make_vendor(name="Standing Co", slug="standing-co")
        successor = factories.make_agreement(vendor, signed_on=today - 20 * day, effective_on=today - 20 * day)
        terms = {
            "active": {"expires_on": today + 400 * day},
            "open-ended": {"expires_on": None},
            "expiring": {"expires_on": today + 10 * day},
            "renewing": {"expires_on": today - 400 * day, "auto_renews": True},
            "upcoming": {"effective_on": today + 30 * day},
            "terminated": {"terminated_on": today - 3 * day},
            "expired": {"expires_on": today - 30 * day},
            "renewed": {"expires_on": today - 30 * day, "renewed_by_id": successor.id},
            "on-file": {"dates_recorded": False},
            "draft": {"signed_on": None},
        }
        for name, overrides in terms.items():
            product = factories.make_product(vendor, name=f"App {name}", slug=f"app-{name}")
            factories.make_agreement(vendor, [product], **{"signed_on": today - 60 * day, **overrides})
        declined = factories.make_product(vendor, name="App declined", slug="app-declined")
        declined.agreement_status = StatedAgreementStatus.DECLINED_BY_VENDOR
        factories.make_agreement(vendor, [declined], expires_on=today - 30 * day)
        both = factories.make_product(vendor, name="App both", slug="app-both")
        factories.make_agreement(vendor, [both], expires_on=today - 30 * day)
        factories.make_agreement(vendor, [both], expires_on=today + 20 * day)
        db.session.commit()
        products = db.session.scalars(select(Product).where(Product.vendor_id == vendor.id)).all()
        with app.test_request_context("/api/v1/products"):
            expected = {
                p.slug: (str(standing(p, today).label), sorted((a.id, a.state_on(today).value) for a in p.agreements))
                for p in products
            }
    answer = client.get("/api/v1/products?per_page=100").json["data"]
    got = {
        p["slug"]: (p["agreement_status_label"], sorted((a["id"], a["state"]) for a in p["agreements"]))
        for p in answer
        if p["slug"] in expected
    }
    assert got == expected
    assert len({label for label, _ in expected.values()}) == len(expected)  # each phrase, each its own words
