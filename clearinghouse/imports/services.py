"""Importing an existing inventory into the directory, all of it or none; exporting it in the same columns.

An import is planned first (read only: what would be created, updated, left alone, and each row's
problems in words a person understands), then applied in one unit of work that plans again, so
nothing is written from a stale preview. Applying writes nothing itself: it calls the directory's
and the agreements' services, exactly as their staff forms do, and only flushes (the caller
commits). Empty cells never erase: a blank status, date or list leaves what the directory says.
Re-importing the same file changes nothing.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from clearinghouse.accounts.models import User
from clearinghouse.agreements import services as agreements
from clearinghouse.agreements.models import Agreement, AgreementKind, AgreementState
from clearinghouse.agreements.rules import term_problems
from clearinghouse.agreements.services import AgreementInput
from clearinghouse.audit import services as audit
from clearinghouse.destruction import services as destruction
from clearinghouse.destruction.services import RequestDraft
from clearinghouse.directory import queries as directory_queries
from clearinghouse.directory import services as directory
from clearinghouse.directory.models import (
    MARKDOWN_MAX,
    URL_MAX,
    DataElement,
    DataUse,
    Product,
    ProductStatus,
    School,
    StatedAgreementStatus,
    Vendor,
)
from clearinghouse.errors import DomainError, ItemRefused
from clearinghouse.extensions import collector_paused, db
from clearinghouse.imports import mapping as fields
from clearinghouse.imports import queries
from clearinghouse.imports.choices import PlanChoices
from clearinghouse.imports.files import Table
from clearinghouse.imports.models import ImportDraft, ImportMapping, ImportValueChoice
from clearinghouse.imports.prepare import (
    District,
    DuplicateGroup,
    Prepared,
    PreparedRow,
    SetAside,
    cells_by_field,
    default_choice,
    prepare,
)
from clearinghouse.imports.values import NEW_KIND, VALUE_FIELDS, check_meaning
from clearinghouse.imports.vocabulary import AgreementStatus
from clearinghouse.text import UnsafeText, clean_line, clean_text, name_key, visible_text
from clearinghouse.timeutil import district_today, utcnow

# School cells meaning "every school" (the digital-toolkit template's "Whole School").
ALL_SCHOOLS_WORDS = {
    "whole school",
    "all schools",
    "all",
    "district wide",
    "districtwide",
    "whole district",
    "all campuses",
    "all buildings",
}
IMPORTED_NOTE = "Imported from the district's inventory."
# Lists may be one item a line; notes may be several lines.
MULTI_LINE_FIELDS = frozenset({"purpose", "data_elements", "schools", "notes", "status_note", "agreement_note"})
NO_DATA_WORDS = {"none", "no student data", "no student data collected", "n/a", "na"}


@lru_cache(maxsize=65_536)  # a file names the same vendors and products again and again
def _key(text: str) -> str:
    """How names are compared: as everywhere (`text.name_key`), case, spacing and look-alike forms do not matter."""
    return name_key(text)


def _unsafe_cells(cells: dict[str, str]) -> list[str]:
    """A problem for each cell holding a character the site refuses (NUL, escape, direction override…);
    only the purpose and the lists may span several lines."""
    problems = []
    for name, value in cells.items():
        check = clean_text if name in MULTI_LINE_FIELDS else clean_line
        try:
            check(value)
        except UnsafeText as err:
            problems.append(f"{fields.FIELDS[name]}: {err.message}")
    return problems


# --- the plan ------------------------------------------------------------------------------


@dataclass
class AgreementTarget:
    """One agreement that rows of the file describe: an existing one, or one the import adds.

    An agreement is identified by its vendor and its signed and effective dates.
    """

    key: tuple[str, date | None, date | None, int | None]
    existing: Agreement | None
    kind: AgreementKind | None
    expires_on: date | None
    first_row: int
    on_file: bool = False  # the file says an agreement is on file, and gives none of its dates

    @property
    def signed_on(self) -> date | None:
        return self.key[1]

    @property
    def effective_on(self) -> date | None:
        return self.key[2]

    @property
    def decision_key(self) -> str:
        """How the officer's decision about a destruction request names this agreement."""
        return "|".join(str(part or "") for part in self.key[:3])

    @property
    def new_kind(self) -> AgreementKind:
        """The kind an added agreement gets: the file's, or custom when the file names none."""
        return self.kind or AgreementKind.CUSTOM

    @property
    def signed_text(self) -> str:
        """The preview's "Signed" cell: the day, or what stands in for it."""
        if self.on_file:
            return str(AgreementState.ON_FILE.label)
        return f"{self.signed_on:%Y-%m-%d}" if self.signed_on else "Not signed"

    def ended_before(self, today: date) -> bool:
        return self.existing is None and self.expires_on is not None and self.expires_on < today

    @property
    def name(self) -> str:
        if self.on_file:
            return "the agreement on file (dates not recorded)"
        if self.signed_on:
            return f"the agreement signed on {self.signed_on:%Y-%m-%d}"
        if self.effective_on:
            return f"the agreement in effect from {self.effective_on:%Y-%m-%d}"
        return "the unsigned (draft) agreement"

    def changes(self) -> list[str]:
        """What the import changes on the agreement itself (not which products it covers)."""
        if self.existing is None and self.on_file:
            return ["New agreement on file, dates not recorded"]
        if self.existing is None:
            ends = f"expires {self.expires_on:%Y-%m-%d}" if self.expires_on else "open-ended"
            return [f"New agreement ({self.new_kind.label}): {self.name.removeprefix('the agreement ')}, {ends}"]
        changes = []
        if self.kind and self.kind is not self.existing.kind:
            changes.append(f"Kind of {self.name}: {self.existing.kind.label} → {self.kind.label}")
        if self.expires_on and self.expires_on != self.existing.expires_on:
            before = f"{self.existing.expires_on:%Y-%m-%d}" if self.existing.expires_on else "open-ended"
            changes.append(f"End of {self.name}: {before} → {self.expires_on:%Y-%m-%d}")
        return changes


