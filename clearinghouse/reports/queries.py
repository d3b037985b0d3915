"""The public reports' figures: aggregates only (counts of products, agreements, requests).

No figure names a student or a vendor user. The figures take a fixed number of queries, whatever the row
count: the counts kept by triggers are read in one (`read_figures`), the destruction requests in another,
the overlap in a third.
Products that are not listed (retired, or of a retired vendor: `directory.queries.listed_clause`)
count nowhere: the reports describe what is in use, as the school and data element pages they link
to do. Figures are built
for one page, in its reader's language (titles, and the data's names where staff translated them).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Executable,
    Integer,
    Result,
    Select,
    String,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    true,
    union_all,
)

from clearinghouse.agreements import queries as agreement_queries
from clearinghouse.agreements.models import AgreementState
from clearinghouse.agreements.state import kept_state_counts
from clearinghouse.agreements.status import ProductAgreementStatus, kept_status_counts
from clearinghouse.destruction.models import CertificateStatus, DestructionRequest, DisposalCertificate, RequestStatus
from clearinghouse.directory.models import (
    DataCategory,
    DataElement,
    Product,
    ProductKind,
    ProductStatus,
    School,
    Vendor,
    product_status_count,
)
from clearinghouse.directory.queries import listed_clause
from clearinghouse.extensions import constant_rows, db
from clearinghouse.i18n import LocalizedText, current_language, decoded_translations, localize, translated
from clearinghouse.i18n import kept_gettext as _
from clearinghouse.timeutil import district_today, format_date, to_district
from clearinghouse.urls import MAX_PAGE

IN_USE = listed_clause()


@lru_cache(maxsize=4)
def _agreement_status_counts(today: date) -> Select:
    """The agreement status counts of `today`, written for that day (`kept_status_counts`) and built once
    a day: building the statement takes about 11 ms of CPU (bench database, load 1)."""
    return kept_status_counts(today, IN_USE)


def _plain(statement: Executable, params: dict[str, Any] | None = None) -> Result:
    """The rows of a statement of columns, run on the session's connection: the figures read plain rows,
    and the ORM's execution of each statement cost about 0.3 ms of Python (1 ms for the overlap's 1,400
    rows). Nothing is flushed first: the page only reads."""
    return db.session.connection().execute(statement, params)


@dataclass(frozen=True)
class Bar:
    label: str | LocalizedText  # LocalizedText: a name staff wrote, marked when untranslated
    value: int
    tone: str = "neutral"  # neutral | ok | warn | bad: the bar's colour, always doubled by its label
    slug: str | None = None  # the public page of what the bar counts, with the figure's `link_endpoint`


@dataclass(frozen=True)
class Figure:
    slug: str
    title: str
    description: str  # what is counted, in a sentence
    unit: str  # what the numbers count, for the table header ("Products")
    label_heading: str  # the table's first column ("Data category")
    bars: list[Bar]
    link_endpoint: str | None = None  # the public page each bar's `slug` names (a school's page)

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)

    @property
    def is_empty(self) -> bool:
        return self.total == 0


class OverlapProduct(NamedTuple):
    """A product of the overlap section: a tuple, made from a row at once (700 of them on the bench)."""

    name: str
    slug: str
    vendor: str
    schools: str  # the names of the schools that use it, by name, joined by ", "


# Products listed per kind in the overlap section; a kind with more links to its own pages, which list
# them all (`overlap_page`). A district's register has a few hundred products, so most kinds are listed
# whole; at the bench's 25,000 the full list was a 5 MB page, and 50 a kind still three quarters of a
# 205 KB page that no reader reads through.
OVERLAP_LISTED = 10


class OverlapKind(NamedTuple):
    """What the overlap section shows and sorts of a kind (read with its products, not as a record)."""

    slug: str
    name: str  # in the district's language (the sort's tie-break)
    position: int


@dataclass(frozen=True)
class Overlap:
    kind: OverlapKind
    name: LocalizedText  # the kind's, in the reader's language
    products: list[OverlapProduct]  # the first OVERLAP_LISTED by name
    product_count: int  # every product of the kind in use at some school
    school_count: int  # the schools that use them

    @property
    def more(self) -> int:
        return self.product_count - len(self.products)


@dataclass(frozen=True)
class OverlapPage:
    """One page of a kind's products in use at some school, by name, with the figures of all of them."""

    kind: ProductKind
    name: LocalizedText  # the kind's, in the reader's language
    results: Pagination  # of OverlapProduct
    product_count: int  # every product of the kind in use at some school
    school_count: int  # the schools that use them


