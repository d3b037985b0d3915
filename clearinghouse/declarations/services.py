"""Vendors' data declarations: inviting the vendor, its drafts and submissions, the officer's acceptance.

One declaration per product; each save of the vendor's answers writes its draft version, each
submission turns the draft into a submitted version (an earlier submission still unreviewed is
superseded), and an officer's acceptance makes the submitted version the product's data uses and
purposes through `directory.services.update_product` (audited, with a public disclosure
revision): nobody retypes what the vendor declared. A vendor may update its answers later: a new
draft starts from its last version, and the officer reviews what changed (`declarations.queries`).

Only the vendor's own active users may answer: a user whose access was revoked (the portal
invitation withdrawn, the account switched off) is refused, even within a session that began
before. A submission that names no data element must say "no student data".

The write functions here are cores: each checks its rules and raises `DomainError` before writing,
writes, flushes, audits and queues its notices, and never commits.
"""

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from clearinghouse.accounts import services as accounts
from clearinghouse.accounts.models import Role, User
from clearinghouse.audit import services as audit
from clearinghouse.declarations.models import (
    PURPOSE_MAX,
    SHORT_MAX,
    SUBJECT_TYPE,
    SUBPROCESSORS_MAX,
    Declaration,
    DeclarationState,
    DeclarationVersion,
    DeclaredElement,
    Subprocessor,
    Terms,
    VersionStatus,
)
from clearinghouse.directory import services as directory
from clearinghouse.directory.models import DataElement, Product
from clearinghouse.errors import DomainError, NotFound
from clearinghouse.extensions import after_commit, db
from clearinghouse.intake import state as request_state
from clearinghouse.intake.models import OPEN_STATES, ToolRequest
from clearinghouse.locking import check_version, claim_version
from clearinghouse.notices import services as notices
from clearinghouse.settings.queries import get_settings
from clearinghouse.timeutil import utcnow

TEXT_MAX = 5000
DAYS_MAX = 3650
HOURS_MAX = 8760
REVOKED = (
    "Your access to the district's vendor portal was withdrawn, so these answers cannot be accepted. "
    "Ask the district's privacy office for a new invitation."
)


@dataclass
class SubprocessorAnswer:
    name: str = ""
    service: str = ""
    receives_student_data: bool = False
    data_location: str = ""

    @property
    def is_blank(self) -> bool:
        return not (self.name.strip() or self.service.strip() or self.data_location.strip())


@dataclass
class Answers:
    """The vendor's answers (the questionnaire's cleaned data)."""

    elements: dict[int, str] = field(default_factory=dict)  # data element id: purpose
    no_student_data: bool = False
    storage_location: str = ""
    retention: str = ""
    disposal_method: str = ""
    disposal_window_days: int | None = None
    breach_notice_hours: int | None = None
    sells_data: bool | None = None
    targeted_ads: bool | None = None
    cross_site_tracking: bool | None = None
    terms: Terms | str | None = None
    subprocessors: list[SubprocessorAnswer] = field(default_factory=list)


def declaration_label(declaration: Declaration) -> str:
    return f"Data declaration for {declaration.product.name} ({declaration.vendor.name})"


def vendor_path(declaration_id: int) -> str:
    return current_app.url_map.bind("").build("portal.questionnaire", {"declaration_id": declaration_id})


def _queue(declaration: Declaration, key: str, recipients: list[str], template: str, *, deliver: bool, **context):
    notice = notices.queue_notice(
        f"declaration:{declaration.id}:{key}",
        recipients,
        template,
        {"declaration": declaration, "product": declaration.product, "vendor": declaration.vendor, **context},
        subject_type=SUBJECT_TYPE,
        subject_id=declaration.id,
    )
    if notice is not None and deliver:
        notice_id = notice.id
        after_commit(lambda: notices.deliver_queued(notice_ids=[notice_id]))


# --- the officer invites -------------------------------------------------------------------