@dataclass
class RowPlan:
    row: int
    vendor_name: str
    product_name: str
    action: str = "unchanged"  # create | update | unchanged
    changes: list[str] = field(default_factory=list)
    vendor: Vendor | None = None
    product: Product | None = None
    values: dict[str, Any] = field(default_factory=dict)  # product columns to set
    elements: list[DataElement] | None = None  # the complete new list; None leaves the data uses alone
    schools: list[str] | None = None  # school names (existing or new); None leaves them alone
    privacy_policy_url: str | None = None  # to set on the vendor
    agreement: AgreementTarget | None = None
    joins_agreement: bool = False  # the product is added to the agreement's products
    agreement_status: AgreementStatus | None = None  # what the file says of the product's agreement
    kept: dict[str, tuple[str, str]] = field(default_factory=dict)  # header → (tags | notes | links, cell)

    @property
    def data_element_names(self) -> list[str]:
        return [element.name for element in self.elements or []]


@dataclass
class RowError:
    row: int
    message: str


@dataclass
class ImportPlan:
    headers: list[str]
    mapping: dict[str, str]
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    new_vendors: list[str] = field(default_factory=list)
    new_schools: list[str] = field(default_factory=list)
    new_kinds: list[str] = field(default_factory=list)  # kinds of product the file adds, by name
    new_agreements: int = 0
    values: dict[str, list] = field(default_factory=dict)  # field → the distinct values (values.ValueRow)
    set_aside: list[SetAside] = field(default_factory=list)
    prepared: Prepared | None = None  # what each step of the import shows
    open_requests: dict[str, bool] = field(default_factory=dict)  # ended agreement → open a destruction request

    @property
    def created(self) -> list[RowPlan]:
        return [row for row in self.rows if row.action == "create"]

    @property
    def updated(self) -> list[RowPlan]:
        return [row for row in self.rows if row.action == "update"]

    @property
    def unchanged(self) -> list[RowPlan]:
        return [row for row in self.rows if row.action == "unchanged"]

    @property
    def ignored_headers(self) -> list[str]:
        return [header for header in self.headers if not self.mapping.get(header)]

    @property
    def has_changes(self) -> bool:
        return any(row.action != "unchanged" for row in self.rows)

    def summary(self) -> str:
        return (
            f"{len(self.created)} products to create, {len(self.updated)} to update, {len(self.unchanged)} unchanged; "
            f"{len(self.new_vendors)} new vendors, {len(self.new_schools)} new schools, "
            f"{self.new_agreements} new agreements; {len(self.errors)} problems"
            + (f"; {len(self.new_kinds)} new kinds of product" if self.new_kinds else "")
            + (f"; {len(self.set_aside)} rows set aside." if self.set_aside else ".")
        )


class _Catalog:
    """The records a file can refer to, loaded in a constant number of queries.

    Names are matched in Python (case and spacing ignored, for any alphabet: SQLite's lower()
    only folds ASCII), then only the matching vendors and products are loaded in full.
    """

    def __init__(self, rows: list[PreparedRow], mapping: dict[str, str]):
        product_keys = {_key(row.cells.get("product", "")) for row in rows}
        vendor_keys = {_key(row.cells.get("vendor", "")) for row in rows}
        vendor_ids = [
            vid for vid, name in db.session.execute(select(Vendor.id, Vendor.name)) if _key(name) in vendor_keys
        ]
        product_ids = [
            pid for pid, name in db.session.execute(select(Product.id, Product.name)) if _key(name) in product_keys
        ]
        self.vendors: dict[str, Vendor] = {}
        if vendor_ids:
            stmt = (
                select(Vendor)
                .where(Vendor.id.in_(vendor_ids))
                .options(selectinload(Vendor.agreements).selectinload(Agreement.products))
            )
            self.vendors = {_key(vendor.name): vendor for vendor in db.session.scalars(stmt)}
        products: list[Product] = []
        if product_ids:
            stmt = (
                select(Product)
                .where(Product.id.in_(product_ids))
                .options(
                    joinedload(Product.vendor).selectinload(Vendor.agreements).selectinload(Agreement.products),
                    selectinload(Product.data_uses).joinedload(DataUse.element).joinedload(DataElement.category),
                    selectinload(Product.schools),
                )
                .order_by(Product.id)
            )
            products = list(db.session.scalars(stmt).unique())
        self.products_by_vendor = {(product.vendor_id, _key(product.name)): product for product in products}
        self.products_by_name: dict[str, list[Product]] = {}
        for product in products:
            self.products_by_name.setdefault(_key(product.name), []).append(product)
        elements = directory_queries.all_data_elements()  # in taxonomy order, so a choice is worded alike each time
        self.elements_by_word: dict[str, list[DataElement]] = {}
        for element in elements:
            for word in {_key(element.slug), _key(element.name), _key(f"{element.category.name}: {element.name}")}:
                self.elements_by_word.setdefault(word, []).append(element)
        self.schools = {_key(school.name): school for school in db.session.scalars(select(School))}


def _resolve_elements(cat: _Catalog, text: str, product: Product | None) -> tuple[list[DataElement], list[str]]:
    """Elements named in a cell (by name, "Category: name" or slug; ; , or new lines between)."""
    if _key(text) in NO_DATA_WORDS:
        return [], []
    found: list[DataElement] = []
    problems: list[str] = []

    def take(piece: str, matches: list[DataElement]) -> None:
        if len(matches) > 1:
            options = " or ".join(f"“{m.category.name}: {m.name}”" for m in matches)
            problems.append(f"“{piece}” is in more than one category. Write {options}.")
            return
        element = matches[0]
        if element.is_retired and not (product and any(u.data_element_id == element.id for u in product.data_uses)):
            problems.append(f"“{element.name}” is no longer offered as a data element. Remove it from the row.")
        elif element not in found:
            found.append(element)

    for piece in fields.split_list(text):
        matches = cat.elements_by_word.get(_key(piece))
        if matches:
            take(piece, matches)
            continue
        # Separated by commas: take the longest run of parts that names an element (names may hold commas).
        parts = [part.strip() for part in piece.split(",") if part.strip()]
        start = 0
        while start < len(parts):
            for end in range(len(parts), start, -1):
                candidate = ", ".join(parts[start:end])
                matches = cat.elements_by_word.get(_key(candidate))
                if matches:
                    take(candidate, matches)
                    start = end
                    break
            else:
                problems.append(
                    f"“{parts[start]}” is not a data element in the directory. Use the names on the "
                    "Data elements page (for example “Date of birth”), or add the element first."
                )
                start += 1
    return found, problems


