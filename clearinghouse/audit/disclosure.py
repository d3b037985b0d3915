"""What the public sees of a product, and plain-language revisions when that changes.

Services snapshot a product before and after a change and call `disclose_changes`; changes to
internal-only fields (notes, versions, timestamps) make no revision.
"""

from typing import Any

from clearinghouse.audit.models import DisclosureRevision
from clearinghouse.audit.services import disclose
from clearinghouse.directory.models import Product, ProductKind, ProductStatus


def public_snapshot(product: Product) -> dict[str, Any]:
    """The public facts of a product's disclosure, comparable with ==."""
    return {
        "name": product.name,
        "status": product.status.value if product.status else None,
        "kind": product.kind.value if product.kind else None,
        "purpose": (product.purpose_md or "").strip(),
        "website": product.website or "",
        "grade_bands": product.grade_bands or "",
        "schools": sorted(school.name for school in product.schools),
        "data_uses": {use.element.name: (use.purpose or "").strip() for use in product.data_uses},
    }


def describe_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, summary) pairs, one for each public change, in words a parent understands."""
    if before is None:
        uses = ", ".join(sorted(after["data_uses"])) or "no student data"
        return [("product.added", f"{after['name']} was added to the directory. It receives: {uses}.")]
    changes: list[tuple[str, str]] = []
    name = after["name"]
    if before["name"] != after["name"]:
        changes.append(("product.renamed", f"{before['name']} is now called {after['name']}."))
    if before["status"] != after["status"]:
        old = ProductStatus(before["status"]).label if before["status"] else "none"
        new = ProductStatus(after["status"]).label if after["status"] else "none"
        changes.append(("status.changed", f"{name}: status changed from {old} to {new}."))
    if before["kind"] != after["kind"]:
        changes.append(("kind.changed", f"{name} is now listed as {ProductKind(after['kind']).label}."))
    if before["purpose"] != after["purpose"]:
        changes.append(("purpose.changed", f"{name}: the description of why it is used was reworded."))
    if before["website"] != after["website"]:
        changes.append(("website.changed", f"{name}: website changed to {after['website'] or 'none'}."))
    old_uses, new_uses = before["data_uses"], after["data_uses"]
    for element in sorted(set(new_uses) - set(old_uses)):
        purpose = f" ({new_uses[element]})" if new_uses[element] else ""
        changes.append(("data_use.added", f"{name} now receives {element}{purpose}."))
    for element in sorted(set(old_uses) - set(new_uses)):
        changes.append(("data_use.removed", f"{name} no longer receives {element}."))
    for element in sorted(set(old_uses) & set(new_uses)):
        if old_uses[element] != new_uses[element]:
            changes.append(("data_use.purpose_changed", f"{name}: why it receives {element} was reworded."))
    if before["schools"] != after["schools"] or before["grade_bands"] != after["grade_bands"]:
        schools = ", ".join(after["schools"]) or "no schools listed"
        changes.append(("schools.changed", f"{name}: now used at {schools}."))
    return changes


def disclose_changes(product: Product, before: dict[str, Any] | None) -> list[DisclosureRevision]:
    """Add one revision per public change since `before` (None: the product is new)."""
    after = public_snapshot(product)
    return [
        disclose(product.vendor_id, kind, summary, product_id=product.id, before=_part(before, kind), after=_part(after, kind))
        for kind, summary in describe_changes(before, after)
    ]


def _part(snapshot: dict[str, Any] | None, kind: str) -> Any:
    if snapshot is None:
        return None
    key = {"data_use": "data_uses", "purpose": "purpose", "status": "status", "schools": "schools"}.get(
        kind.split(".")[0]
    )
    return snapshot.get(key) if key else None
