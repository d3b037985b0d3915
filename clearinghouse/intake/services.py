"""Tool requests: the one place that opens, joins, links, decides and withdraws them.

A requester asks for a tool; a second request for the same tool (same name, compared by
`text.name_key`) while one is open joins it: the new requester is added and told. The privacy
office links the request to the directory's product (creating the vendor and product through the
directory's services when they are new), invites the vendor to declare its data
(`declarations.services`), and decides. Every move goes through `intake.state` (one table), and
every step is audited on the request, so its timeline is the audit log's.

The write functions here are cores: each checks its rules and raises `DomainError` before
writing, writes, flushes, audits and queues its notices, and never commits. The caller wraps them
in `unit_of_work()`.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clearinghouse.accounts.models import Role, User
from clearinghouse.audit import services as audit
from clearinghouse.declarations import services as declarations
from clearinghouse.directory import services as directory
from clearinghouse.directory.models import DEFAULT_KIND, NOTE_MAX, Product, ProductStatus, Vendor
from clearinghouse.errors import DomainError
from clearinghouse.extensions import after_commit, db
from clearinghouse.intake import state
from clearinghouse.intake.models import (
    COST_MAX,
    GRADES_MAX,
    NAME_MAX,
    OPEN_STATES,
    STUDENTS_MAX,
    SUBJECT_TYPE,
    TEXT_MAX,
    URL_MAX,
    CostKind,
    Decision,
    RequestState,
    ToolRequest,
    ToolRequester,
)
from clearinghouse.notices import services as notices
from clearinghouse.settings.queries import get_settings
from clearinghouse.text import clean_name, name_key
from clearinghouse.timeutil import date_range_problem, district_today

WEBSITE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)

NOTE_NEEDED = {
    Decision.APPROVED_WITH_CONDITIONS: "Write the conditions, in words the requester and the public understand.",
    Decision.NOT_APPROVED: "Say why the tool is not approved; the requester and the public read the reason.",
}


# --- who is written to ---------------------------------------------------------------------


def officer_recipients() -> list[str]:
    """Every active privacy officer, then the privacy office's address from the settings."""
    emails = db.session.scalars(
        select(User.email).where(User.role == Role.OFFICER, User.is_active_account.is_(True)).order_by(User.email)
    ).all()
    return [*emails, get_settings().privacy_office_email]


def requester_path(request_id: int) -> str:
    return current_app.url_map.bind("").build("intake.show", {"tool_request_id": request_id})


def staff_path(request_id: int) -> str:
    return current_app.url_map.bind("").build("intake_staff.show", {"tool_request_id": request_id})


def _notice(
    tr: ToolRequest, suffix: str, recipients: list[str], template: str, *, deliver: bool = False, **context: Any
) -> None:
    """Queue the notice `tool_request:<id>:<suffix>`; `deliver` sends it as soon as the unit commits."""
    notice = notices.queue_notice(
        f"tool_request:{tr.id}:{suffix}",
        recipients,
        template,
        {"tr": tr, "path": context.pop("path", requester_path(tr.id)), **context},
        subject_type=SUBJECT_TYPE,
        subject_id=tr.id,
    )
    if notice is not None and deliver:
        notice_id = notice.id
        after_commit(lambda: notices.deliver_queued(notice_ids=[notice_id]))


def request_label(tr: ToolRequest) -> str:
    return f"Tool request {tr.id} ({tr.name})"


# --- asking --------------------------------------------------------------------------------


@dataclass
class RequestDraft:
    """What a requester asks for (the form's cleaned data)."""

    name: str
    purpose: str
    school_ids: list[int] = field(default_factory=list)
    website: str = ""
    kind: str = DEFAULT_KIND  # a kind of product's slug
    grades: str = ""
    student_count: int | None = None
    cost_kind: CostKind | str = CostKind.UNKNOWN
    cost: str = ""
    data_needed: str = ""
    needed_by: date | None = None


def open_request_named(name: str) -> ToolRequest | None:
    """The open request for a tool of this name (compared by `name_key`), if there is one."""
    return db.session.scalar(
        select(ToolRequest).where(ToolRequest.name_key == name_key(name), ToolRequest.state.in_(OPEN_STATES))
    )


