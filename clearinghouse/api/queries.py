"""Read side of the open data: each list in a constant number of queries, in a stable order."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any, NamedTuple

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import (
    Boolean,
    ColumnElement,
    CompoundSelect,
    Integer,
    Row,
    Select,
    String,
    Subquery,
    and_,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import contains_eager, load_only, selectinload

from clearinghouse.agreements.models import Agreement, AgreementKind, DataDisposal, agreement_product
from clearinghouse.api.filters import SHALLOW_WALK, ProductQuery
from clearinghouse.destruction import public as destruction_public
from clearinghouse.destruction.models import DestructionRequest
from clearinghouse.destruction.public import DestructionStatus, PublicRequest
from clearinghouse.directory import queries as directory_queries
from clearinghouse.directory import school_queries
from clearinghouse.directory.models import (
    DataCategory,
    DataElement,
    DataUse,
    Product,
    ProductKind,
    School,
    Vendor,
    product_school,
)
from clearinghouse.directory.queries import DirectoryFilters, SearchShape, Sort
from clearinghouse.directory.search import SEARCH_WORDS, search_hits, search_words
from clearinghouse.extensions import db
from clearinghouse.page_cache import memoized_on_version
from clearinghouse.urls import MAX_PAGE

# What `serializers.product` shows of a product, its kind and its vendor (and their Last-Modified), read
# as plain rows: not the staff notes, nor the translations (the API speaks the district's language).
# As ORM objects, with their vendors and agreements, a page of 25 products cost ~10 ms of CPU to load.
# Its agreements, data uses and schools: `product_data`.
PRODUCT_ROW_COLUMNS = (
    Product.id,
    Product.slug,
    Product.name,
    ProductKind.slug.label("kind"),
    ProductKind.name.label("kind_name"),
    Product.status,
    Product.status_note,
    Product.agreement_status,
    Product.agreement_note,
    Product.website,
    Product.purpose_md,
    Product.grade_bands,
    Product.updated_at,
    Vendor.slug.label("vendor_slug"),
    Vendor.name.label("vendor_name"),
    Vendor.updated_at.label("vendor_updated_at"),
)
# What the API shows of a vendor (and its Last-Modified) where it names one: not the vendor's
# Markdown, notes and translations, which 25 rows would carry and decode.
VENDOR_COLUMNS = (Vendor.id, Vendor.slug, Vendor.name, Vendor.updated_at)


class AgreementRow(NamedTuple):
    """What `serializers.agreement_facts` and `agreements.status.standing` read of an agreement, and its
    Last-Modified (not its reference, notes and termination reason), as a plain row of `AGREEMENT_ROW_COLUMNS`,
    with the model's own rules (`Agreement.state_on` and the rest read only these), as the directory's cards
    read theirs (`directory.queries.AgreementTerms`): loaded as ORM objects, a page's cost about 0.3 ms more."""

    id: int
    kind: AgreementKind
    signed_on: date | None
    effective_on: date | None
    expires_on: date | None
    auto_renews: bool
    terminated_on: date | None
    destruction_window_days: int | None
    disposal_method: DataDisposal | None
    document_id: int | None
    is_document_published: bool
    renewed_by_id: int | None
    dates_recorded: bool
    updated_at: datetime

    term_ends_on = Agreement.term_ends_on
    renews_on = Agreement.renews_on
    ended_on = Agreement.ended_on
    state_on = Agreement.state_on
    destruction_window = Agreement.destruction_window


AGREEMENT_ROW_COLUMNS = tuple(getattr(Agreement, field) for field in AgreementRow._fields)

# What `serializers.product_ref` shows of a product, and its Last-Modified.
PRODUCT_REF_COLUMNS = load_only(
    Product.id,
    Product.vendor_id,
    Product.slug,
    Product.name,
    Product.kind_id,
    Product.status,
    Product.updated_at,
    raiseload=True,
)


# A page's size and start, bound when the statement runs: the statements below are built once per
# worker (building and keying them took a few milliseconds of Python a request).
PAGE_LIMIT = bindparam("page_limit", type_=Integer)
PAGE_OFFSET = bindparam("page_offset", type_=Integer)
PRODUCT_IDS = bindparam("product_ids", expanding=True)


