"""Destruction requests and disposal certificates: the one place that changes their state.

A request moves open → submitted (a certificate waits) → accepted (closed); a rejected
certificate sends it back to open; an officer may withdraw an open request. `TRANSITIONS` is
the whole state machine: every change goes through `_transition`, a conditional UPDATE on the
status and version, so two people (or processes) acting at once cannot both win.

The write functions here are cores: each checks its rules and raises `DomainError` before
writing, writes, flushes, audits, discloses and queues its notices, and never commits. The
caller wraps them in `unit_of_work()` (a view, the demo loader, the sweep). `actor` is None
when the system acts.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.exc import IntegrityError

from clearinghouse.accounts.models import Role, User
from clearinghouse.agreements.models import Agreement, AgreementState
from clearinghouse.audit import services as audit
from clearinghouse.audit.wording import Wording
from clearinghouse.destruction.models import (
    SUBJECT_TYPE,
    CertificateStatus,
    DestructionRequest,
    DisposalCertificate,
    DisposalMethod,
    DispositionNature,
    DispositionSchedule,
    RequestOrigin,
    RequestScope,
    RequestStatus,
)
from clearinghouse.directory.models import DataCategory, Vendor
from clearinghouse.errors import DomainError, NotFound
from clearinghouse.extensions import db
from clearinghouse.locking import check_version, claim_version
from clearinghouse.notices import services as notices
from clearinghouse.notices.models import Notice
from clearinghouse.settings.queries import get_settings
from clearinghouse.storage import StoredFile
from clearinghouse.timeutil import date_range_problem, district_today, format_date, utcnow

DEFAULT_WINDOW_DAYS = 60  # NDPA: 60 days from the district's written request
REASON_MAX = 5000

# action: (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[RequestStatus], RequestStatus]] = {
    "submit": (frozenset({RequestStatus.OPEN}), RequestStatus.SUBMITTED),
    "accept": (frozenset({RequestStatus.SUBMITTED}), RequestStatus.ACCEPTED),
    "reject": (frozenset({RequestStatus.SUBMITTED}), RequestStatus.OPEN),
    "withdraw": (frozenset({RequestStatus.OPEN}), RequestStatus.WITHDRAWN),
}

_REFUSALS = {  # (action, current state): why not, in words for the person who asked
    ("submit", RequestStatus.SUBMITTED): "A certificate for this request is already waiting for review.",
    ("submit", RequestStatus.ACCEPTED): "This request is closed: destruction was already certified.",
    ("submit", RequestStatus.WITHDRAWN): "This request was withdrawn by the district; no certificate is needed.",
    ("accept", RequestStatus.OPEN): "There is no certificate waiting for review on this request.",
    ("accept", RequestStatus.ACCEPTED): "This request is already closed: destruction was certified.",
    ("accept", RequestStatus.WITHDRAWN): "This request was withdrawn; its certificates can no longer be reviewed.",
    ("reject", RequestStatus.OPEN): "There is no certificate waiting for review on this request.",
    ("reject", RequestStatus.ACCEPTED): "This request is already closed: destruction was certified.",
    ("reject", RequestStatus.WITHDRAWN): "This request was withdrawn; its certificates can no longer be reviewed.",
    ("withdraw", RequestStatus.SUBMITTED): "A certificate is waiting for review: accept or reject it first.",
    ("withdraw", RequestStatus.ACCEPTED): "This request is closed: destruction was already certified.",
    ("withdraw", RequestStatus.WITHDRAWN): "This request was already withdrawn.",
}


def check_transition(dr: DestructionRequest, action: str) -> RequestStatus:
    """The state `action` leads to from the request's state; DomainError when it is not allowed."""
    sources, target = TRANSITIONS[action]
    if dr.status not in sources:
        raise DomainError(
            _REFUSALS.get((action, dr.status), f"A request that is {dr.status} cannot be changed that way.")
        )
    return target