def _resolve_schools(cat: _Catalog, text: str) -> tuple[list[str], bool]:
    """School names in a cell, and whether it means every school."""
    names: list[str] = []
    everywhere = False
    for piece in fields.split_list(text):
        parts = [piece] if _key(piece) in cat.schools else [part.strip() for part in piece.split(",") if part.strip()]
        for part in parts:
            if _key(part) in ALL_SCHOOLS_WORDS:
                everywhere = True
            elif _key(part) not in {_key(name) for name in names}:
                names.append(cat.schools[_key(part)].name if _key(part) in cat.schools else part)
    return names, everywhere


def _check(problems: list[str], rule: Callable[..., Any], *args: Any) -> None:
    """Ask a service's own rule about a value, so the preview refuses what the service would."""
    try:
        rule(*args)
    except UnsafeText:
        pass  # already reported, with its column, by _unsafe_cells
    except DomainError as err:
        problems.append(err.message)


def _read(cells: dict[str, str], name: str, reader: Callable[[str], Any], problems: list[str]) -> Any:
    if not cells.get(name):
        return None
    try:
        return reader(cells[name])
    except ValueError as err:
        problems.append(str(err))
        return None


def _find_agreement(vendor: Vendor | None, product: Product | None, signed_on, effective_on) -> Agreement | None:
    """The vendor's agreement with these dates, preferring one that already covers the product."""
    matches = [
        agreement
        for agreement in sorted(vendor.agreements if vendor else [], key=lambda a: a.id)
        if (agreement.signed_on, agreement.effective_on) == (signed_on, effective_on)
    ]
    covering = [agreement for agreement in matches if product is not None and product in agreement.products]
    return (covering or matches or [None])[0]


def plan_import(
    table: Table, mapping: dict[str, str], choices: PlanChoices | None = None, *, skip_problems: bool = False
) -> ImportPlan:
    """What importing the table with this mapping and these choices would do. Reads only; DomainError for
    an unusable mapping. `skip_problems` sets aside every row with a problem (with the problem as reason)."""
    problems = fields.mapping_problems(mapping)
    if problems:
        raise DomainError(" ".join(problems.values()))
    choices = choices or PlanChoices(mapping=dict(mapping))
    with collector_paused():
        plan = _plan(table, mapping, choices)
    if skip_problems and plan.errors:
        _set_aside_problems(plan, table)
    return plan


def _set_aside_problems(plan: ImportPlan, table: Table) -> None:
    """Move every row with a problem to the set-aside rows, with its problems as the reason.

    A row with a problem never joined the plan's rows (nor its new vendors or agreements), so the
    rest of the plan stands as it is; only the other products of a name that holds several go too.
    """
    reasons: dict[int, list[str]] = {}
    for error in plan.errors:
        reasons.setdefault(error.row, []).append(error.message)
    raw_of = dict(table.rows)
    plan.set_aside = sorted(
        [
            *plan.set_aside,
            *(SetAside(row, list(raw_of.get(row, [])), " ".join(messages)) for row, messages in reasons.items()),
        ],
        key=lambda entry: entry.number,
    )
    plan.errors = []
    plan.rows = [rp for rp in plan.rows if rp.row not in reasons]
    plan.new_vendors = sorted({rp.vendor_name for rp in plan.rows if rp.vendor is None}, key=_key)
    plan.new_agreements = len({rp.agreement.key for rp in plan.rows if rp.agreement and rp.agreement.existing is None})


def _district() -> District:
    """What the rows are read against: the district's schools, vendors and products, and its remembered values."""
    vendor_of_product: dict[str, list[str]] = {}
    names = select(Product.name, Vendor.name).join(Product.vendor).order_by(Vendor.name, Vendor.id)
    for product_name, vendor_name in db.session.execute(names):
        vendor_of_product.setdefault(_key(product_name), []).append(vendor_name)
    return District(
        schools=district_school_names(),
        vendors=list(db.session.scalars(select(Vendor.name).order_by(Vendor.name, Vendor.id))),
        vendor_of_product=vendor_of_product,
        remembered=queries.remembered_values(),
        kinds=queries.kind_names(),
    )


