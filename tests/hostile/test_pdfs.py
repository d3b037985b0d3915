"""Uploaded PDFs are read in bounded time and memory: bombs, image codecs where text belongs, scripts
and HTML polyglots are refused with a message, and nothing is stored (certificates and agreements)."""

import io
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clearinghouse.agreements.models import Agreement
from clearinghouse.destruction.models import DisposalCertificate
from clearinghouse.extensions import db
from clearinghouse.pdf import ChildFailed, LimitExceeded, PdfRefused, inspect_pdf, run_limited
from clearinghouse.settings.queries import get_settings
from clearinghouse.storage import StoredFile
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import client_as, in_app
from tests.hostile import pdfs
from tests.portal.helpers import upload

REFUSED = {
    "decompression_bomb": "That PDF expands to far more than its size when opened",
    "many_stream_bomb": "That PDF expands to far more than its size when opened",
    "jbig2_content": "That PDF is damaged or incomplete and cannot be read.",
    "javascript_on_open": "That PDF contains JavaScript or an action that starts a program",
    "javascript_in_an_inline_link": "That PDF contains JavaScript or an action that starts a program",
    "launch_action": "That PDF contains JavaScript or an action that starts a program",
    "html_polyglot": "That file mixes a PDF with web page code",
    "html_before_the_header": "That file is not a PDF.",
}


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_a_vendor_uploading_a_hostile_pdf_gets_a_message_and_nothing_is_stored(
    app, world, vendor_user_id, nothing_stored, kind
):
    response = upload(client_as(app, vendor_user_id), world.request_id, getattr(pdfs, kind)())
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert REFUSED[kind] in html.replace("&#39;", "'").replace("&#34;", '"')
    assert 'value="Pat Signer"' in html  # what was typed is kept
    with in_app(app):
        assert db.session.scalar(select(func.count()).select_from(DisposalCertificate)) == 0
    nothing_stored()


@pytest.mark.parametrize("kind", ["decompression_bomb", "javascript_on_open", "jbig2_content"])
def test_the_same_checks_guard_agreement_documents(app, officer_id, nothing_stored, kind):
    with in_app(app):
        vendor = factories.make_vendor(name="Lexi Learning")
        product_id = factories.make_product(vendor, name="Lexi Reader").id
        vendor_id = vendor.id
        today = district_today()
    form = {
        "kind": "ndpa",
        "reference": "NDPA 2026",
        "product_ids": [product_id],
        "signed_on": (today - timedelta(days=10)).isoformat(),
        "effective_on": (today - timedelta(days=10)).isoformat(),
        "expires_on": (today + timedelta(days=365)).isoformat(),
        "document": (io.BytesIO(getattr(pdfs, kind)()), "agreement.pdf"),
    }
    response = client_as(app, officer_id).post(
        f"/staff/agreements/new?vendor_id={vendor_id}", data=form, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert REFUSED[kind] in response.get_data(as_text=True).replace("&#39;", "'")
    with in_app(app):
        assert db.session.scalar(select(func.count()).select_from(Agreement)) == 0
    nothing_stored()


def test_a_scanned_page_with_a_jbig2_image_is_accepted_without_decoding_it(app, world, vendor_user_id):
    response = upload(client_as(app, vendor_user_id), world.request_id, pdfs.jbig2_image())
    assert response.status_code == 303
    with in_app(app):
        assert db.session.scalar(select(StoredFile.page_count)) == 1


def test_the_bomb_is_refused_without_being_expanded():
    """The 306 KB file would be 300 MB; the limit stops pypdf at the per-stream limit."""
    bomb = pdfs.decompression_bomb()
    assert 290_000 < len(bomb) < 320_000
    with pytest.raises(PdfRefused, match="expands to far more"):
        inspect_pdf(bomb)


def test_a_plain_pdf_passes(app):
    assert inspect_pdf(pdfs.plain_pdf()) == 1


def _sleep_forever(data: bytes) -> None:
    while True:
        time.sleep(1)


def _swell(data: bytes) -> int:
    hoard = [bytearray(64 * 1024 * 1024) for _ in range(64)]  # 4 GB: over any limit here
    return len(hoard)


def _refuse(data: bytes) -> None:
    raise PdfRefused("No")


def test_limited_work_is_stopped_when_it_runs_out_of_time_or_memory(app):
    with in_app(app):
        app.config["PDF_CHECK_SECONDS"] = 1
        try:
            with pytest.raises(LimitExceeded, match="no answer within 1 s"):
                run_limited(_sleep_forever, b"")
        finally:
            app.config["PDF_CHECK_SECONDS"] = 20
        with pytest.raises(LimitExceeded, match="memory"):
            run_limited(_swell, b"")
        with pytest.raises(PdfRefused, match="No"):
            run_limited(_refuse, b"")
        assert run_limited(len, b"four") == 4


def _read_settings(data: bytes) -> str:
    return get_settings().time_zone


def test_the_checking_process_has_no_database_or_application_of_the_caller(app):
    """A child forked from the worker would share its database socket (a PostgreSQL error once)."""
    with in_app(app):
        with pytest.raises(ChildFailed, match="application context"):
            run_limited(_read_settings, b"")
        assert get_settings().time_zone  # the worker's own connection is untouched
