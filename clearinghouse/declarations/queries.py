"""Reading declarations: the product's declaration for the officer, a vendor's own questionnaires,
and what changed between two versions (the officer's review)."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from clearinghouse.declarations.models import (
    Declaration,
    DeclarationVersion,
    DeclaredElement,
    Terms,
    VersionStatus,
)
from clearinghouse.directory.models import DataCategory, DataElement, Product
from clearinghouse.errors import NotFound
from clearinghouse.extensions import db
from clearinghouse.imports import exhibit_b


def _options():
    return (
        joinedload(Declaration.product),
        joinedload(Declaration.vendor),
        joinedload(Declaration.contact),
        selectinload(Declaration.versions).options(
            selectinload(DeclarationVersion.elements).joinedload(DeclaredElement.element),
            selectinload(DeclarationVersion.subprocessors),
        ),
    )


def declaration_for_product(product_id: int | None) -> Declaration | None:
    """The product's declaration with every version, element and subprocessor (a fixed number of queries)."""
    if product_id is None:
        return None
    return db.session.scalar(select(Declaration).where(Declaration.product_id == product_id).options(*_options()))


def get_own_declaration_or_404(declaration_id: int, vendor_id: int | None) -> Declaration:
    """A questionnaire of the vendor; another vendor's is a 404, as if it did not exist."""
    declaration = db.session.scalar(
        select(Declaration)
        .where(Declaration.id == declaration_id, Declaration.vendor_id == vendor_id)
        .options(*_options())
    )
    if declaration is None:
        raise NotFound("That questionnaire does not exist.")
    return declaration


def list_own_declarations(vendor_id: int | None) -> list[Declaration]:
    """The vendor's questionnaires, products by name (one query)."""
    return list(
        db.session.scalars(
            select(Declaration)
            .join(Declaration.product)
            .where(Declaration.vendor_id == vendor_id)
            .options(joinedload(Declaration.product))
            .order_by(Product.name)
        )
    )


def element_choices() -> list[tuple[DataCategory, list[DataElement]]]:
    """The data elements offered, by category (two queries)."""
    categories = db.session.scalars(
        select(DataCategory)
        .options(selectinload(DataCategory.elements))
        .order_by(DataCategory.position, DataCategory.name)
    ).all()
    return [(c, [e for e in c.elements if not e.is_retired]) for c in categories if c.elements]


def taxonomy() -> dict[str, tuple[str, ...]]:
    """The district's taxonomy as plain data, for reading a pasted Exhibit B (imports.exhibit_b)."""
    return {category.name: tuple(element.name for element in elements) for category, elements in element_choices()}


def element_ids_by_name() -> dict[tuple[str, str], int]:
    """{(category name, element name): id}."""
    return {
        (category.name, element.name): element.id for category, elements in element_choices() for element in elements
    }


# --- the review: what changed ------------------------------------------------------------------


@dataclass
class Change:
    what: str
    before: str
    after: str


def _yes_no(value: bool | None) -> str:
    return "" if value is None else "Yes" if value else "No"


def summary(version: DeclarationVersion) -> dict[str, str]:
    """The version's answers as words, by question."""
    return {
        "No student data": _yes_no(version.no_student_data),
        "Where data is stored": version.storage_location,
        "How long data is kept": version.retention,
        "How data is disposed of": version.disposal_method,
        "Disposal window (days)": "" if version.disposal_window_days is None else str(version.disposal_window_days),
        "Breach notice (hours)": "" if version.breach_notice_hours is None else str(version.breach_notice_hours),
        "Sells data": _yes_no(version.sells_data),
        "Targeted advertising": _yes_no(version.targeted_ads),
        "Tracks students across sites": _yes_no(version.cross_site_tracking),
        "Agreement": Terms(version.terms).label if version.terms else "",
    }


