"""Read side of the public school pages: the schools index and one school's products.

A school page lists the listed products used at the school (retired products, and products of
retired vendors, are not in use) a page at a time, the data each receives with sensitive data
first, the state of its current agreement and of data destruction; its summary (how many products,
how many receive sensitive data) is kept on the school by triggers (`School.product_count`), and
so is how many of them receive each data element (`school_element_count`): never loaded from them.
Each loader runs a constant number of SQL statements whatever the number of products, and loads one
page of products (tests/directory/test_school_pages.py).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from operator import attrgetter

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Integer, Select, Text, bindparam, cast, exists, select

from clearinghouse.agreements.status import AgreementStanding, standing
from clearinghouse.destruction import public as destruction_public
from clearinghouse.directory.models import (
    DataCategory,
    DataElement,
    DataUse,
    Product,
    ProductStatus,
    School,
    product_school,
    school_element_count,
)
from clearinghouse.directory.queries import (
    AgreementTerms,
    CardProduct,
    card_products,
    is_slug,
    listed_clause,
    page_statement,
    public_status,
)
from clearinghouse.extensions import db
from clearinghouse.i18n import decoded_translations
from clearinghouse.urls import MAX_PAGE


@dataclass(frozen=True)
class SchoolSummary:
    """A school as the index lists it: how many products in use there, and how many receive sensitive data."""

    id: int
    slug: str
    name: str
    grade_band: str
    product_count: int
    sensitive_product_count: int


def list_schools() -> list[SchoolSummary]:
    """Every school that is not retired, by name, with its counts (one query: each school carries its
    counts, kept by triggers, `School.product_count`)."""
    rows = db.session.execute(
        select(
            School.id,
            School.slug,
            School.name,
            School.grade_band,
            School.product_count,
            School.sensitive_product_count,
        )
        .where(School.is_retired.is_(False))
        .order_by(School.name, School.id)
    )
    return [SchoolSummary(*row) for row in rows]


@dataclass(frozen=True, eq=False, slots=True)
class CardElement:
    """A data element as a school's card names it: plain values, made once for each element a page
    names (not a DataElement with its category: ~150 ORM rows a page cost ~2 ms of CPU)."""

    id: int
    slug: str
    name: str
    translations: dict | None  # for `i18n.translated(element, "name")`
    is_sensitive: bool
    order: tuple  # sensitive data first, then the taxonomy's order


@dataclass(frozen=True)
class SchoolProduct:
    """One product used at the school: its public status, current agreement, data and destruction."""

    product: CardProduct  # as a results page reads it: plain rows
    status: ProductStatus
    standing: AgreementStanding  # where its agreement stands (agreements.status), as every page says it
    elements: list[CardElement]  # the data it receives: sensitive first, then taxonomy order
    destruction: list  # destruction.public.DestructionStatus of its agreements, newest agreement first


@dataclass(frozen=True)
class SensitiveElement:
    """A sensitive data element that products used at the school receive, and how many of them."""

    element: CardElement
    product_count: int


@dataclass(frozen=True)
class SchoolPage:
    """One page of a school's products, with the figures of all of them."""

    school: School
    results: Pagination  # of CardProduct: this page's products, by name
    products: list[SchoolProduct]  # the same, with what the page shows of each
    product_count: int
    sensitive_product_count: int
    sensitive_elements: list[SensitiveElement]  # most widely received first


def _newest_first(agreements: list[AgreementTerms]) -> list[AgreementTerms]:
    return sorted(
        agreements, key=lambda a: (a.effective_on is not None, a.effective_on or date.min, a.id), reverse=True
    )


# `get_school`'s statement, built once (the slug bound as `school_slug`).
SCHOOL = select(School).where(School.slug == bindparam("school_slug"))


def get_school(slug: str) -> School | None:
    if not is_slug(slug):
        return None
    return db.session.scalar(SCHOOL, {"school_slug": slug})


# `received_elements`' statement, built once per worker for the products' ids bound as `product_ids`. The
# element's translations as text, decoded once an element: as JSON, the driver decoded them on each of the
# page's ~150 data uses (`i18n.decoded_translations`).
ELEMENTS_OF_PRODUCTS = (
    select(
        DataUse.product_id,
        DataElement.id,
        DataElement.slug,
        DataElement.name,
        cast(DataElement.translations, Text),
        DataElement.is_sensitive,
        DataCategory.position,
        DataCategory.name,
        DataElement.position,
    )
    .join(DataElement, DataElement.id == DataUse.data_element_id)
    .join(DataCategory, DataCategory.id == DataElement.category_id)
    .where(DataUse.product_id.in_(bindparam("product_ids", expanding=True)))
    .order_by(DataUse.id)
)