def _page_params(limit: int, offset: int, **more: Any) -> dict[str, Any]:
    return {"page_limit": limit, "page_offset": offset, **more}


def product_rows(*where: ColumnElement[bool]) -> Select:
    """The products' rows as the API shows them (`PRODUCT_ROW_COLUMNS`), with their kind and vendor."""
    return (
        select(*PRODUCT_ROW_COLUMNS)
        .join(ProductKind, ProductKind.id == Product.kind_id)
        .join(Vendor, Vendor.id == Product.vendor_id)
        .where(*where)
    )


@dataclass(frozen=True)
class ProductData:
    """The agreements, data uses and schools of some products, and their agreements' destruction statuses
    (`product_data`)."""

    agreements: dict[int, list[AgreementRow]]  # by product id, in no order
    uses: dict[int, list[tuple]]  # by product id: element, element_name, category, category_name, is_sensitive, purpose
    schools: dict[int, list[tuple]]  # by product id: slug, name, grade_band, by school name
    destruction: dict[int, DestructionStatus]  # by agreement id, those that have one

    def all_agreements(self) -> list[AgreementRow]:
        """Every product's agreements (one shared by several products, as many times)."""
        return [agreement for agreements in self.agreements.values() for agreement in agreements]


# In `product_data`'s statement of uses and schools, which part a row is of.
USE_ROW, SCHOOL_ROW = 0, 1
# Where a row of `product_data`'s agreements' statement has its agreement's columns, then a request's (or NULLs).
AGREEMENT_AT = slice(1, 1 + len(AGREEMENT_ROW_COLUMNS))
REQUEST_AT = slice(AGREEMENT_AT.stop, None)


@cache
def _product_data_statements() -> tuple[Select, CompoundSelect]:
    """`product_data`'s two statements, for the ids bound as `product_ids`: the agreements, a row per product,
    agreement and request its public destruction status is chosen among (`destruction_public.shown_requests_of`;
    one row of NULL request columns for an agreement without any); the data uses (by id) then the schools (by name,
    which is unique), in the columns of a use (`part` USE_ROW, then the use's id), a school's in the first three
    after the product's id (`part` SCHOOL_ROW, then its name)."""
    agreements = (
        select(agreement_product.c.product_id, *AGREEMENT_ROW_COLUMNS, *destruction_public.PUBLIC_REQUEST_COLUMNS)
        .join(Agreement, Agreement.id == agreement_product.c.agreement_id)
        .outerjoin(DestructionRequest, destruction_public.shown_requests_of(Agreement.id))
        .where(agreement_product.c.product_id.in_(PRODUCT_IDS))
    )
    uses = (
        select(
            DataUse.product_id.label("product_id"),
            DataElement.slug.label("element"),
            DataElement.name.label("element_name"),
            DataCategory.slug.label("category"),
            DataCategory.name.label("category_name"),
            DataElement.is_sensitive.label("is_sensitive"),
            DataUse.purpose.label("purpose"),
            literal(USE_ROW, Integer).label("part"),
            DataUse.id.label("use_id"),
            cast(null(), String).label("school_name"),
        )
        .join(DataElement, DataElement.id == DataUse.data_element_id)
        .join(DataCategory, DataCategory.id == DataElement.category_id)
        .where(DataUse.product_id.in_(PRODUCT_IDS))
    )
    schools = (
        select(
            product_school.c.product_id,
            School.slug,
            School.name,
            School.grade_band,
            cast(null(), String),
            cast(null(), Boolean),
            cast(null(), DataUse.purpose.type),
            literal(SCHOOL_ROW, Integer),
            cast(null(), Integer),
            School.name,
        )
        .join(School, School.id == product_school.c.school_id)
        .where(product_school.c.product_id.in_(PRODUCT_IDS))
    )
    both = union_all(uses, schools)
    return agreements, both.order_by(
        both.selected_columns.part, both.selected_columns.use_id, both.selected_columns.school_name
    )