def _plan(table: Table, mapping: dict[str, str], choices: PlanChoices) -> ImportPlan:
    plan = ImportPlan(headers=table.headers, mapping=dict(mapping))
    today = district_today()
    district = _district()
    prepared = prepare(table, mapping, choices, district)
    plan.values = prepared.values
    plan.open_requests = dict(choices.destruction)
    plan.set_aside = prepared.set_aside
    plan.prepared = prepared
    cat = _Catalog(prepared.rows, mapping)
    has_vendor = "vendor" in mapping.values()
    aside = {entry.number for entry in prepared.set_aside}
    plan.errors.extend(RowError(number, message) for number, message in table.problems if number not in aside)
    bad_rows = {number for number, _ in table.problems}

    seen: dict[tuple[str, str], int] = {}
    privacy_seen: dict[str, tuple[str, int]] = {}
    targets: dict[tuple, AgreementTarget] = {}
    new_vendors: dict[str, str] = {}
    new_schools: dict[str, str] = {}
    whole_school_rows: list[RowPlan] = []

    raw = dict(table.rows)
    keep = _kept_columns(table, mapping, choices)
    # Characters the site refuses are found in the cells as the file writes them, before any step reads them.
    unsafe = {number: _unsafe_cells(cells) for number, _, cells in cells_by_field(table, mapping)}
    for prow in prepared.rows:
        number, cells = prow.number, prow.cells
        row_problems: list[str] = [*prow.problems, *unsafe.get(number, [])]
        product_name = cells.get("product", "")
        vendor_name = cells.get("vendor", "")
        if not product_name:
            row_problems.append("The product name is empty. Every row needs one.")
        else:
            _check(row_problems, directory.require_name, product_name, "product")
        if has_vendor and not vendor_name:
            row_problems.append("The vendor name is empty. Write the company's name.")
        elif vendor_name:
            _check(row_problems, directory.require_name, vendor_name, "vendor")

        status = _read(cells, "status", fields.parse_status, row_problems)
        kind = _read(cells, "kind", lambda text: fields.parse_kind(text, district.kinds or {}), row_problems)
        website = _read(cells, "website", fields.normalize_url, row_problems)
        privacy = _read(cells, "privacy_policy_url", fields.normalize_url, row_problems)
        for url in (website, privacy):
            if url and len(url) > URL_MAX:
                row_problems.append(f"The web address {url[:40]}… is longer than {URL_MAX} characters.")
        purpose = cells.get("purpose", "")
        if len(purpose) > MARKDOWN_MAX:
            row_problems.append(f"The purpose is longer than {MARKDOWN_MAX} characters.")
        grades = _read(cells, "grade_bands", fields.parse_grades, row_problems)
        agreement_kind = _read(cells, "agreement_kind", fields.parse_agreement_kind, row_problems)
        agreement_status = _read(cells, "agreement_status", fields.parse_agreement_status, row_problems)
        signed_on = _read(cells, "signed_on", fields.parse_date, row_problems)
        effective_on = _read(cells, "effective_on", fields.parse_date, row_problems)
        expires_on = _read(cells, "expires_on", fields.parse_date, row_problems)
        effective_on = effective_on or signed_on  # without its own date, an agreement takes effect when signed
        if any(cells.get(name) for name in fields.AGREEMENT_FIELDS):
            row_problems.extend(
                message
                for _field, message in term_problems(
                    signed_on=signed_on,
                    effective_on=effective_on,
                    expires_on=expires_on,
                    is_open_ended=expires_on is None,  # no end date in the file: open-ended
                    today=today,
                )
            )

        # Which vendor and product the row is about.
        product: Product | None = None
        vendor: Vendor | None = None
        if product_name and vendor_name:
            vendor = cat.vendors.get(_key(vendor_name))
            product = cat.products_by_vendor.get((vendor.id, _key(product_name))) if vendor else None
            key = (_key(vendor_name), _key(product_name))
            if key in seen:
                row_problems.append(
                    f"This row repeats row {seen[key]}: the same product of the same vendor is "
                    "listed twice. Keep one of the two rows."
                )
            seen.setdefault(key, number)
        vendor_key = _key(vendor_name)

        elements: list[DataElement] | None = None
        if cells.get("data_elements"):
            elements, element_problems = _resolve_elements(cat, cells["data_elements"], product)
            row_problems.extend(element_problems)
        school_names: list[str] | None = None
        everywhere = False
        if cells.get("schools"):
            school_names, everywhere = _resolve_schools(cat, cells["schools"])
            for name in school_names:
                _check(row_problems, directory.require_name, name, "school")
        if privacy:
            earlier = privacy_seen.setdefault(vendor_key, (privacy, number))
            if earlier[0] != privacy:
                row_problems.append(
                    f"This row gives {vendor_name} a different privacy policy address than row "
                    f"{earlier[1]}. A vendor has one privacy policy; make the rows agree."
                )

        target: AgreementTarget | None = None
        if any(cells.get(name) for name in fields.AGREEMENT_FIELDS) and product_name and vendor_name:
            existing = _find_agreement(vendor, product, signed_on, effective_on)
            target_key = (vendor_key, signed_on, effective_on, existing.id if existing else None)
            target = targets.setdefault(
                target_key, AgreementTarget(target_key, existing, agreement_kind, expires_on, number)
            )
            if (agreement_kind and target.kind and agreement_kind is not target.kind) or (
                expires_on and target.expires_on and expires_on != target.expires_on
            ):
                row_problems.append(
                    f"This row describes the same agreement as row {target.first_row} (same vendor "
                    "and dates) with a different kind or end date. Make the rows agree."
                )
            target.kind = target.kind or agreement_kind
            target.expires_on = target.expires_on or expires_on

        elif (
            agreement_status in (AgreementStatus.ON_FILE, AgreementStatus.SIGNED)
            and product_name
            and vendor_name
            and not (product is not None and product.agreements)
        ):
            # "DPA on file", "Received": the district holds an agreement, and the file gives none of its dates
            target_key = (vendor_key, None, None, -1)
            target = targets.setdefault(target_key, AgreementTarget(target_key, None, None, None, number, on_file=True))

        if row_problems or number in bad_rows:
            plan.errors.extend(RowError(number, message) for message in row_problems)
            continue

        rp = RowPlan(row=number, vendor_name=vendor_name, product_name=product_name, vendor=vendor, product=product)
        rp.agreement_status = agreement_status
        if vendor is None:
            new_vendors.setdefault(vendor_key, vendor_name)
        first_to_say = privacy and privacy_seen[vendor_key][1] == number
        if first_to_say and (vendor is None or vendor.privacy_policy_url != privacy):
            rp.privacy_policy_url = privacy
            if vendor is not None:
                rp.changes.append(f"Vendor's privacy policy: {vendor.privacy_policy_url or 'none'} → {privacy}")
        _plan_product_fields(rp, status, kind, website, purpose, grades, cells.get("grade_bands", ""))
        _plan_kind(rp, kind, cells.get("category_text", ""), district.kinds or {})
        _plan_notes(rp, cells.get("notes", "").strip())
        for note in ("status_note", "agreement_note"):  # conditions and reasons read from the text
            text = cells.get(note, "").strip()
            if text and (rp.product is None or not getattr(rp.product, note).strip()):
                rp.values[note] = text
                if rp.product is not None:
                    rp.changes.append(f"{'Conditions or reason' if note == 'status_note' else 'Vendor reason'}: {text}")
        _plan_stated_agreement(rp, agreement_status)
        if elements is not None:
            _plan_elements(rp, elements)
        if school_names is not None:
            for name in school_names:
                if _key(name) not in cat.schools:
                    new_schools.setdefault(_key(name), name)
            rp.schools = school_names
            if everywhere:
                whole_school_rows.append(rp)
        if target is not None:
            rp.agreement = target
            rp.joins_agreement = target.existing is None or product is None or product not in target.existing.products
        _plan_kept(rp, keep, raw.get(number, []), plan.errors)
        plan.rows.append(rp)

    # "Whole school" means every school, including the ones this file adds.
    every_school = {school.name for school in cat.schools.values() if not school.is_retired} | set(new_schools.values())
    for rp in whole_school_rows:
        rp.schools = sorted({*rp.schools, *every_school}, key=_key)
    for rp in plan.rows:
        if rp.schools is not None and rp.product is not None:
            _plan_schools(rp)
        if rp.agreement is not None:
            _plan_agreement(rp)
        rp.action = "create" if rp.product is None else ("update" if rp.changes else "unchanged")
    plan.errors.sort(key=lambda error: error.row)
    plan.new_vendors = sorted(new_vendors.values(), key=_key)
    plan.new_schools = sorted(new_schools.values(), key=_key)
    new_kinds = (rp.values.get("kind", "") for rp in plan.rows)
    plan.new_kinds = sorted({_key(k): k.removeprefix(NEW_KIND) for k in new_kinds if k.startswith(NEW_KIND)}.values())
    plan.new_agreements = len({rp.agreement.key for rp in plan.rows if rp.agreement and rp.agreement.existing is None})
    return plan


