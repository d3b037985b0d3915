"""Reading for the importer and the export: the remembered column mapping, and the directory as CSV."""

import csv
import io
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from flask_babel import gettext
from sqlalchemy import Select, Text, cast, func, select, text
from sqlalchemy.orm import aliased

from clearinghouse.agreements.models import Agreement, AgreementKind, AgreementState
from clearinghouse.agreements.status import AgreementStanding, ProductAgreementStatus, standing
from clearinghouse.directory import queries as directory_queries
from clearinghouse.directory.models import (
    DataCategory,
    DataElement,
    Product,
    ProductKind,
    ProductStatus,
    School,
    StatedAgreementStatus,
    Vendor,
    product_school,
)
from clearinghouse.directory.queries import AgreementTerms
from clearinghouse.directory.search import search_hits
from clearinghouse.extensions import db
from clearinghouse.imports import mapping as fields
from clearinghouse.imports.models import ImportDraft, ImportMapping, ImportValueChoice
from clearinghouse.timeutil import long_date, reader_locale


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


class ExportVendor(NamedTuple):
    """What `directory.queries.public_status` reads of a product's vendor, and the vendor's columns."""

    name: str
    is_retired: bool
    privacy_policy_url: str


class ExportProduct(NamedTuple):
    """A product as the export reads it, made from plain rows: what `directory.queries.public_status` and
    `agreements.status.standing` read of a loaded product (as the directory's `CardProduct`), and the
    export's columns. Loaded as ORM objects with their vendor, kind, data uses, schools and agreements,
    products cost about 670 µs of Python each (docs/performance-log.md, csvfast)."""

    id: int
    name: str
    status: ProductStatus
    status_note: str
    agreement_status: StatedAgreementStatus
    agreement_note: str
    website: str
    purpose_md: str
    grade_bands: str
    kind: str  # its kind's name
    received: list[int]  # the data elements it receives, by id (`directory.queries.RECEIVED_ELEMENT_IDS`)
    school_ids: str | None  # the schools that use it: their ids joined by ",", in no order; None: none
    vendor: ExportVendor
    agreements: list[AgreementTerms]
    agreement_kinds: dict[int, AgreementKind]  # each agreement's kind, by id


# The exported product's agreements, aliased: the filters' subqueries name the agreement table.
_EXPORTED_AGREEMENT = aliased(Agreement, name="exported_agreement")
# The schools that use the product, aggregated by the database (one string a product, no statement a batch).
_SCHOOL_IDS = (
    select(func.aggregate_strings(cast(product_school.c.school_id, Text), ","))
    .where(product_school.c.product_id == Product.id)
    .scalar_subquery()
)
# The columns of the export's statement, in the order `export_products` reads them.
_EXPORT_COLUMNS = (
    Product.id,
    Product.name,
    Product.status,
    Product.status_note,
    Product.agreement_status,
    Product.agreement_note,
    Product.website,
    Product.purpose_md,
    Product.grade_bands,
    ProductKind.name,
    directory_queries.RECEIVED_ELEMENT_IDS.label("received"),
    _SCHOOL_IDS.label("school_ids"),
    Vendor.name,
    Vendor.is_retired,
    Vendor.privacy_policy_url,
    _EXPORTED_AGREEMENT.kind,
    *(getattr(_EXPORTED_AGREEMENT, name) for name in AgreementTerms._fields),
)
_VENDOR_AT, _AGREEMENT_KIND_AT, _TERMS_AT = 12, 15, 16

# The data elements, each with its category, and the schools: named once an export. Elements of the same
# place in the taxonomy (category position, position, name) are said in order of id (the loaded data uses
# were in order of the use's id).
_ELEMENT_NAMES = (
    select(DataElement.id, DataCategory.position, DataElement.position, DataElement.name, DataCategory.name)
    .join(DataElement.category)
    .order_by(DataElement.id)
)
_SCHOOL_NAMES = select(School.id, School.name).order_by(School.name)