def product_data(products: Sequence[Row], today: date) -> ProductData:
    """The agreements (whose states are the model's rules, `Agreement.state_on`) with their public destruction
    statuses on `today` (`destruction_public.status_among`), and the data uses (with their element and category)
    and schools of the products, as plain rows: two queries, none for no product. As ORM objects, the ~150 uses
    and ~50 schools of a page of 25 products cost ~8 ms of CPU, for the few columns the API shows of each; read
    apart, the uses and the schools took a round trip each, and the agreements' destruction requests another."""
    agreements: dict[int, dict[int, AgreementRow]] = {}
    requests: dict[int, dict[int, PublicRequest]] = {}
    uses: dict[int, list[tuple]] = {}
    schools: dict[int, list[tuple]] = {}
    if not products:
        return ProductData({}, uses, schools, {})
    ids = {"product_ids": [product.id for product in products]}
    agreements_stmt, uses_and_schools = _product_data_statements()
    # Plain statements run on the session's connection: the ORM's execution path costs ~0.15 ms more.
    connection = db.session.connection()
    for row in connection.execute(agreements_stmt, ids).all():
        agreement = AgreementRow(*row[AGREEMENT_AT])
        agreements.setdefault(row[0], {})[agreement.id] = agreement
        request = row[REQUEST_AT]
        if request[0] is not None:
            requests.setdefault(agreement.id, {})[request[0]] = PublicRequest(*request)
    for row in connection.execute(uses_and_schools, ids).all():
        if row[7] == USE_ROW:
            uses.setdefault(row[0], []).append(row[:7])
        else:
            schools.setdefault(row[0], []).append(row[:4])
    return ProductData(
        {product_id: list(own.values()) for product_id, own in agreements.items()},
        uses,
        schools,
        {
            agreement_id: destruction_public.status_among(shown.values(), today)
            for agreement_id, shown in requests.items()
        },
    )


class _RowPage(Pagination):
    """A page of plain rows: `select_page(limit, offset)` reads them (a statement, or a statement and its
    parameters); `total` is their number, or the statement (or a function that builds it) that counts them."""

    def _query_items(self) -> list[Row]:
        page = self._query_args["select_page"](self.per_page, self._query_offset)
        statement, params = page if isinstance(page, tuple) else (page, None)
        return list(db.session.connection().execute(statement, params))

    def _query_count(self) -> int:
        total = self._query_args["total"]
        if isinstance(total, int):
            return total
        if self.items and self._query_args["counted_in_rows"]:
            return self.items[0].total
        counted = total() if callable(total) else total
        statement, params = counted if isinstance(counted, tuple) else (counted, None)
        return db.session.connection().scalar(statement, params)


def _row_page(
    select_page: Callable[[int, int], Select | tuple[Select, dict[str, Any]]],
    total: int | Select | Callable[[], Select | tuple[Select, dict[str, Any]]],
    page: int,
    per_page: int,
    *,
    counted_in_rows: bool = False,
) -> Pagination:
    """`counted_in_rows`: each row's last column, `total`, is the number of rows, read with the page (a round
    trip less); `total` counts them when the page has no row."""
    return _RowPage(
        select_page=select_page,
        total=total,
        counted_in_rows=counted_in_rows,
        page=min(max(page, 1), MAX_PAGE),
        per_page=per_page,
        max_per_page=per_page,
        error_out=False,
    )


def _paginate(stmt, page: int, per_page: int) -> Pagination:
    return db.paginate(stmt, page=page, per_page=per_page, max_per_page=per_page, error_out=False)


def list_vendors(page: int, per_page: int) -> Pagination:
    stmt = (
        select(Vendor)
        .options(selectinload(Vendor.products).options(PRODUCT_REF_COLUMNS))
        .order_by(Vendor.name, Vendor.id)
    )
    return _paginate(stmt, page, per_page)


def get_vendor(slug: str) -> Vendor | None:
    stmt = (
        select(Vendor)
        .where(Vendor.slug == slug)
        .options(
            selectinload(Vendor.products).options(PRODUCT_REF_COLUMNS),
            selectinload(Vendor.agreements).selectinload(Agreement.products).options(PRODUCT_REF_COLUMNS),
        )
    )
    return db.session.scalar(stmt)


