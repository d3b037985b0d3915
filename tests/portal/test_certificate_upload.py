"""Vendors upload disposal certificates: real PDFs checked, signatures validated, refusals store nothing."""

import hashlib
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from clearinghouse.accounts.models import User
from clearinghouse.destruction import certificates
from clearinghouse.destruction.models import DestructionRequest, DisposalCertificate, RequestStatus
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.notices.models import Notice
from clearinghouse.storage import StoredFile, storage
from clearinghouse.timeutil import district_today
from tests.conftest import client_as, in_app
from tests.portal import pdfs
from tests.portal.helpers import stored_file_count, stored_paths, upload


def _request(app, request_id: int) -> DestructionRequest:
    with in_app(app):
        dr = db.session.get(DestructionRequest, request_id)
        db.session.expunge(dr)
        return dr


def _certificates(app) -> list[DisposalCertificate]:
    with in_app(app):
        certs = list(db.session.scalars(select(DisposalCertificate).order_by(DisposalCertificate.id)))
        for cert in certs:
            _ = cert.file
            db.session.expunge(cert.file)
            db.session.expunge(cert)
        return certs


def test_vendor_uploads_a_signed_certificate_and_the_request_waits_for_review(
    app, world, vendor_user_id, officer_id, signed_certificate_pdf
):
    client = client_as(app, vendor_user_id)
    page = client.get(f"/vendor/requests/{world.request_id}/certificate")
    assert page.status_code == 200
    assert "subcontractors and other authorized persons" in page.text

    response = upload(client, world.request_id, signed_certificate_pdf)

    assert response.status_code == 303
    assert response.location.endswith(f"/vendor/requests/{world.request_id}")
    assert _request(app, world.request_id).status == RequestStatus.SUBMITTED
    [cert] = _certificates(app)
    assert (cert.signer_name, cert.signer_title) == ("Pat Signer", "Chief Privacy Officer")
    assert cert.method.value == "overwrite"
    assert cert.attests_all_copies is True
    assert cert.file.size == len(signed_certificate_pdf)
    assert cert.file.page_count == 1
    assert len(cert.file.sha256) == 64
    report = cert.signature_report
    assert report["signed"] is True
    [sig] = report["signatures"]
    assert sig["signer"] == "Pat Signer"
    assert sig["intact"] is True
    assert sig["covers_whole_document"] is True
    assert sig["trusted"] is False
    assert "not chained to a trusted root" in sig["summary"]
    assert sig["signed_at"]
    with in_app(app):
        assert storage().read(cert.file.storage_key) == signed_certificate_pdf
        keys = db.session.scalars(select(Notice.purpose_key)).all()
    assert f"request:{world.request_id}:certificate:{cert.id}" in keys  # officers are told

    followed = client.get(response.location)
    assert "Certificate submitted" in followed.text
    assert "Waiting for review" in followed.text


def test_an_unsigned_scan_is_accepted_and_reported_as_unsigned(app, world, vendor_user_id):
    response = upload(client_as(app, vendor_user_id), world.request_id, pdfs.make_pdf(pages=2), "scan.pdf")
    assert response.status_code == 303
    [cert] = _certificates(app)
    assert cert.signature_report["signed"] is False
    assert cert.signature_report["summary"] == "No digital signature (scanned or wet signature)."
    assert cert.file.page_count == 2


def test_a_file_altered_after_signing_is_stored_but_reported_as_altered(
    app, world, vendor_user_id, signed_certificate_pdf
):
    response = upload(client_as(app, vendor_user_id), world.request_id, pdfs.altered(signed_certificate_pdf))
    assert response.status_code == 303
    [cert] = _certificates(app)
    [sig] = cert.signature_report["signatures"]
    assert sig["intact"] is False
    assert "ALTERED" in sig["summary"]
    assert "ALTERED" in cert.signature_report["summary"]


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (pdfs.PNG_BYTES, "photo.pdf", "That file is not a PDF"),
        (pdfs.HTML_BYTES, "page.pdf", "That file is not a PDF"),
        (pdfs.truncated_pdf(), "cut.pdf", "incomplete"),
        (pdfs.encrypted_pdf(), "locked.pdf", "password-protected"),
        (b"", "empty.pdf", "That file is empty. Choose the file again."),
    ],
    ids=["renamed-png", "html", "truncated", "encrypted", "empty"],
)
def test_fake_or_unreadable_pdfs_are_refused_and_nothing_is_stored(
    app, world, vendor_user_id, nothing_stored, data, filename, message
):
    response = upload(client_as(app, vendor_user_id), world.request_id, data, filename)
    assert response.status_code == 422
    assert message in response.text
    assert 'value="Pat Signer"' in response.text  # what was typed is kept
    assert _request(app, world.request_id).status == RequestStatus.OPEN
    nothing_stored()


def test_a_truncated_signed_pdf_is_refused_even_though_its_first_revision_parses(
    app, world, vendor_user_id, signed_certificate_pdf, nothing_stored
):
    cut = signed_certificate_pdf[: len(signed_certificate_pdf) - 2000]
    response = upload(client_as(app, vendor_user_id), world.request_id, cut)
    assert response.status_code == 422
    assert "incomplete" in response.text
    nothing_stored()


