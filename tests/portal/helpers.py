"""Rows, fixtures and helpers for the portal tests (tests/storage uses them too): a vendor with an open request."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from clearinghouse.accounts.models import User
from clearinghouse.destruction.models import DestructionRequest, RequestOrigin, RequestStatus
from clearinghouse.directory.models import Vendor
from clearinghouse.extensions import db
from clearinghouse.storage import StoredFile
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app
from tests.portal import pdfs


def make_request(vendor_id: int, agreement_id: int | None = None, **overrides) -> DestructionRequest:
    """A destruction request row as the sweep or an officer would have opened it (committed)."""
    today = district_today()
    dr = DestructionRequest(
        vendor_id=vendor_id,
        agreement_id=agreement_id,
        origin=overrides.pop("origin", RequestOrigin.DISTRICT_REQUEST),
        reason=overrides.pop("reason", "The agreement ended and was not renewed."),
        issued_on=overrides.pop("issued_on", today - timedelta(days=10)),
        due_on=overrides.pop("due_on", today + timedelta(days=50)),
        status=overrides.pop("status", RequestStatus.OPEN),
        **overrides,
    )
    db.session.add(dr)
    db.session.commit()
    return dr


@dataclass
class World:
    vendor_id: int
    other_vendor_id: int
    agreement_id: int
    other_agreement_id: int
    request_id: int
    other_request_id: int
    product_slug: str


@pytest.fixture
def world(app: Flask, vendor_user_id: int, other_vendor_user_id: int, officer_id: int) -> World:
    with in_app(app):
        vendor_id = db.session.get(User, vendor_user_id).vendor_id
        other_vendor_id = db.session.get(User, other_vendor_user_id).vendor_id
        own = db.session.get(Vendor, vendor_id)
        other = db.session.get(Vendor, other_vendor_id)
        product = factories.make_product(own, name="Reading Rocket")
        agreement = factories.make_agreement(own, [product], reference="NDPA 2024 Own", expires_on=date(2026, 6, 30))
        other_agreement = factories.make_agreement(other, [factories.make_product(other)], reference="NDPA Other")
        dr = make_request(vendor_id, agreement.id, reason="The Reading Rocket agreement expired.")
        other_dr = make_request(other_vendor_id, other_agreement.id, reason="Other vendor's request.")
        return World(vendor_id, other_vendor_id, agreement.id, other_agreement.id, dr.id, other_dr.id, product.slug)


def certificate_fields(**overrides) -> dict:
    return {
        "signer_name": "Pat Signer",
        "signer_title": "Chief Privacy Officer",
        "disposed_on": (district_today() - timedelta(days=1)).isoformat(),
        "method": "overwrite",
        "method_other": "",
        "attests_all_copies": "y",
    } | overrides


def upload(
    client: FlaskClient, request_id: int, data: bytes | None = None, filename: str = "certificate.pdf", **fields
) -> "object":
    """POST the certificate form like a browser: multipart, with the file part."""
    form = certificate_fields(**fields)
    if data is not None:
        form["document"] = (BytesIO(data), filename, "application/pdf")
    return client.post(f"/vendor/requests/{request_id}/certificate", data=form, content_type="multipart/form-data")


def stored_paths(app: Flask) -> set[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return {path for path in root.rglob("*") if path.is_file() and path.name != ".healthz"} if root.exists() else set()


def stored_file_count(app: Flask) -> int:
    with in_app(app):
        return db.session.scalar(select(func.count()).select_from(StoredFile))


@pytest.fixture
def nothing_stored(app: Flask) -> Callable[[], None]:
    """Call at the end of a test: no StoredFile row and no new file in the storage directory."""
    before = stored_paths(app)

    def check() -> None:
        assert stored_file_count(app) == 0
        assert stored_paths(app) == before

    return check


@pytest.fixture(scope="session")
def signed_certificate_pdf() -> bytes:
    data, _certificate = pdfs.signed_pdf()
    return data