KEEP_AS = ("tags", "notes", "links")


def _kept_columns(table: Table, mapping: dict[str, str], choices: PlanChoices) -> dict[int, tuple[str, str]]:
    """Column index → (header, tags | notes | links) for each column with no field the officer keeps."""
    return {
        index: (header, choices.keep[header])
        for index, header in enumerate(table.headers)
        if not mapping.get(header) and choices.keep.get(header) in KEEP_AS
    }


def _plan_kept(rp: RowPlan, keep: dict[int, tuple[str, str]], raw: list[str], errors: list[RowError]) -> None:
    """What the row's kept columns add to the product: new tags, notes and (unpublished) evidence links."""
    product = rp.product
    for index, (header, how) in keep.items():
        value = (raw[index] if index < len(raw) else "").strip()
        if not value:
            continue
        if how == "links":
            try:
                value = directory.require_link(value)
            except DomainError:
                errors.append(RowError(rp.row, f"{header}: {value[:60]} is not a web address (https://…)."))
                continue
            if product is not None and any(link.url == value for link in product.links):
                continue
        elif how == "notes":
            if product is not None and any(n.label == header and n.body == value for n in product.notes):
                continue
        else:
            try:
                names = directory.tag_names(value)
            except DomainError as err:
                errors.append(RowError(rp.row, f"{header}: {err.message}"))
                continue
            have = {tag.name_key for tag in product.tags} if product is not None else set()
            if not [name for name in names if name_key(name) not in have]:
                continue
        rp.kept[header] = (how, value)
        if product is not None:
            rp.changes.append(f"{header} kept as {how}: {value}")


_STATED = {
    AgreementStatus.NONE_ON_FILE: StatedAgreementStatus.NONE_ON_FILE,
    AgreementStatus.REQUESTED: StatedAgreementStatus.REQUESTED,
    AgreementStatus.DECLINED_BY_VENDOR: StatedAgreementStatus.DECLINED_BY_VENDOR,
    AgreementStatus.NOT_REQUIRED: StatedAgreementStatus.NOT_REQUIRED,
}


def _plan_stated_agreement(rp: RowPlan, agreement_status: AgreementStatus | None) -> None:
    """Where the product's agreement stands when the file names no agreement of it (on file or signed ones are
    agreements of their own)."""
    stated = _STATED.get(agreement_status) if agreement_status else None
    if stated is None:
        return
    if rp.product is None:
        rp.values["agreement_status"] = stated
    elif rp.product.agreement_status is not stated:
        rp.values["agreement_status"] = stated
        rp.changes.append(f"Agreement status: {rp.product.agreement_status.label} → {stated.label}")


def _plan_notes(rp: RowPlan, notes: str) -> None:
    """Staff notes go on a new product, or on one that has none; never over what staff wrote."""
    if not notes:
        return
    if rp.product is None:
        rp.values["internal_notes"] = notes
    elif not rp.product.internal_notes.strip():
        rp.values["internal_notes"] = notes
        rp.changes.append("Staff notes added")


def _plan_kind(rp: RowPlan, kind: str | None, category_text: str, kinds: dict[str, str]) -> None:
    """The product's kind: an existing one (its slug), a new one ("new:NAME", added when the plan is
    applied), or, for a category kept as text, the default kind with the text kept for staff."""
    product = rp.product
    if product is None:
        if kind:
            rp.values["kind"] = kind
    elif kind and kind != product.kind.slug:
        rp.values["kind"] = kind
        rp.changes.append(f"Kind: {product.kind.name} → {kinds.get(kind) or kind.removeprefix(NEW_KIND)}")
    if category_text and (product is None or product.category_text != category_text):
        rp.values["category_text"] = category_text
        if product is not None:
            rp.changes.append(f"Category kept as text: {category_text}")


def _plan_product_fields(rp: RowPlan, status, kind, website, purpose: str, grades, grades_text: str) -> None:
    product = rp.product
    if product is None:
        rp.values = {
            "status": status[0] if status else ProductStatus.UNDER_REVIEW,
            "website": website or "",
            "purpose_md": purpose.strip(),
            "grade_bands": fields.format_grades(grades) if grades else "",
        }
        return
    if status and product.status not in status[1]:
        rp.values["status"] = status[0]
        rp.changes.append(f"Status: {product.status.label} → {status[0].label}")
    if website and website != product.website:
        rp.values["website"] = website
        rp.changes.append(f"Website: {product.website or 'none'} → {website}")
    if purpose.strip() and purpose.strip() != (product.purpose_md or "").strip():
        rp.values["purpose_md"] = purpose.strip()
        rp.changes.append("Purpose reworded")
    if grades and grades_text.strip() != product.grade_bands:
        try:
            current = fields.parse_grades(product.grade_bands)
        except ValueError:
            current = None
        if current != grades:
            rp.values["grade_bands"] = fields.format_grades(grades)
            rp.changes.append(f"Grade bands: {product.grade_bands or 'none'} → {rp.values['grade_bands']}")


