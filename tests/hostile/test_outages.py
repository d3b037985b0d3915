"""When a part the site depends on is down, a visitor gets a page in the site's look that says so
(503), a missing file is a 404, and nothing is half-written."""

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clearinghouse import errors
from clearinghouse.agreements.models import Agreement
from clearinghouse.app import create_app
from clearinghouse.audit.models import AuditEvent
from clearinghouse.destruction.models import DestructionRequest, DisposalCertificate, RequestStatus
from clearinghouse.extensions import db
from clearinghouse.storage import LocalStorage, StoredFile, storage
from tests import factories
from tests.conftest import client_as, in_app
from tests.hostile import pdfs
from tests.portal.helpers import upload

SITE_LOOK = ('<link rel="stylesheet" href="/static/css/site.css">', 'class="error-page"')


def unreachable_database_apps(tmp_path: Path) -> dict[str, str]:
    return {
        "postgresql on a closed port": "postgresql://clearinghouse@127.0.0.1:1/clearinghouse",
        "sqlite in a folder that does not exist": f"sqlite:///{tmp_path / 'gone' / 'db.sqlite'}",
    }


@pytest.mark.parametrize("which", ["postgresql on a closed port", "sqlite in a folder that does not exist"])
def test_the_database_down_gives_a_503_page_in_the_sites_look(tmp_path, which):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": unreachable_database_apps(tmp_path)[which],
            "UPLOAD_DIR": str(tmp_path / "files"),
        }
    )
    client = app.test_client()
    for path in ("/", "/directory?q=reading", "/login", "/vendors/some-vendor", "/changes.atom"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "30"
        html = response.get_data(as_text=True)
        assert "Temporarily unavailable" in html
        assert all(part in html for part in SITE_LOOK), path
        assert "Our School District" in html  # drawn with the default settings, not the database's
    for path in ("/es/", "/es/directory?q=lectura", "/es/follow"):  # in the language of the address
        response = client.get(path)
        assert response.status_code == 503, path
        html = response.get_data(as_text=True)
        assert '<html lang="es"' in html, path
        assert "No disponible por el momento" in html, path
        assert "Temporarily unavailable" not in html, path
    with client.session_transaction() as session:
        session["_user_id"] = "1:1"  # a signed-in visitor: loading the user needs the database too
    assert client.get("/staff/").status_code == 503
    api = app.test_client().get("/api/v1/vendors")
    assert api.status_code == 503
    assert api.json["error"]["status"] == 503


@pytest.fixture
def broken_storage(app, tmp_path):
    """File storage whose directory cannot be created (a file is in the way), as on a full or read-only disk."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("in the way")
    original = app.extensions["clearinghouse_storage"]
    app.extensions["clearinghouse_storage"] = LocalStorage(blocker)
    yield
    app.extensions["clearinghouse_storage"] = original


def test_a_certificate_upload_with_storage_down_is_a_503_and_writes_nothing(app, world, vendor_user_id, broken_storage):
    response = upload(client_as(app, vendor_user_id), world.request_id, pdfs.plain_pdf())
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "The site cannot store or read files right now. Nothing was saved" in html
    assert all(part in html for part in SITE_LOOK)
    with in_app(app):
        assert db.session.scalar(select(func.count()).select_from(DisposalCertificate)) == 0
        assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
        assert db.session.get(DestructionRequest, world.request_id).status == RequestStatus.OPEN
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_an_agreement_upload_with_storage_down_is_a_503_and_writes_nothing(app, officer_id, broken_storage):
    with in_app(app):
        vendor = factories.make_vendor(name="Lexi Learning")
        product_id = factories.make_product(vendor, name="Lexi Reader").id
        vendor_id = vendor.id
    form = {
        "kind": "ndpa",
        "product_ids": [product_id],
        "signed_on": "2026-01-05",
        "effective_on": "2026-01-05",
        "expires_on": "2029-01-04",
        "document": (io.BytesIO(pdfs.plain_pdf()), "agreement.pdf"),
    }
    response = client_as(app, officer_id).post(
        f"/staff/agreements/new?vendor_id={vendor_id}", data=form, content_type="multipart/form-data"
    )
    assert response.status_code == 503
    with in_app(app):
        assert db.session.scalar(select(func.count()).select_from(Agreement)) == 0
        assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_a_stored_file_gone_missing_is_a_404_page_wherever_it_is_served(app, officer_id, vendor_user_id):
    with in_app(app):
        vendor = factories.make_vendor(name="Lexi Learning")
        document = factories.make_stored_pdf("agreement.pdf")
        agreement = factories.make_agreement(vendor, [], expires_on=date(2029, 1, 4))
        agreement.document_id = document.id
        agreement.is_document_published = True
        db.session.commit()
        storage().delete(document.storage_key)
        agreement_id = agreement.id
    for client, path in (
        (client_as(app, officer_id), f"/staff/agreements/{agreement_id}/document"),
        (app.test_client(), f"/agreements/{agreement_id}/document"),
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        html = response.get_data(as_text=True)
        assert all(part in html for part in SITE_LOOK), path


def test_a_certificate_file_gone_missing_is_a_404_for_the_officer_and_the_vendor(
    app, world, officer_id, vendor_user_id
):
    vendor = client_as(app, vendor_user_id)
    assert upload(vendor, world.request_id, pdfs.plain_pdf()).status_code == 303
    with in_app(app):
        certificate = db.session.scalar(select(DisposalCertificate))
        storage().delete(certificate.file.storage_key)
        certificate_id = certificate.id
    for client, path in (
        (client_as(app, officer_id), f"/staff/requests/certificates/{certificate_id}/file"),
        (vendor, f"/vendor/certificates/{certificate_id}/file"),
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert all(part in response.get_data(as_text=True) for part in SITE_LOOK), path


@pytest.mark.parametrize(
    ("path", "lang", "home"),
    [("/products/x", "en", "Go to the home page"), ("/es/products/x", "es", "Vaya a la página de inicio")],
)
def test_the_page_drawn_when_the_error_page_itself_fails_speaks_the_addresss_language(app, path, lang, home):
    with app.test_request_context(path):
        app.preprocess_request()  # the address's language is chosen as for any request
        html = errors._plain_page(500, errors.MESSAGES[500][0], errors.MESSAGES[500][1]).get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert home in html
    assert f'href="{path.removesuffix("products/x")}"' in html  # that language's home page
    assert SITE_LOOK[0] in html
