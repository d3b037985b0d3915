"""What the public sees of a product, and plain-language revisions when that changes.

Services snapshot a product before and after a change and call `disclose_changes`; changes to
internal-only fields (notes, versions, timestamps) and to translations (which restate the
default language's text) make no revision.
"""

from typing import Any

from clearinghouse.audit.models import DisclosureRevision
from clearinghouse.audit.services import disclose
from clearinghouse.audit.wording import Wording, in_every_language
from clearinghouse.directory.models import DataUse, Product, ProductStatus, StatedAgreementStatus


def public_snapshot(product: Product) -> dict[str, Any]:
    """The public facts of a product's disclosure, comparable key by key with ==.

    `data_use_texts`, `note_texts` and `kind_names` are not compared: they carry each use's element name and
    purpose, and the notes, in every language, for the wording of a revision (audit.wording).
    """
    return {
        "name": product.name,
        # A form may have set the plain string value rather than the enum member.
        "status": ProductStatus(product.status).value if product.status else None,
        "status_note": (product.status_note or "").strip(),
        # Where the agreement stands as the district stated it (the agreements disclose themselves).
        "agreement_status": StatedAgreementStatus(product.agreement_status or StatedAgreementStatus.NONE_ON_FILE).value,
        "agreement_note": (product.agreement_note or "").strip(),
        "note_texts": {
            "status_note": in_every_language((product.status_note or "").strip(), product.translations, "status_note"),
            "agreement_note": in_every_language(
                (product.agreement_note or "").strip(), product.translations, "agreement_note"
            ),
        },
        "kind": product.kind.slug if product.kind else None,
        # Its name in every language, for the wording: a kind is district data, renamed at will.
        "kind_names": in_every_language(product.kind.name, product.kind.translations, "name") if product.kind else {},
        "purpose": (product.purpose_md or "").strip(),
        "website": product.website or "",
        "grade_bands": product.grade_bands or "",
        "schools": sorted(school.name for school in product.schools),
        "tags": sorted(tag.name for tag in product.tags),
        "links": sorted([link.label or link.url, link.url] for link in product.links if link.is_public),
        "data_uses": {_element_label(use, product.data_uses): (use.purpose or "").strip() for use in product.data_uses},
        "data_use_texts": {
            _element_label(use, product.data_uses): {
                "element": _element_label_in_every_language(use, product.data_uses),
                "purpose": in_every_language((use.purpose or "").strip(), use.translations, "purpose"),
            }
            for use in product.data_uses
        },
    }


def _has_namesake(use: DataUse, uses: list[DataUse]) -> bool:
    return sum(1 for other in uses if other.element.name == use.element.name) > 1


def _element_label(use: DataUse, uses: list[DataUse]) -> str:
    """The element's name, with its category when another element of the product has the same name."""
    name = use.element.name
    if _has_namesake(use, uses):
        return f"{name} ({use.element.category.name})"
    return name


def _element_label_in_every_language(use: DataUse, uses: list[DataUse]) -> dict[str, str]:
    names = in_every_language(use.element.name, use.element.translations, "name")
    if not _has_namesake(use, uses):
        return names
    category = use.element.category
    categories = in_every_language(category.name, category.translations, "name")
    default = next(iter(names))
    return {code: f"{name} ({categories.get(code, categories[default])})" for code, name in names.items()}


