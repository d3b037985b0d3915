"""Reading for the importer and the export: the remembered column mapping, and the directory as CSV."""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from clearinghouse.agreements.models import AgreementState
from clearinghouse.agreements.status import AgreementStanding, ProductAgreementStatus, standing
from clearinghouse.directory import queries as directory_queries
from clearinghouse.directory.models import DataElement, DataUse, Product, ProductKind, StatedAgreementStatus, Vendor
from clearinghouse.directory.search import search_hits
from clearinghouse.extensions import db
from clearinghouse.imports import mapping as fields
from clearinghouse.imports.models import ImportDraft, ImportMapping, ImportValueChoice
from clearinghouse.timeutil import district_today


def remembered_mapping(headers: list[str]) -> dict[str, str]:
    row = db.session.scalar(
        select(ImportMapping).where(ImportMapping.header_signature == fields.header_signature(headers))
    )
    return dict(row.mapping) if row else {}


def suggested_mapping(headers: list[str]) -> dict[str, str]:
    """The mapping to show first: what was chosen last time for these headers, else guesses."""
    return fields.guess_mapping(headers, remembered_mapping(headers))


def remembered_values() -> dict[str, dict[str, str]]:
    """What the district said each value of a status, kind, grade or school column means: field → key → meaning."""
    found: dict[str, dict[str, str]] = {}
    for name, key, meaning in db.session.execute(
        select(ImportValueChoice.field, ImportValueChoice.value_key, ImportValueChoice.meaning)
    ):
        found.setdefault(name, {})[key] = meaning
    return found


def kind_names() -> dict[str, str]:
    """The kinds of product a file's rows may be given, in the district's order: slug → name."""
    return dict(
        db.session.execute(
            select(ProductKind.slug, ProductKind.name)
            .where(ProductKind.is_retired.is_(False))
            .order_by(ProductKind.position, ProductKind.name)
        ).all()
    )


def get_draft(draft_id: int, user_id: int) -> ImportDraft | None:
    """An import in progress, only for the staff member who started it."""
    draft = db.session.get(ImportDraft, draft_id)
    return draft if draft is not None and draft.user_id == user_id else None


EXPORT_HEADERS = list(fields.FIELDS)


def _agreement_words(product: Product, where: AgreementStanding) -> str:
    """Where the agreement stands, as the pages say it; a draft (which the columns do not carry) leaves
    what the district stated, so that importing the file again changes nothing."""
    if where.state is AgreementState.DRAFT:
        return str(StatedAgreementStatus(product.agreement_status).label)
    return str(where.label)


def export_row(product: Product, today: date | None = None) -> dict[str, str]:
    """A product's public facts in the import's columns (no internal notes, no documents): its approval and
    where its agreement stands in plain words, with the dates of the agreement that status comes from, and
    the public notes beside each (the approval's conditions or reason; the vendor's reason for declining,
    where the agreement is said to be declined)."""
    where = standing(product, today or district_today())
    agreement = where.agreement
    declined = where.status is ProductAgreementStatus.DECLINED_BY_VENDOR and product.agreement_note
    uses = sorted(product.data_uses, key=lambda u: (u.element.category.position, u.element.position, u.element.name))
    return {
        "vendor": product.vendor.name,
        "product": product.name,
        "kind": product.kind.name,
        "status": str(directory_queries.public_status(product).label),
        "status_note": product.status_note,
        "agreement_status": _agreement_words(product, where),
        "agreement_note": product.agreement_note if declined else "",
        "website": product.website,
        "privacy_policy_url": product.vendor.privacy_policy_url,
        "purpose": product.purpose_md,
        "data_elements": "; ".join(f"{u.element.category.name}: {u.element.name}" for u in uses),
        "agreement_kind": str(agreement.kind.label) if agreement else "",
        "signed_on": agreement.signed_on.isoformat() if agreement and agreement.signed_on else "",
        "effective_on": agreement.effective_on.isoformat() if agreement and agreement.effective_on else "",
        "expires_on": agreement.expires_on.isoformat() if agreement and agreement.expires_on else "",
        "schools": "; ".join(school.name for school in product.schools),
        "grade_bands": product.grade_bands,
        "notes": "",  # staff notes are never exported
    }


# Products read, turned into rows and let go per round: a worker holds one batch (with its data
# uses, schools and agreements) at a time, however large the catalogue.
EXPORT_BATCH = 500
CHUNK_CHARS = 64 * 1024  # text handed to the server at a time


def export_products(
    filters: directory_queries.DirectoryFilters, today: date, batch: int = EXPORT_BATCH
) -> Iterator[Product]:
    """The products the directory shows for these filters, with what the export needs, read `batch` at a
    time (`yield_per`: a server-side cursor on PostgreSQL): one query for the products, and per batch one
    each for their data uses, schools and agreements. The session keeps its objects only while they are
    referred to (a weak identity map), so it holds about one batch at a time."""
    stmt = select(Product).join(Product.vendor).where(*filters.clauses(today))
    if filters.terms:
        hits = search_hits(filters.terms)
        stmt = stmt.join(hits, hits.c.product_id == Product.id)
    stmt = (
        stmt.options(
            contains_eager(Product.vendor),
            selectinload(Product.data_uses).joinedload(DataUse.element).joinedload(DataElement.category),
            selectinload(Product.schools),
            selectinload(Product.agreements),
        )
        .order_by(Vendor.name, Product.name, Product.id)
        .execution_options(yield_per=batch)
    )
    yield from db.session.scalars(stmt)


def guard_cell(cell: str) -> str:
    """Stop spreadsheets from running a cell as a formula; the import removes the mark again."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@") else cell


def export_csv(products: Iterable[Product], today: date) -> Iterator[str]:
    """The CSV in chunks of about CHUNK_CHARS, the header row first (before any product is read)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_HEADERS, lineterminator="\r\n")
    writer.writeheader()
    yield out.getvalue()
    out.seek(0)
    out.truncate()
    for product in products:
        writer.writerow({name: guard_cell(value or "") for name, value in export_row(product, today).items()})
        if out.tell() >= CHUNK_CHARS:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    if out.tell():
        yield out.getvalue()