@dataclass(frozen=True)
class Report:
    figures: list[Figure]
    overlaps: list[Overlap] = field(default_factory=list)


# The figures read by `read_figures`, each of its rows a figure's: rows of (name, translations, second name, second
# translations, slug, count), the columns a figure does not use NULL, in the figure's order.
FIGURES_READ = ("categories", "sensitive", "schools", "approval", "agreement-status", "agreements")
FigureRows = dict[str, list[tuple[Any, ...]]]
NO_TEXT = cast(null(), String)
NO_TRANSLATIONS = cast(null(), DataCategory.translations.type)
NO_PLACE = literal_column("0")  # a figure counted by key, whose rows' order does not matter


def _figure_part(
    figure: str,
    place: ColumnElement[int],
    name: ColumnElement[str],
    count: ColumnElement[int],
    translations: ColumnElement[Any] = NO_TRANSLATIONS,
    other_name: ColumnElement[str] = NO_TEXT,
    other_translations: ColumnElement[Any] = NO_TRANSLATIONS,
    slug: ColumnElement[str] = NO_TEXT,
) -> Select:
    """One figure's rows in `read_figures`' columns, numbered by `place` in its order."""
    return select(
        literal_column(str(FIGURES_READ.index(figure))).label("figure"),
        place.label("place"),
        name.label("name"),
        translations.label("translations"),
        other_name.label("other_name"),
        other_translations.label("other_translations"),
        slug.label("slug"),
        count.label("count"),
    )


def _in_order(*order: Any) -> ColumnElement[int]:
    """A figure's rows numbered in its order (the union of the figures keeps no order of its own)."""
    return func.row_number().over(order_by=order)


APPROVAL_COUNTS = select(product_status_count)


@lru_cache(maxsize=4)
def _figures_statement(today: date) -> CompoundSelect:
    """`FIGURES_READ`' rows on `today`, every figure's count kept by triggers, in one statement built once a
    day: read one by one, they were six round trips, and on a loaded machine each waited for PostgreSQL's
    process and then for ours to be scheduled again (about 3 ms a round trip at a load of 6 on 2 cores)."""
    keyed = [
        (figure, statement.subquery(f"counted_{figure.replace('-', '_')}"))
        for figure, statement in (
            ("approval", APPROVAL_COUNTS),
            ("agreement-status", _agreement_status_counts(today)),
            ("agreements", kept_state_counts(today)),
        )
    ]
    return union_all(
        # The categories, each with its count of listed products that receive its data.
        _figure_part(
            "categories",
            _in_order(DataCategory.position, DataCategory.name),
            DataCategory.name,
            DataCategory.product_count,
            translations=DataCategory.translations,
        ),
        # The sensitive elements, each with its count of listed receivers, and its category.
        _figure_part(
            "sensitive",
            _in_order(DataElement.receiver_count.desc(), DataElement.name),
            DataElement.name,
            DataElement.receiver_count,
            translations=DataElement.translations,
            other_name=DataCategory.name,
            other_translations=DataCategory.translations,
        )
        .join(DataElement.category)
        .where(DataElement.is_sensitive.is_(True)),
        # The schools in use, each with its count of listed products.
        _figure_part(
            "schools",
            _in_order(School.product_count.desc(), School.name),
            School.name,
            School.product_count,
            slug=School.slug,
        ).where(School.is_retired.is_(False)),
        # The counts by a key: the products by approval, by agreement status, the agreements by state.
        *(_figure_part(figure, NO_PLACE, cast(part.c[0], String), part.c[1]) for figure, part in keyed),
    ).order_by("figure", "place")