def _checked(draft: RequestDraft, today: date) -> dict[str, Any]:
    """The draft's values as stored; DomainError on the first field a person must correct."""
    name = clean_name(draft.name, field="name")
    if not name:
        raise DomainError("Enter the tool's name.", field="name")
    if len(name) > NAME_MAX:
        raise DomainError(f"The tool's name can be at most {NAME_MAX} characters.", field="name")
    website = (draft.website or "").strip()
    if website and (len(website) > URL_MAX or not WEBSITE.match(website)):
        raise DomainError("Enter the tool's website as an address starting with https://", field="website")
    purpose = (draft.purpose or "").strip()
    if not purpose:
        raise DomainError("Say what the tool is for: what students or staff would do with it.", field="purpose")
    if len(purpose) > TEXT_MAX:
        raise DomainError(f"Keep what the tool is for under {TEXT_MAX} characters.", field="purpose")
    try:
        kind = directory.kind_for_product(draft.kind) if draft.kind else None
    except DomainError:
        kind = None
    if kind is None:
        raise DomainError("Choose the kind of tool.", field="kind")
    schools = directory.schools_by_id(draft.school_ids, field="school_ids")
    if not schools:
        raise DomainError("Choose the school or schools that would use it.", field="school_ids")
    grades = (draft.grades or "").strip()
    if len(grades) > GRADES_MAX:
        raise DomainError(f"Keep the grades under {GRADES_MAX} characters.", field="grades")
    count = draft.student_count
    if count is not None and not 0 <= count <= STUDENTS_MAX:
        raise DomainError(f"Give roughly how many students, between 0 and {STUDENTS_MAX:,}.", field="student_count")
    cost_kind = CostKind(draft.cost_kind)
    cost = (draft.cost or "").strip()
    if cost_kind is CostKind.PAID and not cost:
        raise DomainError("Say roughly what it costs (per student, per year, or in total).", field="cost")
    if len(cost) > COST_MAX:
        raise DomainError(f"Keep the cost under {COST_MAX} characters.", field="cost")
    data_needed = (draft.data_needed or "").strip()
    if len(data_needed) > TEXT_MAX:
        raise DomainError(f"Keep the data it needs under {TEXT_MAX} characters.", field="data_needed")
    if draft.needed_by is not None:
        if problem := date_range_problem(draft.needed_by):
            raise DomainError(problem, field="needed_by")
        if draft.needed_by < today:
            raise DomainError("The date you need it by cannot be in the past.", field="needed_by")
    return {
        "name": name,
        "website": website,
        "purpose": purpose,
        "kind": kind,
        "schools": schools,
        "grades": grades,
        "student_count": count,
        "cost_kind": cost_kind,
        "cost": cost if cost_kind is CostKind.PAID else "",
        "data_needed": data_needed,
        "needed_by": draft.needed_by,
    }


def submit_request(draft: RequestDraft, *, actor: User, today: date | None = None) -> tuple[ToolRequest, bool]:
    """Ask for a tool. Returns (the request, whether it joined one already open for the same tool).

    A second request for the same tool joins the first: the requester is added and e-mailed;
    what they typed is kept in the audit event, so the officer reads it on the timeline.
    """
    today = today or district_today()
    values = _checked(draft, today)
    existing = open_request_named(values["name"])
    if existing is not None:
        return _join(existing, actor, values), True
    schools = values.pop("schools")
    tr = ToolRequest(**values, state=RequestState.NEW, opened_by_id=actor.id)
    tr.schools = schools
    tr.requesters = [ToolRequester(user_id=actor.id, is_opener=True)]
    known = db.session.scalars(select(Product).where(Product.name_key == tr.name_key).limit(2)).all()
    if len(known) == 1:  # the district already knows this tool: the officer starts from its product
        tr.product_id = known[0].id
    changes = audit.pending_changes(tr)
    changes["kind"] = [None, tr.kind.name]
    changes["schools"] = [[], [school.name for school in schools]]
    notices.begin_outer_transaction()
    try:
        with db.session.begin_nested():  # the database refuses a second open request for the tool here
            db.session.add(tr)
    except IntegrityError:
        existing = open_request_named(values["name"])
        if existing is None:
            raise
        return _join(existing, actor, {**values, "schools": schools}), True
    audit.record(actor, "tool_request.opened", tr, changes, label=request_label(tr))
    _notice(tr, "opened", officer_recipients(), "tool_request_opened", path=staff_path(tr.id))
    return tr, False