def _transition(dr: DestructionRequest, action: str, **values: Any) -> dict[str, list]:
    """Move the request with a conditional UPDATE (state and version); returns the audit changes."""
    target = check_transition(dr, action)
    before = {"status": dr.status.value, **{key: _plain(getattr(dr, key)) for key in values}}
    claim_version(dr, dr.version, DestructionRequest.status == dr.status, status=target, updated_at=utcnow(), **values)
    db.session.refresh(dr)
    after = {"status": dr.status.value, **{key: _plain(getattr(dr, key)) for key in values}}
    return {key: [before[key], after[key]] for key in before if before[key] != after[key]}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


# --- who is written to ---------------------------------------------------------------------


def vendor_contacts(vendor_ids: list[int]) -> dict[int, list[str]]:
    """{vendor id: addresses}: the vendor's active vendor users, then its public contact e-mail."""
    contacts: dict[int, list[str]] = {vendor_id: [] for vendor_id in vendor_ids}
    if not vendor_ids:
        return contacts
    users = db.session.execute(
        select(User.vendor_id, User.email)
        .where(User.vendor_id.in_(vendor_ids), User.role == Role.VENDOR, User.is_active_account.is_(True))
        .order_by(User.email)
    ).all()
    for vendor_id, email in users:
        contacts[vendor_id].append(email)
    for vendor_id, email in db.session.execute(
        select(Vendor.id, Vendor.contact_email).where(Vendor.id.in_(vendor_ids))
    ):
        if email:
            contacts[vendor_id].append(email)
    return contacts


def officer_recipients() -> list[str]:
    """Every active privacy officer, then the privacy office's address from the settings."""
    emails = db.session.scalars(
        select(User.email).where(User.role == Role.OFFICER, User.is_active_account.is_(True)).order_by(User.email)
    ).all()
    return [*emails, get_settings().privacy_office_email]


def staff_path(request_id: int) -> str:
    """The request's staff page, without needing a request context (the sweep runs from the CLI)."""
    return current_app.url_map.bind("").build("destruction.show", {"request_id": request_id})


def vendor_path(request_id: int) -> str:
    """The request's page in the vendor portal."""
    return f"/vendor/requests/{request_id}"


def request_notice_draft(
    dr: DestructionRequest, suffix: str, recipients: list[str], template: str, **context: Any
) -> notices.NoticeDraft:
    """The notice `request:<id>:<suffix>` about this request, with the context every request e-mail
    gets (links to the vendor portal unless `path` is given). The sweep queues these in batches."""
    return notices.NoticeDraft(
        f"request:{dr.id}:{suffix}",
        recipients,
        template,
        {"dr": dr, "vendor": dr.vendor, "path": context.pop("path", vendor_path(dr.id)), **context},
        subject_type=SUBJECT_TYPE,
        subject_id=dr.id,
    )


def issued_notice_draft(dr: DestructionRequest, contacts: list[str]) -> notices.NoticeDraft:
    """The directive e-mailed to the vendor when a request is opened, by an officer or by the sweep."""
    return request_notice_draft(dr, "issued", contacts, "request_issued")


def queue_request_notice(
    dr: DestructionRequest,
    suffix: str,
    recipients: list[str],
    template: str,
    now: datetime | None = None,
    **context: Any,
) -> Notice | None:
    """Queue `request_notice_draft(...)` now (the caller commits); None when already queued."""
    queued = notices.queue_notices([request_notice_draft(dr, suffix, recipients, template, **context)], now=now)
    return queued[0] if queued else None


# --- opening -------------------------------------------------------------------------------
#
# One request per agreement. An agreement has at most one destruction request that is not
# withdrawn, whoever opened it: the sweep opens none for an agreement an officer already directed
# (by hand, after terminating it), and an officer cannot issue a second directive for an agreement
# that has one (the vendor would be told twice to dispose of data, perhaps data it already
# certified destroyed). A withdrawn request was opened in error, so it does not count: an officer
# may open another. The sweep never opens a second request of its own, though: once an officer
# withdraws the request the sweep opened, the sweep leaves that agreement alone (its origin key
# stays taken). The database backs the rule: a unique index on the agreement of the requests
# still waiting (open, or with a certificate under review) refuses the second of two writers
# racing to open one.


