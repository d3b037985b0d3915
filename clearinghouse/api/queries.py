"""Read side of the open data: each list in a constant number of queries, in a stable order."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import contains_eager, joinedload, load_only, selectinload

from clearinghouse.agreements.models import Agreement
from clearinghouse.api.filters import ProductQuery
from clearinghouse.destruction import public as destruction_public
from clearinghouse.directory import queries as directory_queries
from clearinghouse.directory import school_queries
from clearinghouse.directory.models import DataCategory, DataElement, DataUse, Product, School, Vendor, product_school
from clearinghouse.directory.search import search_hits
from clearinghouse.extensions import db

# What `serializers.product` shows of a product's own columns, and nothing else: not the staff notes,
# nor the translations (the API speaks the district's language), whose JSON each row would decode.
# Reading any other column raises (no hidden query). Its data uses and schools: `product_data`.
PRODUCT_COLUMNS = load_only(
    Product.id,
    Product.vendor_id,
    Product.kind_id,
    Product.name,
    Product.slug,
    Product.status,
    Product.status_note,
    Product.agreement_status,
    Product.agreement_note,
    Product.website,
    Product.purpose_md,
    Product.grade_bands,
    Product.updated_at,
    raiseload=True,
)
# What it shows of the product's vendor (and its Last-Modified): not the vendor's Markdown, notes and
# translations, which 25 rows would carry and decode.
VENDOR_COLUMNS = (Vendor.id, Vendor.slug, Vendor.name, Vendor.updated_at)
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
# Its agreements, whose states are the model's rules (`Agreement.state_on`).
PRODUCT_AGREEMENTS = selectinload(Product.agreements)


@dataclass(frozen=True)
class ProductData:
    """The data uses and schools of some products, as plain rows (`product_data`)."""

    uses: dict[int, list[Row]]  # by product id: element, element_name, category, category_name, is_sensitive, purpose
    schools: dict[int, list[Row]]  # by product id: slug, name, grade_band, by school name


def product_data(products: Sequence[Product]) -> ProductData:
    """The data uses (with their element and category) and the schools of the products, as plain rows
    (two queries, none for no product): as ORM objects, the ~150 uses and ~50 schools of a page of 25
    products cost ~8 ms of CPU, for the few columns the API shows of each."""
    uses: dict[int, list[Row]] = {}
    schools: dict[int, list[Row]] = {}
    if not products:
        return ProductData(uses, schools)
    ids = [product.id for product in products]
    use_rows = db.session.execute(
        select(
            DataUse.product_id,
            DataElement.slug.label("element"),
            DataElement.name.label("element_name"),
            DataCategory.slug.label("category"),
            DataCategory.name.label("category_name"),
            DataElement.is_sensitive,
            DataUse.purpose,
        )
        .join(DataElement, DataElement.id == DataUse.data_element_id)
        .join(DataCategory, DataCategory.id == DataElement.category_id)
        .where(DataUse.product_id.in_(ids))
        .order_by(DataUse.id)
    )
    for row in use_rows:
        uses.setdefault(row.product_id, []).append(row)
    school_rows = db.session.execute(
        select(product_school.c.product_id, School.slug, School.name, School.grade_band)
        .join(School, School.id == product_school.c.school_id)
        .where(product_school.c.product_id.in_(ids))
        .order_by(School.name)
    )
    for row in school_rows:
        schools.setdefault(row.product_id, []).append(row)
    return ProductData(uses, schools)


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
    """
    filters = query.filters
    clauses = query.clauses(today)
    hits = search_hits(filters.terms) if filters.terms else None

    def select_page(limit: int, offset: int) -> Select:
        picked = select(Product.id.label("id"), Product.name.label("name"), Vendor.name.label("vendor_name"))
        picked = picked.join(Product.vendor).where(*clauses)
        if hits is not None:
            picked = picked.join(hits, hits.c.product_id == Product.id)
        page_ids = picked.order_by(Product.name, Vendor.name, Product.id).limit(limit).offset(offset).subquery("page")
        return (
            select(Product)
            .join(page_ids, page_ids.c.id == Product.id)
            .join(Product.vendor)
            .options(
                PRODUCT_COLUMNS,
                contains_eager(Product.vendor).load_only(*VENDOR_COLUMNS, raiseload=True),
                PRODUCT_AGREEMENTS,
            )
            .order_by(page_ids.c.name, page_ids.c.vendor_name, page_ids.c.id)
        )

    def count_stmt() -> Select:
        if filters.status is None and not query.matches_nothing:
            return filters.listed_count(today)
        counted = select(func.count(Product.id)).where(*clauses)
        return counted if hits is None else counted.join(hits, hits.c.product_id == Product.id)

    return directory_queries.paginate_picked(select_page, count_stmt, page, per_page)


def get_product(slug: str) -> Product | None:
    stmt = select(Product).where(Product.slug == slug).options(joinedload(Product.vendor), PRODUCT_AGREEMENTS)
    return db.session.scalar(stmt)


def list_schools(page: int, per_page: int) -> Pagination:
    """Schools by name, retired ones included, each with its counts of listed products (kept by
    triggers, `School.product_count`); two queries."""
    return _paginate(select(School).order_by(School.name, School.id), page, per_page)


def get_school(slug: str, page: int, per_page: int) -> tuple[School, Pagination] | None:
    """A school, a page of the listed products used there (by name, with everything the API shows of
    each); the school carries its counts (kept by triggers). Four queries."""
    school = school_queries.get_school(slug)
    if school is None:
        return None
    stmt = (
        select(Product)
        .join(product_school, product_school.c.product_id == Product.id)
        .where(product_school.c.school_id == school.id, directory_queries.listed_clause())
        .options(
            PRODUCT_COLUMNS, joinedload(Product.vendor).load_only(*VENDOR_COLUMNS, raiseload=True), PRODUCT_AGREEMENTS
        )
        .order_by(Product.name, Product.id)
    )
    return school, school_queries.paginate_counted(stmt, page, per_page, school.product_count)


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
    """Agreements by vendor name, newest first, with the products they cover; counted on the agreement
    table alone (every agreement has a vendor), not over the page's statement with its joins."""
    stmt = (
        select(Agreement)
        .join(Agreement.vendor)
        .options(
            contains_eager(Agreement.vendor).load_only(*VENDOR_COLUMNS, raiseload=True),
            selectinload(Agreement.products).options(PRODUCT_REF_COLUMNS),
        )
        .order_by(Vendor.name, Agreement.effective_on.desc().nulls_last(), Agreement.id)
    )
    count = select(func.count(Agreement.id))
    return directory_queries.paginate_picked(
        lambda limit, offset: stmt.limit(limit).offset(offset), count, page, per_page
    )


def destruction_statuses(agreements: Sequence[Agreement], today: date) -> dict:
    """The public destruction status of each agreement that has one (one query, none when empty)."""
    ids = sorted({a.id for a in agreements})
    return destruction_public.status_by_agreement(ids, today) if ids else {}