def list_products(query: ProductQuery, page: int, per_page: int, today: date) -> Pagination:
    """Products matching the directory's search and filters, by name, with everything the API shows.

    As in the directory (`directory.queries.search_products`), the page's products are picked on
    narrow columns before their rows are loaded, and counted from indexes: sorting whole rows to skip
    to page 500 took ~70 ms, and counting them read every listed product with its vendor (~25 ms).
    The whole list, unfiltered, is one statement built once a day per worker, which reads its count too;
    so does a page of a filter whose count triggers keep, found walking the names (`_kept_walk`).
    """
    if not query.params:
        return _row_page(
            lambda limit, offset: (_listing_page(today, offset + limit <= SHALLOW_WALK), _page_params(limit, offset)),
            _listing_count(),
            page,
            per_page,
            counted_in_rows=True,
        )
    filters = query.filters
    walk = None if query.matches_nothing or filters.terms else _kept_walk(filters, today)
    if walk is not None:  # a kept filter that enough products match: its pages walk the names (`_walked_page`)

        def walked_page(limit: int, offset: int) -> tuple[Select, dict[str, Any]]:
            walked = directory_queries.name_walk(walk, limit, offset, agreement=filters.agreement is not None)
            return _walked_page(filters, today, *walked), _page_params(limit, offset)

        return _row_page(
            walked_page, lambda: _filtered_count(filters, False, today), page, per_page, counted_in_rows=True
        )
    if not filters.terms:  # filters alone: their statements are built once a day (`_filtered_page`)
        asked = frozenset(query.params)

        def filtered_page(limit: int, offset: int) -> tuple[Select, dict[str, Any]]:
            shallow = offset + limit <= SHALLOW_WALK
            return _filtered_page(filters, query.matches_nothing, asked, today, shallow), _page_params(limit, offset)

        return _row_page(
            filtered_page,
            lambda: _filtered_count(filters, query.matches_nothing, today),
            page,
            per_page,
            counted_in_rows=_counted_in_rows(query),
        )
    if not query.matches_nothing:
        # A search, with or without filters: the directory's made-once search picks, by name
        # (`directory_queries.search_picks`), their words and filters' values bound, counted as they are read.
        values = directory_queries.bound_filters(filters)
        shape = directory_queries.search_shape(filters, tuple(values), today, sort=Sort.NAME)
        words = search_words(filters.terms)
        return _row_page(
            lambda limit, offset: (_search_page(shape), _page_params(limit, offset, **{SEARCH_WORDS: words}, **values)),
            lambda: (directory_queries.search_count(shape), {SEARCH_WORDS: words, **values}),
            page,
            per_page,
            counted_in_rows=True,
        )
    hits = search_hits(filters.terms)

    def page_stmt(limit: int, offset: int) -> tuple[Select, dict[str, Any]]:
        return _products_page(query, today, hits, shallow=offset + limit <= SHALLOW_WALK), _page_params(limit, offset)

    return _row_page(page_stmt, lambda: _count(query, today, hits), page, per_page, counted_in_rows=True)


@lru_cache(maxsize=256)
def _search_page(shape: SearchShape) -> Select:
    """The rows of a search's page (`directory_queries.search_picks` for `shape`), each with the number of
    matches as its last column, `total`; made once per shape, as the directory's."""
    return _rows_picked(*directory_queries.search_picks(shape))


def _count(query: ProductQuery, today: date, hits: Subquery | None) -> Select:
    """The statement that counts the products `query` matches (`hits`: those of its search)."""
    if query.filters.status is None and not query.matches_nothing:
        return query.filters.listed_count(today)
    counted = select(func.count(Product.id)).where(*query.clauses(today))
    return counted if hits is None else counted.join(hits, hits.c.product_id == Product.id)


# The statements of the lists asked with filters and no search, kept per filters, data version and day
# (`memoized_on_version`, for the anonymous answers whose version the page cache read): an agreement filter's
# rule is a clause of some forty terms, and SQLAlchemy made its statements' cache keys afresh on each request
# (6-9 ms of a miss's CPU on the bench catalogue, on a slow machine); a statement kept is keyed once. Per data
# version, not only per day: the form of an agreement filter's clause follows its breadth, read from the data
# (`DirectoryFilters.clauses`).
@memoized_on_version
def _filtered_page(
    filters: DirectoryFilters, matches_nothing: bool, asked: frozenset[str], today: date, shallow: bool
) -> Select:
    query = ProductQuery(params=dict.fromkeys(asked, ""), filters=filters, matches_nothing=matches_nothing)
    return _products_page(query, today, None, shallow=shallow)