def invite(product: Product, *, actor: User, email: str, name: str = "") -> Declaration:
    """Ask the vendor's contact to declare the product's data. A contact without an account gets the
    portal's invitation (accounts.services); the product's one declaration is opened if it has none,
    and an accepted one waits for the vendor again (it confirms or updates its answers)."""
    if not actor.is_staff:
        raise DomainError("Only the district's privacy office can invite a vendor.")
    address = accounts.normalize_email(email or "")
    if not address:
        raise DomainError("Enter the e-mail address of the vendor's contact.", field="email")
    contact = db.session.scalar(select(User).where(User.email == address))
    if contact is None:
        contact = accounts.invite_vendor_user(product.vendor, address, name or "", actor=actor)
    elif contact.role != Role.VENDOR or contact.vendor_id != product.vendor_id:
        raise DomainError(f"{address} is not an account of {product.vendor.name}; use another address.", field="email")
    elif not contact.is_active_account:
        raise DomainError(
            f"{address}'s access was revoked. An administrator must reactivate it before inviting them again.",
            field="email",
        )
    declaration = db.session.scalar(select(Declaration).where(Declaration.product_id == product.id))
    now = utcnow()
    if declaration is None:
        declaration = Declaration(
            product=product, vendor_id=product.vendor_id, contact_id=contact.id, invited_by_id=actor.id, invited_at=now
        )
        declaration.vendor = product.vendor
        db.session.add(declaration)
        changes = audit.pending_changes(declaration)
        db.session.flush()
        audit.record(actor, "declaration.invited", declaration, changes, label=declaration_label(declaration))
    else:
        # Asked again after an acceptance, the vendor confirms or updates its answers: it is waited on
        # (and reminded by the sweep) until it submits. A submission still unreviewed stays as it is.
        before = declaration.state
        after = DeclarationState.INVITED if before is DeclarationState.ACCEPTED else before
        claim_version(
            declaration, declaration.version, contact_id=contact.id, invited_at=now, invited_by_id=actor.id, state=after
        )
        db.session.refresh(declaration)
        changes = {"contact": [None, contact.email]}
        if after is not before:
            changes["state"] = [before.value, after.value]
        audit.record(actor, "declaration.invited", declaration, changes, label=declaration_label(declaration))
    declaration.contact = contact
    _queue(
        declaration,
        f"invited:{now.isoformat()}",
        [contact.email],
        "declaration_invited",
        deliver=True,
        path=vendor_path(declaration.id),
        invited_by=actor.display_name,
    )
    return declaration


def has_submitted(declaration: Declaration) -> bool:
    return declaration.state is DeclarationState.SUBMITTED


# --- the vendor answers --------------------------------------------------------------------


def check_vendor(declaration: Declaration, actor: User) -> None:
    """The vendor's own active users answer; anyone else is refused (NotFound for another vendor)."""
    if actor.role != Role.VENDOR or actor.vendor_id != declaration.vendor_id:
        raise NotFound("That questionnaire does not exist.")
    if not actor.is_active_account or not actor.is_active:
        raise DomainError(REVOKED)


def draft_of(declaration: Declaration) -> DeclarationVersion | None:
    last = declaration.versions[-1] if declaration.versions else None
    return last if last is not None and last.status is VersionStatus.DRAFT else None


def latest(declaration: Declaration, *statuses: VersionStatus) -> DeclarationVersion | None:
    wanted = set(statuses) or {VersionStatus.SUBMITTED, VersionStatus.ACCEPTED}
    return next((v for v in reversed(declaration.versions) if v.status in wanted), None)


def _line(value: str, label: str, name: str) -> str:
    value = (value or "").strip()
    if len(value) > SHORT_MAX:
        raise DomainError(f"Keep {label} under {SHORT_MAX} characters.", field=name)
    return value