# For the rest of the export's transaction (PostgreSQL), its cursor planned to read every row.
_PLANNED_FOR_EVERY_ROW = text("SET LOCAL cursor_tuple_fraction = 1")
# Rows read from the database at a time (`yield_per`: a server-side cursor on PostgreSQL): a worker holds
# one batch of plain rows, however large the catalogue.
EXPORT_BATCH = 500
CHUNK_CHARS = 64 * 1024  # text handed to the server at a time


def export_products(
    filters: directory_queries.DirectoryFilters, today: date, batch: int = EXPORT_BATCH
) -> Iterator[ExportProduct]:
    """The products the directory shows for these filters, in its order by vendor and name, with what the
    export needs: one statement, a row per product and agreement (a product's rows together), read
    `batch` rows at a time (after a SET, when it probes each product's agreement by key: `export_probes`)."""
    connection = db.session.connection()
    probes = directory_queries.export_probes(filters, today)
    if probes:
        # PostgreSQL plans a cursor for its first tenth of rows (`cursor_tuple_fraction`): for the probing
        # statement it walked the vendors by name and joined each to every probed product (529 ms on the bench for
        # element-40 with "active"); the export reads every row.
        connection.execute(_PLANNED_FOR_EVERY_ROW)
    stmt = _export_statement(filters, today, filters.agreement_by_rule(today), probes)
    product: ExportProduct | None = None
    # Plain rows: through the session's connection, without the ORM's execution.
    for row in connection.execute(stmt, execution_options={"yield_per": batch}):
        if product is None or row[0] != product.id:
            if product is not None:
                yield product
            product = ExportProduct(*row[:_VENDOR_AT], ExportVendor(*row[_VENDOR_AT:_AGREEMENT_KIND_AT]), [], {})
        if row[_TERMS_AT] is not None:
            terms = AgreementTerms(*row[_TERMS_AT:])
            product.agreements.append(terms)
            product.agreement_kinds[terms.id] = row[_AGREEMENT_KIND_AT]
    if product is not None:
        yield product


@lru_cache(maxsize=256)
def _export_statement(
    filters: directory_queries.DirectoryFilters, today: date, agreement_by_rule: bool, probes: bool
) -> Select:
    """`export_products`' statement for the filters and day, the agreement filter asked by its rule or read as its
    ids (`DirectoryFilters.clauses`), by key for each product with `probes` (`directory.queries.export_probes`).
    Made once, as the directory's page statements are: with an agreement filter it is a large tree, and building
    it and computing its cache key cost about 1.2 ms of Python an export (element-40 with "active" on the bench)."""
    stmt = select(*_EXPORT_COLUMNS).select_from(Product).join(Product.vendor).join(Product.kind)
    if filters.terms:
        hits = search_hits(filters.terms)
        stmt = stmt.join(hits, hits.c.product_id == Product.id)
    clauses = filters.clauses(today, agreement_ids=not agreement_by_rule)
    if probes:
        clauses = directory_queries.probing_clauses(filters, today, clauses)
    return (
        stmt.outerjoin(Product.agreements.of_type(_EXPORTED_AGREEMENT))
        .where(*clauses)
        .order_by(Vendor.name, Product.name, Product.id, _EXPORTED_AGREEMENT.id)
    )


