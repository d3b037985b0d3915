"""The vendor portal shows a vendor its own agreements, requests and certificates, and nothing else."""

from datetime import timedelta

import pytest

from clearinghouse.destruction.models import CertificateStatus, DestructionRequest, DisposalCertificate, RequestStatus
from clearinghouse.directory.models import Vendor
from clearinghouse.extensions import db
from clearinghouse.storage import StoredFile
from clearinghouse.timeutil import district_today, utcnow
from tests import factories
from tests.conftest import client_as, count_queries, in_app
from tests.portal import pdfs
from tests.portal.helpers import make_request, upload


def _certificate(request_id: int, vendor_id: int, **overrides) -> DisposalCertificate:
    """A certificate row with a stored-file row (for list pages; uploads are tested elsewhere)."""
    stored = StoredFile(
        storage_key=f"k{request_id}x{overrides.get('signer_name', 'a')}"[:100].replace(" ", ""),
        original_name="certificate.pdf",
        content_type="application/pdf",
        size=100,
        sha256="0" * 64,
        page_count=1,
    )
    db.session.add(stored)
    db.session.flush()
    cert = DisposalCertificate(
        request_id=request_id,
        vendor_id=vendor_id,
        file_id=stored.id,
        signer_name=overrides.pop("signer_name", "Pat Signer"),
        signer_title="CPO",
        disposed_on=district_today(),
        method="overwrite",
        attests_all_copies=True,
        submitted_at=utcnow(),
        **overrides,
    )
    db.session.add(cert)
    db.session.commit()
    return cert


def test_home_shows_agreements_requests_and_certificate_outcomes(app, world, vendor_user_id):
    today = district_today()
    with in_app(app):
        earlier = factories.make_agreement(db.session.get(Vendor, world.vendor_id), reference="NDPA 2021 Own")
        overdue = make_request(
            world.vendor_id,
            earlier.id,  # an agreement has one request
            reason="Overdue one.",
            issued_on=today - timedelta(days=90),
            due_on=today - timedelta(days=5),
        )
        _certificate(
            overdue.id,
            world.vendor_id,
            status=CertificateStatus.REJECTED,
            review_reason="The signature page is missing.",
        )
        other_vendor_request = make_request(world.other_vendor_id, reason="Not yours.")
        assert other_vendor_request.id
    page = client_as(app, vendor_user_id).get("/vendor/")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Own Vendor Inc.</h1>" in text
    assert f"National Data Privacy Agreement (NDPA), no. {world.agreement_id}" in text
    assert "NDPA 2024 Own" not in text  # the district's reference is staff only
    assert "Reading Rocket" in text
    assert "Expired" in text  # the agreement ended on June 30, 2026
    assert f"Request {world.request_id}" in text
    assert f"Overdue: it was due {(today - timedelta(days=5)):%B} {(today - timedelta(days=5)).day}," in text
    assert "Rejected" in text
    assert "The signature page is missing." in text
    assert "NDPA Other" not in text
    assert "Not yours." not in text
    assert f"Request {world.other_request_id}<" not in text


def test_request_page_states_the_directive(app, world, vendor_user_id):
    with in_app(app):
        category = factories.make_category(name="Student Identifiers")
        dr = db.session.get(DestructionRequest, world.request_id)  # the agreement's one request
        for key, value in {
            "scope": "categories",
            "nature": "transfer",
            "transfer_to": "the district's SFTP server",
            "instructions": "Use the 2027 key.",
            "schedule": "asap",
            "reason": "The district asked in writing.",
            "district_signer_name": "Dana Officer",
            "district_signer_title": "Privacy Officer",
            "status_reason": "The certificate was not signed.",
        }.items():
            setattr(dr, key, value)
        dr.categories = [category]
        db.session.commit()
        request_id = dr.id
    text = client_as(app, vendor_user_id).get(f"/vendor/requests/{request_id}").text
    # The directive is worded as on the staff page (NDPA Exhibit D); these are the request's own values.
    for expected in (
        "Directive for Disposition of Data",
        "Student Identifiers",
        "the district&#39;s SFTP server",
        "Use the 2027 key.",
        "as soon as commercially practicable",
        "The district asked in writing.",
        "Dana Officer",
        "Privacy Officer",
        "could not accept your last certificate",
        "The certificate was not signed.",
        "Upload the signed certificate",
        f"Agreement no. {world.agreement_id}",
    ):
        assert expected in text, expected
    assert "NDPA 2024 Own" not in text  # the district's reference is staff only