def describe_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, summary) pairs, one for each public change, in the default language."""
    return [(kind, wording.in_default_language()) for kind, wording in worded_changes(before, after)]


def worded_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[tuple[str, Wording]]:
    """(kind, wording) pairs, one for each public change, in words a parent understands."""
    texts = after["data_use_texts"]
    if before is None:
        elements = [texts[label]["element"] for label in sorted(after["data_uses"])]
        return [("product.added", Wording("product.added", product=after["name"], elements=elements))]
    changes: list[tuple[str, Wording]] = []
    name = after["name"]
    if before["name"] != after["name"]:
        changes.append(("product.renamed", Wording("product.renamed", before=before["name"], after=after["name"])))
    notes = after["note_texts"]
    if before["status"] != after["status"]:
        note = {"note": notes["status_note"]} if after["status_note"] else {}
        wording = Wording("status.changed", product=name, old=before["status"], new=after["status"], **note)
        changes.append(("status.changed", wording))
    elif before.get("status_note", "") != after["status_note"]:
        wording = Wording("status_note.changed", product=name, status=after["status"], note=notes["status_note"])
        changes.append(("status.note_changed", wording))
    old_stated = before.get("agreement_status", StatedAgreementStatus.NONE_ON_FILE.value)
    if old_stated != after["agreement_status"] or before.get("agreement_note", "") != after["agreement_note"]:
        note = {"note": notes["agreement_note"]} if after["agreement_note"] else {}
        wording = Wording(
            "agreement_status.changed", product=name, old=old_stated, new=after["agreement_status"], **note
        )
        changes.append(("agreement_status.changed", wording))
    if before["kind"] != after["kind"]:
        changes.append(("kind.changed", Wording("kind.changed", product=name, kind=after["kind_names"])))
    if before["purpose"] != after["purpose"]:
        changes.append(("purpose.changed", Wording("purpose.changed", product=name)))
    if before["website"] != after["website"]:
        changes.append(("website.changed", Wording("website.changed", product=name, website=after["website"])))
    old_uses, new_uses = before["data_uses"], after["data_uses"]
    old_texts = before.get("data_use_texts", {})
    for element in sorted(set(new_uses) - set(old_uses)):
        purpose = texts[element]["purpose"] if new_uses[element] else None
        changes.append(
            (
                "data_use.added",
                Wording("data_use.added", product=name, element=texts[element]["element"], purpose=purpose),
            )
        )
    for element in sorted(set(old_uses) - set(new_uses)):
        label = old_texts.get(element, {}).get("element") or element
        changes.append(("data_use.removed", Wording("data_use.removed", product=name, element=label)))
    for element in sorted(set(old_uses) & set(new_uses)):
        if old_uses[element] != new_uses[element]:
            label = texts[element]["element"]
            changes.append(
                ("data_use.purpose_changed", Wording("data_use.purpose_changed", product=name, element=label))
            )
    if before["schools"] != after["schools"] or before["grade_bands"] != after["grade_bands"]:
        changes.append(
            (
                "schools.changed",
                Wording("schools.changed", product=name, schools=after["schools"], grades=after["grade_bands"]),
            )
        )
    if before.get("tags", []) != after["tags"]:
        changes.append(("tags.changed", Wording("tags.changed", product=name, tags=after["tags"])))
    if before.get("links", []) != after["links"]:
        labels = [label for label, _url in after["links"]]
        changes.append(("links.changed", Wording("links.changed", product=name, links=labels)))
    return changes


def disclose_changes(product: Product, before: dict[str, Any] | None) -> list[DisclosureRevision]:
    """Add one revision per public change since `before` (None: the product is new)."""
    after = public_snapshot(product)
    return [
        disclose(
            product.vendor_id,
            kind,
            wording,
            product_id=product.id,
            before=_part(before, kind),
            after=_part(after, kind),
        )
        for kind, wording in worded_changes(before, after)
    ]


# The snapshot keys each kind of revision is about, kept in its details.
_KEYS = {
    "product": ("name",),
    "status": ("status", "status_note"),
    "agreement_status": ("agreement_status", "agreement_note"),
    "kind": ("kind",),
    "purpose": ("purpose",),
    "website": ("website",),
    "data_use": ("data_uses",),
    "schools": ("schools", "grade_bands"),
    "tags": ("tags",),
    "links": ("links",),
}


def _part(snapshot: dict[str, Any] | None, kind: str) -> dict[str, Any] | None:
    if snapshot is None:
        return None
    return {key: snapshot[key] for key in _KEYS.get(kind.split(".")[0], ())}
