"""Agreements: add, edit, renew and terminate, each one audited unit of work.

What the public sees of an agreement, and so what makes a disclosure revision (one per covered
product): that it was signed, its dates (signed, effective, expires, auto-renewal, termination),
its kind, which products it covers, renewal, and whether its signed document is published
(publishing or withdrawing the document is a public change: the PDF itself becomes visible or
not). Internal only (clearinghouse/visibility.py), so no revision: the reference, internal notes,
the destruction window, the termination reason, and an uploaded document that is not published.
A draft (not signed) is not public yet: it makes no revision until it is signed.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from clearinghouse.accounts.models import User
from clearinghouse.agreements.models import Agreement, AgreementKind, AgreementState
from clearinghouse.agreements.rules import term_problems, termination_problems
from clearinghouse.audit import services as audit
from clearinghouse.audit.wording import Wording, agreement_term
from clearinghouse.directory.models import Product, Vendor
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.locking import check_version, claim_version
from clearinghouse.storage import StoredFile, discard, store_pdf
from clearinghouse.timeutil import district_today, format_date


@dataclass
class AgreementInput:
    """What the agreement form (or an importer) gives the services; dates are district dates."""

    kind: AgreementKind = AgreementKind.NDPA
    reference: str = ""
    product_ids: list[int] = field(default_factory=list)
    signed_on: date | None = None
    effective_on: date | None = None
    expires_on: date | None = None
    is_open_ended: bool = False
    auto_renews: bool = False
    destruction_window_days: int | None = None
    is_document_published: bool = False
    internal_notes: str = ""
    document: FileStorage | None = None  # a new signed PDF, if one was chosen


def create_agreement(actor: User, vendor: Vendor, data: AgreementInput, *, today: date | None = None) -> Agreement:
    """Add an agreement with a vendor, covering some of its products, with its signed PDF if given.

    Raises DomainError for dates out of order, a product of another vendor, a duplicate reference,
    publishing without a document, or a file that is not a real PDF (then nothing is stored).
    """
    today = today or district_today()
    products = _check(vendor, data, today=today, has_document=False)
    with _files_removed_on_failure() as stored, unit_of_work():
        agreement = Agreement(vendor_id=vendor.id, vendor=vendor)
        db.session.add(agreement)
        _apply(agreement, data, products)
        document_changes = _attach_document(agreement, data.document, stored)
        changes = {**audit.pending_changes(agreement), **document_changes}
        changes["products"] = [[], sorted(p.name for p in products)]
        db.session.flush()  # a whole flush: flushing the agreement alone would write its products twice
        audit.record(actor, "agreement.created", agreement, changes, label=label(agreement))
        _disclose(agreement, None, today)
    return agreement


def update_agreement(
    agreement: Agreement, actor: User, data: AgreementInput, *, version: int | None, today: date | None = None
) -> Agreement:
    """Save the edit form. The vendor stays. Raises StaleVersion when someone saved the agreement
    after this form was drawn, or DomainError as create_agreement does."""
    today = today or district_today()
    check_version(agreement, version)
    products = _check(
        agreement.vendor, data, today=today, has_document=agreement.document_id is not None, exclude_id=agreement.id
    )
    before = _public_facts(agreement)
    with _files_removed_on_failure() as stored, unit_of_work():
        claim_version(agreement, version)
        _apply(agreement, data, products)
        document_changes = _attach_document(agreement, data.document, stored)
        changes = {**audit.pending_changes(agreement), **document_changes}
        names_before, names_after = sorted(before["products"].values()), sorted(p.name for p in products)
        if names_before != names_after:
            changes["products"] = [names_before, names_after]
        if changes:
            audit.record(actor, "agreement.updated", agreement, changes, label=label(agreement))
            _disclose(agreement, before, today)
    return agreement


def renew_agreement(
    predecessor: Agreement, actor: User, data: AgreementInput, *, version: int | None, today: date | None = None
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
    with _files_removed_on_failure() as stored, unit_of_work():
        claim_version(predecessor, version)
        successor = Agreement(vendor_id=predecessor.vendor_id, vendor=predecessor.vendor)
        db.session.add(successor)
        _apply(successor, data, products)
        document_changes = _attach_document(successor, data.document, stored)
        changes = {**audit.pending_changes(successor), **document_changes}
        changes["products"] = [[], sorted(p.name for p in products)]
        changes["renews_id"] = [None, predecessor.id]
        db.session.flush()
        audit.record(actor, "agreement.created", successor, changes, label=label(successor))
        predecessor.renewed_by_id = successor.id
        predecessor.auto_renews = False
        audit.record(
            actor, "agreement.renewed", predecessor, audit.pending_changes(predecessor), label=label(predecessor)
        )
        _disclose(successor, None, today, renewal=True)
    return successor


def terminate_agreement(
    agreement: Agreement,
    actor: User,
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
    before = _public_facts(agreement)
    with unit_of_work():
        claim_version(agreement, version)
        agreement.terminated_on = terminated_on
        agreement.termination_reason = reason.strip()
        audit.record(actor, "agreement.terminated", agreement, audit.pending_changes(agreement), label=label(agreement))
        _disclose(agreement, before, today)
    return agreement


def label(agreement: Agreement) -> str:
    """How the audit log names an agreement."""
    reference = f" “{agreement.reference}”" if agreement.reference else ""
    return f"{agreement.vendor.name}: {agreement.kind.label}{reference}"


# --- rules --------------------------------------------------------------------------------


def _check(
    vendor: Vendor, data: AgreementInput, *, today: date, has_document: bool, exclude_id: int | None = None
) -> list[Product]:
    """Every rule that can be checked before writing; returns the covered products."""
    problems = term_problems(
        signed_on=data.signed_on,
        effective_on=data.effective_on,
        expires_on=data.expires_on,
        is_open_ended=data.is_open_ended,
        today=today,
    )
    if problems:
        raise DomainError(problems[0][1], field=problems[0][0])
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
    return _products(vendor, data.product_ids)


def _products(vendor: Vendor, product_ids: list[int]) -> list[Product]:
    ids = set(product_ids)
    if not ids:
        return []
    products = list(db.session.scalars(select(Product).where(Product.id.in_(ids)).order_by(Product.name)))
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


# --- writing ------------------------------------------------------------------------------


def _apply(agreement: Agreement, data: AgreementInput, products: list[Product]) -> None:
    """Set only what differs, so the audit entry lists real changes."""
    values: dict[str, Any] = {
        "kind": AgreementKind(data.kind),
        "reference": data.reference.strip(),
        "signed_on": data.signed_on,
        "effective_on": data.effective_on,
        "expires_on": None if data.is_open_ended else data.expires_on,
        "auto_renews": bool(data.auto_renews),
        "destruction_window_days": data.destruction_window_days,
        "is_document_published": bool(data.is_document_published),
        "internal_notes": data.internal_notes.strip(),
    }
    for key, value in values.items():
        if getattr(agreement, key) != value:
            setattr(agreement, key, value)
    if {p.id for p in agreement.products} != {p.id for p in products}:
        agreement.products = products


def _attach_document(agreement: Agreement, upload: FileStorage | None, stored: list[StoredFile]) -> dict[str, list]:
    """Store a newly chosen PDF (checked by store_pdf) and point the agreement at it."""
    if upload is None:
        return {}
    previous = agreement.document.original_name if agreement.document_id else None
    document = store_pdf(upload.stream, upload.filename, field="document")
    stored.append(document)
    db.session.flush([document])
    agreement.document_id = document.id
    agreement.document = document
    return {"document": [previous, document.original_name]}


@contextmanager
def _files_removed_on_failure() -> Iterator[list[StoredFile]]:
    """A file written before its record commits is deleted again if the unit of work fails."""
    stored: list[StoredFile] = []
    try:
        yield stored
    except BaseException:
        for document in stored:
            discard(document.storage_key)
        raise


# --- disclosure revisions -----------------------------------------------------------------


def _public_facts(agreement: Agreement) -> dict[str, Any]:
    return {
        "kind": agreement.kind,
        "signed_on": agreement.signed_on,
        "effective_on": agreement.effective_on,
        "expires_on": agreement.expires_on,
        "auto_renews": agreement.auto_renews,
        "terminated_on": agreement.terminated_on,
        "published_document_id": agreement.document_id if agreement.is_document_published else None,
        "products": {p.id: p.name for p in agreement.products},
    }


def _term(agreement: Agreement) -> dict[str, Any]:
    """The facts of when the agreement is in effect, for the wording of its revisions."""
    return agreement_term(agreement.effective_on, agreement.expires_on, agreement.auto_renews)


def _disclose(agreement: Agreement, before: dict[str, Any] | None, today: date, *, renewal: bool = False) -> None:
    """One revision per covered product for each public change (or one for the vendor if none)."""
    after = _public_facts(agreement)
    if after["signed_on"] is None:
        return  # a draft is not public yet
    vendor = agreement.vendor.name
    products = sorted(agreement.products, key=lambda p: p.name)
    details = {"agreement_id": agreement.id}
    if renewal:
        expires_on = agreement.expires_on.isoformat() if agreement.expires_on else None
        _each(
            agreement,
            products,
            "agreement.renewed",
            Wording("agreement.renewed", vendor=vendor, expires_on=expires_on),
            details,
        )
    elif before is None or before["signed_on"] is None:
        _each(
            agreement,
            products,
            "agreement.signed",
            Wording("agreement.signed", vendor=vendor, kind=agreement.kind.value, **_term(agreement)),
            details,
        )
    else:
        if before["terminated_on"] is None and after["terminated_on"] is not None:
            _each(
                agreement,
                products,
                "agreement.terminated",
                Wording(
                    "agreement.terminated",
                    vendor=vendor,
                    ended_on=after["terminated_on"].isoformat(),
                    will_end=after["terminated_on"] > today,
                ),
                details,
            )
        dates = ("signed_on", "effective_on", "expires_on", "auto_renews")
        if any(before[key] != after[key] for key in dates):
            _each(
                agreement,
                products,
                "agreement.dates_changed",
                Wording("agreement.dates_changed", vendor=vendor, **_term(agreement)),
                {**details, "before": _plain(before, dates), "after": _plain(after, dates)},
            )
        if before["kind"] != after["kind"]:
            _each(
                agreement,
                products,
                "agreement.kind_changed",
                Wording("agreement.kind_changed", vendor=vendor, kind=agreement.kind.value),
                details,
            )
        added = [p for p in products if p.id not in before["products"]]
        for product in added:
            audit.disclose(
                agreement.vendor_id,
                "agreement.product_added",
                Wording("agreement.product_added", product=product.name, vendor=vendor, **_term(agreement)),
                product_id=product.id,
                **details,
            )
        for product_id, name in sorted(before["products"].items(), key=lambda item: item[1]):
            if product_id not in after["products"]:
                audit.disclose(
                    agreement.vendor_id,
                    "agreement.product_removed",
                    Wording("agreement.product_removed", product=name, vendor=vendor),
                    product_id=product_id,
                    **details,
                )
    published_before = before["published_document_id"] if before else None
    if after["published_document_id"] != published_before:
        if after["published_document_id"] is not None:
            _each(
                agreement,
                products,
                "agreement.document_published",
                Wording("agreement.document_published", vendor=vendor),
                details,
            )
        else:
            _each(
                agreement,
                products,
                "agreement.document_withdrawn",
                Wording("agreement.document_withdrawn", vendor=vendor),
                details,
            )


def _plain(facts: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """Facts as JSON-safe values for a revision's details."""
    return {key: facts[key].isoformat() if isinstance(facts[key], date) else facts[key] for key in keys}


def _each(agreement: Agreement, products: list[Product], kind: str, wording: Wording, details: dict[str, Any]) -> None:
    if not products:
        audit.disclose(agreement.vendor_id, kind, wording, **details)
    for product in products:
        audit.disclose(agreement.vendor_id, kind, wording.about_product(product.name), product_id=product.id, **details)