def test_agreement_page_lists_its_requests(app, world, vendor_user_id):
    text = client_as(app, vendor_user_id).get(f"/vendor/agreements/{world.agreement_id}").text
    assert f"<h1>Agreement no. {world.agreement_id}</h1>" in text
    assert "NDPA 2024 Own" not in text  # the district's reference is staff only
    assert "Reading Rocket" in text
    assert f"Request {world.request_id}" in text


def test_vendor_gets_404_for_every_object_of_another_vendor(app, world, vendor_user_id, other_vendor_user_id):
    other = client_as(app, other_vendor_user_id)
    assert upload(other, world.other_request_id, pdfs.make_pdf()).status_code == 303
    with in_app(app):
        other_certificate_id = db.session.query(DisposalCertificate.id).scalar()
    client = client_as(app, vendor_user_id)
    for url in (
        f"/vendor/requests/{world.other_request_id}",
        f"/vendor/requests/{world.other_request_id}/certificate",
        f"/vendor/agreements/{world.other_agreement_id}",
        f"/vendor/certificates/{other_certificate_id}/file",
    ):
        assert client.get(url).status_code == 404, url
        assert other.get(url).status_code == 200, url  # the same URL works for its own vendor
    assert client.post(f"/vendor/requests/{world.other_request_id}/certificate").status_code == 404
    assert client.get("/vendor/requests/999999").status_code == 404


def test_staff_and_anonymous_users_cannot_use_the_portal(app, world, officer_id, client):
    assert client_as(app, officer_id).get("/vendor/").status_code == 403
    response = client.get(f"/vendor/requests/{world.request_id}")
    assert response.status_code == 302
    assert "/login" in response.location


def test_lists_are_paginated_newest_first(app, world, vendor_user_id, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    today = district_today()
    with in_app(app):
        for days in (1, 2, 3):
            dr = make_request(world.vendor_id, reason=f"Old {days}", issued_on=today - timedelta(days=100 + days))
            _certificate(dr.id, world.vendor_id, signer_name=f"Signer {days}")
    client = client_as(app, vendor_user_id)
    first = client.get("/vendor/requests").text
    assert "4 requests" in first
    assert f"Request {world.request_id}" in first
    assert 'rel="next"' in first
    last = client.get("/vendor/requests?page=2").text
    assert "Request" in last
    assert f"Request {world.request_id}<" not in last
    certificates = client.get("/vendor/certificates").text
    assert "3 certificates" in certificates
    assert "Signer 3" in certificates
    assert "Signer 1" not in certificates


@pytest.mark.parametrize("url", ["/vendor/", "/vendor/requests", "/vendor/certificates"])
def test_portal_lists_run_a_constant_number_of_queries(app, world, vendor_user_id, url):
    def load() -> int:
        client = client_as(app, vendor_user_id)
        with count_queries(app) as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    def add(n: int) -> None:
        with in_app(app):
            vendor = db.session.get(Vendor, world.vendor_id)
            category = factories.make_category()
            for i in range(n):
                product = factories.make_product(vendor)
                agreement = factories.make_agreement(vendor, [product])
                dr = make_request(
                    world.vendor_id,
                    agreement.id,
                    scope="categories",
                    status=RequestStatus.OPEN if i % 2 else RequestStatus.SUBMITTED,
                )
                dr.categories = [category]
                db.session.commit()
                _certificate(dr.id, world.vendor_id, signer_name=f"S{n}-{i}")

    add(2)
    few = load()
    add(10)
    assert load() == few