def test_a_file_over_the_upload_limit_gets_a_message_in_the_form(app, world, vendor_user_id, nothing_stored):
    limit = app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    big = pdfs.make_pdf() + b"%" + b"x" * (limit + 10_000)
    assert len(big) < app.config["MAX_CONTENT_LENGTH"]
    response = upload(client_as(app, vendor_user_id), world.request_id, big)
    assert response.status_code == 422
    assert f"larger than the {app.config['MAX_UPLOAD_MB']} MB limit" in response.text
    nothing_stored()


@pytest.mark.parametrize("with_csrf", [False, True])
def test_a_request_over_the_size_limit_gets_a_page_with_a_way_back(
    app, world, vendor_user_id, nothing_stored, with_csrf
):
    app.config["WTF_CSRF_ENABLED"] = with_csrf
    try:
        huge = b"%PDF-" + b"x" * app.config["MAX_CONTENT_LENGTH"]
        response = upload(client_as(app, vendor_user_id), world.request_id, huge)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 413
    assert f"at most {app.config['MAX_UPLOAD_MB']} MB" in response.text
    assert f'href="/vendor/requests/{world.request_id}/certificate"' in response.text
    nothing_stored()


def test_a_path_traversal_file_name_is_stored_under_a_random_key(app, world, vendor_user_id):
    before = stored_paths(app)
    response = upload(client_as(app, vendor_user_id), world.request_id, pdfs.make_pdf(), "../../etc/passwd.pdf")
    assert response.status_code == 303
    [cert] = _certificates(app)
    assert cert.file.original_name == "passwd.pdf"
    assert "/" not in cert.file.storage_key
    assert "passwd" not in cert.file.storage_key
    [new_file] = stored_paths(app) - before
    assert new_file.name == cert.file.storage_key
    assert app.config["UPLOAD_DIR"] in str(new_file.resolve())

    download = client_as(app, vendor_user_id).get(f"/vendor/certificates/{cert.id}/file")
    expected = f'attachment; filename="disposal-certificate-{cert.id}-passwd.pdf"'
    assert download.headers["Content-Disposition"] == expected


def test_a_second_submission_is_refused_and_its_file_is_not_kept(app, world, vendor_user_id):
    client = client_as(app, vendor_user_id)
    assert upload(client, world.request_id, pdfs.make_pdf()).status_code == 303
    before = stored_paths(app)
    second = upload(client, world.request_id, pdfs.make_pdf(text="Second copy"))
    assert second.status_code == 422
    assert "already waiting for review" in second.text
    assert stored_paths(app) == before
    assert stored_file_count(app) == 1


def test_a_submission_that_loses_the_race_deletes_the_file_it_wrote(app, world, vendor_user_id):
    """The request is open when it is loaded, but another submission wins before ours is recorded."""
    before = stored_paths(app)
    with app.test_request_context():
        dr = db.session.get(DestructionRequest, world.request_id)
        actor = db.session.get(User, vendor_user_id)
        # Another worker moves the request on through its own connection, after we loaded it.
        with db.engine.begin() as conn:
            conn.execute(
                DestructionRequest.__table__.update()
                .where(DestructionRequest.__table__.c.id == dr.id)
                .values(status="submitted", version=dr.version + 1)
            )
        with pytest.raises(DomainError, match="Someone else changed this request"), unit_of_work():
            certificates.submit_certificate_upload(
                dr,
                actor=actor,
                upload=io.BytesIO(pdfs.make_pdf()),
                filename="race.pdf",
                signer_name="Pat",
                signer_title="CPO",
                disposed_on=district_today(),
                method="overwrite",
                method_other="",
                attests_all_copies=True,
            )
        db.session.remove()
    assert stored_paths(app) == before
    assert stored_file_count(app) == 0


@pytest.mark.parametrize("status", [RequestStatus.ACCEPTED, RequestStatus.WITHDRAWN, RequestStatus.SUBMITTED])
def test_upload_to_a_request_that_is_not_open_is_refused(app, world, vendor_user_id, nothing_stored, status):
    with in_app(app):
        dr = db.session.get(DestructionRequest, world.request_id)  # the agreement's one request
        dr.status = status
        db.session.commit()
        request_id = dr.id
    client = client_as(app, vendor_user_id)
    assert "not waiting for a certificate" in client.get(f"/vendor/requests/{request_id}/certificate").text
    response = upload(client, request_id, pdfs.make_pdf())
    assert response.status_code == 422
    assert "no certificate is needed" in response.text or "closed" in response.text or "already" in response.text
    nothing_stored()


def test_upload_to_another_vendors_request_is_not_found(app, world, vendor_user_id, nothing_stored):
    client = client_as(app, vendor_user_id)
    assert client.get(f"/vendor/requests/{world.other_request_id}/certificate").status_code == 404
    assert upload(client, world.other_request_id, pdfs.make_pdf()).status_code == 404
    assert _request(app, world.other_request_id).status == RequestStatus.OPEN
    nothing_stored()