def _subprocessor_text(sub) -> str:
    return (
        f"{sub.service or 'no service given'}; "
        f"{'receives student data' if sub.receives_student_data else 'no student data'}"
        f"{'; data kept in ' + sub.data_location if sub.data_location else ''}"
    )


def changes(new: DeclarationVersion, old: DeclarationVersion | None) -> list[Change]:
    """What changed from `old` to `new`, question by question, element by element; everything when
    there is no older version."""
    result: list[Change] = []
    before = summary(old) if old is not None else {}
    for question, answer in summary(new).items():
        if before.get(question, "") != answer:
            result.append(Change(question, before.get(question, ""), answer))
    old_elements = {e.data_element_id: e for e in old.elements} if old is not None else {}
    new_elements = {e.data_element_id: e for e in new.elements}
    for element_id, row in new_elements.items():
        earlier = old_elements.get(element_id)
        if earlier is None:
            result.append(Change(f"Data element: {row.element.name}", "", row.purpose))
        elif earlier.purpose != row.purpose:
            result.append(Change(f"Data element: {row.element.name}", earlier.purpose, row.purpose))
    for element_id, row in old_elements.items():
        if element_id not in new_elements:
            result.append(Change(f"Data element: {row.element.name}", row.purpose, "(removed)"))
    old_subs = {s.name: s for s in old.subprocessors} if old is not None else {}
    new_subs = {s.name: s for s in new.subprocessors}
    for name, sub in new_subs.items():
        earlier = old_subs.get(name)
        if earlier is None or _subprocessor_text(earlier) != _subprocessor_text(sub):
            result.append(
                Change(f"Subprocessor: {name}", _subprocessor_text(earlier) if earlier else "", _subprocessor_text(sub))
            )
    for name, sub in old_subs.items():
        if name not in new_subs:
            result.append(Change(f"Subprocessor: {name}", _subprocessor_text(sub), "(removed)"))
    return result


@dataclass
class Review:
    """The officer's view of a declaration: the version to review, the one before it, what changed."""

    version: DeclarationVersion
    previous: DeclarationVersion | None
    changes: list[Change]


def review(declaration: Declaration | None) -> Review | None:
    """The latest submitted (or accepted) version against the last one the district accepted before
    it (what the public reads now), else the one submitted before it. A version submitted and then
    replaced before anyone reviewed it is skipped: what it changed is shown against the accepted one."""
    if declaration is None:
        return None
    shown = [v for v in declaration.versions if v.status is not VersionStatus.DRAFT]
    if not shown:
        return None
    version, earlier = shown[-1], shown[:-1]
    accepted = [v for v in earlier if v.reviewed_at is not None]
    previous = accepted[-1] if accepted else earlier[-1] if earlier else None
    return Review(version, previous, changes(version, previous))


# --- a pasted Exhibit B --------------------------------------------------------------------


@dataclass
class PastedExhibit:
    """What a vendor's pasted Exhibit B says, matched to the district's data elements."""

    elements: dict[int, str]  # data element id: the vendor's note for it (a purpose to check)
    no_student_data: bool
    unmatched: list[str]  # the vendor's words for rows with no counterpart, or left open
    read_rows: int


def read_exhibit_b(text: str) -> PastedExhibit:
    """Read a pasted schedule of data with the importer's matching (imports.exhibit_b)."""
    reading = exhibit_b.read_schedule(text, taxonomy())
    ids = element_ids_by_name()
    notes = {row.line: (row.note or row.specify) for row in reading.rows}
    elements: dict[int, str] = {}
    unmatched: list[str] = []
    for match in reading.matches:
        element_id = ids.get((match.category, match.element))
        if element_id is None or match.is_new:
            unmatched.append(match.written)
            continue
        elements.setdefault(element_id, (match.description or notes.get(match.line, "") or "").strip()[:2000])
    unmatched += [f"{row.category}: {row.element} (left open)" for row in reading.undecided]
    return PastedExhibit(elements, reading.no_student_data, unmatched, len(reading.rows))