def received_elements(products: Sequence[CardProduct]) -> dict[int, list[CardElement]]:
    """{product id: the data elements it receives}, in the order of its data uses (one query, none for
    no product)."""
    received: dict[int, list[CardElement]] = {}
    if not products:
        return received
    # Fetched at once: iterated, the result fetched its ~150 rows one at a time.
    rows = (
        db.session.connection()
        .execute(ELEMENTS_OF_PRODUCTS, {"product_ids": [product.id for product in products]})
        .all()
    )
    elements: dict[int, CardElement] = {}
    for product_id, element_id, slug, name, translations, sensitive, category_position, category, position in rows:
        element = elements.get(element_id)
        if element is None:
            order = (not sensitive, category_position, category, position, name)
            element = elements[element_id] = CardElement(
                element_id, slug, name, decoded_translations(translations), sensitive, order
            )
        received.setdefault(product_id, []).append(element)
    return received


class _PageOfRows(Pagination):
    """A page of a school's products read as plain rows (`CardProduct`: its vendor, kind and agreements'
    terms in the same statement), its total already known (the school's kept count): no count query,
    and no statement past the last page."""

    def _query_items(self) -> list[CardProduct]:
        if self._query_offset >= self._query_args["total"]:
            return []
        params = {
            "school_id": self._query_args["school"],
            "page_limit": self.per_page,
            "page_offset": self._query_offset,
        }
        return card_products(db.session.connection().execute(_school_page_statement(), params))[0]

    def _query_count(self) -> int:
        return self._query_args["total"]


@cache
def _school_page_statement() -> Select:
    """`_PageOfRows`' page, for the school bound as `school_id`, its size and start as `page_limit` and
    `page_offset`: built once per worker (building and keying it cost about 0.4 ms a request)."""
    return page_statement(
        [(Product.name, False), (Product.id, False)],
        None,
        [
            exists().where(
                product_school.c.product_id == Product.id, product_school.c.school_id == bindparam("school_id")
            ),
            listed_clause(),
        ],
        None,
        bindparam("page_limit", type_=Integer),
        bindparam("page_offset", type_=Integer),
    )


def school_products(school: School, page: int, per_page: int, total: int) -> Pagination:
    """A page of the listed products used at the school, by name (then id), as `CardProduct`s with their
    vendor, kind and agreements' terms (one statement; none past the last page).

    The page's ids are picked on the covering name index before their rows are read, as the directory
    does (`queries.page_statement`): walking whole product rows by name read a heap page per product
    walked (about 550 for page 1 of the bench's school-7); and plain rows cost about a quarter of the
    Python of ORM products with a vendor, kind and a `selectinload` of agreements."""
    return _PageOfRows(
        school=school.id,
        total=total,
        page=min(max(page, 1), MAX_PAGE),
        per_page=per_page,
        max_per_page=per_page,
        error_out=False,
    )


# `sensitive_elements`' statement, built once per worker for the school bound as `school_id`.
SENSITIVE_ELEMENTS = (
    select(
        DataElement.id,
        DataElement.slug,
        DataElement.name,
        cast(DataElement.translations, Text),
        school_element_count.c.product_count,
    )
    .join(school_element_count, school_element_count.c.data_element_id == DataElement.id)
    .join(DataElement.category)
    .where(
        school_element_count.c.school_id == bindparam("school_id"),
        school_element_count.c.product_count > 0,
        DataElement.is_sensitive.is_(True),
    )
    .order_by(
        school_element_count.c.product_count.desc(),
        DataCategory.position,
        DataCategory.name,
        DataElement.position,
        DataElement.name,
    )
)


def sensitive_elements(school: School) -> list[SensitiveElement]:
    """The sensitive data the school's listed products receive, with how many receive each, most
    widely received first, then in taxonomy order (one query, of the counts kept by triggers:
    `school_element_count`). Plain rows, as the cards' elements (`CardElement`; no DataElement with
    its category: ORM rows cost ~0.5 ms a page)."""
    rows = db.session.connection().execute(SENSITIVE_ELEMENTS, {"school_id": school.id}).all()
    # Listed in order already: an element's `order` (how a card sorts its elements) is not needed.
    return [
        SensitiveElement(CardElement(element_id, slug, name, decoded_translations(translations), True, ()), count)
        for element_id, slug, name, translations, count in rows
    ]


def school_page(slug: str, today: date, page: int, per_page: int) -> SchoolPage | None:
    """What the school page shows (five queries: the school, its page of products, their data, their
    agreements' destruction, its sensitive data; none for products or their data past the last page),
    or None for an unknown slug."""
    school = get_school(slug)
    if school is None:
        return None
    product_count, sensitive_product_count = school.product_count, school.sensitive_product_count
    results = school_products(school, page, per_page, product_count)
    received = received_elements(results.items)
    agreement_ids = [a.id for product in results.items for a in product.agreements]
    statuses = destruction_public.status_by_agreement(agreement_ids, today) if agreement_ids else {}
    items = [
        SchoolProduct(
            product=product,
            status=public_status(product),
            standing=standing(product, today),
            elements=sorted(received.get(product.id, ()), key=attrgetter("order")),
            destruction=[statuses[a.id] for a in _newest_first(product.agreements) if a.id in statuses],
        )
        for product in results.items
    ]
    return SchoolPage(
        school=school,
        results=results,
        products=items,
        product_count=product_count,
        sensitive_product_count=sensitive_product_count,
        sensitive_elements=sensitive_elements(school) if sensitive_product_count else [],
    )