def request_in_the_way(agreement_id: Any, *, for_sweep: bool = False) -> ColumnElement[bool]:
    """A WHERE clause on destruction_request: the requests that stop a new one for this agreement
    (`agreement_id` is an id or a column, for the sweep's batches). See "One request per agreement"."""
    in_the_way = DestructionRequest.status != RequestStatus.WITHDRAWN
    if for_sweep:
        in_the_way = or_(in_the_way, DestructionRequest.origin == RequestOrigin.AGREEMENT_ENDED)
    return and_(DestructionRequest.agreement_id == agreement_id, in_the_way)


def existing_request(agreement_id: int, *, for_sweep: bool = False) -> DestructionRequest | None:
    """The agreement's request that stops a new one, if it has one (the first opened)."""
    return db.session.scalar(
        select(DestructionRequest)
        .where(request_in_the_way(agreement_id, for_sweep=for_sweep))
        .order_by(DestructionRequest.id)
        .limit(1)
    )


def _already_requested(agreement: Agreement, dr: DestructionRequest) -> DomainError:
    name = f"“{agreement.reference}”" if agreement.reference else str(agreement.id)
    advice = (
        "Follow it up instead, or withdraw it first if it was opened in error."
        if dr.status is RequestStatus.OPEN
        else "Follow it up instead."
    )
    return DomainError(
        f"Agreement {name} already has destruction request {dr.id} ({dr.status.label.lower()}, issued "
        f"{format_date(dr.issued_on)}); a second directive would ask the vendor again for the same data. {advice}",
        field="agreement_id",
    )


def default_due_on(issued_on: date, agreement: Agreement | None) -> date:
    """Issue date + the agreement's destruction window (or the district's default)."""
    default_days = get_settings().default_destruction_window_days or DEFAULT_WINDOW_DAYS
    days = agreement.destruction_window(default_days) if agreement is not None else default_days
    return issued_on + timedelta(days=days)


@dataclass
class RequestDraft:
    """What an officer asks for (the form's cleaned data)."""

    vendor_id: int
    reason: str
    agreement_id: int | None = None
    scope: RequestScope = RequestScope.ALL
    category_ids: list[int] = field(default_factory=list)
    nature: DispositionNature = DispositionNature.DESTROY
    transfer_to: str = ""
    instructions: str = ""
    schedule: DispositionSchedule = DispositionSchedule.BY_DATE
    due_on: date | None = None
    district_signer_name: str = ""
    district_signer_title: str = ""


