"""Reading destruction requests for officers: the list and its counts, a request's page and timeline, a
certificate. What the public sees of data destruction is in `destruction.public`."""

from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from clearinghouse.audit.models import AuditEvent
from clearinghouse.destruction.models import SUBJECT_TYPE, DestructionRequest, DisposalCertificate, RequestStatus
from clearinghouse.errors import NotFound
from clearinghouse.extensions import db
from clearinghouse.notices.queries import TimelineEntry, notice_entries
from clearinghouse.timeutil import district_today


def get_request_or_404(request_id: int) -> DestructionRequest:
    """A request with what its staff page shows (staff see every vendor's requests)."""
    dr = db.session.scalar(
        select(DestructionRequest)
        .where(DestructionRequest.id == request_id)
        .options(
            joinedload(DestructionRequest.vendor),
            joinedload(DestructionRequest.agreement),
            joinedload(DestructionRequest.opened_by),
            selectinload(DestructionRequest.categories),
            selectinload(DestructionRequest.certificates).options(
                joinedload(DisposalCertificate.file),
                joinedload(DisposalCertificate.submitted_by),
                joinedload(DisposalCertificate.reviewed_by),
            ),
        )
    )
    if dr is None:
        raise NotFound("That destruction request does not exist.")
    return dr


FILTERS = ("open", "overdue", "submitted", "closed", "all")


def list_requests(
    *, state: str = "all", vendor_id: int | None = None, today: date | None = None, page: int = 1, per_page: int = 25
):
    """A page of requests, newest first, filtered by state and vendor; vendors loaded with them."""
    today = today or district_today()
    stmt = select(DestructionRequest).join(DestructionRequest.vendor)
    if state == "open":
        stmt = stmt.where(DestructionRequest.status == RequestStatus.OPEN)
    elif state == "overdue":
        stmt = stmt.where(DestructionRequest.status == RequestStatus.OPEN, DestructionRequest.due_on < today)
    elif state == "submitted":
        stmt = stmt.where(DestructionRequest.status == RequestStatus.SUBMITTED)
    elif state == "closed":
        stmt = stmt.where(DestructionRequest.status.in_([RequestStatus.ACCEPTED, RequestStatus.WITHDRAWN]))
    if vendor_id:
        stmt = stmt.where(DestructionRequest.vendor_id == vendor_id)
    stmt = stmt.options(joinedload(DestructionRequest.vendor), joinedload(DestructionRequest.agreement)).order_by(
        DestructionRequest.issued_on.desc(), DestructionRequest.id.desc()
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def request_counts(today: date | None = None) -> dict[str, int]:
    """How many requests each filter shows (one query)."""
    today = today or district_today()
    open_ = DestructionRequest.status == RequestStatus.OPEN
    row = db.session.execute(
        select(
            func.count(),
            func.count().filter(open_),
            func.count().filter(open_, DestructionRequest.due_on < today),
            func.count().filter(DestructionRequest.status == RequestStatus.SUBMITTED),
            func.count().filter(DestructionRequest.status.in_([RequestStatus.ACCEPTED, RequestStatus.WITHDRAWN])),
        ).select_from(DestructionRequest)
    ).one()
    return dict(zip(("all", "open", "overdue", "submitted", "closed"), row, strict=True))


def timeline(dr: DestructionRequest) -> list[TimelineEntry]:
    """Everything that happened to a request, oldest first: audit events, notices, certificates."""
    entries: list[TimelineEntry] = []
    certificate_ids = [cert.id for cert in dr.certificates]
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            or_(
                (AuditEvent.record_type == DestructionRequest.__tablename__) & (AuditEvent.record_id == dr.id),
                (AuditEvent.record_type == DisposalCertificate.__tablename__)
                & AuditEvent.record_id.in_(certificate_ids or [-1]),
            )
        )
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    ).all()
    for event in events:
        title = EVENT_TITLES.get(event.action, event.action)
        reason = (event.changes.get("status_reason") or [None, None])[1] or (
            event.changes.get("review_reason") or [None, None]
        )[1]
        entries.append(
            TimelineEntry(event.occurred_at, title, f"{event.actor_label}" + (f": {reason}" if reason else ""))
        )
    entries += notice_entries(SUBJECT_TYPE, dr.id)
    entries.sort(key=lambda entry: entry.at)
    return entries


EVENT_TITLES = {
    "destruction_request.opened": "Request issued",
    "destruction_request.withdrawn": "Request withdrawn",
    "destruction_request.submitted": RequestStatus.SUBMITTED.label,
    "destruction_request.accepted": "Destruction certified; request closed",
    "destruction_request.reopened": "Certificate rejected; request open again",
    "disposal_certificate.submitted": "Certificate uploaded",
    "disposal_certificate.accepted": "Certificate accepted",
    "disposal_certificate.rejected": "Certificate rejected",
}


def get_certificate_or_404(certificate_id: int) -> DisposalCertificate:
    """Any certificate, for staff (vendors use portal.queries, which scopes by vendor)."""
    return db.one_or_404(
        select(DisposalCertificate)
        .where(DisposalCertificate.id == certificate_id)
        .options(joinedload(DisposalCertificate.file), joinedload(DisposalCertificate.request))
    )