def read_figures(today: date) -> FigureRows:
    """The rows of each of `FIGURES_READ` on `today` (`_figures_statement`), read in one query."""
    found: FigureRows = {figure: [] for figure in FIGURES_READ}
    for figure, _place, *row in constant_rows(_figures_statement(today)):
        found[FIGURES_READ[figure]].append(tuple(row))
    return found


# Each request but the withdrawn ones, with the certificate the district accepted, if any.
DESTRUCTION_REQUESTS = (
    select(DestructionRequest.id, DestructionRequest.status, DestructionRequest.due_on,
           DestructionRequest.closed_on, DisposalCertificate.submitted_at)
    .outerjoin(
        DisposalCertificate,
        and_(
            DisposalCertificate.request_id == DestructionRequest.id,
            DisposalCertificate.status == CertificateStatus.ACCEPTED,
        ),
    )
    .where(DestructionRequest.status != RequestStatus.WITHDRAWN)
)  # fmt: skip


def products_per_category(read: FigureRows | None = None) -> Figure:
    """Each category carries its count of listed products that receive its data (`DataCategory.product_count`,
    kept by triggers): from `read` (`read_figures`), or one query."""
    rows = (read or read_figures(district_today()))["categories"]
    return Figure(
        "categories",
        _("Products per data category"),
        _("How many products in use receive at least one data element of each category."),
        _("Products"),
        _("Data category"),
        [Bar(localize(name, translations, "name"), count) for name, translations, *_unused, count in rows],
    )


def products_per_sensitive_element(read: FigureRows | None = None) -> Figure:
    """Each element carries its count of listed receivers (`DataElement.receiver_count`, kept by triggers):
    from `read` (`read_figures`), or one query."""
    bars = []
    for element, element_translations, category, category_translations, _slug, count in (
        read or read_figures(district_today())
    )["sensitive"]:
        element_name = localize(element, element_translations, "name")
        category_name = localize(category, category_translations, "name")
        label = element_name.derive(f"{element_name} ({category_name})")
        if element_name.is_fallback != category_name.is_fallback:  # half translated: say it in words alone
            label = LocalizedText(f"{element_name} ({category_name})", current_language())
        bars.append(Bar(label, count, "bad" if count else "neutral"))
    return Figure(
        "sensitive",
        _("Who receives sensitive data"),
        _(
            "How many products in use receive each sensitive data element (health, disability, discipline, "
            "free or reduced lunch, biometrics and the like)."
        ),
        _("Products"),
        _("Sensitive data element"),
        bars,
    )


STATE_TONES = {
    AgreementState.ACTIVE: "ok",
    AgreementState.UPCOMING: "ok",
    AgreementState.EXPIRING: "warn",
    AgreementState.DRAFT: "neutral",
    AgreementState.ON_FILE: "neutral",
    AgreementState.RENEWED: "neutral",
    AgreementState.EXPIRED: "bad",
    AgreementState.TERMINATED: "bad",
}


APPROVAL_TONES = {
    ProductStatus.APPROVED: "ok",
    ProductStatus.APPROVED_WITH_CONDITIONS: "warn",
    ProductStatus.APPROVED_NO_STUDENT_DATA: "ok",
    ProductStatus.UNDER_REVIEW: "neutral",
    ProductStatus.NOT_APPROVED: "bad",
}
AGREEMENT_STATUS_TONES = {
    ProductAgreementStatus.SIGNED: "ok",
    ProductAgreementStatus.ON_FILE: "neutral",
    ProductAgreementStatus.REQUESTED: "warn",
    ProductAgreementStatus.NONE_ON_FILE: "warn",
    ProductAgreementStatus.DECLINED_BY_VENDOR: "bad",
    ProductAgreementStatus.NOT_REQUIRED: "neutral",
}