def open_destruction_request(
    draft: RequestDraft, *, actor: User | None, today: date | None = None
) -> DestructionRequest:
    """Issue a directive at the district's written request; the vendor is e-mailed.

    Refuses (DomainError on the field) an unknown vendor, an agreement of another vendor, an
    agreement that already has a request (naming it; see "One request per agreement"), a partial
    scope without categories, a transfer without a destination, a due date before today.
    """
    today = today or district_today()
    vendor = db.session.get(Vendor, draft.vendor_id)
    if vendor is None:
        raise DomainError("Choose the vendor the directive is for.", field="vendor_id")
    agreement = None
    if draft.agreement_id:
        agreement = db.session.get(Agreement, draft.agreement_id)
        if agreement is None or agreement.vendor_id != vendor.id:
            raise DomainError(f"That agreement is not one of {vendor.name}'s agreements.", field="agreement_id")
        existing = existing_request(agreement.id)
        if existing is not None:
            raise _already_requested(agreement, existing)
    if not draft.reason.strip():
        raise DomainError("Say why the data must be disposed of.", field="reason")
    categories: list[DataCategory] = []
    if draft.scope == RequestScope.CATEGORIES:
        categories = list(db.session.scalars(select(DataCategory).where(DataCategory.id.in_(draft.category_ids))))
        if not categories:
            raise DomainError("For a partial disposal, tick the categories of data it covers.", field="category_ids")
    if draft.nature == DispositionNature.TRANSFER and not draft.transfer_to.strip():
        raise DomainError("Say where the data must be transferred to.", field="transfer_to")
    due_on = draft.due_on or default_due_on(today, agreement)
    if due_on < today:
        raise DomainError("The due date cannot be in the past.", field="due_on")
    if problem := date_range_problem(due_on):
        raise DomainError(problem, field="due_on")
    settings = get_settings()
    dr = DestructionRequest(
        vendor_id=vendor.id,
        agreement_id=agreement.id if agreement else None,
        origin=RequestOrigin.DISTRICT_REQUEST,
        reason=draft.reason.strip(),
        scope=draft.scope,
        nature=draft.nature,
        transfer_to=draft.transfer_to.strip() if draft.nature == DispositionNature.TRANSFER else "",
        instructions=draft.instructions.strip(),
        schedule=draft.schedule,
        issued_on=today,
        due_on=due_on,
        status=RequestStatus.OPEN,
        district_signer_name=draft.district_signer_name.strip() or settings.district_signer_name,
        district_signer_title=draft.district_signer_title.strip() or settings.district_signer_title,
        opened_by_id=actor.id if actor is not None else None,
    )
    dr.vendor = vendor
    dr.agreement = agreement
    dr.categories = categories
    changes = audit.pending_changes(dr)
    notices.begin_outer_transaction()
    try:
        with db.session.begin_nested():  # the database refuses a second waiting request for the agreement here
            db.session.add(dr)
    except IntegrityError:
        # The sweep (or another officer) opened a request for the agreement since the check above.
        existing = existing_request(agreement.id) if agreement is not None else None
        if existing is None:
            raise
        raise _already_requested(agreement, existing) from None
    audit.record(actor, "destruction_request.opened", dr, changes, label=request_label(dr))
    notices.queue_notices([issued_notice_draft(dr, vendor_contacts([vendor.id])[vendor.id])])
    return dr


def request_label(dr: DestructionRequest) -> str:
    return f"Destruction request {dr.id} ({dr.vendor.name})"


def open_for_ended_agreement(agreement: Agreement, today: date) -> DestructionRequest | None:
    """The sweep's request for an agreement that ended without renewal; flushes, never commits.

    None when the agreement has not ended so, or already has a request (see "One request per
    agreement"), or another sweep opened it a moment ago. Also records the public revision that
    the agreement ended, once. The caller queues `issued_notice_draft(dr, …)`.
    """
    if agreement.destruction_not_requested:
        return None  # it had ended before it was recorded, and the officer asked for no request
    if not agreement.ended_without_renewal_on(today) or existing_request(agreement.id, for_sweep=True):
        return None
    ended_on = agreement.ended_on(today)
    state = agreement.state_on(today)
    settings = get_settings()
    origin_key = f"agreement:{agreement.id}:ended"
    # The vendor reads this reason: it names the agreement by number, never by the district's own
    # reference, and says that it was terminated and when, never why (both are staff only).
    if state == AgreementState.TERMINATED:
        why = f"was terminated on {format_date(ended_on)}"
        reason = f"The agreement no. {agreement.id} {why}."
    else:
        why = f"expired on {format_date(ended_on)}"
        reason = f"The agreement no. {agreement.id} {why} and was not renewed."
    dr = DestructionRequest(
        vendor_id=agreement.vendor_id,
        agreement_id=agreement.id,
        origin_key=origin_key,
        origin=RequestOrigin.AGREEMENT_ENDED,
        reason=reason,
        scope=RequestScope.ALL,
        nature=DispositionNature.DESTROY,
        schedule=DispositionSchedule.BY_DATE,
        issued_on=today,
        due_on=default_due_on(today, agreement),
        status=RequestStatus.OPEN,
        district_signer_name=settings.district_signer_name,
        district_signer_title=settings.district_signer_title,
    )
    changes = audit.pending_changes(dr)
    notices.begin_outer_transaction()
    try:
        with db.session.begin_nested():
            db.session.add(dr)
    except IntegrityError:  # another sweep, or an officer, opened one a moment ago
        return None
    dr.vendor = agreement.vendor
    dr.agreement = agreement
    audit.record(None, "destruction_request.opened", dr, changes, label=request_label(dr))
    wording = Wording(
        "agreement.ended",
        vendor=agreement.vendor.name,
        ended_on=ended_on.isoformat(),
        terminated=state == AgreementState.TERMINATED,
    )
    for product_id in [product.id for product in agreement.products] or [None]:
        audit.disclose(
            agreement.vendor_id,
            f"agreement.{state.value}",
            wording,
            product_id=product_id,
            agreement_id=agreement.id,
            ended_on=ended_on,
        )
    return dr