def _plan_elements(rp: RowPlan, elements: list[DataElement]) -> None:
    rp.elements = elements
    if rp.product is None:
        return
    current = {use.element.id: use.element for use in rp.product.data_uses}
    wanted = {element.id: element for element in elements}
    added = [element.name for eid, element in wanted.items() if eid not in current]
    removed = [element.name for eid, element in current.items() if eid not in wanted]
    if added:
        rp.changes.append("Now receives: " + "; ".join(added))
    if removed:
        rp.changes.append("No longer receives: " + "; ".join(removed))
    if not added and not removed:
        rp.elements = None


def _plan_schools(rp: RowPlan) -> None:
    schools = rp.schools or []
    current = {_key(school.name) for school in rp.product.schools}
    wanted = {_key(name) for name in schools}
    if current == wanted:
        rp.schools = None
        return
    added = [name for name in schools if _key(name) not in current]
    removed = [school.name for school in rp.product.schools if _key(school.name) not in wanted]
    if added:
        rp.changes.append("Now used at: " + "; ".join(added))
    if removed:
        rp.changes.append("No longer used at: " + "; ".join(removed))


def _plan_agreement(rp: RowPlan) -> None:
    target = rp.agreement
    if target.first_row == rp.row:
        rp.changes.extend(target.changes())
    if rp.joins_agreement and (target.existing is not None or target.first_row != rp.row):
        rp.changes.append(f"Now covered by {target.name}")


def outcome(plan: ImportPlan) -> str:
    """What an applied import did, in one sentence."""
    return (
        f"{len(plan.created)} products created, {len(plan.updated)} updated, {len(plan.unchanged)} unchanged; "
        f"{len(plan.new_vendors)} new vendors, {len(plan.new_schools)} new schools, "
        f"{plan.new_agreements} new agreements"
        + (f", {len(plan.new_kinds)} new kinds of product." if plan.new_kinds else ".")
    )


# --- applying the plan ---------------------------------------------------------------------


def apply_import(
    table: Table, mapping: dict[str, str], choices: PlanChoices | None = None, *, actor: User | None
) -> ImportPlan:
    """Import the whole table (a core: it flushes, the caller's unit of work commits all of it, or nothing).

    Plans again inside the transaction and refuses (DomainError) if any row has a problem. Every
    vendor, product, school and agreement is written by its domain's service, as its staff form
    writes it: the same rules, versions, audit events (with the acting user) and public
    disclosure revisions. The mapping is remembered for the next file with the same headers.
    """
    plan = plan_import(table, mapping, choices)
    if plan.errors:
        raise DomainError(
            f"Nothing was imported: {len(plan.errors)} problems in the file need fixing first (or set their rows "
            "aside)."
        )
    try:
        with collector_paused():
            _Applier(actor, plan.open_requests).apply(plan)
            _remember(table.headers, mapping, actor)
            db.session.flush()
    except IntegrityError:
        raise DomainError(
            "Nothing was imported: the directory changed while the file was being saved (someone may have added "
            "the same vendor or product at the same moment). Check the preview again and confirm."
        ) from None
    return plan


@contextmanager
def _row(number: int) -> Iterator[None]:
    """A service's refusal names the row it came from (the preview's checks should have caught it)."""
    try:
        yield
    except DomainError as err:
        raise DomainError(
            f"Nothing was imported: row {number} could not be saved. {err.message} The directory may have changed "
            "since the preview; check the preview again and confirm."
        ) from err


