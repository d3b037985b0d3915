"""Keeping the directory true (staff side): vendors, products and their data uses, data elements, schools.

The staff screens read through `directory.staff_queries`; this module only writes.

The write functions here are cores: each checks its rules and raises `DomainError` before writing,
writes, flushes, records the audit event and (for products) the public disclosure revisions, and
never commits. The caller wraps one or several of them in `unit_of_work()` (a view, a command,
the importer, the demo loader), so the form and every other path write exactly the same rows.
Vendors and products are versioned (`clearinghouse.locking`): of two people saving the same form,
only the first one wins. `actor` is None when the system acts (a command run without a user).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clearinghouse.accounts.models import User
from clearinghouse.audit import services as audit
from clearinghouse.directory.disclosure import disclose_changes, public_snapshot
from clearinghouse.directory.models import (
    DEFAULT_KIND,
    KIND_NAME_MAX,
    MARKDOWN_MAX,
    NAME_MAX,
    NOTE_MAX,
    URL_MAX,
    DataCategory,
    DataElement,
    DataUse,
    EvidenceLink,
    Product,
    ProductKind,
    ProductNote,
    ProductStatus,
    School,
    StatedAgreementStatus,
    Tag,
    Vendor,
)
from clearinghouse.errors import DomainError, ItemRefused, refused
from clearinghouse.extensions import db
from clearinghouse.i18n import configured_languages
from clearinghouse.locking import check_version, claim_version
from clearinghouse.models_base import same_columns
from clearinghouse.slugs import SLUG_CHUNK, unique_slug, unique_slugs
from clearinghouse.text import clean_name, name_key
from clearinghouse.translation_fields import language_label


@contextmanager
def _unique_or(message: str, field: str) -> Iterator[None]:
    """The database's unique constraints are the backstop for a race the checks missed.

    The block must end with a flush, so that the constraint is checked here and not at the commit.
    """
    try:
        yield
    except IntegrityError as err:
        raise DomainError(message, field=field) from err


def _name_taken(model: type[db.Model], name: str, *, exclude_id: int | None = None, **scope: Any) -> bool:
    """By `name_key`: "Acme", "ACME" and "Ａｃｍｅ" would confuse a parent as much as two "Acme"s."""
    stmt = select(model.id).where(model.name_key == name_key(name))
    for column, value in scope.items():
        stmt = stmt.where(getattr(model, column) == value)
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    return db.session.scalar(stmt.limit(1)) is not None


def require_name(name: str | None, noun: str, field: str = "name") -> str:
    """A name as it is stored (`text.clean_name`); DomainError when it is missing, too long or unsafe.

    The one name rule of vendors, products, schools, data elements and categories; the importer's
    preview asks it too, so that a row is refused before the import starts.
    """
    name = clean_name(name, field=field)
    if not name:
        raise DomainError(f"Enter the {noun}'s name.", field=field)
    if len(name) > NAME_MAX:
        raise DomainError(f"The {noun}'s name can be at most {NAME_MAX} characters.", field=field)
    return name


# --- vendors ------------------------------------------------------------------------------

VENDOR_FIELDS = (
    "name",
    "website",
    "privacy_policy_url",
    "contact_email",
    "description_md",
    "internal_notes",
    "translations",  # {language: {"description_md": text}}, merged into what is there
)


def create_vendor(actor: User | None, **values: Any) -> Vendor:
    """Add a vendor. Raises DomainError when the name is missing or already used."""
    name = require_name(values.get("name"), "vendor")
    if _name_taken(Vendor, name):
        raise DomainError(f"A vendor named {name} already exists.", field="name")
    with _unique_or(f"A vendor named {name} already exists.", "name"):
        vendor = Vendor(slug=unique_slug(Vendor, name))
        _set_fields(vendor, VENDOR_FIELDS, {**values, "name": name})
        db.session.add(vendor)
        audit.record(actor, "vendor.created", vendor, audit.pending_changes(vendor))  # flushes the vendor
    return vendor


def update_vendor(vendor: Vendor, actor: User | None, *, version: int | None, **values: Any) -> Vendor:
    """Change the vendor's details given in `values` (the others stay); the slug (its public address) stays.

    Raises StaleVersion when someone saved it since the form was drawn, DomainError on a duplicate name.
    """
    check_version(vendor, version)
    if "name" in values:
        name = values["name"] = require_name(values["name"], "vendor")
        if _name_taken(Vendor, name, exclude_id=vendor.id):
            raise DomainError(f"A vendor named {name} already exists.", field="name")
    with _unique_or(f"A vendor named {values.get('name', vendor.name)} already exists.", "name"):
        claim_version(vendor, version)
        _set_fields(vendor, VENDOR_FIELDS, values)
        changes = audit.pending_changes(vendor)
        if changes:
            audit.record(actor, "vendor.updated", vendor, changes)
        db.session.flush()
    return vendor


def set_vendor_retired(vendor: Vendor, actor: User | None, *, retired: bool, version: int | None) -> Vendor:
    """Retire a vendor (kept for history, hidden from new choices) or bring it back."""
    check_version(vendor, version)
    if vendor.is_retired == retired:
        return vendor
    claim_version(vendor, version)
    vendor.is_retired = retired
    audit.record(actor, "vendor.retired" if retired else "vendor.unretired", vendor, audit.pending_changes(vendor))
    return vendor


# --- products -----------------------------------------------------------------------------

PRODUCT_FIELDS = (
    "name",
    "kind",  # a ProductKind, its id or its slug (`kind_for_product`)
    "status",
    "status_note",
    "agreement_status",
    "agreement_note",
    "website",
    "purpose_md",
    "grade_bands",
    "internal_notes",
    "category_text",  # a file's category that matches no kind, for staff until the kind is chosen
    "translations",  # {language: {"purpose_md" or a note: text}}, merged into what is there
)


def _enum(enum_cls: type, value: Any, field: str, what: str) -> Any:
    try:
        return enum_cls(value)
    except ValueError:
        choices = ", ".join(str(member.label) for member in enum_cls)
        raise DomainError(f"Choose the {what}: {choices}.", field=field) from None


def check_statuses(values: dict[str, Any], product: Product | None, data_uses: dict[int, str] | None) -> None:
    """The rules that keep a product's two statuses consistent with each other and with its data uses.

    Raises DomainError, naming the field to change: an unknown status; a note too long; the
    vendor's reason for declining given while the vendor has not declined; a product approved as
    collecting no student data, or whose agreement is not required, that still lists student data.
    `values` are the fields being saved; the others are the product's own (none for a new product).
    """

    def current(key: str, default: Any) -> Any:
        if key in values:
            return values[key]
        return getattr(product, key) if product is not None else default

    status = _enum(ProductStatus, current("status", ProductStatus.UNDER_REVIEW), "status", "approval status")
    stated = _enum(
        StatedAgreementStatus,
        current("agreement_status", StatedAgreementStatus.NONE_ON_FILE),
        "agreement_status",
        "agreement status",
    )
    for key in ("status_note", "agreement_note"):
        if len((values.get(key) or "").strip()) > NOTE_MAX:
            raise DomainError(f"The note can be at most {NOTE_MAX} characters.", field=key)
    if (current("agreement_note", "") or "").strip() and stated is not StatedAgreementStatus.DECLINED_BY_VENDOR:
        raise DomainError(
            "The vendor's reason is kept only when the vendor declined the agreement. "
            "Clear it, or choose “Declined by the vendor”.",
            field="agreement_note",
        )
    has_uses = bool(data_uses) if data_uses is not None else bool(product is not None and product.data_uses)
    if has_uses and status is ProductStatus.APPROVED_NO_STUDENT_DATA:
        raise DomainError(
            "A product approved as collecting no student data can't receive any. "
            "Untick its student data, or choose another approval status.",
            field="status",
        )
    if has_uses and stated is StatedAgreementStatus.NOT_REQUIRED:
        raise DomainError(
            "An agreement is not required only when no student data is collected. "
            "Untick its student data, or choose another agreement status.",
            field="agreement_status",
        )


@dataclass
class NewProduct:
    """One product for `create_products`: what `create_product` takes (`values`: the product's fields)."""

    vendor: Vendor
    values: dict[str, Any]
    school_ids: list[int] = field(default_factory=list)
    data_uses: dict[int, str] = field(default_factory=dict)
    use_translations: dict[int, dict[str, dict[str, str]]] | None = None


def create_product(
    actor: User | None,
    *,
    vendor: Vendor,
    school_ids: list[int],
    data_uses: dict[int, str],
    use_translations: dict[int, dict[str, dict[str, str]]] | None = None,
    **values: Any,
) -> Product:
    """Add a product with its schools and data uses ({data element id: purpose}; their purposes in
    other languages in `use_translations`: {data element id: {language: {"purpose": text}}}).

    A purpose may be left blank: it is shown as "Purpose not yet stated" until someone states it,
    and never blocks saving. Raises DomainError for a duplicate name at the vendor, an unknown
    school or data element, a retired data element, or statuses that disagree (`check_statuses`).
    """
    item = NewProduct(vendor, values, school_ids, data_uses, use_translations)
    try:
        return create_products(actor, [item])[0]
    except ItemRefused as err:
        raise DomainError(err.message, field=err.field) from None


def create_products(actor: User | None, items: list[NewProduct]) -> list[Product]:
    """Add products, each exactly as `create_product` adds one: the same rules, rows, audit event and
    disclosure revision; checked all before anything is written, written in one flush.

    Asks the database a constant number of questions whatever the number of products (the names
    taken at their vendors, the schools, the data elements, the slugs), so that an import of
    thousands of rows writes in bulk. Raises ItemRefused (a DomainError naming the product's
    index) as create_product would for that product, or for a name given twice in the list.
    """
    if not items:
        return []
    names: list[str] = []
    for index, item in enumerate(items):
        with refused(index):
            names.append(require_name(item.values.get("name"), "product"))
    taken = _product_names_taken({item.vendor.id for item in items}, {name_key(name) for name in names})
    offered = _kinds_offered()
    schools = _schools_by_ids({sid for item in items for sid in item.school_ids})
    elements = _elements_by_ids({eid for item in items for eid in item.data_uses})
    kinds: list[ProductKind] = []
    for index, (item, name) in enumerate(zip(items, names, strict=True)):
        with refused(index):
            key = (item.vendor.id, name_key(name))
            if key in taken:
                raise DomainError(f"{item.vendor.name} already has a product named {name}.", field="name")
            taken.add(key)
            check_statuses(item.values, None, item.data_uses)
            kinds.append(_kind_among(offered, item.values.get("kind")))
            _check_schools(schools, item.school_ids)
            _check_elements(elements, item.data_uses, allowed_retired=set())
    slugs = unique_slugs(Product, [f"{item.vendor.name} {name}" for item, name in zip(items, names, strict=True)])
    duplicate = (
        f"{items[0].vendor.name} already has a product named {names[0]}."
        if len(items) == 1
        else "One of the products could not be saved (someone may have added the same product meanwhile)."
    )
    created: list[tuple[Product, dict[str, list]]] = []
    with _unique_or(duplicate, "name"):
        for item, name, slug, kind in zip(items, names, slugs, kinds, strict=True):
            product = Product(vendor_id=item.vendor.id, vendor=item.vendor, slug=slug)
            _set_fields(product, PRODUCT_FIELDS, {**item.values, "name": name, "kind": kind})
            ids = set(item.school_ids)
            product.schools = [school for school in schools.values() if school.id in ids]
            product.data_uses = [
                DataUse(element=elements[eid], purpose=(purpose or "").strip())
                for eid, purpose in item.data_uses.items()
            ]
            for use in product.data_uses:
                use.set_translations((item.use_translations or {}).get(use.element.id, {}))
            # A new product has none: known now, so its disclosure does not ask the database.
            product.tags, product.links, product.notes = [], [], []
            db.session.add(product)
            changes = audit.pending_changes(product)
            changes["kind"] = [None, kind.name]
            changes["schools"] = [[], sorted(school.name for school in product.schools)]
            changes["data_uses"] = [[], _uses_list(product)]
            created.append((product, changes))
        same_columns([product for product, _changes in created])
        db.session.flush()  # one whole flush: flushing a product alone would write its schools twice
    with db.session.no_autoflush:  # the events and revisions are written together, at the next flush
        for product, changes in created:
            audit.record(actor, "product.created", product, changes)
            disclose_changes(product, None)
    return [product for product, _changes in created]


def _product_names_taken(vendor_ids: set[int], keys: set[str]) -> set[tuple[int, str]]:
    """(vendor id, name key) of the products these vendors already have under these names."""
    found: set[tuple[int, str]] = set()
    wanted = sorted(keys)
    for start in range(0, len(wanted), SLUG_CHUNK):
        stmt = select(Product.vendor_id, Product.name_key).where(
            Product.name_key.in_(wanted[start : start + SLUG_CHUNK]), Product.vendor_id.in_(vendor_ids)
        )
        found.update((vendor_id, key) for vendor_id, key in db.session.execute(stmt))
    return found


def update_product(
    product: Product,
    actor: User | None,
    *,
    version: int | None,
    school_ids: list[int] | None = None,
    data_uses: dict[int, str] | None = None,
    use_translations: dict[int, dict[str, dict[str, str]]] | None = None,
    **values: Any,
) -> Product:
    """Change a product; public changes become disclosure revisions.

    Only what is given changes: the fields in `values`, the schools when `school_ids` is given,
    the data uses when `data_uses` is given (the complete new set). The vendor and the slug stay.
    Raises StaleVersion, or DomainError as create_product does.
    """
    check_version(product, version)
    check_statuses(values, product, data_uses)
    if "name" in values:
        name = values["name"] = require_name(values["name"], "product")
        if _name_taken(Product, name, vendor_id=product.vendor_id, exclude_id=product.id):
            raise DomainError(f"{product.vendor.name} already has a product named {name}.", field="name")
    if "kind" in values:
        values["kind"] = kind_for_product(values["kind"], current=product.kind)
    schools = _schools(school_ids) if school_ids is not None else None
    already_used = {use.data_element_id for use in product.data_uses}
    elements = _elements_for_uses(data_uses, allowed_retired=already_used) if data_uses is not None else None
    before = public_snapshot(product)
    schools_before = before["schools"]
    uses_before = _uses_list(product)
    kind_before = product.kind
    duplicate = f"{product.vendor.name} already has a product named {values.get('name', product.name)}."
    with _unique_or(duplicate, "name"):
        claim_version(product, version)
        _set_fields(product, PRODUCT_FIELDS, values)
        if schools is not None:
            product.schools = schools
        if elements is not None:
            _replace_uses(product, data_uses, elements, use_translations or {})
        changes = audit.pending_changes(product)
        if product.kind is not kind_before:
            changes["kind"] = [kind_before.name, product.kind.name]
        schools_after = sorted(s.name for s in product.schools)
        if schools_after != schools_before:
            changes["schools"] = [schools_before, schools_after]
        uses_after = _uses_list(product)
        if uses_after != uses_before:
            changes["data_uses"] = [uses_before, uses_after]
        db.session.flush()
        if changes:
            audit.record(actor, "product.updated", product, changes)
            disclose_changes(product, before)
    return product


def add_data_uses(product: Product, actor: User | None, *, version: int | None, element_ids: list[int]) -> list[str]:
    """Add data uses for these elements, each with no purpose yet; the product's other uses stay.

    Elements it already uses are left as they are. Returns the names of the elements added.
    Raises StaleVersion, or DomainError for an element that is unknown or retired.
    """
    uses = {use.data_element_id: use.purpose for use in product.data_uses}
    new_ids = [element_id for element_id in dict.fromkeys(element_ids) if element_id not in uses]
    if not new_ids:
        check_version(product, version)
        return []
    uses.update(dict.fromkeys(new_ids, ""))
    update_product(product, actor, version=version, data_uses=uses)
    return [use.element.name for use in product.data_uses if use.data_element_id in new_ids]


def copy_data_uses(product: Product, actor: User | None, *, version: int | None, source: Product) -> list[str]:
    """Add the data uses of `source` (their purposes and the purposes' translations) that the product
    lacks; the ones it has keep their purposes. Retired elements are not copied.

    Returns the names of the elements added. Raises StaleVersion, or DomainError when `source` is
    the product itself.
    """
    if source.id == product.id:
        raise DomainError("Choose another product to copy from.", field="source_id")
    uses = {use.data_element_id: use.purpose for use in product.data_uses}
    copied = [use for use in source.data_uses if use.data_element_id not in uses and not use.element.is_retired]
    if not copied:
        check_version(product, version)
        return []
    uses.update({use.data_element_id: use.purpose for use in copied})
    translations = {use.data_element_id: use.translations or {} for use in copied}
    update_product(product, actor, version=version, data_uses=uses, use_translations=translations)
    return sorted(use.element.name for use in copied)


def retire_product(product: Product, actor: User | None, *, version: int | None) -> Product:
    """Mark a product retired: it stays in the public record with that status."""
    check_version(product, version)
    if product.status is ProductStatus.RETIRED:
        return product
    before = public_snapshot(product)
    claim_version(product, version)
    product.status = ProductStatus.RETIRED
    audit.record(actor, "product.retired", product, audit.pending_changes(product))
    disclose_changes(product, before)
    return product


def schools_by_id(school_ids: list[int], *, field: str = "school_ids") -> list[School]:
    """The schools with these ids, by name; DomainError (on `field`) when one no longer exists."""
    try:
        return _schools(school_ids)
    except DomainError as err:
        raise DomainError(err.message, field=field) from None


def _schools(school_ids: list[int]) -> list[School]:
    schools = _schools_by_ids(set(school_ids))
    _check_schools(schools, school_ids)
    return list(schools.values())


def _schools_by_ids(ids: set[int]) -> dict[int, School]:
    """The schools with these ids, by name (as a product lists them)."""
    if not ids:
        return {}
    stmt = select(School).where(School.id.in_(ids)).order_by(School.name)
    return {school.id: school for school in db.session.scalars(stmt)}


def _check_schools(schools: dict[int, School], school_ids: list[int]) -> None:
    if any(school_id not in schools for school_id in school_ids):
        raise DomainError(
            "One of the chosen schools no longer exists. Reload the page and choose again.", field="school_ids"
        )


def _elements_for_uses(data_uses: dict[int, str], *, allowed_retired: set[int]) -> dict[int, DataElement]:
    """The data elements named by the uses; a retired one is only kept where it was already used."""
    elements = _elements_by_ids(set(data_uses))
    _check_elements(elements, data_uses, allowed_retired=allowed_retired)
    return elements


def _elements_by_ids(ids: set[int]) -> dict[int, DataElement]:
    if not ids:
        return {}
    return {element.id: element for element in db.session.scalars(select(DataElement).where(DataElement.id.in_(ids)))}


def _check_elements(elements: dict[int, DataElement], data_uses: dict[int, str], *, allowed_retired: set[int]) -> None:
    for element_id in data_uses:
        element = elements.get(element_id)
        if element is None or (element.is_retired and element_id not in allowed_retired):
            raise DomainError(
                "One of the chosen data elements is no longer offered. Reload the page and choose again.",
                field="data_uses",
            )


def _replace_uses(
    product: Product,
    data_uses: dict[int, str],
    elements: dict[int, DataElement],
    use_translations: dict[int, dict[str, dict[str, str]]],
) -> None:
    """Edit the product's uses in place (the unique product/element pair forbids delete-then-add)."""
    existing = {use.data_element_id: use for use in product.data_uses}
    for element_id, use in existing.items():
        if element_id not in data_uses:
            product.data_uses.remove(use)
    for element_id, purpose in data_uses.items():
        purpose = (purpose or "").strip()
        if element_id in existing:
            if existing[element_id].purpose != purpose:
                existing[element_id].purpose = purpose
            existing[element_id].set_translations(use_translations.get(element_id, {}))
        else:
            use = DataUse(element=elements[element_id], purpose=purpose)
            use.set_translations(use_translations.get(element_id, {}))
            product.data_uses.append(use)


def _uses_list(product: Product) -> list[str]:
    """Each use as "element: purpose [es: propósito]", for the audit log."""
    return sorted(
        f"{use.element.name}: {use.purpose}"
        + "".join(f" [{code}: {fields['purpose']}]" for code, fields in sorted((use.translations or {}).items()))
        for use in product.data_uses
    )


# --- what a product's record knows beyond its fields: tags, notes, evidence links ---------


def tag_names(names: list[str] | str) -> list[str]:
    """The tags as stored: each cleaned (`text.clean_name`), one per `name_key`, in the order given.

    A string is split on commas and semicolons (a form's text box, a file's cell). Raises
    DomainError for a tag that is too long or holds control characters.
    """
    if isinstance(names, str):
        names = names.replace(";", ",").split(",")
    kept: dict[str, str] = {}
    for raw in names:
        name = clean_name(raw, field="tags")
        if not name:
            continue
        if len(name) > NAME_MAX:
            raise DomainError(f"A tag can be at most {NAME_MAX} characters.", field="tags")
        kept.setdefault(name_key(name), name)
    return list(kept.values())


def _tags(names: list[str], actor: User | None) -> list[Tag]:
    """The tags with these names, the missing ones created (audited)."""
    keys = {name_key(name): name for name in names}
    found = {tag.name_key: tag for tag in db.session.scalars(select(Tag).where(Tag.name_key.in_(keys)))}
    tags = []
    for key, name in keys.items():
        tag = found.get(key)
        if tag is None:
            with _unique_or(f"The tag {name} was added by someone else meanwhile. Save again.", "tags"):
                tag = Tag(name=name, slug=unique_slug(Tag, name))
                db.session.add(tag)
                audit.record(actor, "tag.created", tag, audit.pending_changes(tag))  # flushes the tag
        tags.append(tag)
    return tags


def set_product_tags(
    product: Product, actor: User | None, *, names: list[str] | str, version: int | None, add: bool = False
) -> Product:
    """Give the product these tags (or, with `add`, these as well as its own); public, disclosed."""
    check_version(product, version)
    names = tag_names(names)
    if add:
        names = tag_names([tag.name for tag in product.tags] + names)
    if {name_key(name) for name in names} == {tag.name_key for tag in product.tags}:
        return product
    before = public_snapshot(product)
    claim_version(product, version)
    tags = _tags(names, actor)
    old = sorted(tag.name for tag in product.tags)
    product.tags = tags
    db.session.flush()
    audit.record(actor, "product.tags_changed", product, {"tags": [old, sorted(tag.name for tag in tags)]})
    disclose_changes(product, before)
    return product


def add_product_note(product: Product, actor: User | None, *, label: str = "", body: str) -> ProductNote:
    """Keep a staff-only note with the product ("Licences": "450"). Raises DomainError when empty or too long."""
    label = clean_name(label, field="note_label")
    body = (body or "").strip()
    if not body:
        raise DomainError("Write the note.", field="note_body")
    if len(label) > NAME_MAX:
        raise DomainError(f"The note's heading can be at most {NAME_MAX} characters.", field="note_label")
    if len(body) > MARKDOWN_MAX:
        raise DomainError(f"The note can be at most {MARKDOWN_MAX} characters.", field="note_body")
    note = ProductNote(product=product, label=label, body=body)
    db.session.add(note)
    db.session.flush()
    audit.record(actor, "product.note_added", product, {"note": [None, f"{label}: {body}" if label else body]})
    return note


def delete_product_note(note: ProductNote, actor: User | None) -> None:
    product = note.product
    text = f"{note.label}: {note.body}" if note.label else note.body
    product.notes.remove(note)
    db.session.flush()
    audit.record(actor, "product.note_deleted", product, {"note": [text, None]})


def require_link(url: str | None, field: str = "link_url") -> str:
    """An evidence link's address: http or https only (never javascript: or data:)."""
    url = (url or "").strip()
    if not url:
        raise DomainError("Enter the link's address.", field=field)
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in ("http", "https") or not rest or any(c.isspace() for c in url):
        raise DomainError("Enter a web address that starts with https:// or http://.", field=field)
    if len(url) > URL_MAX:
        raise DomainError(f"The address can be at most {URL_MAX} characters.", field=field)
    return url


def add_evidence_link(
    product: Product, actor: User | None, *, url: str, label: str = "", is_public: bool = False
) -> EvidenceLink:
    """Keep a link that backs the product's record (a state registry entry…); shown to the public
    only when `is_public` (disclosed then). Raises DomainError for an address that is not http(s)."""
    url = require_link(url)
    label = clean_name(label, field="link_label")
    if len(label) > NAME_MAX:
        raise DomainError(f"The link's label can be at most {NAME_MAX} characters.", field="link_label")
    if any(link.url == url for link in product.links):
        raise DomainError("The product already has this link.", field="link_url")
    before = public_snapshot(product)
    link = EvidenceLink(product=product, url=url, label=label, is_public=bool(is_public))
    db.session.add(link)
    db.session.flush()
    audit.record(actor, "product.link_added", product, {"link": [None, _link_text(link)]})
    disclose_changes(product, before)
    return link


def delete_evidence_link(link: EvidenceLink, actor: User | None) -> None:
    product = link.product
    before = public_snapshot(product)
    text = _link_text(link)
    product.links.remove(link)
    db.session.flush()
    audit.record(actor, "product.link_deleted", product, {"link": [text, None]})
    disclose_changes(product, before)


def _link_text(link: EvidenceLink) -> str:
    return f"{link.label or link.url} <{link.url}>" + ("" if link.is_public else " (staff only)")


# --- data elements and categories ---------------------------------------------------------


def create_element(
    actor: User | None,
    *,
    category_id: int | None,
    new_category: str = "",
    name: str,
    description: str = "",
    is_sensitive: bool = False,
    translations: dict[str, dict[str, str]] | None = None,
) -> DataElement:
    """Add a data element, in an existing category or in a new one named `new_category` (its name
    and description in other languages in `translations`: {language: {field: text}})."""
    name = require_name(name, "data element")
    category = _category(category_id, new_category, actor)
    if _name_taken(DataElement, name, category_id=category.id):
        raise DomainError(f"{category.name} already has a data element named {name}.", field="name")
    position = db.session.scalar(
        select(func.coalesce(func.max(DataElement.position), 0)).where(DataElement.category_id == category.id)
    )
    element = DataElement(
        category=category,
        name=name,
        slug=unique_slug(DataElement, name),
        description=(description or "").strip(),
        is_sensitive=bool(is_sensitive),
        position=position + 1,
    )
    element.set_translations(translations or {})
    db.session.add(element)
    audit.record(actor, "data_element.created", element, audit.pending_changes(element))
    return element


def update_element(
    element: DataElement,
    actor: User | None,
    *,
    category_id: int | None,
    new_category: str = "",
    name: str,
    description: str = "",
    is_sensitive: bool = False,
    translations: dict[str, dict[str, str]] | None = None,
) -> DataElement:
    """Rename, recategorise, describe or (un)mark a data element as sensitive, and translate its name
    and description; the slug stays."""
    name = require_name(name, "data element")
    category = _category(category_id, new_category, actor)
    if _name_taken(DataElement, name, category_id=category.id, exclude_id=element.id):
        raise DomainError(f"{category.name} already has a data element named {name}.", field="name")
    element.category = category
    element.name = name
    element.description = (description or "").strip()
    element.is_sensitive = bool(is_sensitive)
    element.set_translations(translations or {})
    changes = audit.pending_changes(element)
    if changes:
        audit.record(actor, "data_element.updated", element, changes)
    return element


def set_element_retired(element: DataElement, actor: User | None, *, retired: bool) -> DataElement:
    """A retired element is no longer offered for new data uses; existing uses keep it."""
    if element.is_retired == retired:
        return element
    element.is_retired = retired
    action = "data_element.retired" if retired else "data_element.unretired"
    audit.record(actor, action, element, audit.pending_changes(element))
    return element


def _category(category_id: int | None, new_category: str, actor: User | None) -> DataCategory:
    """The chosen category, or a new one (flushed, audited) when a new name is given."""
    if (new_category or "").strip():
        new_category = require_name(new_category, "category", field="new_category")
        existing = db.session.scalar(select(DataCategory).where(DataCategory.name_key == name_key(new_category)))
        if existing is not None:
            return existing
        position = db.session.scalar(select(func.coalesce(func.max(DataCategory.position), 0)))
        category = DataCategory(
            name=new_category[:NAME_MAX], slug=unique_slug(DataCategory, new_category), position=position + 1
        )
        db.session.add(category)
        audit.record(actor, "data_category.created", category, audit.pending_changes(category))
        return category
    category = db.session.get(DataCategory, category_id) if category_id else None
    if category is None:
        raise DomainError("Choose the category, or name a new one.", field="category_id")
    return category


# --- kinds of product ---------------------------------------------------------------------


def kind_for_product(value: Any, *, current: ProductKind | None = None) -> ProductKind:
    """The kind a product is given: a ProductKind, its id or its slug; none given, the default kind.

    A retired kind is offered to no new product, but a product that has it keeps it. Raises
    DomainError for a kind that does not exist or is retired, and when no kind is offered at all.
    """
    if value in (None, "") and current is not None:
        return current
    return _kind_among(_kinds_offered(), value, current=current)


def _kinds_offered() -> list[ProductKind]:
    """Every kind, in the lists' order (a few dozen rows: one query for any number of products)."""
    return list(db.session.scalars(select(ProductKind).order_by(ProductKind.position, ProductKind.name)))


def _kind_among(kinds: list[ProductKind], value: Any, *, current: ProductKind | None = None) -> ProductKind:
    """`kind_for_product`'s rule, among `kinds` (`_kinds_offered`)."""
    if value in (None, ""):
        offered = [kind for kind in kinds if not kind.is_retired]
        kind = next((kind for kind in offered if kind.slug == DEFAULT_KIND), offered[0] if offered else None)
        if kind is None:
            raise DomainError("No kind of product is offered. Add one, or bring a retired one back.", field="kind")
        return kind
    if isinstance(value, ProductKind):
        kind = value
    elif isinstance(value, int):  # never a string of digits: "504" is a slug a district may well have
        kind = next((kind for kind in kinds if kind.id == value), None)
    else:
        kind = next((kind for kind in kinds if kind.slug == str(value)), None)
    if kind is None:
        raise DomainError("That kind of product no longer exists. Reload the page and choose again.", field="kind")
    if kind.is_retired and kind is not current:
        raise DomainError(f"{kind.name} is retired: choose another kind of product.", field="kind")
    return kind


def default_kind() -> ProductKind:
    """The kind of a product nobody said the kind of: "Other", else the first kind offered (DomainError: none)."""
    return _kind_among(_kinds_offered(), None)


def require_kind_name(value: str | None, field: str = "name", language: str | None = None) -> str:
    """A kind's name as stored; DomainError when it is empty (the default language's), too long or unsafe."""
    in_language = f" in {language_label(language)}" if language else ""
    name = clean_name(value, field=field)
    if not name and language is None:
        raise DomainError("Enter the kind's name.", field=field)
    if len(name) > KIND_NAME_MAX:
        raise DomainError(f"The kind's name{in_language} can be at most {KIND_NAME_MAX} characters.", field=field)
    return name


def _kind_names(
    name: str, translations: dict[str, dict[str, str]] | None, *, exclude_id: int | None = None
) -> tuple[str, dict[str, dict[str, str]]]:
    """The kind's name and its names in other languages, checked: each set, each unique in its language
    (two kinds a parent cannot tell apart in a list would be one)."""
    name = require_kind_name(name)
    checked: dict[str, dict[str, str]] = {}
    for code, fields in (translations or {}).items():
        if code not in configured_languages()[1:]:
            continue
        checked[code] = {"name": require_kind_name(fields.get("name"), f"name__{code}", code)}
    others = list(db.session.scalars(select(ProductKind).where(ProductKind.id != (exclude_id or 0))))
    for other in others:
        if other.name_key == name_key(name):
            retired = " (retired: bring it back instead)" if other.is_retired else ""
            raise DomainError(f"A kind named {other.name} already exists{retired}.", field="name")
        for code, fields in checked.items():
            if fields["name"] and name_key(other.translation(code, "name")) == name_key(fields["name"]):
                raise DomainError(
                    f"{other.name} is already called {fields['name']} in {language_label(code)}.",
                    field=f"name__{code}",
                )
    return name, checked


def create_kind(actor: User | None, *, name: str, translations: dict[str, dict[str, str]] | None = None) -> ProductKind:
    """Add a kind of product, offered last (its names in other languages in `translations`:
    {language: {"name": text}}). Raises DomainError for an empty, over-long, unsafe or taken name."""
    name, checked = _kind_names(name, translations)
    position = db.session.scalar(select(func.coalesce(func.max(ProductKind.position), 0)))
    with _unique_or(f"A kind named {name} already exists.", "name"):
        kind = ProductKind(name=name, slug=unique_slug(ProductKind, name), position=position + 1)
        kind.set_translations(checked)
        db.session.add(kind)
        audit.record(actor, "product_kind.created", kind, audit.pending_changes(kind))  # flushes the kind
    return kind


def update_kind(
    kind: ProductKind, actor: User | None, *, name: str, translations: dict[str, dict[str, str]] | None = None
) -> ProductKind:
    """Rename a kind, in any language (a blank translation removes it); its slug stays. Every product
    of the kind shows the new name; like a data element's, a kind's rename is audited, not disclosed."""
    name, checked = _kind_names(name, translations, exclude_id=kind.id)
    with _unique_or(f"A kind named {name} already exists.", "name"):
        kind.name = name
        kind.set_translations(checked)
        changes = audit.pending_changes(kind)
        if changes:
            audit.record(actor, "product_kind.updated", kind, changes)
        db.session.flush()
    return kind


def move_kind(kind: ProductKind, actor: User | None, *, offset: int) -> ProductKind:
    """Move a kind up (offset -1) or down (+1) the lists; the kinds are numbered 1… again on the way."""
    kinds = list(db.session.scalars(select(ProductKind).order_by(ProductKind.position, ProductKind.name)))
    at = kinds.index(kind)
    to = min(max(at + offset, 0), len(kinds) - 1)
    if to == at:
        return kind
    kinds.insert(to, kinds.pop(at))
    before = kind.position
    for position, each in enumerate(kinds, start=1):
        if each.position != position:
            each.position = position
    audit.record(actor, "product_kind.moved", kind, {"position": [before, kind.position]})
    db.session.flush()
    return kind


def set_kind_retired(kind: ProductKind, actor: User | None, *, retired: bool) -> ProductKind:
    """A retired kind stays on the products that have it but is offered for no new one. The last kind
    offered cannot be retired (DomainError): every new product needs one."""
    if kind.is_retired == retired:
        return kind
    if retired:
        offered = db.session.scalar(
            select(func.count(ProductKind.id)).where(ProductKind.is_retired.is_(False), ProductKind.id != kind.id)
        )
        if not offered:
            raise DomainError(f"{kind.name} is the last kind offered: add another before retiring it.")
    kind.is_retired = retired
    audit.record(
        actor, "product_kind.retired" if retired else "product_kind.unretired", kind, audit.pending_changes(kind)
    )
    return kind


def delete_kind(kind: ProductKind, actor: User | None) -> None:
    """Delete a kind nothing uses. A kind that products (or teachers' requests: the database's foreign
    key says so) still have can only be retired, and the last kind stays: DomainError."""
    products = db.session.scalar(select(func.count(Product.id)).where(Product.kind_id == kind.id))
    if products:
        raise DomainError(
            f"{kind.name} is the kind of {products} product{'' if products == 1 else 's'}, so it stays: "
            "retire it to stop offering it."
        )
    if not db.session.scalar(select(func.count(ProductKind.id)).where(ProductKind.id != kind.id)):
        raise DomainError(f"{kind.name} is the only kind: add another before deleting it.")
    audit.record(actor, "product_kind.deleted", kind, audit.snapshot(kind))
    with _unique_or(f"{kind.name} is the kind of a tool request, so it stays: retire it to stop offering it.", "name"):
        db.session.delete(kind)
        db.session.flush()


# --- schools ------------------------------------------------------------------------------


def create_school(actor: User | None, *, name: str, grade_band: str = "") -> School:
    """Add a school. Raises DomainError when the name is missing or already used."""
    name = require_name(name, "school")
    if _name_taken(School, name):
        raise DomainError(f"A school named {name} already exists.", field="name")
    with _unique_or(f"A school named {name} already exists.", "name"):
        school = School(name=name, slug=unique_slug(School, name), grade_band=(grade_band or "").strip())
        db.session.add(school)
        audit.record(actor, "school.created", school, audit.pending_changes(school))  # flushes the school
    return school


def update_school(school: School, actor: User | None, *, name: str, grade_band: str = "") -> School:
    """Rename a school or change its grade band; the slug stays."""
    name = require_name(name, "school")
    if _name_taken(School, name, exclude_id=school.id):
        raise DomainError(f"A school named {name} already exists.", field="name")
    with _unique_or(f"A school named {name} already exists.", "name"):
        school.name = name
        school.grade_band = (grade_band or "").strip()
        changes = audit.pending_changes(school)
        if changes:
            audit.record(actor, "school.updated", school, changes)
        db.session.flush()
    return school


def set_school_retired(school: School, actor: User | None, *, retired: bool) -> School:
    """A retired school is no longer offered on product forms; products keep it until edited."""
    if school.is_retired == retired:
        return school
    school.is_retired = retired
    audit.record(actor, "school.retired" if retired else "school.unretired", school, audit.pending_changes(school))
    return school


# --- helpers ------------------------------------------------------------------------------


def _set_fields(record: db.Model, fields: tuple[str, ...], values: dict[str, Any]) -> None:
    """Set only the attributes that differ, so pending_changes lists real changes."""
    for key in fields:
        if key not in values:
            continue
        value = values[key]
        if key == "translations":
            record.set_translations(value)
            continue
        if isinstance(value, str):
            value = value.strip()
        if key == "status":
            value = ProductStatus(value)
        elif key == "agreement_status":
            value = StatedAgreementStatus(value)
        if getattr(record, key) != value:
            setattr(record, key, value)