# --- the vendor answers, the officer decides ------------------------------------------------


def submit_certificate(
    dr: DestructionRequest,
    *,
    actor: User | None,
    stored_file: StoredFile,
    signature_report: dict,
    signer_name: str,
    signer_title: str,
    disposed_on: date,
    method: DisposalMethod | str,
    method_other: str,
    attests_all_copies: bool,
    now: datetime | None = None,
) -> DisposalCertificate:
    """Record a vendor's disposal certificate; the request waits for review; officers are e-mailed.

    Refuses unless the request is open (or when another submission won a moment ago), when the
    attestation is missing, "other" has no description, or the disposal date is in the future.
    """
    now = now or utcnow()
    check_transition(dr, "submit")
    if actor is not None and actor.role == Role.VENDOR and actor.vendor_id != dr.vendor_id:
        raise NotFound("That destruction request does not exist.")
    method = DisposalMethod(method)
    if not signer_name.strip() or not signer_title.strip():
        raise DomainError("Give the name and title of the person who signed the certificate.", field="signer_name")
    if problem := date_range_problem(disposed_on):
        raise DomainError(problem, field="disposed_on")
    if disposed_on > district_today(now):
        raise DomainError("The date the data was disposed of cannot be in the future.", field="disposed_on")
    if method == DisposalMethod.OTHER and not method_other.strip():
        raise DomainError("Describe how the data was disposed of.", field="method_other")
    if not attests_all_copies:
        raise DomainError(
            "Confirm that every copy, including those held by subcontractors and other authorized persons, "
            "was returned or destroyed.",
            field="attests_all_copies",
        )
    changes = _transition(dr, "submit", status_reason="")
    cert = DisposalCertificate(
        request_id=dr.id,
        vendor_id=dr.vendor_id,
        file_id=stored_file.id,
        signer_name=signer_name.strip(),
        signer_title=signer_title.strip(),
        disposed_on=disposed_on,
        method=method,
        method_other=method_other.strip() if method == DisposalMethod.OTHER else "",
        attests_all_copies=True,
        submitted_by_id=actor.id if actor is not None else None,
        submitted_at=now,
        status=CertificateStatus.SUBMITTED,
        signature_report=signature_report or {},
    )
    db.session.add(cert)
    cert_changes = audit.pending_changes(cert)
    db.session.flush()
    label = request_label(dr)
    audit.record(actor, "destruction_request.submitted", dr, changes, label=label)
    audit.record(
        actor,
        "disposal_certificate.submitted",
        cert,
        cert_changes,
        label=_certificate_label(cert, label),
    )
    queue_request_notice(
        dr,
        f"certificate:{cert.id}",
        officer_recipients(),
        "certificate_submitted",
        now=now,
        cert=cert,
        path=staff_path(dr.id),
    )
    return cert