def products_by_approval(read: FigureRows | None = None) -> Figure:
    """The products in use by the district's approval: the counts kept by triggers (`product_status_count`,
    migration 20261126_headline_counts), from `read` (`read_figures`), or one query."""
    counts = {status: count for status, *_unused, count in (read or read_figures(district_today()))["approval"]}
    return Figure(
        "approval",
        _("Products by approval for use"),
        _("The products in use (retired ones left out) by whether the district approves them."),
        _("Products"),
        _("Approval for use"),
        [Bar(str(status.label), counts.get(status, 0), tone) for status, tone in APPROVAL_TONES.items()],
    )


def products_by_agreement_status(today: date, read: FigureRows | None = None) -> Figure:
    """The products in use by where their data-privacy agreement stands, counted in SQL by
    `agreements.status.kept_status_counts` from the groups kept by triggers: from `read` (`read_figures`), or
    one query."""
    counts = {status: count for status, *_unused, count in (read or read_figures(today))["agreement-status"]}
    return Figure(
        "agreement-status",
        _("Products by agreement status"),
        _(
            "The products in use by where their data-privacy agreement stands on %(day)s; a signed agreement counts "
            "whatever its state.",
            day=format_date(today),
        ),
        _("Products"),
        _("Data-privacy agreement"),
        [Bar(str(status.label), counts.get(status.value, 0), tone) for status, tone in AGREEMENT_STATUS_TONES.items()],
    )


def agreements_by_state(today: date, read: FigureRows | None = None) -> Figure:
    """States are derived from dates, so they are counted in SQL by `agreements.state.kept_state_counts`:
    from `read` (`read_figures`), or one query."""
    counts = agreement_queries.state_counts(
        (state, count) for state, *_unused, count in (read or read_figures(today))["agreements"]
    )
    return Figure(
        "agreements",
        _("Agreements by state"),
        _("The data-privacy agreements by their state on %(day)s.", day=format_date(today)),
        _("Agreements"),
        _("State"),
        [Bar(str(state.label), counts[state], STATE_TONES[state]) for state in AgreementState],
    )


def destruction_compliance(today: date) -> Figure:
    """Requests to destroy data, by how the vendor answered: on time, late, overdue, or still open.

    A request is certified on time when the certificate that the district accepted was submitted
    by the due date (district calendar).
    """
    # A statement without values from its reader: prepared once per connection (`constant_rows`); its status read
    # as the driver gives it, the text RequestStatus's members equal.
    rows = constant_rows(DESTRUCTION_REQUESTS)
    buckets = {"on_time": 0, "late": 0, "overdue": 0, "open": 0}
    seen: set[int] = set()
    for request_id, status, due_on, closed_on, submitted_at in rows:
        if request_id in seen:
            continue
        seen.add(request_id)
        if status == RequestStatus.ACCEPTED:
            answered_on = to_district(submitted_at).date() if submitted_at else closed_on
            buckets["on_time" if answered_on is None or answered_on <= due_on else "late"] += 1
        elif status == RequestStatus.OPEN and due_on < today:
            buckets["overdue"] += 1
        else:
            buckets["open"] += 1
    return Figure(
        "destruction",
        _("Data destruction compliance"),
        _(
            "Requests to vendors to destroy or return student data (withdrawn requests left out), by how they "
            "were answered."
        ),
        _("Requests"),
        _("Outcome"),
        [
            Bar(_("Certified on time"), buckets["on_time"], "ok"),
            Bar(_("Certified late"), buckets["late"], "warn"),
            Bar(_("Overdue (no certificate after the due date)"), buckets["overdue"], "bad"),
            Bar(_("Open (not yet due, or certificate under review)"), buckets["open"], "neutral"),
        ],
    )


def products_per_school(read: FigureRows | None = None) -> Figure:
    """Each school carries its count of listed products (`School.product_count`, kept by triggers): from
    `read` (`read_figures`), or one query."""
    rows = (read or read_figures(district_today()))["schools"]
    return Figure(
        "schools",
        _("Products by school"),
        _("How many products in use each school uses."),
        _("Products"),
        _("School"),
        [Bar(name, count, slug=slug) for name, *_unused, slug, count in rows],
        link_endpoint="directory.school",
    )


