"""What the public sees of an agreement, and plain-language disclosure revisions when that changes.

The public facts of an agreement: that it was signed, its dates (signed, effective, expires,
auto-renewal, termination), its kind, which products it covers, renewal, and whether its signed
document is published (publishing or withdrawing the document is a public change: the PDF itself
becomes visible or not), and what happens to the data at the end: the disposal method and the
number of days the company has (the agreement's window, else the district's), which the product
page tells families before the fact. Internal only (clearinghouse/visibility.py), so no revision:
the reference, internal notes, the termination reason, and an uploaded document that is not
published. A draft (not signed) is not public yet: it makes no revision until it is signed.
An agreement on file whose dates are not recorded is public ("on file"); recording its dates later
reads as its signing.

Services take `public_facts` before a change and call `disclose_changes` after it; each public
change becomes one revision per covered product (or one for the vendor when it covers none).
The district's default disposal window is part of what every agreement without its own window
says, so changing it discloses a change for each of them (`disclose_district_window_change`).
"""

from datetime import date
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload, selectinload

from clearinghouse.agreements.models import Agreement, AgreementState
from clearinghouse.agreements.state import state_in
from clearinghouse.audit.services import disclose
from clearinghouse.audit.wording import Wording, agreement_term
from clearinghouse.destruction.models import DestructionRequest
from clearinghouse.directory.models import Product
from clearinghouse.extensions import db
from clearinghouse.settings.queries import get_settings

# The states in which a product page tells families the disposal window before the fact
# (templates/directory/_end_of_data.html): signed and dated, not replaced, no directive issued yet.
_SAYS_ITS_WINDOW = (
    AgreementState.UPCOMING,
    AgreementState.ACTIVE,
    AgreementState.EXPIRING,
    AgreementState.EXPIRED,
    AgreementState.TERMINATED,
)


def public_facts(agreement: Agreement) -> dict[str, Any]:
    """The public facts of an agreement, comparable with ==."""
    return {
        "kind": agreement.kind,
        "dates_recorded": agreement.dates_recorded is not False,
        "signed_on": agreement.signed_on,
        "effective_on": agreement.effective_on,
        "expires_on": agreement.expires_on,
        "auto_renews": agreement.auto_renews,
        "terminated_on": agreement.terminated_on,
        "published_document_id": agreement.document_id if agreement.is_document_published else None,
        "products": {p.id: p.name for p in agreement.products},
        "disposal_method": agreement.disposal_method.value if agreement.disposal_method else None,
        "disposal_days": agreement.destruction_window(get_settings().default_destruction_window_days),
    }


def term(agreement: Agreement) -> dict[str, Any]:
    """The facts of when the agreement is in effect, for the wording of its revisions."""
    return agreement_term(agreement.effective_on, agreement.expires_on, agreement.auto_renews)