def _certificate_label(cert: DisposalCertificate, label: str) -> str:
    """How the audit log names a certificate: "Disposal certificate 7 for the request to Acme …"."""
    return f"Disposal certificate {cert.id} for {label.lower()}"


def _review(cert: DisposalCertificate, status: CertificateStatus, action: str, *, actor: User | None) -> str:
    """The officer's review written on the certificate (accepted or rejected) and audited; returns the
    request's label, for the request's own audit event."""
    cert.status = status
    cert.reviewed_by_id = actor.id if actor is not None else None
    cert.reviewed_at = utcnow()
    label = request_label(cert.request)
    audit.record(actor, action, cert, audit.pending_changes(cert), label=_certificate_label(cert, label))
    return label


def _reviewable(cert: DisposalCertificate) -> DestructionRequest:
    if cert.status != CertificateStatus.SUBMITTED:
        raise DomainError(f"This certificate was already {cert.status.value}.")
    return cert.request


def accept_certificate(cert: DisposalCertificate, *, actor: User | None, today: date | None = None) -> None:
    """Close the request: destruction certified. Publishes "Data destruction certified on <date>"."""
    today = today or district_today()
    dr = _reviewable(cert)
    check_transition(dr, "accept")
    changes = _transition(dr, "accept", closed_on=today)
    label = _review(cert, CertificateStatus.ACCEPTED, "disposal_certificate.accepted", actor=actor)
    audit.record(actor, "destruction_request.accepted", dr, changes, label=label)
    wording = Wording("destruction.certified", vendor=dr.vendor.name, certified_on=today.isoformat())
    products = [product.id for product in dr.agreement.products] if dr.agreement else []
    for product_id in products or [None]:
        audit.disclose(
            dr.vendor_id,
            "destruction.certified",
            wording,
            product_id=product_id,
            request_id=dr.id,
            certified_on=today,
        )
    notices.cancel_queued(SUBJECT_TYPE, dr.id)
    queue_request_notice(
        dr,
        f"certificate:{cert.id}:accepted",
        vendor_contacts([dr.vendor_id])[dr.vendor_id],
        "certificate_accepted",
        cert=cert,
    )


def reject_certificate(cert: DisposalCertificate, reason: str, *, actor: User | None) -> None:
    """Send the request back to open with the reason; the vendor's contacts are e-mailed."""
    dr = _reviewable(cert)
    check_transition(dr, "reject")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the certificate is rejected, so the vendor can correct it.", field="reason")
    changes = _transition(dr, "reject", status_reason=reason)
    cert.review_reason = reason
    label = _review(cert, CertificateStatus.REJECTED, "disposal_certificate.rejected", actor=actor)
    audit.record(actor, "destruction_request.reopened", dr, changes, label=label)
    queue_request_notice(
        dr,
        f"certificate:{cert.id}:rejected",
        vendor_contacts([dr.vendor_id])[dr.vendor_id],
        "certificate_rejected",
        cert=cert,
        reason=reason,
    )


def withdraw_request(
    dr: DestructionRequest,
    reason: str,
    *,
    actor: User | None,
    today: date | None = None,
    expected_version: int | None = None,
) -> None:
    """Close a request opened in error. Only an open request can be withdrawn; a reason is required.

    `expected_version` is the version the officer's page showed: a request changed since is refused.
    """
    today = today or district_today()
    check_transition(dr, "withdraw")
    if expected_version is not None:
        check_version(dr, expected_version)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the request is withdrawn.", field="reason")
    changes = _transition(dr, "withdraw", status_reason=reason, closed_on=today)
    audit.record(actor, "destruction_request.withdrawn", dr, changes, label=request_label(dr))
    notices.cancel_queued(SUBJECT_TYPE, dr.id)
    queue_request_notice(
        dr, "withdrawn", vendor_contacts([dr.vendor_id])[dr.vendor_id], "request_withdrawn", reason=reason
    )
