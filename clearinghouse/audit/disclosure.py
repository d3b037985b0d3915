"""What the public sees of a product, and plain-language revisions when that changes.

Services snapshot a product before and after a change and call `disclose_changes`; changes to
internal-only fields (notes, versions, timestamps) make no revision.
"""

from typing import Any

from clearinghouse.audit.models import DisclosureRevision
from clearinghouse.audit.services import disclose
from clearinghouse.directory.models import DataUse, Product, ProductKind, ProductStatus


def public_snapshot(product: Product) -> dict[str, Any]:
    """The public facts of a product's disclosure, comparable with ==."""
    return {
        "name": product.name,
        # A form may have set the plain string value rather than the enum member.
        "status": ProductStatus(product.status).value if product.status else None,
        "kind": ProductKind(product.kind).value if product.kind else None,
        "purpose": (product.purpose_md or "").strip(),
        "website": product.website or "",
        "grade_bands": product.grade_bands or "",
        "schools": sorted(school.name for school in product.schools),
        "data_uses": {_element_label(use, product.data_uses): (use.purpose or "").strip() for use in product.data_uses},
    }


def _element_label(use: DataUse, uses: list[DataUse]) -> str:
    """The element's name, with its category when another element of the product has the same name."""
    name = use.element.name
    if sum(1 for other in uses if other.element.name == name) > 1:
        return f"{name} ({use.element.category.name})"
    return name


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
        grades = f" (grades {after['grade_bands']})" if after["grade_bands"] else ""
        changes.append(("schools.changed", f"{name}: now used at {schools}{grades}."))
    return changes


def disclose_changes(product: Product, before: dict[str, Any] | None) -> list[DisclosureRevision]:
    """Add one revision per public change since `before` (None: the product is new)."""
    after = public_snapshot(product)
    return [
        disclose(
            product.vendor_id,
            kind,
            summary,
            product_id=product.id,
            before=_part(before, kind),
            after=_part(after, kind),
        )
        for kind, summary in describe_changes(before, after)
    ]


# The snapshot keys each kind of revision is about, kept in its details.
_KEYS = {
    "product": ("name",),
    "status": ("status",),
    "kind": ("kind",),
    "purpose": ("purpose",),
    "website": ("website",),
    "data_use": ("data_uses",),
    "schools": ("schools", "grade_bands"),
}


def _part(snapshot: dict[str, Any] | None, kind: str) -> dict[str, Any] | None:
    if snapshot is None:
        return None
    return {key: snapshot[key] for key in _KEYS.get(kind.split(".")[0], ())}