@memoized_on_version
def _filtered_count(filters: DirectoryFilters, matches_nothing: bool, today: date) -> Select:
    return _count(ProductQuery(params={}, filters=filters, matches_nothing=matches_nothing), today, None)


class _KeptMatches(NamedTuple):
    """How many listed products a kept filter matches (`DirectoryFilters.kept`), and how many are listed."""

    matches: int
    listed: int


@memoized_on_version
def _kept_walk(filters: DirectoryFilters, today: date) -> _KeptMatches | None:
    """For filters of the listed products (no status) whose number of matches triggers keep
    (`DirectoryFilters.kept`: a data element, category, school or agreement filter alone, an agreement filter with a
    data element), or of every product (`StatusFilter.ALL`, alone or with one data element, category, school or
    kind: the directory's rule, a count read from the links' index), or of one approval status alone
    (`DirectoryFilters.one_status_kept`: the count kept per status), that enough products match for a walk of the
    names (`directory.queries.walks_in_order`), their matches and the listed products, read from the kept counts
    (one small statement per filters, data version and day); else None: the page sorts the matches read from the
    filters' ids (`_filtered_page`). Sorting every match with its vendor's name for a middle page of "active"
    (15,380 of the bench's 23,500 listed products) read 24,000 buffers; walking, 1,500. The most shared element with
    every status, page 1: sorting its 20,049 matches 921 buffers and 26 ms of PostgreSQL, walking 380 and 2; the
    approved products' page 1 and count, 392 + 621 buffers and 5.2 ms, 368 and 0.4 in one statement."""
    kept = directory_queries.walk_rule(filters, today)
    if kept is None:
        return None
    seen = _KeptMatches(
        *db.session.connection().execute(select(kept[0], directory_queries.listed_products_count())).one()
    )
    return seen if directory_queries.walks_in_order(*seen) else None


@memoized_on_version
def _walked_page(filters: DirectoryFilters, today: date, from_end: bool, probes: bool) -> Select:
    """The rows of a page of filters that `_kept_walk` walks, its size and start bound as PAGE_LIMIT and
    PAGE_OFFSET, with the kept count of their matches as its last column, `total` (read with the page): the page's
    products found walking the names (`directory.queries.walked_name_page`, as the directory's pages find theirs),
    `from_end` and `probes` as `directory.queries.name_walk` says."""
    page_ids, kept_total = directory_queries.walked_name_page(filters, today, from_end=from_end, probes=probes)
    return _rows_of(page_ids).add_columns(kept_total.label("total"))


# The lists whose pages are found walking the products by name (`directory.queries.seek_name_page`): the whole
# list, by status or not.
WALKED_PARAMS = {"status"}


WHOLE_LIST = ProductQuery(params={}, filters=DirectoryFilters(), matches_nothing=False)


@lru_cache(maxsize=4)
def _listing_page(today: date, shallow: bool) -> Select:
    """`_products_page` of the whole list (no search, no filter), kept for the day asked about, with the list's
    count (`_listing_count`) as its last column, `total`: read with the page, not in a round trip of its own."""
    page = _products_page(WHOLE_LIST, today, None, shallow=shallow)
    return page.add_columns(directory_queries.listed_products_count().label("total"))


@cache
def _listing_count() -> Select:
    """The whole list's count (as `DirectoryFilters.listed_count` counts it without a filter: the kept counts per
    approval status), built once per worker rather than on each request."""
    return select(directory_queries.listed_products_count())


