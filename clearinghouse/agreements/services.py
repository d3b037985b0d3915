"""Agreements: add, edit, renew and terminate.

The write functions here are cores: each checks its rules and raises `DomainError` before
writing, writes, flushes, records the audit event and the public disclosure revisions
(`agreements.disclosure`), and never commits. The caller wraps them in `unit_of_work()` (a view,
the importer, the demo loader); a signed PDF written for a unit of work that then rolls back is
deleted again (`store_pdf`). `actor` is None when the system acts.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from clearinghouse.accounts.models import User
from clearinghouse.agreements.disclosure import disclose_changes, public_facts
from clearinghouse.agreements.models import Agreement, AgreementKind, AgreementState, DataDisposal
from clearinghouse.agreements.rules import term_problems, termination_problems
from clearinghouse.audit import services as audit
from clearinghouse.directory.models import Product, Vendor
from clearinghouse.errors import DomainError, ItemRefused, refused
from clearinghouse.extensions import db
from clearinghouse.locking import check_version, claim_version
from clearinghouse.models_base import same_columns
from clearinghouse.storage import store_pdf
from clearinghouse.timeutil import district_today, format_date

ID_CHUNK = 500  # ids asked about in one query (SQLite's bound parameters are limited)


@dataclass
class AgreementInput:
    """What the agreement form (or the importer, or the demo loader) gives the services; dates are district dates."""

    kind: AgreementKind = AgreementKind.NDPA
    reference: str = ""
    product_ids: list[int] = field(default_factory=list)
    dates_recorded: bool = True  # False: on file, dates not recorded (then no dates at all)
    signed_on: date | None = None
    effective_on: date | None = None
    expires_on: date | None = None
    is_open_ended: bool = False
    auto_renews: bool = False
    destruction_window_days: int | None = None
    disposal_method: DataDisposal | None = None
    is_document_published: bool = False
    internal_notes: str = ""
    destruction_not_requested: bool = False  # ended before it was recorded; the officer asked for no request
    document: FileStorage | None = None  # a new signed PDF, if one was chosen

    @classmethod
    def of(cls, agreement: Agreement) -> "AgreementInput":
        """The agreement as it is now, to change a few things and save (no new document)."""
        return cls(
            kind=agreement.kind,
            reference=agreement.reference,
            product_ids=[product.id for product in agreement.products],
            dates_recorded=agreement.dates_recorded is not False,
            signed_on=agreement.signed_on,
            effective_on=agreement.effective_on,
            expires_on=agreement.expires_on,
            is_open_ended=agreement.expires_on is None and agreement.dates_recorded is not False,
            auto_renews=agreement.auto_renews,
            destruction_window_days=agreement.destruction_window_days,
            disposal_method=agreement.disposal_method,
            is_document_published=agreement.is_document_published,
            internal_notes=agreement.internal_notes,
            destruction_not_requested=agreement.destruction_not_requested,
        )


def create_agreement(
    actor: User | None, vendor: Vendor, data: AgreementInput, *, today: date | None = None
) -> Agreement:
    """Add an agreement with a vendor, covering some of its products, with its signed PDF if given.

    Raises DomainError for dates out of order, a product of another vendor, a duplicate reference,
    publishing without a document, or a file that is not a real PDF (then nothing is stored).
    """
    try:
        return create_agreements(actor, [(vendor, data)], today=today)[0]
    except ItemRefused as err:
        raise DomainError(err.message, field=err.field) from None


def create_agreements(
    actor: User | None, items: list[tuple[Vendor, AgreementInput]], *, today: date | None = None
) -> list[Agreement]:
    """Add agreements, each exactly as `create_agreement` adds one (the same rules, rows, audit event
    and disclosure revisions), all checked before any is written and written in one flush; the
    products they cover are read in one query. Raises ItemRefused (the DomainError create_agreement
    would raise, and the item's index)."""
    if not items:
        return []
    today = today or district_today()
    known = _products_by_id({pid for _vendor, data in items for pid in data.product_ids})
    covered = []
    for index, (vendor, data) in enumerate(items):
        with refused(index):
            covered.append(_check(vendor, data, today=today, has_document=False, known=known))
    created: list[tuple[Agreement, dict[str, list]]] = []
    for (vendor, data), products in zip(items, covered, strict=True):
        agreement = Agreement(vendor_id=vendor.id, vendor=vendor)
        db.session.add(agreement)
        _apply(agreement, data, products)
        document_changes = _attach_document(agreement, data.document)
        changes = {**audit.pending_changes(agreement), **document_changes}
        changes["products"] = [[], sorted(p.name for p in products)]
        created.append((agreement, changes))
    same_columns([agreement for agreement, _changes in created])
    db.session.flush()  # a whole flush: flushing an agreement alone would write its products twice
    with db.session.no_autoflush:  # the events and revisions are written together, at the next flush
        for agreement, changes in created:
            audit.record(actor, "agreement.created", agreement, changes, label=label(agreement))
            disclose_changes(agreement, None, today)
    return [agreement for agreement, _changes in created]


def update_agreement(
    agreement: Agreement, actor: User | None, data: AgreementInput, *, version: int | None, today: date | None = None
) -> Agreement:
    """Save the edit form. The vendor stays. Raises StaleVersion when someone saved the agreement
    after this form was drawn, or DomainError as create_agreement does."""
    today = today or district_today()
    check_version(agreement, version)
    products = _check(
        agreement.vendor, data, today=today, has_document=agreement.document_id is not None, exclude_id=agreement.id
    )
    before = public_facts(agreement)
    claim_version(agreement, version)
    _apply(agreement, data, products)
    document_changes = _attach_document(agreement, data.document)
    changes = {**audit.pending_changes(agreement), **document_changes}
    names_before, names_after = sorted(before["products"].values()), sorted(p.name for p in products)
    if names_before != names_after:
        changes["products"] = [names_before, names_after]
    db.session.flush()
    if changes:
        audit.record(actor, "agreement.updated", agreement, changes, label=label(agreement))
        disclose_changes(agreement, before, today)
    return agreement


def renew_agreement(
    predecessor: Agreement,
    actor: User | None,
    data: AgreementInput,
    *,
    version: int | None,
    today: date | None = None,
) -> Agreement:
    """Record the signed successor of an agreement and link the two (predecessor.renewed_by).

    The predecessor stops renewing itself: once its term ends it is "renewed", so no destruction
    request is opened for it. Raises DomainError when it is a draft, terminated or already renewed,
    when the renewal is unsigned or does not take effect after the predecessor did, or as
    create_agreement does; StaleVersion when the predecessor changed meanwhile.
    """
    today = today or district_today()
    check_version(predecessor, version)
    if predecessor.renewed_by_id is not None:
        raise DomainError("This agreement has already been renewed. Open its renewal to change it.")
    if predecessor.dates_recorded is False:
        raise DomainError("Record this agreement's dates before renewing it: edit it and enter them.")
    if predecessor.signed_on is None:
        raise DomainError("A draft agreement can't be renewed. Edit the draft instead.")
    if predecessor.terminated_on is not None:
        raise DomainError("A terminated agreement can't be renewed. Add a new agreement with this vendor instead.")
    if data.signed_on is None:
        raise DomainError("Enter the day the renewal was signed.", field="signed_on")
    products = _check(predecessor.vendor, data, today=today, has_document=False)
    if predecessor.effective_on is not None and data.effective_on <= predecessor.effective_on:
        raise DomainError(
            f"The renewal must take effect after the current agreement did ({format_date(predecessor.effective_on)}).",
            field="effective_on",
        )
    claim_version(predecessor, version)
    successor = Agreement(vendor_id=predecessor.vendor_id, vendor=predecessor.vendor)
    db.session.add(successor)
    _apply(successor, data, products)
    document_changes = _attach_document(successor, data.document)
    changes = {**audit.pending_changes(successor), **document_changes}
    changes["products"] = [[], sorted(p.name for p in products)]
    changes["renews_id"] = [None, predecessor.id]
    db.session.flush()
    audit.record(actor, "agreement.created", successor, changes, label=label(successor))
    predecessor.renewed_by_id = successor.id
    predecessor.auto_renews = False
    audit.record(actor, "agreement.renewed", predecessor, audit.pending_changes(predecessor), label=label(predecessor))
    disclose_changes(successor, None, today, renewal=True)
    db.session.flush()
    return successor


def terminate_agreement(
    agreement: Agreement,
    actor: User | None,
    *,
    version: int | None,
    terminated_on: date | None,
    reason: str,
    today: date | None = None,
) -> Agreement:
    """End an agreement early, on a date (today, past or future) with a reason.

    Raises DomainError when it is a draft, already ended or already terminated, when the date is
    before it took effect or after its term ends, or without a reason; StaleVersion as above.
    """
    today = today or district_today()
    check_version(agreement, version)
    if agreement.dates_recorded is False:
        raise DomainError("Record this agreement's dates before ending it: edit it and enter them.")
    if agreement.signed_on is None:
        raise DomainError("A draft was never in force, so there is nothing to terminate. Edit the draft instead.")
    if agreement.terminated_on is not None:
        raise DomainError(f"This agreement was already terminated, as of {format_date(agreement.terminated_on)}.")
    state = agreement.state_on(today)
    if state in (AgreementState.EXPIRED, AgreementState.RENEWED):
        raise DomainError(
            f"This agreement already ended on {format_date(agreement.ended_on(today))}, so it can't be terminated."
        )
    problems = termination_problems(
        terminated_on=terminated_on, reason=reason, starts_on=agreement.effective_on or agreement.signed_on
    )
    if problems:
        raise DomainError(problems[0][1], field=problems[0][0])
    term_end = agreement.term_ends_on(today)
    if term_end is not None and not agreement.auto_renews and terminated_on > term_end:
        raise DomainError(
            f"This agreement expires on {format_date(term_end)}; a termination must be on or before that day.",
            field="terminated_on",
        )
    before = public_facts(agreement)
    claim_version(agreement, version)
    agreement.terminated_on = terminated_on
    agreement.termination_reason = reason.strip()
    audit.record(actor, "agreement.terminated", agreement, audit.pending_changes(agreement), label=label(agreement))
    disclose_changes(agreement, before, today)
    db.session.flush()
    return agreement


def label(agreement: Agreement) -> str:
    """How the audit log names an agreement."""
    reference = f" “{agreement.reference}”" if agreement.reference else ""
    return f"{agreement.vendor.name}: {agreement.kind.label}{reference}"


# --- rules --------------------------------------------------------------------------------


def _check(
    vendor: Vendor,
    data: AgreementInput,
    *,
    today: date,
    has_document: bool,
    exclude_id: int | None = None,
    known: dict[int, Product] | None = None,
) -> list[Product]:
    """Every rule that can be checked before writing; returns the covered products (read from `known`,
    the products by id, when given)."""
    problems = term_problems(
        signed_on=data.signed_on,
        effective_on=data.effective_on,
        expires_on=data.expires_on,
        is_open_ended=data.is_open_ended,
        today=today,
        dates_recorded=data.dates_recorded,
    )
    if problems:
        raise DomainError(problems[0][1], field=problems[0][0])
    if not data.dates_recorded and data.auto_renews:
        raise DomainError(
            "An agreement whose dates are not recorded can't renew itself. Untick “Renews automatically”, "
            "or record its dates.",
            field="auto_renews",
        )
    if data.destruction_window_days is not None and not 0 <= data.destruction_window_days <= 3650:
        raise DomainError(
            "The destruction window is a number of days between 0 and 3650.", field="destruction_window_days"
        )
    if data.is_document_published and data.document is None and not has_document:
        raise DomainError(
            "Choose the signed PDF to publish, or untick “Publish the signed document”.", field="is_document_published"
        )
    reference = data.reference.strip()
    if reference:
        stmt = select(Agreement.id).where(
            Agreement.vendor_id == vendor.id, func.lower(Agreement.reference) == reference.lower()
        )
        if exclude_id is not None:
            stmt = stmt.where(Agreement.id != exclude_id)
        if db.session.scalar(stmt.limit(1)) is not None:
            raise DomainError(
                f"{vendor.name} already has an agreement with the reference “{reference}”. Use a different reference.",
                field="reference",
            )
    ids = set(data.product_ids)
    if known is None:
        known = _products_by_id(ids)
    products = sorted((known[pid] for pid in ids if pid in known), key=lambda product: product.name)
    if len(products) != len(ids):
        raise DomainError(
            "One of the chosen products no longer exists. Reload the page and choose again.", field="product_ids"
        )
    for product in products:
        if product.vendor_id != vendor.id:
            raise DomainError(
                f"{product.name} is not one of {vendor.name}'s products. "
                "An agreement can only cover its own vendor's products.",
                field="product_ids",
            )
    return products


def _products_by_id(ids: set[int]) -> dict[int, Product]:
    """The products with these ids, in one query per ID_CHUNK of them."""
    found: dict[int, Product] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), ID_CHUNK):
        stmt = select(Product).where(Product.id.in_(wanted[start : start + ID_CHUNK]))
        found.update((product.id, product) for product in db.session.scalars(stmt))
    return found