# The district's tomorrow, worked out when the test runs: collected before the district's midnight, a
# date worked out then is no longer in the future when the test runs after it.
TOMORROW = "tomorrow"


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"disposed_on": TOMORROW}, "disposed_on", "cannot be in the future"),
        ({"disposed_on": "31/01/2027"}, "disposed_on", "Enter a date like 2026-07-01 (year-month-day)."),
        ({"method": "other", "method_other": "  "}, "method_other", "Describe the method"),
        ({"method": "shredded-by-bears"}, "method", "Not a valid choice"),
        ({"attests_all_copies": ""}, "attests_all_copies", "Confirm that all copies"),
        ({"signer_name": ""}, "signer_name", "Enter the name of the person who signed"),
    ],
    ids=["future-date", "bad-date", "other-without-description", "unknown-method", "no-attestation", "no-signer"],
)
def test_bad_form_input_is_refused_with_the_form_kept_and_nothing_stored(
    app, world, vendor_user_id, nothing_stored, fields, field_id, message
):
    if fields.get("disposed_on") == TOMORROW:
        fields = fields | {"disposed_on": (district_today() + timedelta(days=1)).isoformat()}
    response = upload(
        client_as(app, vendor_user_id),
        world.request_id,
        pdfs.make_pdf(),
        **fields | {"signer_title": "Data Protection Lead"},
    )
    assert response.status_code == 422
    assert message in response.text
    assert f'id="{field_id}-error"' in response.text
    assert 'value="Data Protection Lead"' in response.text
    assert "Choose the file again" in response.text
    assert _request(app, world.request_id).status == RequestStatus.OPEN
    nothing_stored()


def test_a_missing_file_is_refused(app, world, vendor_user_id, nothing_stored):
    response = upload(client_as(app, vendor_user_id), world.request_id, None)
    assert response.status_code == 422
    assert "Choose the signed certificate, a PDF file." in response.text
    nothing_stored()


def test_other_method_keeps_its_description(app, world, vendor_user_id):
    response = upload(
        client_as(app, vendor_user_id),
        world.request_id,
        pdfs.make_pdf(),
        method="other",
        method_other="Degaussed by a certified contractor.",
    )
    assert response.status_code == 303
    [cert] = _certificates(app)
    assert cert.method_other == "Degaussed by a certified contractor."


def test_the_upload_form_needs_a_csrf_token(app, world, vendor_user_id, csrf, nothing_stored):
    response = upload(client_as(app, vendor_user_id), world.request_id, pdfs.make_pdf())
    assert response.status_code == 400
    nothing_stored()


def test_stored_file_records_its_digest(app, world, vendor_user_id):
    data = pdfs.make_pdf(pages=3)
    upload(client_as(app, vendor_user_id), world.request_id, data)
    with in_app(app):
        stored = db.session.scalars(select(StoredFile)).one()
        assert (stored.sha256, stored.size, stored.page_count) == (hashlib.sha256(data).hexdigest(), len(data), 3)
        assert stored.content_type == "application/pdf"


def test_a_signer_chained_to_a_configured_trusted_root_is_trusted(app, world, vendor_user_id, tmp_path, monkeypatch):
    data, certificate = pdfs.signed_pdf("Trusted Signer")
    roots = tmp_path / "roots.pem"
    roots.write_bytes(pdfs.pem(pdfs.self_signed_certificate("Some Other Root")[1]) + pdfs.pem(certificate))
    monkeypatch.setitem(app.config, "TRUSTED_ROOTS_PEM", str(roots))
    assert upload(client_as(app, vendor_user_id), world.request_id, data).status_code == 303
    [cert] = _certificates(app)
    [sig] = cert.signature_report["signatures"]
    assert sig["trusted"] is True
    assert sig["intact"] is True
    assert "chained to a trusted root" in sig["summary"]


def test_content_added_after_signing_is_reported(app, world, vendor_user_id, signed_certificate_pdf):
    data = pdfs.with_content_added_after_signing(signed_certificate_pdf)
    assert upload(client_as(app, vendor_user_id), world.request_id, data).status_code == 303
    [cert] = _certificates(app)
    [sig] = cert.signature_report["signatures"]
    assert sig["intact"] is True
    assert sig["covers_whole_document"] is False
    assert "content was added to the file after this signature" in sig["summary"]


def test_two_simultaneous_submissions_store_exactly_one_certificate(app, world, vendor_user_id):
    before = stored_paths(app)
    clients = [client_as(app, vendor_user_id) for _ in range(2)]
    barrier = threading.Barrier(2)

    def submit(client) -> int:
        barrier.wait()
        return upload(client, world.request_id, pdfs.make_pdf(text=f"Copy {id(client)}")).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(submit, clients))
    assert statuses == [303, 422]
    assert stored_file_count(app) == 1
    assert len(stored_paths(app) - before) == 1
    assert len(_certificates(app)) == 1
