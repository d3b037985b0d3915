"""What a vendor user may read: every query is scoped to their vendor in its WHERE clause.

A row of another vendor is simply not found (404), so a guessed id reveals nothing.
"""

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from clearinghouse.agreements.models import Agreement
from clearinghouse.destruction.models import DestructionRequest, DisposalCertificate, RequestStatus
from clearinghouse.directory.models import Vendor
from clearinghouse.extensions import db

WAITING = (RequestStatus.OPEN, RequestStatus.SUBMITTED)
RECENT_CERTIFICATES = 5


def _request_options():
    return (
        joinedload(DestructionRequest.vendor),
        selectinload(DestructionRequest.categories),
        joinedload(DestructionRequest.agreement),
        selectinload(DestructionRequest.certificates).joinedload(DisposalCertificate.file),
    )


def get_vendor(vendor_id: int) -> Vendor:
    return db.one_or_404(select(Vendor).where(Vendor.id == vendor_id))


def list_waiting_requests(vendor_id: int) -> list[DestructionRequest]:
    """Open requests and those whose certificate waits for review, soonest due first."""
    return list(
        db.session.scalars(
            select(DestructionRequest)
            .where(DestructionRequest.vendor_id == vendor_id, DestructionRequest.status.in_(WAITING))
            .options(*_request_options())
            .order_by(DestructionRequest.due_on, DestructionRequest.id)
        )
    )


def list_agreements(vendor_id: int) -> list[Agreement]:
    return list(
        db.session.scalars(
            select(Agreement)
            .where(Agreement.vendor_id == vendor_id)
            .options(selectinload(Agreement.products))
            .order_by(Agreement.effective_on.desc(), Agreement.id.desc())
        )
    )


def paginate_requests(vendor_id: int, page: int, per_page: int) -> Pagination:
    """Every request of the vendor, newest first."""
    stmt = (
        select(DestructionRequest)
        .where(DestructionRequest.vendor_id == vendor_id)
        .options(*_request_options())
        .order_by(DestructionRequest.issued_on.desc(), DestructionRequest.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def _certificates(vendor_id: int):
    return (
        select(DisposalCertificate)
        .where(DisposalCertificate.vendor_id == vendor_id)
        .options(joinedload(DisposalCertificate.file), joinedload(DisposalCertificate.request))
        .order_by(DisposalCertificate.submitted_at.desc(), DisposalCertificate.id.desc())
    )


def recent_certificates(vendor_id: int) -> list[DisposalCertificate]:
    return list(db.session.scalars(_certificates(vendor_id).limit(RECENT_CERTIFICATES)))


def paginate_certificates(vendor_id: int, page: int, per_page: int) -> Pagination:
    return db.paginate(_certificates(vendor_id), page=page, per_page=per_page, error_out=False)


def get_request_or_404(request_id: int, vendor_id: int) -> DestructionRequest:
    return db.one_or_404(
        select(DestructionRequest)
        .where(DestructionRequest.id == request_id, DestructionRequest.vendor_id == vendor_id)
        .options(*_request_options())
    )


def get_agreement_or_404(agreement_id: int, vendor_id: int) -> Agreement:
    return db.one_or_404(
        select(Agreement)
        .where(Agreement.id == agreement_id, Agreement.vendor_id == vendor_id)
        .options(selectinload(Agreement.products))
    )


def list_agreement_requests(agreement: Agreement) -> list[DestructionRequest]:
    """The requests opened for one of the vendor's agreements (already loaded within its scope)."""
    return list(
        db.session.scalars(
            select(DestructionRequest)
            .where(
                DestructionRequest.agreement_id == agreement.id,
                DestructionRequest.vendor_id == agreement.vendor_id,
            )
            .options(*_request_options())
            .order_by(DestructionRequest.issued_on.desc(), DestructionRequest.id.desc())
        )
    )


def get_certificate_or_404(certificate_id: int, vendor_id: int) -> DisposalCertificate:
    return db.one_or_404(
        select(DisposalCertificate)
        .where(DisposalCertificate.id == certificate_id, DisposalCertificate.vendor_id == vendor_id)
        .options(joinedload(DisposalCertificate.file), joinedload(DisposalCertificate.request))
    )