# --- writing ------------------------------------------------------------------------------


def _apply(agreement: Agreement, data: AgreementInput, products: list[Product]) -> None:
    """Set only what differs, so the audit entry lists real changes."""
    values: dict[str, Any] = {
        "kind": AgreementKind(data.kind),
        "reference": data.reference.strip(),
        "dates_recorded": bool(data.dates_recorded),
        "signed_on": data.signed_on,
        "effective_on": data.effective_on,
        "expires_on": None if data.is_open_ended else data.expires_on,
        "auto_renews": bool(data.auto_renews),
        "destruction_window_days": data.destruction_window_days,
        "disposal_method": DataDisposal(data.disposal_method) if data.disposal_method else None,
        "is_document_published": bool(data.is_document_published),
        "internal_notes": data.internal_notes.strip(),
        "destruction_not_requested": bool(data.destruction_not_requested),
    }
    for key, value in values.items():
        if getattr(agreement, key) != value:
            setattr(agreement, key, value)
    if {p.id for p in agreement.products} != {p.id for p in products}:
        agreement.products = products


def _attach_document(agreement: Agreement, upload: FileStorage | None) -> dict[str, list]:
    """Store a newly chosen PDF (checked by store_pdf) and point the agreement at it."""
    if upload is None:
        return {}
    previous = agreement.document.original_name if agreement.document_id else None
    document = store_pdf(upload.stream, upload.filename, field="document")
    db.session.flush([document])
    agreement.document_id = document.id
    agreement.document = document
    return {"document": [previous, document.original_name]}