# A product of the overlap: in use, and used at some school (the schools' names it keeps are not NULL).
PLACED = and_(IN_USE, Product.school_names.is_not(None))
# A kind's products in the overlap's order: by name, then id (the order of `ix_product_kind_name`).
OVERLAP_ORDER = (Product.kind_id, Product.name, Product.id)


# A kind overlaps when at least two of its products in use are each used at some school, and together they
# are used at two schools or more (its counts kept on the kind by triggers).
OVERLAPPING = and_(ProductKind.placed_product_count >= 2, ProductKind.school_count >= 2)
# What the overlap shows of its kinds: read with their products (a query less than reading them first).
OVERLAP_KIND_COLUMNS = (
    ProductKind.id,
    ProductKind.slug,
    ProductKind.name,
    # As text, decoded once a kind (`i18n.decoded_translations`): as JSON, the driver decoded it on each of the
    # kind's rows (140 on the bench's page).
    cast(ProductKind.translations, Text),
    ProductKind.position,
    ProductKind.placed_product_count,
    ProductKind.school_count,
)


@lru_cache(maxsize=4)
def _overlap_statement(lateral: bool, listed: int) -> Select:
    """The first `listed` (OVERLAP_LISTED) products in use of each overlapping kind, by name: rows of the kind's
    `OVERLAP_KIND_COLUMNS` then the product's name, slug, vendor's name and schools, a row per product, its
    schools' names as the product keeps them (`Product.school_names`, kept by triggers: NULL when no school
    uses it). Built once (per database and number listed)."""
    # The first OVERLAP_LISTED of each kind, each read from the index of the kind's products by name
    # (`ix_product_kind_name`, migration 20261126_report_counts) and stopped there: a window over
    # every product of the overlapping kinds sorted the whole catalogue (85-200 ms at 25,000 products).
    # The schools' names kept on the product: joined from the links by a grouped, ordered string_agg, the
    # 700 products took each a second probe for their links, 1,400 rows grouped back (about 3 ms more on
    # the bench, migration 20261127_product_school_names).
    if lateral:
        # PostgreSQL: one walk written once, run for each kind (LATERAL). The union of a walk per kind,
        # 14 on the bench, took about 3 ms to plan on every request (0.8 ms this way), for the same rows.
        first = (
            select(Product.id, Product.name, Product.slug, Product.vendor_id, Product.school_names)
            .where(Product.kind_id == ProductKind.id, PLACED)
            .order_by(*OVERLAP_ORDER)
            .limit(listed)
            .correlate(ProductKind)
            .lateral("firsts")
        )
        return (
            select(*OVERLAP_KIND_COLUMNS, first.c.name, first.c.slug, Vendor.name, first.c.school_names)
            .select_from(ProductKind)
            .join(first, true())
            .join(Vendor, Vendor.id == first.c.vendor_id)
            .where(OVERLAPPING)
            .order_by(first.c.name, first.c.id)
        )
    # SQLite has no LATERAL: the products of the overlapping kinds numbered in their kind's order (SQLite is
    # not the bench's database).
    numbered = (
        select(Product.id, func.row_number().over(partition_by=Product.kind_id, order_by=OVERLAP_ORDER[1:]).label("n"))
        .join(ProductKind, ProductKind.id == Product.kind_id)
        .where(OVERLAPPING, PLACED)
        .subquery("numbered")
    )
    # Plain rows, only what the list shows: 700 ORM objects with their vendors cost about a third of
    # the page's Python.
    return (
        select(*OVERLAP_KIND_COLUMNS, Product.name, Product.slug, Vendor.name, Product.school_names)
        .select_from(Product)
        .join(numbered, numbered.c.id == Product.id)
        .join(ProductKind, ProductKind.id == Product.kind_id)
        .join(Vendor, Vendor.id == Product.vendor_id)
        .where(numbered.c.n <= listed)
        .order_by(Product.name, Product.id)
    )