class ExportWords:
    """What the rows of an export say again and again, each worked out once an export: the labels of
    statuses and agreement kinds, the agreements' phrases with their messages and days (in the language
    being rendered; a lazy string translates at every `str()`), each data element as "Category: Element",
    the schools' names (two statements)."""

    def __init__(self, today: date) -> None:
        self.today = today
        self._labels: dict[Any, str] = {}
        self._phrases: dict[tuple, str] = {}
        self._messages: dict[str, str] = {}
        self._days: dict[date | None, str] = {}
        # `format_date`'s words, the language asked once an export rather than for each of its days (an
        # agreement's days are mostly its own: 410 of the bench's 595 rows for element-40 with "active").
        self._locale = reader_locale()
        connection = db.session.connection()
        # A product's data elements are said in the taxonomy's order (category, then element), as `sorted`
        # orders names: by the place of each here.
        elements = sorted(connection.execute(_ELEMENT_NAMES).all(), key=lambda row: row[1:4])
        self._elements = {
            element_id: (place, f"{category}: {name}")
            for place, (element_id, _, _, name, category) in enumerate(elements)
        }
        # A product's schools, by name, as the database orders them.
        self._schools = {id_: (place, name) for place, (id_, name) in enumerate(connection.execute(_SCHOOL_NAMES))}

    def label(self, value: Any) -> str:
        """`str(value.label)` of an enum member."""
        try:
            return self._labels[value]
        except KeyError:
            said = self._labels[value] = str(value.label)
            return said

    def agreement(self, product: ExportProduct, where: AgreementStanding) -> str:
        """Where the agreement stands, as the pages say it (`where.label`'s words: each phrase worded once, a
        fixed label, a lazy string whose hash would translate it, known by its identity; each message
        translated and each day said once, an agreement's day being mostly its own); a draft (which the
        columns do not carry) leaves what the district stated, so that importing the file again changes
        nothing."""
        if where.state is AgreementState.DRAFT:
            return self.label(StatedAgreementStatus(product.agreement_status))
        phrase = where.phrase
        key = (phrase.text if phrase.names_day else id(phrase.text), phrase.day)
        try:
            return self._phrases[key]
        except KeyError:
            said = self._phrases[key] = phrase.worded(self._message, self._day)
            return said

    def _message(self, message: str) -> str:
        try:
            return self._messages[message]
        except KeyError:
            said = self._messages[message] = gettext(message)
            return said

    def _day(self, day: date | None) -> str:
        try:
            return self._days[day]
        except KeyError:
            said = self._days[day] = "" if day is None else long_date(day, self._locale)
            return said

    def data_elements(self, ids: list[int]) -> str:
        return "; ".join(text for _, text in sorted(self._elements[id_] for id_ in ids))

    def schools(self, ids: str | None) -> str:
        if not ids:
            return ""
        return "; ".join(name for _, name in sorted(self._schools[int(id_)] for id_ in ids.split(",")))


def export_row(product: ExportProduct, words: ExportWords) -> list[str]:
    """A product's public facts in the import's columns (EXPORT_HEADERS; no internal notes, no documents):
    its approval and where its agreement stands in plain words, with the dates of the agreement that status
    comes from, and the public notes beside each (the approval's conditions or reason; the vendor's reason
    for declining, where the agreement is said to be declined)."""
    where = standing(product, words.today)
    agreement = where.agreement
    declined = where.status is ProductAgreementStatus.DECLINED_BY_VENDOR and product.agreement_note
    return [
        product.vendor.name,
        product.name,
        product.kind,
        words.label(directory_queries.public_status(product)),
        product.status_note,
        words.agreement(product, where),
        product.agreement_note if declined else "",
        product.website,
        product.vendor.privacy_policy_url,
        product.purpose_md,
        words.data_elements(product.received),
        words.label(product.agreement_kinds[agreement.id]) if agreement else "",
        agreement.signed_on.isoformat() if agreement and agreement.signed_on else "",
        agreement.effective_on.isoformat() if agreement and agreement.effective_on else "",
        agreement.expires_on.isoformat() if agreement and agreement.expires_on else "",
        words.schools(product.school_ids),
        product.grade_bands,
        "",  # staff notes are never exported
    ]


_FORMULA_STARTS = ("=", "+", "-", "@")


def guard_cell(cell: str) -> str:
    """Stop spreadsheets from running a cell as a formula; the import removes the mark again."""
    return f"'{cell}" if cell[:1] in _FORMULA_STARTS else cell


def export_csv(filters: directory_queries.DirectoryFilters, today: date, batch: int = EXPORT_BATCH) -> Iterator[str]:
    """The CSV of the products the directory shows for these filters, in chunks of about CHUNK_CHARS, the
    header row first (before any product is read)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADERS)
    yield out.getvalue()
    out.seek(0)
    out.truncate()
    words = ExportWords(today)
    for product in export_products(filters, today, batch):
        writer.writerow(map(guard_cell, export_row(product, words)))
        if out.tell() >= CHUNK_CHARS:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    if out.tell():
        yield out.getvalue()