def disclose_changes(
    agreement: Agreement, before: dict[str, Any] | None, today: date, *, renewal: bool = False
) -> None:
    """One revision per covered product for each public change (or one for the vendor if none)."""
    after = public_facts(agreement)
    if not _is_public(after):
        return  # a draft is not public yet
    vendor = agreement.vendor.name
    products = sorted(agreement.products, key=lambda p: p.name)
    details = {"agreement_id": agreement.id}
    if not after["dates_recorded"] and (before is None or before["dates_recorded"] or not _is_public(before)):
        _each(
            agreement,
            products,
            "agreement.on_file",
            Wording("agreement.on_file", vendor=vendor, kind=agreement.kind.value),
            details,
        )
        _removed(agreement, before, after, details)
    elif before is not None and _is_public(before) and not before["dates_recorded"] and after["dates_recorded"]:
        _each(  # its dates are now recorded
            agreement,
            products,
            "agreement.signed",
            Wording("agreement.signed", vendor=vendor, kind=agreement.kind.value, **term(agreement)),
            details,
        )
        _removed(agreement, before, after, details)
    elif renewal:
        expires_on = agreement.expires_on.isoformat() if agreement.expires_on else None
        _each(
            agreement,
            products,
            "agreement.renewed",
            Wording("agreement.renewed", vendor=vendor, expires_on=expires_on),
            details,
        )
    elif before is None or not _is_public(before):
        _each(
            agreement,
            products,
            "agreement.signed",
            Wording("agreement.signed", vendor=vendor, kind=agreement.kind.value, **term(agreement)),
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
                Wording("agreement.dates_changed", vendor=vendor, **term(agreement)),
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
        disposal = ("disposal_method", "disposal_days")
        if any(before[key] != after[key] for key in disposal):
            _each(
                agreement,
                products,
                "agreement.disposal_changed",
                Wording(
                    "agreement.disposal_changed",
                    vendor=vendor,
                    method=after["disposal_method"],
                    days=after["disposal_days"],
                ),
                {**details, "before": _plain(before, disposal), "after": _plain(after, disposal)},
            )
        added = [p for p in products if p.id not in before["products"]]
        for product in added:
            if after["dates_recorded"]:
                wording = Wording("agreement.product_added", product=product.name, vendor=vendor, **term(agreement))
            else:
                wording = Wording("agreement.on_file", vendor=vendor, kind=agreement.kind.value).about_product(
                    product.name
                )
            disclose(agreement.vendor_id, "agreement.product_added", wording, product_id=product.id, **details)
        _removed(agreement, before, after, details)
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


def disclose_district_window_change(before_days: int, after_days: int, today: date) -> None:
    """The district changed its default disposal window: each agreement that sets none and whose
    product pages say the window (`_SAYS_ITS_WINDOW`, no destruction directive yet) discloses an
    `agreement.disposal_changed`, worded and detailed as a change of the agreement's own window is."""
    if before_days == after_days:
        return
    agreements = db.session.scalars(
        select(Agreement)
        .where(
            Agreement.destruction_window_days.is_(None),
            state_in(Agreement, today, _SAYS_ITS_WINDOW),
            ~exists().where(DestructionRequest.agreement_id == Agreement.id),
        )
        .options(joinedload(Agreement.vendor), selectinload(Agreement.products))
        .order_by(Agreement.id)
    )
    for agreement in agreements:
        method = agreement.disposal_method.value if agreement.disposal_method else None
        _each(
            agreement,
            sorted(agreement.products, key=lambda p: p.name),
            "agreement.disposal_changed",
            Wording("agreement.disposal_changed", vendor=agreement.vendor.name, method=method, days=after_days),
            {
                "agreement_id": agreement.id,
                "before": {"disposal_method": method, "disposal_days": before_days},
                "after": {"disposal_method": method, "disposal_days": after_days},
            },
        )


def _is_public(facts: dict[str, Any]) -> bool:
    """Signed, or on file with its dates not recorded: not a draft."""
    return facts["signed_on"] is not None or not facts.get("dates_recorded", True)


def _removed(agreement: Agreement, before: dict[str, Any] | None, after: dict[str, Any], details: dict) -> None:
    """A revision for each product the agreement no longer covers."""
    if before is None or not _is_public(before):
        return
    for product_id, name in sorted(before["products"].items(), key=lambda item: item[1]):
        if product_id not in after["products"]:
            disclose(
                agreement.vendor_id,
                "agreement.product_removed",
                Wording("agreement.product_removed", product=name, vendor=agreement.vendor.name),
                product_id=product_id,
                **details,
            )


def _plain(facts: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """Facts as JSON-safe values for a revision's details."""
    return {key: facts[key].isoformat() if isinstance(facts[key], date) else facts[key] for key in keys}


def _each(agreement: Agreement, products: list[Product], kind: str, wording: Wording, details: dict[str, Any]) -> None:
    if not products:
        disclose(agreement.vendor_id, kind, wording, **details)
    for product in products:
        disclose(agreement.vendor_id, kind, wording.about_product(product.name), product_id=product.id, **details)