def join_request(tr: ToolRequest, *, actor: User) -> ToolRequest:
    """Add the requester to an open request for the tool they want (instead of opening another)."""
    return _join(tr, actor, {})


def _join(tr: ToolRequest, actor: User, values: dict[str, Any]) -> ToolRequest:
    if not tr.is_open:
        raise DomainError("That request is closed; it can no longer be joined.")
    if tr.has_requester(actor.id):
        raise DomainError(f"You already asked for {tr.name}: your request is {tr.state.label.lower()}.", field="name")
    tr.requesters.append(ToolRequester(user_id=actor.id, is_opener=False))
    db.session.flush()
    said = {
        key: [None, value]
        for key, value in (
            ("purpose", values.get("purpose")),
            ("schools", [school.name for school in values.get("schools", [])] or None),
            ("student_count", values.get("student_count")),
            ("needed_by", values["needed_by"].isoformat() if values.get("needed_by") else None),
        )
        if value
    }
    audit.record(actor, "tool_request.joined", tr, {"requester": [None, actor.email], **said}, label=request_label(tr))
    _notice(tr, f"joined:{actor.id}", [actor.email], "tool_request_joined", user=actor)
    return tr


def withdraw_request(tr: ToolRequest, reason: str, *, actor: User, version: int | None = None) -> ToolRequest:
    """A requester takes their request back: they leave it; the last one to leave withdraws it."""
    if not tr.has_requester(actor.id):
        raise DomainError("Only someone who asked for this tool can withdraw the request.")
    state.check_transition(tr, "withdraw")
    reason = (reason or "").strip()
    if len(reason) > TEXT_MAX:
        raise DomainError(f"Keep the reason under {TEXT_MAX} characters.", field="reason")
    others = [r for r in tr.requesters if r.user_id != actor.id]
    if others:
        mine = next(r for r in tr.requesters if r.user_id == actor.id)
        tr.requesters.remove(mine)
        db.session.flush()
        audit.record(actor, "tool_request.left", tr, {"requester": [actor.email, None]}, label=request_label(tr))
        return tr
    if version is not None and version != tr.version:
        raise DomainError("This request changed since you opened the page. Look at it again before withdrawing.")
    changes = state.transition(tr, "withdraw", state_reason=reason)
    audit.record(actor, "tool_request.withdrawn", tr, changes, label=request_label(tr))
    notices.cancel_queued(SUBJECT_TYPE, tr.id)
    return tr


# --- the privacy office --------------------------------------------------------------------


def link_product(
    tr: ToolRequest,
    *,
    actor: User,
    product_id: int | None = None,
    vendor_name: str = "",
    product_name: str = "",
) -> Product:
    """Say which product of the directory the request is about: an existing one, or a new one (and
    its vendor, when new too) created through the directory's services, under review."""
    if not tr.is_open:
        state.check_transition(tr, "decide")
    if product_id:
        product = db.session.get(Product, product_id)
        if product is None:
            raise DomainError("That product no longer exists. Reload the page and choose again.", field="product_id")
    else:
        vendor_name = (vendor_name or "").strip()
        product_name = (product_name or "").strip() or tr.name
        if not vendor_name:
            raise DomainError("Choose the product, or name the vendor of a new one.", field="vendor_name")
        vendor = db.session.scalar(select(Vendor).where(Vendor.name_key == name_key(vendor_name)))
        if vendor is None:
            vendor = directory.create_vendor(actor, name=vendor_name, website=tr.website)
        product = db.session.scalar(
            select(Product).where(Product.vendor_id == vendor.id, Product.name_key == name_key(product_name))
        )
        if product is None:
            product = directory.create_product(
                actor,
                vendor=vendor,
                school_ids=[],
                data_uses={},
                name=product_name,
                kind=None if tr.kind.is_retired else tr.kind,  # a kind retired since: the default one
                status=ProductStatus.UNDER_REVIEW,
                website=tr.website,
            )
    if tr.product_id == product.id:
        return product
    before = tr.product.name if tr.product else None
    tr.product_id = product.id
    tr.product = product
    db.session.flush()
    audit.record(
        actor,
        "tool_request.linked",
        tr,
        {"product": [before, f"{product.vendor.name}: {product.name}"]},
        label=request_label(tr),
    )
    return product