def _products_page(query: ProductQuery, today: date, hits: Subquery | None, *, shallow: bool = False) -> Select:
    """The rows of a page of the products `query` matches, its size and start bound as PAGE_LIMIT and
    PAGE_OFFSET; `hits` those of its search; `shallow`: the page ends within the first `SHALLOW_WALK` products
    (`ProductQuery.walking_clauses`)."""
    clauses = query.clauses(today)
    if not _counted_in_rows(query):
        walking = query.walking_clauses(today, shallow=shallow)
        page_ids = directory_queries.seek_name_page(clauses, walking, PAGE_LIMIT, PAGE_OFFSET)
        return _rows_of(page_ids)
    # A search's hits or a filter's ids are few enough to sort whole (walking the names for them was slower), and
    # counted as they are read: the page carries its total, as the directory's do (a count of its own read the
    # matches again: `category=category-2&agreement=active`, 6,489 of them on the bench, twice).
    return _rows_picked(*directory_queries.picked_by_name(hits, clauses, PAGE_LIMIT, PAGE_OFFSET))


def _counted_in_rows(query: ProductQuery) -> bool:
    """Whether `_products_page`'s rows carry the number of matches (`total`): all but a walk of the names."""
    return not set(query.params) <= WALKED_PARAMS


def _rows_picked(page_ids: Subquery, keys: list[tuple[ColumnElement, bool]]) -> Select:
    """The rows of a page picked by `directory_queries.picked_page` (ids, sort keys `keys`, `total`), in the
    order of its keys, each with the number of matches as its last column, `total`."""
    return (
        product_rows()
        .add_columns(page_ids.c.total)
        .join(page_ids, page_ids.c.id == Product.id)
        .order_by(*(key.desc() if descending else key for key, descending in keys))
    )


def _rows_of(page_ids: Subquery) -> Select:
    """The rows of a page's products (`page_ids`: id, name, vendor_name), in the list's order."""
    return (
        product_rows()
        .join(page_ids, page_ids.c.id == Product.id)
        .order_by(page_ids.c.name, page_ids.c.vendor_name, page_ids.c.id)
    )


def get_product(slug: str) -> Row | None:
    return db.session.execute(product_rows(Product.slug == slug)).first()


def list_schools(page: int, per_page: int) -> Pagination:
    """Schools by name, retired ones included, each with its counts of listed products (kept by
    triggers, `School.product_count`); two queries."""
    return _paginate(select(School).order_by(School.name, School.id), page, per_page)


def get_school(slug: str, page: int, per_page: int) -> tuple[School, Pagination] | None:
    """A school, a page of the listed products used there (by name, as plain rows with everything the
    API shows of each); the school carries its counts (kept by triggers). Two queries."""
    school = school_queries.get_school(slug)
    if school is None:
        return None
    params = {"school_id": school.id}
    return school, _row_page(
        lambda limit, offset: (_school_page(), _page_params(limit, offset, **params)),
        school.product_count,
        page,
        per_page,
    )


@cache
def _school_page() -> Select:
    """`get_school`'s page of products, for the school bound as `school_id`, built once per worker: the
    page's ids are picked walking the index of products by name (`ix_product_name_listing`, which holds
    what the listed rule reads) and asking the school's links of each, then only their rows are read
    (walking the product rows themselves read each one up to the page: 555 for page 1 on the bench)."""
    page = (
        select(Product.id.label("id"), Product.name.label("name"))
        .join(product_school, product_school.c.product_id == Product.id)
        .where(product_school.c.school_id == bindparam("school_id"), directory_queries.listed_clause())
        .order_by(Product.name, Product.id)
        .limit(PAGE_LIMIT)
        .offset(PAGE_OFFSET)
        .subquery("page")
    )
    return product_rows().join(page, page.c.id == Product.id).order_by(page.c.name, page.c.id)


def list_data_elements(page: int, per_page: int) -> tuple[Pagination, dict[int, int]]:
    """Data elements in taxonomy order, and how many listed products (as in the directory) receive each."""
    stmt = (
        select(DataElement)
        .join(DataElement.category)
        .options(contains_eager(DataElement.category))
        .order_by(DataCategory.position, DataCategory.name, DataElement.position, DataElement.name, DataElement.id)
    )
    pagination = _paginate(stmt, page, per_page)
    # Each element carries its count of listed receivers, kept by triggers (DataElement.receiver_count).
    counts = {element.id: element.receiver_count for element in pagination.items}
    return pagination, counts