class _Applier:
    """Writes a plan through the directory's and the agreements' services; the caller's unit of work commits."""

    def __init__(self, actor: User | None, open_requests: dict[str, bool] | None = None):
        self.actor = actor
        self.open_requests = open_requests or {}
        self.today = district_today()
        self.vendors: dict[str, Vendor] = {}
        self.schools = {_key(school.name): school for school in db.session.scalars(select(School))}
        self.joining: dict[tuple, tuple[AgreementTarget, Vendor, list[Product]]] = {}
        self.kinds: dict[str, Any] = {}  # name key → the kind the file adds

    def apply(self, plan: ImportPlan) -> None:
        rows = [rp for rp in plan.rows if rp.action != "unchanged"]  # a name holding two products makes two
        vendors: list[Vendor] = []
        for rp in rows:
            with _row(rp.row):
                vendors.append(self.vendor(rp))
                for name in rp.schools or []:
                    self.school(name)
        new = [n for n, rp in enumerate(rows) if rp.product is None]
        products: dict[int, Product] = dict(zip(new, self.create_products(rows, vendors, new), strict=True))
        for n, rp in enumerate(rows):
            with _row(rp.row):
                if rp.product is not None:
                    products[n] = self.update_product(rp)
                self.keep(products[n], rp.kept)
            if rp.agreement is not None and (rp.joins_agreement or rp.agreement.first_row == rp.row):
                entry = self.joining.setdefault(rp.agreement.key, (rp.agreement, vendors[n], []))
                if rp.joins_agreement:
                    entry[2].append(products[n])
        self.agreements(list(self.joining.values()))

    def vendor(self, rp: RowPlan) -> Vendor:
        vendor = rp.vendor or self.vendors.get(_key(rp.vendor_name))
        if vendor is None:
            vendor = directory.create_vendor(
                self.actor, name=rp.vendor_name, privacy_policy_url=rp.privacy_policy_url or ""
            )
        elif rp.privacy_policy_url is not None:
            directory.update_vendor(
                vendor, self.actor, version=vendor.version, privacy_policy_url=rp.privacy_policy_url
            )
        self.vendors[_key(rp.vendor_name)] = vendor
        return vendor

    def create_products(self, rows: list[RowPlan], vendors: list[Vendor], new: list[int]) -> list[Product]:
        """The file's new products (rows[n] for n in `new`), through the directory's bulk core: the same rules,
        rows, audit events and revisions as one product typed into its form, in one flush."""
        items = [
            directory.NewProduct(
                vendor=vendors[n],
                values={"name": rows[n].product_name, **self.values(rows[n])},
                school_ids=[self.school(name).id for name in rows[n].schools or []],
                # A use added by an import has no stated purpose yet; the product's page asks for one.
                data_uses={element.id: "" for element in rows[n].elements or []},
            )
            for n in new
        ]
        try:
            return directory.create_products(self.actor, items)
        except ItemRefused as err:
            with _row(rows[new[err.index]].row):
                raise DomainError(err.message, field=err.field) from None
        except DomainError as err:
            raise DomainError(
                f"Nothing was imported: the new products could not be saved. {err.message} The directory may have "
                "changed since the preview; check the preview again and confirm."
            ) from err

    def update_product(self, rp: RowPlan) -> Product:
        school_ids = [self.school(name).id for name in rp.schools] if rp.schools is not None else None
        data_uses = None
        if rp.elements is not None:
            # A use added by an import has no stated purpose yet; the product's page asks for one.
            purposes = {use.data_element_id: use.purpose for use in rp.product.data_uses}
            data_uses = {element.id: purposes.get(element.id, "") for element in rp.elements}
        values = self.values(rp)
        if values or school_ids is not None or data_uses is not None:
            directory.update_product(
                rp.product,
                self.actor,
                version=rp.product.version,
                school_ids=school_ids,
                data_uses=data_uses,
                **values,
            )
        return rp.product

    def values(self, rp: RowPlan) -> dict[str, Any]:
        """The row's product fields, a kind the file adds ("new:NAME") added first."""
        values = dict(rp.values)
        if values.get("kind", "").startswith(NEW_KIND):
            values["kind"] = self.kind(values["kind"].removeprefix(NEW_KIND))
        return values

    def kind(self, name: str) -> Any:
        """The kind of product the file adds, through the directory's service (once, whatever the rows)."""
        kind = self.kinds.get(_key(name))
        if kind is None:
            kind = self.kinds[_key(name)] = directory.create_kind(self.actor, name=name)
        return kind

    def keep(self, product: Product, kept: dict[str, tuple[str, str]]) -> None:
        """The row's kept columns, through the directory's services: tags added to the product's own,
        notes under the column's name, links left unpublished until an officer publishes them."""
        tags: list[str] = []
        for header, (how, value) in kept.items():
            if how == "tags":
                tags += directory.tag_names(value)
            elif how == "notes":
                directory.add_product_note(product, self.actor, label=header, body=value)
            else:
                directory.add_evidence_link(product, self.actor, url=value, label=header)
        if tags:
            directory.set_product_tags(product, self.actor, names=tags, version=product.version, add=True)

    def school(self, name: str) -> School:
        school = self.schools.get(_key(name))
        if school is None:
            school = self.schools[_key(name)] = directory.create_school(self.actor, name=name)
        return school

    def agreements(self, joining: list[tuple[AgreementTarget, Vendor, list[Product]]]) -> None:
        """Add the new agreements with every product the file puts under each (in one flush, through the
        agreements' bulk core), and change each existing one once."""
        new = [(target, vendor, products) for target, vendor, products in joining if target.existing is None]
        try:
            created = agreements.create_agreements(
                self.actor,
                [(vendor, self.new_agreement(target, products)) for target, vendor, products in new],
                today=self.today,
            )
        except ItemRefused as err:
            with _row(new[err.index][0].first_row):
                raise DomainError(err.message, field=err.field) from None
        for (target, vendor, _products), agreement in zip(new, created, strict=True):
            if target.on_file or not self.wants_request(target):
                continue
            draft = RequestDraft(
                vendor_id=vendor.id,
                agreement_id=agreement.id,
                reason=f"The agreement no. {agreement.id} ended on {target.expires_on:%Y-%m-%d} and was not renewed.",
            )
            with _row(target.first_row):
                destruction.open_destruction_request(draft, actor=self.actor, today=self.today)
        for target, _vendor, products in joining:
            if target.existing is not None:
                with _row(target.first_row):
                    self.update_agreement(target.existing, target, products)

    def wants_request(self, target: AgreementTarget) -> bool:
        return target.ended_before(self.today) and self.open_requests.get(target.decision_key, False)

    def new_agreement(self, target: AgreementTarget, products: list[Product]) -> AgreementInput:
        if target.on_file:
            return AgreementInput(
                kind=AgreementKind.CUSTOM,
                product_ids=[product.id for product in products],
                dates_recorded=False,
                internal_notes=IMPORTED_NOTE,
            )
        ended = target.ended_before(self.today)
        return AgreementInput(
            kind=target.new_kind,
            product_ids=[product.id for product in products],
            signed_on=target.signed_on,
            effective_on=target.effective_on,
            expires_on=target.expires_on,
            is_open_ended=target.expires_on is None,
            internal_notes=IMPORTED_NOTE,
            # An agreement that ended before the import never starts a directive by itself.
            destruction_not_requested=ended and not self.wants_request(target),
        )

    def update_agreement(self, existing: Agreement, target: AgreementTarget, products: list[Product]) -> None:
        data = AgreementInput.of(existing)
        data.product_ids += [product.id for product in products if product.id not in data.product_ids]
        if target.kind:
            data.kind = target.kind
        if target.expires_on:
            data.expires_on, data.is_open_ended = target.expires_on, False
        if data != AgreementInput.of(existing):
            agreements.update_agreement(existing, self.actor, data, version=existing.version, today=self.today)


# --- remembered mappings -------------------------------------------------------------------


MAPPING_LABEL = "Inventory column mapping"


def _remember(headers: list[str], mapping: dict[str, str], actor: User | None) -> None:
    signature = fields.header_signature(headers)
    row = db.session.scalar(select(ImportMapping).where(ImportMapping.header_signature == signature))
    wanted = {header: mapping.get(header, "") for header in headers}
    if row is None:
        row = ImportMapping(header_signature=signature, mapping=wanted)
        db.session.add(row)
        audit.record(actor, "import_mapping.created", row, {"mapping": [None, wanted]}, label=MAPPING_LABEL)
    elif row.mapping != wanted:
        audit.record(actor, "import_mapping.updated", row, {"mapping": [row.mapping, wanted]}, label=MAPPING_LABEL)
        row.mapping = wanted


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    return value


