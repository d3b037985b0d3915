"""A small, realistic directory for the open data and reports tests (call inside an app context)."""

import io
from datetime import UTC, date, datetime, timedelta

from pypdf import PdfWriter

from clearinghouse.destruction.models import (
    CertificateStatus,
    DestructionRequest,
    DisposalCertificate,
    DisposalMethod,
    RequestOrigin,
    RequestStatus,
)
from clearinghouse.directory.models import ProductStatus
from clearinghouse.extensions import db
from clearinghouse.storage import StoredFile, store_pdf
from tests import factories

# Strings that must never appear in any public output.
SECRETS = {
    "vendor_user_email": "secret.vendor.person@vendor-private.example",
    "vendor_user_name": "Hidden Vendor Person",
    "vendor_notes": "VENDOR-INTERNAL-NOTE-4417",
    "product_notes": "PRODUCT-INTERNAL-NOTE-9051",
    "agreement_notes": "AGREEMENT-INTERNAL-NOTE-2268",
    "termination_reason": "TERMINATION-REASON-PRIVATE-8812",
    "agreement_reference": "AGREEMENT-REFERENCE-STAFF-ONLY-5530",
    "unpublished_document": "UNPUBLISHED-signed-contract-7731.pdf",
    "officer_email": "hidden.officer@district.example",
}


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def stored_pdf(name: str) -> StoredFile:
    record = store_pdf(io.BytesIO(pdf_bytes()), name)
    db.session.commit()
    return record


def make_request(
    vendor,
    agreement=None,
    *,
    status=RequestStatus.OPEN,
    issued_on=date(2026, 1, 5),
    due_on=date(2026, 3, 6),
    closed_on=None,
) -> DestructionRequest:
    request = DestructionRequest(
        vendor_id=vendor.id,
        agreement_id=agreement.id if agreement else None,
        origin=RequestOrigin.AGREEMENT_ENDED if agreement else RequestOrigin.DISTRICT_REQUEST,
        reason="The agreement ended.",
        issued_on=issued_on,
        due_on=due_on,
        status=status,
        closed_on=closed_on,
    )
    db.session.add(request)
    db.session.commit()
    return request


def make_certificate(
    request: DestructionRequest, *, submitted_on: date, status=CertificateStatus.ACCEPTED
) -> DisposalCertificate:
    certificate = DisposalCertificate(
        request_id=request.id,
        vendor_id=request.vendor_id,
        file_id=stored_pdf("certificate.pdf").id,
        signer_name="Signer",
        signer_title="Chief Privacy Officer",
        disposed_on=submitted_on,
        method=DisposalMethod.OVERWRITE,
        attests_all_copies=True,
        # Noon in the district (New York), so the district date is the date given.
        submitted_at=datetime(submitted_on.year, submitted_on.month, submitted_on.day, 17, tzinfo=UTC),
        status=status,
    )
    db.session.add(certificate)
    db.session.commit()
    return certificate


def build_directory() -> dict[str, int]:
    """Two vendors, three products (one retired), sensitive data, schools, agreements in several
    states, a destruction request, internal notes and an unpublished signed document. Returns ids."""
    demographics = factories.make_category(name="Demographics", slug="demographics")
    health = factories.make_category(name="Health", slug="health")
    birth = factories.make_element(demographics, name="Date of birth", slug="date-of-birth")
    allergies = factories.make_element(health, name="Allergies", slug="allergies", is_sensitive=True)
    factories.make_element(health, name="Immunizations", slug="immunizations", is_sensitive=True)
    north = factories.make_school(name="North Elementary", slug="north-elementary")
    south = factories.make_school(name="South Middle", slug="south-middle")

    acme = factories.make_vendor(
        name="Acme Learning",
        slug="acme-learning",
        internal_notes=SECRETS["vendor_notes"],
        contact_email="privacy@acme.example",
    )
    beta = factories.make_vendor(name="Beta Reading Co", slug="beta-reading-co")
    factories.make_user(
        role="vendor", vendor=acme, email=SECRETS["vendor_user_email"], name=SECRETS["vendor_user_name"]
    )
    factories.make_user(role="officer", email=SECRETS["officer_email"])

    math = factories.make_product(
        acme,
        name="Acme Math",
        slug="acme-math",
        kind="math",
        elements=[birth, allergies],
        schools=[north],
        internal_notes=SECRETS["product_notes"],
    )
    reader = factories.make_product(
        beta, name="Beta Reader", slug="beta-reader", kind="reading", elements=[birth], schools=[north, south]
    )
    old = factories.make_product(
        beta,
        name="Old Phonics",
        slug="old-phonics",
        kind="reading",
        status=ProductStatus.RETIRED,
        elements=[birth],
        schools=[south],
    )

    document = stored_pdf(SECRETS["unpublished_document"])
    active = factories.make_agreement(
        acme,
        [math],
        reference=SECRETS["agreement_reference"],
        internal_notes=SECRETS["agreement_notes"],
        document_id=document.id,
        is_document_published=False,
    )
    ended = factories.make_agreement(
        beta,
        [reader, old],
        signed_on=date(2022, 7, 1),
        effective_on=date(2022, 7, 1),
        expires_on=date(2025, 6, 30),
        terminated_on=date(2024, 12, 31),
        termination_reason=SECRETS["termination_reason"],
    )
    request = make_request(beta, ended, due_on=date(2025, 3, 1))
    return {
        "active_agreement_id": active.id,
        "ended_agreement_id": ended.id,
        "request_id": request.id,
        "document_id": document.id,
    }


def many_products(count: int, *, start: int = 0) -> None:
    """`count` more products with data uses, schools and an agreement each (for query counts)."""
    category = factories.make_category()
    school = factories.make_school()
    for n in range(start, start + count):
        element = factories.make_element(category, is_sensitive=n % 2 == 0)
        vendor = factories.make_vendor(name=f"Bulk Vendor {n:03d}")
        product = factories.make_product(
            vendor,
            name=f"Bulk Product {n:03d}",
            elements=[element],
            schools=[school],
            kind="math" if n % 2 else "reading",
        )
        agreement = factories.make_agreement(vendor, [product], expires_on=date(2025, 1, 1) + timedelta(days=n))
        if n % 3 == 0:
            make_request(vendor, agreement, due_on=date(2025, 6, 1))
