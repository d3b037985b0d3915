"""Read side of the public school pages: the schools index and one school's products.

A school page lists every listed product used at the school (retired products, and products of
retired vendors, are not in use), the data each receives with sensitive data first, the state of
its current agreement and of data destruction. Each loader runs a constant number of SQL
statements whatever the number of products (tests/directory/test_school_pages.py).
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from clearinghouse.agreements.models import Agreement
from clearinghouse.agreements.status import AgreementStanding, standing
from clearinghouse.destruction import public as destruction_public
from clearinghouse.directory.models import DataElement, DataUse, Product, ProductStatus, School, product_school
from clearinghouse.directory.queries import is_slug, listed_clause, public_status, unlisted_ids
from clearinghouse.extensions import db


@dataclass(frozen=True)
class SchoolSummary:
    """A school as the index lists it: how many products in use there, and how many receive sensitive data."""

    id: int
    slug: str
    name: str
    grade_band: str
    product_count: int
    sensitive_product_count: int


def _counts_by_school() -> tuple[Select, Select]:
    """Two SELECTs of (school_id, count): the listed products used at each school, and those of them
    that receive at least one sensitive data element."""
    listed = product_school.c.product_id.not_in(unlisted_ids())
    every = (
        select(product_school.c.school_id.label("school_id"), func.count().label("n"))
        .where(listed)
        .group_by(product_school.c.school_id)
    )
    sensitive_products = (
        select(DataUse.product_id)
        .join(DataElement, DataElement.id == DataUse.data_element_id)
        .where(DataElement.is_sensitive.is_(True))
    )
    sensitive = (
        select(product_school.c.school_id.label("school_id"), func.count().label("n"))
        .where(listed, product_school.c.product_id.in_(sensitive_products))
        .group_by(product_school.c.school_id)
    )
    return every, sensitive


def list_schools() -> list[SchoolSummary]:
    """Every school that is not retired, by name, with its counts (one query)."""
    every, sensitive = (stmt.subquery() for stmt in _counts_by_school())
    rows = db.session.execute(
        select(
            School.id,
            School.slug,
            School.name,
            School.grade_band,
            func.coalesce(every.c.n, 0),
            func.coalesce(sensitive.c.n, 0),
        )
        .outerjoin(every, every.c.school_id == School.id)
        .outerjoin(sensitive, sensitive.c.school_id == School.id)
        .where(School.is_retired.is_(False))
        .order_by(School.name, School.id)
    )
    return [SchoolSummary(*row) for row in rows]


def product_counts(school_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{school id: (listed products used there, those that receive sensitive data)} (two queries)."""
    if not school_ids:
        return {}
    every, sensitive = _counts_by_school()
    wanted = product_school.c.school_id.in_(school_ids)
    counts = {school_id: (n, 0) for school_id, n in db.session.execute(every.where(wanted))}
    for school_id, n in db.session.execute(sensitive.where(wanted)):
        counts[school_id] = (counts.get(school_id, (0, 0))[0], n)
    return counts


def _use_order(use: DataUse) -> tuple:
    """Sensitive data first, then the taxonomy's order."""
    element = use.element
    return (not element.is_sensitive, element.category.position, element.category.name, element.position, element.name)


@dataclass(frozen=True)
class SchoolProduct:
    """One product used at the school: its public status, current agreement, data and destruction."""

    product: Product
    status: ProductStatus
    standing: AgreementStanding  # where its agreement stands (agreements.status), as every page says it
    uses: list[DataUse]  # sensitive first, then taxonomy order
    destruction: list  # destruction.public.DestructionStatus of its agreements, newest agreement first

    @property
    def sensitive_uses(self) -> list[DataUse]:
        return [use for use in self.uses if use.element.is_sensitive]

    @property
    def other_uses(self) -> list[DataUse]:
        return [use for use in self.uses if not use.element.is_sensitive]


@dataclass(frozen=True)
class SensitiveElement:
    """A sensitive data element that products used at the school receive, and how many of them."""

    element: DataElement
    product_count: int


@dataclass(frozen=True)
class SchoolPage:
    school: School
    products: list[SchoolProduct]

    @property
    def sensitive_product_count(self) -> int:
        return sum(1 for item in self.products if item.sensitive_uses)

    @property
    def sensitive_elements(self) -> list[SensitiveElement]:
        """The sensitive data received at the school, most widely received first."""
        counts: dict[int, tuple[DataElement, int]] = {}
        for item in self.products:
            for use in item.sensitive_uses:
                element, count = counts.get(use.element.id, (use.element, 0))
                counts[use.element.id] = (element, count + 1)
        ordered = sorted(counts.values(), key=lambda pair: (-pair[1], _element_order(pair[0])))
        return [SensitiveElement(element, count) for element, count in ordered]


def _element_order(element: DataElement) -> tuple:
    return (element.category.position, element.category.name, element.position, element.name)


def _newest_first(agreements: list[Agreement]) -> list[Agreement]:
    return sorted(
        agreements, key=lambda a: (a.effective_on is not None, a.effective_on or date.min, a.id), reverse=True
    )


def get_school(slug: str) -> School | None:
    if not is_slug(slug):
        return None
    return db.session.scalar(select(School).where(School.slug == slug))


def school_products(school: School) -> list[Product]:
    """The listed products used at the school, by name, with vendor, data and agreements (three queries)."""
    return list(
        db.session.scalars(
            select(Product)
            .join(product_school, product_school.c.product_id == Product.id)
            .where(product_school.c.school_id == school.id, listed_clause())
            .options(
                joinedload(Product.vendor),
                selectinload(Product.data_uses).joinedload(DataUse.element).joinedload(DataElement.category),
                selectinload(Product.agreements),
            )
            .order_by(Product.name, Product.id)
        )
    )


def school_page(slug: str, today: date) -> SchoolPage | None:
    """Everything the school page shows (five queries), or None for an unknown slug."""
    school = get_school(slug)
    if school is None:
        return None
    products = school_products(school)
    agreement_ids = [a.id for product in products for a in product.agreements]
    statuses = destruction_public.status_by_agreement(agreement_ids, today) if agreement_ids else {}
    items = []
    for product in products:
        items.append(
            SchoolProduct(
                product=product,
                status=public_status(product),
                standing=standing(product, today),
                uses=sorted(product.data_uses, key=_use_order),
                destruction=[statuses[a.id] for a in _newest_first(product.agreements) if a.id in statuses],
            )
        )
    return SchoolPage(school=school, products=items)