def list_agreements(page: int, per_page: int) -> Pagination:
    """Agreements by vendor name, newest first (their products: `agreement_data`); counted on the
    agreement table alone (every agreement has a vendor), not over the page's statement with its joins."""
    statement, count = _agreements_page()
    return directory_queries.paginate_picked(
        lambda limit, offset: (statement, _page_params(limit, offset)), count, page, per_page
    )


@cache
def _agreements_page() -> tuple[Select, Select]:
    """`list_agreements`' page (its size and start bound) and count, built once per worker."""
    statement = (
        select(Agreement)
        .join(Agreement.vendor)
        .options(contains_eager(Agreement.vendor).load_only(*VENDOR_COLUMNS, raiseload=True))
        .order_by(Vendor.name, Agreement.effective_on.desc().nulls_last(), Agreement.id)
        .limit(PAGE_LIMIT)
        .offset(PAGE_OFFSET)
    )
    return statement, select(func.count(Agreement.id))


AGREEMENT_IDS = bindparam("agreement_ids", expanding=True)
# What `serializers.product_row_ref` shows of a product covered by an agreement, and its Last-Modified, and the
# agreement's requests its public destruction status is chosen among (`destruction_public.shown_requests_of`,
# their columns named `request_…`): a row per agreement, product and request, NULLs where it has none. The requests
# are asked by the agreements' ids too, so that PostgreSQL reads them from their agreement's index (joined on the
# agreements alone it hashed every request: 3,674 of them on a bench catalogue with requests, 0.9 ms).
AGREEMENT_DATA = (
    select(
        Agreement.id.label("agreement_id"),
        Product.id,
        Product.slug,
        Product.name,
        ProductKind.slug.label("kind"),
        Product.status,
        Product.updated_at,
        *(column.label(f"request_{column.key}") for column in destruction_public.PUBLIC_REQUEST_COLUMNS),
    )
    .select_from(Agreement)
    .outerjoin(agreement_product, agreement_product.c.agreement_id == Agreement.id)
    .outerjoin(Product, Product.id == agreement_product.c.product_id)
    .outerjoin(ProductKind, ProductKind.id == Product.kind_id)
    .outerjoin(
        DestructionRequest,
        and_(destruction_public.shown_requests_of(Agreement.id), DestructionRequest.agreement_id.in_(AGREEMENT_IDS)),
    )
    .where(Agreement.id.in_(AGREEMENT_IDS))
)
# Where a row of `AGREEMENT_DATA` has its request's columns.
AGREEMENT_REQUEST_AT = slice(-len(destruction_public.PUBLIC_REQUEST_COLUMNS), None)


@dataclass(frozen=True)
class AgreementData:
    """The products some agreements cover and the agreements' destruction statuses (`agreement_data`)."""

    products: dict[int, list[Row]]  # by agreement id, as plain rows of `AGREEMENT_DATA`, in no order
    destruction: dict[int, DestructionStatus]  # by agreement id, those that have one


def agreement_data(agreements: Sequence[Agreement], today: date) -> AgreementData:
    """The products each agreement covers, and the agreements' public destruction statuses on `today`
    (`destruction_public.status_among`): one query, none for no agreement. Loaded as ORM objects (with their
    kinds), a page's ~60 products cost about 2 ms of CPU; the requests took a query of their own."""
    products: dict[int, dict[int, Row]] = {agreement.id: {} for agreement in agreements}
    requests: dict[int, dict[int, PublicRequest]] = {}
    if products:
        for row in db.session.connection().execute(AGREEMENT_DATA, {"agreement_ids": list(products)}).all():
            if row.id is not None:
                products[row.agreement_id].setdefault(row.id, row)
            request = row[AGREEMENT_REQUEST_AT]
            if request[0] is not None:
                requests.setdefault(row.agreement_id, {})[request[0]] = PublicRequest(*request)
    return AgreementData(
        {agreement_id: list(covered.values()) for agreement_id, covered in products.items()},
        {
            agreement_id: destruction_public.status_among(shown.values(), today)
            for agreement_id, shown in requests.items()
        },
    )


def destruction_statuses(agreements: Sequence[Agreement], today: date) -> dict:
    """The public destruction status of each agreement that has one (one query, none when empty)."""
    ids = sorted({a.id for a in agreements})
    return destruction_public.status_by_agreement(ids, today) if ids else {}
