"""Every file the site serves goes out through clearinghouse.downloads: checked on each route that serves one."""

import io
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote

import pytest

from clearinghouse.destruction.models import DisposalCertificate, DisposalMethod
from clearinghouse.downloads import DOWNLOAD_POLICY, clean_file_name, content_disposition
from clearinghouse.extensions import db
from clearinghouse.storage import StoredFile, storage, store_pdf
from tests import factories
from tests.conftest import client_as, in_app

# A right-to-left override would show "report‮fdp.exe" as "reportexe.pdf"; a name with a path,
# quotes, a line break and non-ASCII letters must all come out harmless.
HOSTILE_NAME = '../../Ré"sumé\r\nX-Evil: 1\u202egnp.pdf'


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Signed NDPA 2025.pdf", 'attachment; filename="Signed NDPA 2025.pdf"'),
        ("report", 'attachment; filename="report.pdf"'),
        ("..pdf", 'attachment; filename="document.pdf"'),
        ("", 'attachment; filename="document.pdf"'),
        ("C:\\Users\\me\\NDPA.PDF", 'attachment; filename="NDPA.pdf"'),
        ("Übersicht.pdf", "attachment; filename=\"Ubersicht.pdf\"; filename*=UTF-8''%C3%9Cbersicht.pdf"),
        ("契約.pdf", "attachment; filename=\"document.pdf\"; filename*=UTF-8''%E5%A5%91%E7%B4%84.pdf"),
    ],
)
def test_content_disposition_is_an_attachment_with_a_clean_name(name, expected):
    assert content_disposition(name, extension=".pdf", fallback="document") == expected


def test_a_hostile_name_loses_its_path_quotes_line_breaks_and_bidi_controls():
    header = content_disposition(HOSTILE_NAME, extension=".pdf", fallback="document")
    for hidden in ("\r", "\n", "\u202e", "..", "/"):
        assert hidden not in header
    ascii_part, _, utf8_part = header.partition("; filename*=UTF-8''")
    assert ascii_part == 'attachment; filename="Re_sume X-Evil_ 1gnp.pdf"'
    assert unquote(utf8_part) == "Ré'sumé X-Evil: 1gnp.pdf"
    assert clean_file_name("a" * 400, extension=".pdf", fallback="x") == "a" * 146 + ".pdf"


@dataclass
class Files:
    data: bytes
    agreement_id: int
    certificate_id: int
    vendor_user_id: int
    certificate_key: str
    document_key: str


@pytest.fixture
def files(app) -> Files:
    data = factories.make_pdf_bytes(pages=2)
    with in_app(app):
        vendor = factories.make_vendor(name="Download Vendor")
        user = factories.make_user(role="vendor", email="files@download.example", vendor=vendor)
        document = store_pdf(io.BytesIO(data), HOSTILE_NAME)
        db.session.flush()
        agreement = factories.make_agreement(
            vendor, [factories.make_product(vendor)], document_id=document.id, is_document_published=True
        )
        certificate_file = store_pdf(io.BytesIO(data), "Vernichtungsprotokoll Ü.pdf")
        db.session.flush()
        dr = factories.make_destruction_request(vendor, agreement)
        certificate = DisposalCertificate(
            request_id=dr.id,
            vendor_id=vendor.id,
            file_id=certificate_file.id,
            signer_name="Pat Signer",
            signer_title="CISO",
            disposed_on=date(2027, 1, 10),
            method=DisposalMethod.OVERWRITE,
            attests_all_copies=True,
        )
        db.session.add(certificate)
        db.session.commit()
        return Files(data, agreement.id, certificate.id, user.id, certificate_file.storage_key, document.storage_key)


def _routes(files: Files, officer_id: int) -> list[tuple[str, str, int | None]]:
    """(url, key of the stored file it serves, who asks: a user id, or None for the public)."""
    return [
        (f"/agreements/{files.agreement_id}/document", files.document_key, None),
        (f"/staff/agreements/{files.agreement_id}/document", files.document_key, officer_id),
        (f"/staff/requests/certificates/{files.certificate_id}/file", files.certificate_key, officer_id),
        (f"/vendor/certificates/{files.certificate_id}/file", files.certificate_key, files.vendor_user_id),
    ]


def _client(app, user_id: int | None):
    return app.test_client() if user_id is None else client_as(app, user_id)


def _assert_download(response, data: bytes, content_type: str, *, streamed: bool = False) -> str:
    assert response.status_code == 200
    assert response.data == data
    assert response.headers["Content-Type"] == content_type
    assert response.headers.get("Content-Length") == (None if streamed else str(len(data)))
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == DOWNLOAD_POLICY
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    for hidden in ("\r", "\n", "\u202e"):
        assert hidden not in disposition
    return disposition


def test_every_stored_file_route_sends_a_safe_attachment(app, files, officer_id):
    dispositions = {}
    for url, _, user_id in _routes(files, officer_id):
        dispositions[url] = _assert_download(_client(app, user_id).get(url), files.data, "application/pdf")
    public, staff, officer_certificate, vendor_certificate = dispositions.values()
    assert public == f'attachment; filename="agreement-{files.agreement_id}.pdf"'  # the uploader's name stays inside
    assert 'filename="Re_sumeX-Evil_ 1gnp.pdf"' in staff  # the store already dropped the line break
    expected = f'attachment; filename="disposal-certificate-{files.certificate_id}-Vernichtungsprotokoll_U.pdf"'
    assert officer_certificate == vendor_certificate == expected


def test_the_public_document_is_revalidated_and_a_staff_one_never_kept(app, files, officer_id):
    public = app.test_client().get(f"/agreements/{files.agreement_id}/document")
    assert public.headers["Cache-Control"] == "no-cache"  # unpublished, it must stop being served at once
    again = app.test_client().get(
        f"/agreements/{files.agreement_id}/document", headers={"If-None-Match": public.headers["ETag"]}
    )
    assert again.status_code == 304
    staff = client_as(app, officer_id).get(f"/staff/agreements/{files.agreement_id}/document")
    assert staff.headers["Cache-Control"] == "no-store"


def test_a_missing_stored_file_is_a_404_page_in_the_sites_look(app, files, officer_id):
    with in_app(app):
        for key in (files.document_key, files.certificate_key):
            storage().delete(key)
        assert db.session.query(StoredFile).count() == 2  # the records stay; only the bytes are gone
    for url, _, user_id in _routes(files, officer_id):
        response = _client(app, user_id).get(url)
        assert response.status_code == 404, url
        assert response.mimetype == "text/html"
        page = response.get_data(as_text=True)
        assert "Page not found" in page
        assert 'href="/static/' in page  # the site's own layout, not a bare error


def test_the_directory_csv_is_a_safe_attachment(client, app):
    with in_app(app):
        factories.make_product(factories.make_vendor(name="Csv Vendor"), status="approved")
    response = client.get("/directory.csv")
    body = response.data
    disposition = _assert_download(response, body, "text/csv; charset=utf-8", streamed=True)
    assert disposition.startswith('attachment; filename="directory-')
    assert disposition.endswith('.csv"')