def _cleaned(answers: Answers) -> Answers:
    """The answers as stored; DomainError for what no draft may hold."""
    elements = {}
    if answers.elements:
        known = set(db.session.scalars(select(DataElement.id).where(DataElement.id.in_(answers.elements))))
        if known != set(answers.elements):
            raise DomainError(
                "One of the ticked data elements is no longer offered. Reload the page.", field="elements"
            )
        for element_id, purpose in answers.elements.items():
            purpose = (purpose or "").strip()
            if len(purpose) > PURPOSE_MAX:
                raise DomainError(f"Keep each purpose under {PURPOSE_MAX} characters.", field="elements")
            elements[element_id] = purpose
    subprocessors = []
    for number, sub in enumerate(answers.subprocessors, start=1):
        if sub.is_blank:
            continue
        if not sub.name.strip():
            raise DomainError(f"Subprocessor {number}: give its name, or clear its row.", field="subprocessors")
        subprocessors.append(
            SubprocessorAnswer(
                _line(sub.name, "a subprocessor's name", "subprocessors"),
                _line(sub.service, "what a subprocessor does", "subprocessors"),
                bool(sub.receives_student_data),
                _line(sub.data_location, "where a subprocessor keeps data", "subprocessors"),
            )
        )
    if len(subprocessors) > SUBPROCESSORS_MAX:
        raise DomainError(f"List at most {SUBPROCESSORS_MAX} subprocessors.", field="subprocessors")
    retention = (answers.retention or "").strip()
    if len(retention) > TEXT_MAX:
        raise DomainError(f"Keep the retention under {TEXT_MAX} characters.", field="retention")
    for name, value, top in (
        ("disposal_window_days", answers.disposal_window_days, DAYS_MAX),
        ("breach_notice_hours", answers.breach_notice_hours, HOURS_MAX),
    ):
        if value is not None and not 0 <= value <= top:
            raise DomainError(f"Enter a number between 0 and {top}.", field=name)
    return Answers(
        elements=elements,
        no_student_data=bool(answers.no_student_data),
        storage_location=_line(answers.storage_location, "where data is stored", "storage_location"),
        retention=retention,
        disposal_method=_line(answers.disposal_method, "the disposal method", "disposal_method"),
        disposal_window_days=answers.disposal_window_days,
        breach_notice_hours=answers.breach_notice_hours,
        sells_data=answers.sells_data,
        targeted_ads=answers.targeted_ads,
        cross_site_tracking=answers.cross_site_tracking,
        terms=Terms(answers.terms) if answers.terms else None,
        subprocessors=subprocessors,
    )


def _complete(answers: Answers) -> None:
    """What a submission needs beyond a draft; DomainError on the first thing missing."""
    if not answers.elements and not answers.no_student_data:
        raise DomainError(
            "Tick the data elements the product would receive, or tick “no student data” if it receives none.",
            field="no_student_data",
        )
    if answers.elements and answers.no_student_data:
        raise DomainError(
            "You ticked “no student data” and also data elements: untick one or the other.", field="no_student_data"
        )
    if any(not purpose for purpose in answers.elements.values()):
        raise DomainError("Give the purpose of each data element you ticked.", field="elements")
    if answers.elements:
        for name, label in (
            ("storage_location", "where the data is stored"),
            ("retention", "how long the data is kept"),
            ("disposal_method", "how the data is disposed of"),
        ):
            if not getattr(answers, name):
                raise DomainError(f"Say {label}.", field=name)
        if answers.disposal_window_days is None:
            raise DomainError("Say how many days disposing of the data takes.", field="disposal_window_days")
        if answers.breach_notice_hours is None:
            raise DomainError("Say within how many hours you tell of a breach.", field="breach_notice_hours")
    for name, question in (
        ("sells_data", "whether you sell data"),
        ("targeted_ads", "whether you show targeted advertising"),
        ("cross_site_tracking", "whether you track students across sites"),
    ):
        if getattr(answers, name) is None:
            raise DomainError(f"Answer {question}.", field=name)
    if answers.terms is None:
        raise DomainError("Say which agreement you sign.", field="terms")


def _write(version: DeclarationVersion, answers: Answers) -> None:
    for name in (
        "no_student_data",
        "storage_location",
        "retention",
        "disposal_method",
        "disposal_window_days",
        "breach_notice_hours",
        "sells_data",
        "targeted_ads",
        "cross_site_tracking",
        "terms",
    ):
        if getattr(version, name) != getattr(answers, name):
            setattr(version, name, getattr(answers, name))
    existing = {e.data_element_id: e for e in version.elements}
    for element_id, row in existing.items():
        if element_id not in answers.elements:
            version.elements.remove(row)
    for element_id, purpose in answers.elements.items():
        if element_id in existing:
            if existing[element_id].purpose != purpose:
                existing[element_id].purpose = purpose
        else:
            version.elements.append(DeclaredElement(data_element_id=element_id, purpose=purpose))
    version.subprocessors.clear()
    db.session.flush()
    for position, sub in enumerate(answers.subprocessors):
        version.subprocessors.append(
            Subprocessor(
                position=position,
                name=sub.name,
                service=sub.service,
                receives_student_data=sub.receives_student_data,
                data_location=sub.data_location,
            )
        )