def invite_vendor(tr: ToolRequest, *, actor: User, email: str, name: str = "") -> None:
    """Invite the vendor's contact to declare the product's data (the portal's invitation when they
    have no account yet). A product whose declaration is already submitted needs no new invitation:
    the request is then ready to decide. Once the vendor's answers were accepted (for another request),
    inviting it again asks it to confirm or update them, and the request waits for it."""
    if tr.product is None:
        raise DomainError("First say which product the request is about.", field="email")
    state.check_transition(tr, "invite_vendor")
    declaration = declarations.invite(tr.product, actor=actor, email=email, name=name)
    audit.record(
        actor,
        "tool_request.vendor_invited",
        tr,
        {"vendor_contact": [None, declaration.contact.email]},
        label=request_label(tr),
    )
    if declarations.has_submitted(declaration):
        if state.can(tr, "declaration_submitted"):
            changes = state.transition(tr, "declaration_submitted")
            audit.record(None, "tool_request.declaration_arrived", tr, changes, label=request_label(tr))
    elif tr.state is not RequestState.WAITING_FOR_VENDOR:
        changes = state.transition(tr, "invite_vendor")
        audit.record(actor, "tool_request.waiting_for_vendor", tr, changes, label=request_label(tr))


def decide(
    tr: ToolRequest,
    decision: Decision | str,
    note: str,
    *,
    actor: User,
    accept_declaration: bool = False,
    version: int | None = None,
    today: date | None = None,
) -> ToolRequest:
    """The officer's decision. It becomes the product's public status (and note); accepting the
    declaration makes it the product's data uses. The requesters are e-mailed."""
    today = today or district_today()
    decision = Decision(decision)
    state.check_transition(tr, "decide")
    if version is not None and version != tr.version:
        raise DomainError("This request changed since you opened the page. Look at it again before deciding.")
    if tr.product is None:
        raise DomainError("First say which product the request is about.", field="decision")
    note = (note or "").strip()
    if decision in NOTE_NEEDED and not note:
        raise DomainError(NOTE_NEEDED[decision], field="note")
    if len(note) > NOTE_MAX:  # it becomes the product's public status note
        raise DomainError(f"Keep the note under {NOTE_MAX} characters.", field="note")
    product = tr.product
    if accept_declaration:
        declarations.accept(product, actor=actor, no_student_data=decision is Decision.APPROVED_NO_STUDENT_DATA)
    values: dict[str, Any] = {"status": decision.status, "status_note": note}
    if decision is not Decision.NOT_APPROVED:
        values["school_ids"] = sorted({s.id for s in product.schools} | {s.id for s in tr.schools})
    if decision is Decision.APPROVED_NO_STUDENT_DATA:
        values["data_uses"] = {}
    directory.update_product(product, actor, version=product.version, **values)
    changes = state.transition(
        tr, "decide", decision=decision, decision_note=note, decided_on=today, decided_by_id=actor.id
    )
    audit.record(actor, "tool_request.decided", tr, changes, label=request_label(tr))
    notices.cancel_queued(SUBJECT_TYPE, tr.id)
    _notice(
        tr,
        "decided",
        [r.user.email for r in tr.requesters],
        "tool_request_decided",
        deliver=True,
        decision=decision,
        note=note,
        product=product,
        product_path=current_app.url_map.bind("").build("directory.product", {"slug": product.slug}),
    )
    return tr
