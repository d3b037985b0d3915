"""Officers review certificates: download with safe headers, accept (public page says certified), reject."""

from sqlalchemy import select

from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.destruction.models import CertificateStatus, DestructionRequest, DisposalCertificate, RequestStatus
from clearinghouse.extensions import db
from clearinghouse.notices.models import Notice
from tests.conftest import client_as, in_app
from tests.portal import pdfs
from tests.portal.helpers import upload


def _submitted(app, world, vendor_user_id, data: bytes | None = None) -> int:
    response = upload(client_as(app, vendor_user_id), world.request_id, data or pdfs.make_pdf(), "Our Certificate.pdf")
    assert response.status_code == 303
    with in_app(app):
        return db.session.scalars(select(DisposalCertificate.id).order_by(DisposalCertificate.id.desc())).first()


def _state(app, world, certificate_id: int) -> tuple[RequestStatus, CertificateStatus, str]:
    with in_app(app):
        dr = db.session.get(DestructionRequest, world.request_id)
        cert = db.session.get(DisposalCertificate, certificate_id)
        return dr.status, cert.status, dr.status_reason


def test_officer_downloads_a_certificate_as_an_attachment(app, world, vendor_user_id, officer_id):
    data = pdfs.make_pdf(pages=2)
    certificate_id = _submitted(app, world, vendor_user_id, data)
    response = client_as(app, officer_id).get(f"/staff/requests/certificates/{certificate_id}/file")
    assert response.status_code == 200
    assert response.data == data
    assert response.mimetype == "application/pdf"
    expected = f'attachment; filename="disposal-certificate-{certificate_id}-Our_Certificate.pdf"'
    assert response.headers["Content-Disposition"] == expected
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_vendor_downloads_its_own_certificate_but_not_through_the_staff_route(
    app, world, vendor_user_id, other_vendor_user_id
):
    data = pdfs.make_pdf()
    certificate_id = _submitted(app, world, vendor_user_id, data)
    own = client_as(app, vendor_user_id).get(f"/vendor/certificates/{certificate_id}/file")
    assert own.status_code == 200
    assert own.data == data
    assert own.headers["Content-Disposition"].startswith("attachment; ")
    assert own.headers["X-Content-Type-Options"] == "nosniff"
    assert client_as(app, other_vendor_user_id).get(f"/vendor/certificates/{certificate_id}/file").status_code == 404
    vendor = client_as(app, vendor_user_id)
    assert vendor.get(f"/staff/requests/certificates/{certificate_id}/file").status_code == 403
    assert vendor.post(f"/staff/requests/certificates/{certificate_id}/accept").status_code == 403


def test_accepting_closes_the_request_and_publishes_the_certification(app, world, vendor_user_id, officer_id):
    certificate_id = _submitted(app, world, vendor_user_id)
    officer = client_as(app, officer_id)
    response = officer.post(f"/staff/requests/certificates/{certificate_id}/accept")
    assert response.status_code == 303
    assert response.location.endswith(f"/staff/requests/{world.request_id}")
    assert _state(app, world, certificate_id)[:2] == (RequestStatus.ACCEPTED, CertificateStatus.ACCEPTED)
    with in_app(app):
        summaries = db.session.scalars(select(DisclosureRevision.summary)).all()
        actions = set(db.session.scalars(select(AuditEvent.action)).all())
    assert any(
        "Data destruction certified on" in summary or "data destruction certified on" in summary
        for summary in summaries
    )
    assert {"disposal_certificate.submitted", "disposal_certificate.accepted"} <= actions

    again = officer.post(f"/staff/requests/certificates/{certificate_id}/accept", follow_redirects=True)
    assert "already" in again.text  # a second click changes nothing and says why
    vendor_page = client_as(app, vendor_user_id).get(f"/vendor/requests/{world.request_id}").text
    assert "Closed: destruction certified" in vendor_page
    assert "Accepted" in vendor_page


def test_rejecting_needs_a_reason_then_reopens_the_request_for_a_new_upload(app, world, vendor_user_id, officer_id):
    certificate_id = _submitted(app, world, vendor_user_id)
    officer = client_as(app, officer_id)

    refused = officer.post(
        f"/staff/requests/certificates/{certificate_id}/reject", data={"reason": "  "}, follow_redirects=True
    )
    assert "Say why the certificate is rejected" in refused.text
    assert _state(app, world, certificate_id)[:2] == (RequestStatus.SUBMITTED, CertificateStatus.SUBMITTED)

    response = officer.post(
        f"/staff/requests/certificates/{certificate_id}/reject", data={"reason": "The certificate is not signed."}
    )
    assert response.status_code == 303
    assert _state(app, world, certificate_id) == (
        RequestStatus.OPEN,
        CertificateStatus.REJECTED,
        "The certificate is not signed.",
    )
    with in_app(app):
        keys = db.session.scalars(select(Notice.purpose_key)).all()
    assert f"request:{world.request_id}:certificate:{certificate_id}:rejected" in keys  # the vendor is e-mailed

    vendor = client_as(app, vendor_user_id)
    page = vendor.get(f"/vendor/requests/{world.request_id}").text
    assert "The certificate is not signed." in page
    assert "Upload the signed certificate" in page
    assert upload(vendor, world.request_id, pdfs.make_pdf(text="Corrected")).status_code == 303


def test_review_forms_need_a_csrf_token(app, world, vendor_user_id, officer_id, csrf):
    app.config["WTF_CSRF_ENABLED"] = False
    certificate_id = _submitted(app, world, vendor_user_id)
    app.config["WTF_CSRF_ENABLED"] = True
    officer = client_as(app, officer_id)
    assert officer.post(f"/staff/requests/certificates/{certificate_id}/accept").status_code == 400
    assert (
        officer.post(f"/staff/requests/certificates/{certificate_id}/reject", data={"reason": "No."}).status_code == 400
    )
    assert _state(app, world, certificate_id)[1] == CertificateStatus.SUBMITTED


def test_unknown_certificates_are_not_found(app, officer_id):
    officer = client_as(app, officer_id)
    assert officer.get("/staff/requests/certificates/424242/file").status_code == 404
    assert officer.post("/staff/requests/certificates/424242/accept").status_code == 404


def test_the_request_page_shows_each_certificate_with_its_file_and_signature_facts(
    app, world, vendor_user_id, officer_id, signed_certificate_pdf
):
    first = _submitted(app, world, vendor_user_id, pdfs.altered(signed_certificate_pdf))
    officer = client_as(app, officer_id)
    officer.post(f"/staff/requests/certificates/{first}/reject", data={"reason": "The file was altered."})
    second = _submitted(app, world, vendor_user_id, pdfs.make_pdf(pages=2))
    with in_app(app):
        digest = db.session.get(DisposalCertificate, second).file.sha256

    page = officer.get(f"/staff/requests/{world.request_id}")
    assert page.status_code == 200
    review = page.text[page.text.index('class="certificate-review"') :]
    assert f"Certificate {first}" in review
    assert "ALTERED after signing" in review
    assert "Pat Signer" in review
    assert "Rejected" in review
    assert "The file was altered." in review
    assert f"Certificate {second}" in review
    assert "No digital signature" in review
    assert digest in review
    assert "2 pages" in review
    assert "Securely erased by overwriting" in review
    assert "subcontractors and other authorized persons" in review
    # Only the certificate waiting for review has the accept and reject forms.
    assert review.count("Accept and close the request") == 1
    assert f"/staff/requests/certificates/{second}/accept" in review
    assert f"/staff/requests/certificates/{first}/accept" not in review
