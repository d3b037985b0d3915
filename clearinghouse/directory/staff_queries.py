"""Read side of the staff screens that keep the directory: records to edit, lists, and form choices."""

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from clearinghouse.directory.models import (
    DataCategory,
    DataElement,
    DataUse,
    Product,
    ProductKind,
    ProductStatus,
    School,
    Vendor,
    product_school,
)
from clearinghouse.extensions import db


def get_vendor_or_404(vendor_id: int) -> Vendor:
    return db.get_or_404(Vendor, vendor_id)


def get_product_or_404(product_id: int) -> Product:
    """A product with everything its form and its disclosure snapshot read."""
    return db.one_or_404(
        select(Product)
        .where(Product.id == product_id)
        .options(
            joinedload(Product.vendor),
            selectinload(Product.schools),
            selectinload(Product.data_uses).joinedload(DataUse.element),
            selectinload(Product.tags),
            selectinload(Product.notes),
            selectinload(Product.links),
        )
    )


def get_element_or_404(element_id: int) -> DataElement:
    return db.get_or_404(DataElement, element_id)


def get_school_or_404(school_id: int) -> School:
    return db.get_or_404(School, school_id)


def get_kind_or_404(kind_id: int) -> ProductKind:
    return db.get_or_404(ProductKind, kind_id)


def list_kinds() -> tuple[list[ProductKind], dict[int, int]]:
    """Every kind in the lists' order, retired ones included, with how many products have each (two queries)."""
    kinds = list(db.session.scalars(select(ProductKind).order_by(ProductKind.position, ProductKind.name)))
    return kinds, _counts(Product.kind_id, [kind.id for kind in kinds])


def offered_kinds(current_id: int | None = None) -> list[ProductKind]:
    """The kinds a form offers, in order: every current one, and a retired one the record already has."""
    return list(
        db.session.scalars(
            select(ProductKind)
            .where(or_(ProductKind.is_retired.is_(False), ProductKind.id == current_id))
            .order_by(ProductKind.position, ProductKind.name)
        )
    )


def list_vendors(*, q: str, show: str, page: int, per_page: int) -> tuple[Pagination, dict[int, int]]:
    """Vendors by name (search: name contains q), with their product counts; two queries + count."""
    stmt = select(Vendor).order_by(Vendor.name)
    if q:
        stmt = stmt.where(func.lower(Vendor.name).contains(q.lower(), autoescape=True))
    if show == "current":
        stmt = stmt.where(Vendor.is_retired.is_(False))
    elif show == "retired":
        stmt = stmt.where(Vendor.is_retired.is_(True))
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    return pagination, _counts(Product.vendor_id, [v.id for v in pagination.items])


def list_products(
    *, vendor_id: int | None, status: ProductStatus | None, q: str, page: int, per_page: int
) -> tuple[Pagination, dict[int, int]]:
    """Products with their vendor, filtered by vendor, status and name, with data-use counts."""
    stmt = (
        select(Product).join(Product.vendor).options(contains_eager(Product.vendor)).order_by(Vendor.name, Product.name)
    )
    if vendor_id is not None:
        stmt = stmt.where(Product.vendor_id == vendor_id)
    if status is not None:
        stmt = stmt.where(Product.status == status)
    if q:
        stmt = stmt.where(func.lower(Product.name).contains(q.lower(), autoescape=True))
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    return pagination, _counts(DataUse.product_id, [p.id for p in pagination.items])


def list_elements(*, page: int, per_page: int) -> tuple[Pagination, dict[int, int]]:
    """Data elements in taxonomy order with their category, and how many products receive each."""
    stmt = (
        select(DataElement)
        .join(DataElement.category)
        .options(contains_eager(DataElement.category))
        .order_by(DataCategory.position, DataCategory.name, DataElement.position, DataElement.name)
    )
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    return pagination, _counts(DataUse.data_element_id, [e.id for e in pagination.items])


def list_schools(*, page: int, per_page: int) -> tuple[Pagination, dict[int, int]]:
    """Schools by name, with how many products each uses."""
    pagination = db.paginate(select(School).order_by(School.name), page=page, per_page=per_page, error_out=False)
    return pagination, _counts(product_school.c.school_id, [s.id for s in pagination.items])


def offered_elements(product: Product | None = None) -> list[DataElement]:
    """Elements a product form offers: every current one, plus retired ones the product still uses."""
    used = [use.data_element_id for use in product.data_uses] if product is not None else []
    return list(
        db.session.scalars(
            select(DataElement)
            .join(DataElement.category)
            .where(or_(DataElement.is_retired.is_(False), DataElement.id.in_(used)))
            .options(contains_eager(DataElement.category))
            .order_by(DataCategory.position, DataCategory.name, DataElement.position, DataElement.name)
        )
    )


def offered_schools(product: Product | None = None) -> list[School]:
    used = [school.id for school in product.schools] if product is not None else []
    return list(
        db.session.scalars(
            select(School).where(or_(School.is_retired.is_(False), School.id.in_(used))).order_by(School.name)
        )
    )


def vendor_choices(*, include_id: int | None = None) -> list[tuple[int, str]]:
    """(id, name) of current vendors (and of one retired vendor already chosen)."""
    stmt = select(Vendor.id, Vendor.name).order_by(Vendor.name)
    stmt = stmt.where(or_(Vendor.is_retired.is_(False), Vendor.id == include_id))
    return [(vendor_id, name) for vendor_id, name in db.session.execute(stmt)]


def category_choices() -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in db.session.scalars(select(DataCategory).order_by(DataCategory.position))]


def _counts(column, ids: list[int]) -> dict[int, int]:
    """{id: number of rows whose `column` is that id}, in one grouped query."""
    if not ids:
        return {}
    rows = db.session.execute(select(column, func.count()).where(column.in_(ids)).group_by(column))
    return {key: number for key, number in rows}


def products_to_copy_from(*, exclude_id: int) -> list[tuple[int, str]]:
    """(id, "Product (Vendor), N data uses") of every other product with data uses, to copy them from."""
    count = func.count(DataUse.id)
    stmt = (
        select(Product.id, Product.name, Vendor.name, count)
        .join(Product.vendor)
        .join(DataUse, DataUse.product_id == Product.id)
        .where(Product.id != exclude_id)
        .group_by(Product.id, Product.name, Vendor.name)
        .order_by(Product.name, Vendor.name)
    )
    return [
        (product_id, f"{name} ({vendor}), {n} data use{'' if n == 1 else 's'}")
        for product_id, name, vendor, n in db.session.execute(stmt)
    ]