def plan_as_dict(plan: ImportPlan) -> dict[str, Any]:
    """The plan as plain data (the command line's --plan-json)."""
    return {
        "summary": plan.summary(),
        "columns": {header: name for header, name in plan.mapping.items() if name},
        "not_imported": plan.ignored_headers,
        "values": {
            name: [
                {"value": row.raw, "rows": row.count, "meaning": row.proposed, "remembered": row.remembered}
                for row in rows
            ]
            for name, rows in plan.values.items()
        },
        "rows": [
            {
                "row": rp.row,
                "action": rp.action,
                "vendor": rp.vendor_name,
                "new_vendor": rp.vendor is None,
                "product": rp.product_name,
                "values": {name: _plain(value) for name, value in rp.values.items()},
                "agreement_status": _plain(rp.agreement_status),
                "changes": rp.changes,
            }
            for rp in plan.rows
        ],
        "agreements": [
            {
                "vendor": vendor,
                "kind": _plain(target.kind or AgreementKind.CUSTOM),
                "signed_on": _plain(target.signed_on),
                "effective_on": _plain(target.effective_on),
                "expires_on": _plain(target.expires_on),
                "products": products,
            }
            for vendor, target, products in new_agreements(plan)
        ],
        "problems": [{"row": error.row, "message": error.message} for error in plan.errors],
        "set_aside": [{"row": entry.number, "reason": entry.reason} for entry in plan.set_aside],
    }


# --- imports in progress, and the meanings the district gave to values -------------------------


def default_duplicate_choice(group: DuplicateGroup, policy: str) -> str:
    return default_choice(group.rows[0], policy)


def district_school_names() -> list[str]:
    return list(db.session.scalars(select(School.name).where(School.is_retired.is_(False)).order_by(School.name)))


def new_agreements(plan: ImportPlan) -> list[tuple[str, AgreementTarget, list[str]]]:
    """Every agreement the import would add: its vendor, the agreement, and the products it covers."""
    found: dict[tuple, tuple[str, AgreementTarget, list[str]]] = {}
    for rp in plan.rows:
        target = rp.agreement
        if target is None or target.existing is not None:
            continue
        entry = found.setdefault(target.key, (rp.vendor_name, target, []))
        entry[2].append(rp.product_name)
    return sorted(found.values(), key=lambda entry: (_key(entry[0]), entry[1].first_row))


VALUE_LABEL = "Meaning of an imported value"
DRAFT_MAX_AGE_HOURS = 48


def start_draft(actor: User, *, file_id: str, filename: str, sheet: str | None) -> ImportDraft:
    """Keep an uploaded file's import in progress (a core: it flushes). Drafts older than two days go."""
    cutoff = utcnow() - timedelta(hours=DRAFT_MAX_AGE_HOURS)
    for old in db.session.scalars(select(ImportDraft).where(ImportDraft.updated_at < cutoff)):
        db.session.delete(old)
    choices = PlanChoices(sheet=sheet)
    draft = ImportDraft(
        user_id=actor.id, file_id=file_id, filename=visible_text(filename, 200), choices=choices.to_dict()
    )
    db.session.add(draft)
    db.session.flush()
    return draft


def save_choices(draft: ImportDraft, choices: PlanChoices) -> None:
    """Keep the choices of a step (a core: it flushes)."""
    draft.choices = choices.to_dict()
    draft.updated_at = utcnow()
    db.session.flush()


def discard_draft(draft: ImportDraft) -> None:
    db.session.delete(draft)
    db.session.flush()


def remember_values(chosen: dict[str, dict[str, str]], actor: User | None) -> int:
    """Remember what each value means for the district's next file (a core: it flushes). Returns how many
    meanings changed. DomainError for a meaning a field cannot have."""
    wanted: dict[tuple[str, str], str] = {}
    kinds = queries.kind_names()
    for name, meanings in chosen.items():
        if name not in VALUE_FIELDS:
            raise DomainError(f"“{name}” is not a column whose values are remembered.")
        for key, meaning in meanings.items():
            try:
                wanted[(name, key[:400])] = check_meaning(name, meaning, kinds=kinds)[:1000]
            except ValueError as err:
                raise DomainError(str(err)) from None
    if not wanted:
        return 0
    existing = {(row.field, row.value_key): row for row in db.session.scalars(select(ImportValueChoice))}
    changed: list[tuple[ImportValueChoice, str | None]] = []
    for (name, key), meaning in wanted.items():
        row = existing.get((name, key))
        if row is None:
            row = ImportValueChoice(field=name, value_key=key, meaning=meaning)
            db.session.add(row)
            changed.append((row, None))
        elif row.meaning != meaning:
            changed.append((row, row.meaning))
            row.meaning = meaning
    if changed:
        db.session.flush()
    for row, before in changed:
        audit.record(
            actor,
            "import_value.remembered",
            row,
            {"meaning": [before, row.meaning]},
            label=f"{VALUE_LABEL}: “{row.value_key}” ({fields.FIELDS.get(row.field, row.field)})",
        )
    return len(changed)


# --- a vendor's Exhibit B, for one product --------------------------------------------------------

OTHER_CATEGORY = "Other"


def apply_exhibit_b(product: Product, actor: User | None, accepted: list, *, version: int | None) -> list[str]:
    """Add the elements of an Exhibit B the officer accepted to the product's data uses (a core: it flushes).

    `accepted`: exhibit_b.ElementMatch items. A matched element is found by its category and name; a
    new one is added under "Other" (with the vendor's words as its description) through the directory's
    service. Existing uses keep their purposes; new ones have none yet (the public page says "Purpose not yet stated").
    Returns the names of the elements added.
    """
    elements = {
        (_key(element.category.name), _key(element.name)): element
        for element in db.session.scalars(select(DataElement).options(joinedload(DataElement.category)))
    }
    element_ids: list[int] = []
    for match in accepted:
        element = elements.get((_key(match.category), _key(match.element)))
        if element is None and match.is_new:
            element = elements.get((_key(OTHER_CATEGORY), _key(match.element)))
            if element is None:
                element = directory.create_element(
                    actor,
                    category_id=None,
                    new_category=OTHER_CATEGORY,
                    name=match.element,
                    description=match.description,
                )
                elements[(_key(OTHER_CATEGORY), _key(match.element))] = element
        if element is None:
            raise DomainError(
                f"“{match.element}” ({match.category}) is not a data element of the directory any more. Read the "
                "schedule again."
            )
        element_ids.append(element.id)
    return directory.add_data_uses(product, actor, version=version, element_ids=element_ids)