def save_draft(
    declaration: Declaration, answers: Answers, *, actor: User, version: int | None = None
) -> DeclarationVersion:
    """Keep the vendor's answers as its draft (nothing is checked for completeness yet)."""
    check_vendor(declaration, actor)
    if version is not None:
        check_version(declaration, version)
    answers = _cleaned(answers)
    claim_version(declaration, declaration.version)
    draft = draft_of(declaration)
    if draft is None:
        number = declaration.versions[-1].number + 1 if declaration.versions else 1
        draft = DeclarationVersion(number=number, status=VersionStatus.DRAFT)
        declaration.versions.append(draft)
        db.session.flush()
    _write(draft, answers)
    db.session.flush()
    audit.record(
        actor,
        "declaration.draft_saved",
        declaration,
        {"draft": [None, draft.number]},
        label=declaration_label(declaration),
    )
    return draft


def submit(
    declaration: Declaration, answers: Answers, *, actor: User, version: int | None = None
) -> DeclarationVersion:
    """Submit the answers: the privacy office reviews them; the product's waiting requests are ready
    to decide. Refused, with nothing written, when an answer is missing."""
    check_vendor(declaration, actor)
    if version is not None:
        check_version(declaration, version)
    cleaned = _cleaned(answers)
    _complete(cleaned)
    draft = save_draft(declaration, cleaned, actor=actor)
    for earlier in declaration.versions:
        if earlier.status is VersionStatus.SUBMITTED:
            earlier.status = VersionStatus.SUPERSEDED
    draft.status = VersionStatus.SUBMITTED
    draft.submitted_at = utcnow()
    draft.submitted_by_id = actor.id
    before = declaration.state.value
    claim_version(declaration, declaration.version, state=DeclarationState.SUBMITTED, updated_at=utcnow())
    db.session.refresh(declaration)
    audit.record(
        actor,
        "declaration.submitted",
        declaration,
        {"state": [before, declaration.state.value], "submitted_version": [None, draft.number]},
        label=declaration_label(declaration),
    )
    requests = db.session.scalars(
        select(ToolRequest).where(ToolRequest.product_id == declaration.product_id, ToolRequest.state.in_(OPEN_STATES))
    ).all()
    for tr in requests:
        if request_state.can(tr, "declaration_submitted"):
            changes = request_state.transition(tr, "declaration_submitted")
            audit.record(
                actor, "tool_request.declaration_arrived", tr, changes, label=f"Tool request {tr.id} ({tr.name})"
            )
    officers = [
        *db.session.scalars(
            select(User.email).where(User.role == Role.OFFICER, User.is_active_account.is_(True)).order_by(User.email)
        ),
        get_settings().privacy_office_email,
    ]
    notices.cancel_queued(SUBJECT_TYPE, declaration.id)  # reminders not sent yet are moot
    path = current_app.url_map.bind("").build("intake_staff.queue", {"state": "ready_to_decide"})
    key = f"submitted:{draft.number}"
    _queue(declaration, key, officers, "declaration_submitted", deliver=False, number=draft.number, path=path)
    return draft


# --- the officer accepts -------------------------------------------------------------------


def accept(product: Product, *, actor: User, no_student_data: bool = False) -> DeclarationVersion:
    """Make the product's submitted declaration its data uses and purposes (directory services:
    audited, disclosed). `no_student_data`: the officer approves it as collecting none."""
    declaration = db.session.scalar(select(Declaration).where(Declaration.product_id == product.id))
    submitted = latest(declaration, VersionStatus.SUBMITTED) if declaration is not None else None
    if submitted is None:
        raise DomainError("There is no submitted declaration to accept for this product.", field="accept_declaration")
    uses = {} if no_student_data else {e.data_element_id: e.purpose for e in submitted.elements}
    for earlier in declaration.versions:
        if earlier.status is VersionStatus.ACCEPTED:
            earlier.status = VersionStatus.SUPERSEDED
    submitted.status = VersionStatus.ACCEPTED
    submitted.reviewed_at = utcnow()
    submitted.reviewed_by_id = actor.id
    claim_version(declaration, declaration.version, state=DeclarationState.ACCEPTED, updated_at=utcnow())
    db.session.refresh(declaration)
    audit.record(
        actor,
        "declaration.accepted",
        declaration,
        {"state": ["submitted", "accepted"], "accepted_version": [None, submitted.number]},
        label=declaration_label(declaration),
    )
    directory.update_product(product, actor, version=product.version, data_uses=uses)
    return submitted