def overlapping_products() -> list[Overlap]:
    """Kinds of product where different schools use different products (a chance to share one):
    `OVERLAPPING` kinds, each with its first OVERLAP_LISTED products in use and their schools, in one query
    (`_overlap_statement`)."""
    kinds: dict[int, tuple[OverlapKind, LocalizedText, int, int]] = {}
    by_kind: dict[int, list[OverlapProduct]] = defaultdict(list)
    lateral = db.session.get_bind().dialect.name == "postgresql"
    for kind_id, kind_slug, kind_name, translations, position, placed, schools_using, *product in constant_rows(
        _overlap_statement(lateral, OVERLAP_LISTED)
    ):
        if kind_id not in kinds:
            name = localize(kind_name, decoded_translations(translations), "name")
            kinds[kind_id] = (OverlapKind(kind_slug, kind_name, position), name, placed, schools_using)
        by_kind[kind_id].append(OverlapProduct(*product))
    overlaps = [
        Overlap(kind, name, by_kind[kind_id], placed, schools_using)
        for kind_id, (kind, name, placed, schools_using) in kinds.items()
    ]
    return sorted(overlaps, key=lambda o: (-o.product_count, o.kind.position, o.kind.name))


# A page of one kind's products in use at some school, with what the overlap's rows show; built once.
# The page's ids are picked first, then only their rows joined to their vendors: joined before the pick,
# a deep page (the bench's page 70 of a kind, 1,750 products) hashed all 10,000 vendors and sorted every
# product's row (about 30 % slower).
_OVERLAP_PAGE_IDS = (
    select(Product.id)
    .where(Product.kind_id == bindparam("kind"), PLACED)
    .order_by(*OVERLAP_ORDER)
    .limit(bindparam("limit", type_=Integer))
    .offset(bindparam("offset", type_=Integer))
    .subquery("page")
)
OVERLAP_PAGE = (
    select(Product.name, Product.slug, Vendor.name, Product.school_names)
    .join(_OVERLAP_PAGE_IDS, _OVERLAP_PAGE_IDS.c.id == Product.id)
    .join(Vendor, Vendor.id == Product.vendor_id)
    .order_by(Product.name, Product.id)
)


class _OverlapRows(Pagination):
    """A page of a kind's products in the overlap, read as plain rows; its total already known (the kind's
    kept count): no count query, and no statement past the last page."""

    def _query_items(self) -> list[OverlapProduct]:
        if self._query_offset >= self._query_args["total"]:
            return []
        params = {"kind": self._query_args["kind"], "limit": self.per_page, "offset": self._query_offset}
        return [OverlapProduct(*row) for row in _plain(OVERLAP_PAGE, params)]

    def _query_count(self) -> int:
        return self._query_args["total"]


def overlap_page(slug: str, page: int, per_page: int) -> OverlapPage | None:
    """A page of the kind's products in use at some school (the overlap section's list of the kind, whole),
    by name, each with its vendor and its schools (two queries: the kind, its page of products; none past
    the last page); None for an unknown kind."""
    kind = db.session.scalar(select(ProductKind).where(ProductKind.slug == slug))
    if kind is None:
        return None
    results = _OverlapRows(
        kind=kind.id,
        total=kind.placed_product_count,
        page=min(max(page, 1), MAX_PAGE),
        per_page=per_page,
        max_per_page=per_page,
        error_out=False,
    )
    return OverlapPage(kind, translated(kind, "name"), results, kind.placed_product_count, kind.school_count)


def build_report(today: date | None = None) -> Report:
    today = today or district_today()
    read = read_figures(today)
    return Report(
        figures=[
            products_per_category(read),
            products_per_sensitive_element(read),
            products_by_approval(read),
            products_by_agreement_status(today, read),
            agreements_by_state(today, read),
            destruction_compliance(today),
            products_per_school(read),
        ],
        overlaps=overlapping_products(),
    )
