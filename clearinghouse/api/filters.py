"""The /products filters: the directory's own filters (directory.queries), read strictly.

The directory's HTML form drops a value it does not know; the API answers 400 instead, so that a
typo in a script does not silently return the whole directory. A well-formed slug that names no
record is not an error: nothing matches it, as in the directory.
"""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, select
from werkzeug.datastructures import MultiDict

from clearinghouse.directory.models import (
    KIND_SLUG_MAX,
    DataCategory,
    DataElement,
    Product,
    ProductKind,
    ProductStatus,
    School,
)
from clearinghouse.directory.queries import (
    AgreementFilter,
    DirectoryFilters,
    StatusFilter,
    is_slug,
    listed_clause,
    unlisted_ids,
)
from clearinghouse.directory.search import SEARCH_TEXT_MAX
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db

PARAMS = ("q", "element", "category", "school", "kind", "status", "agreement")
SLUG_PARAMS = {"element": DataElement, "category": DataCategory, "school": School}
STATUS_VALUES = [s.value for s in ProductStatus] + [StatusFilter.ALL.value]
AGREEMENT_VALUES = [a.value for a in AgreementFilter]
# How far a walk of the products by name reads the listed rule from the index it walks (`walking_clauses`'
# `shallow`): the API's pages 1-40 at 25 a page. On the bench catalogue the two ways cross between 2,500 and
# 5,000 products (PostgreSQL then sorts instead of walking).
SHALLOW_WALK = 1000


@dataclass(frozen=True)
class ProductQuery:
    params: dict[str, str]  # the filters given, for the links to other pages
    filters: DirectoryFilters
    matches_nothing: bool  # a slug that names no record

    def clauses(self, today) -> list[ColumnElement[bool]]:
        return [*self.filters.clauses(today), *([false()] if self.matches_nothing else [])]

    def walking_clauses(self, today, *, shallow: bool = False) -> list[ColumnElement[bool]]:
        """`clauses`, for a statement that walks the products in an index's order and stops after a page:
        the listed rule (when no status is asked for) as "not among the few unlisted ids", a hashed
        lookup per product, where `listed_clause`'s anti-join probed the vendor of each product walked
        (12,500 probes to reach the API's page 500, about 8 ms on the bench database).

        `shallow`: for a walk that stops within its first `SHALLOW_WALK` products, the rule as the product's own
        status and "its vendor not among the few retired ones" (`listed_clause(walking=True)`), read from the
        index walked: the unlisted ids' set took two index lookups, 337 of the 700 buffers of the API's page 1
        and half its execution. The same products; deeper, PostgreSQL sorts every listed product instead of
        walking (40 ms for page 500)."""
        if self.filters.status is not None:
            return self.clauses(today)
        sets = self.filters.id_sets(today)
        unmatched = [false()] if self.matches_nothing else []
        listed = listed_clause(walking=True) if shallow else Product.id.not_in(unlisted_ids())
        return [*(Product.id.in_(ids) for ids in sets), listed, *unmatched]


def _choice(name: str, value: str, allowed: list[str]) -> str:
    if value and value not in allowed:
        raise DomainError(f"'{name}' must be one of: {', '.join(allowed)}.", field=name)
    return value


def parse_product_query(args: MultiDict) -> ProductQuery:
    """Read the filters; raise DomainError (naming the parameter) for a value the API cannot use.

    Looks up the slugs given (one small query each, at most four).
    """
    params = {name: (args.get(name) or "").strip(" ") for name in PARAMS}  # control characters stay, and fail
    params = {name: value for name, value in params.items() if value}
    text = params.get("q", "")
    if len(text) > SEARCH_TEXT_MAX:
        raise DomainError(f"'q' may be at most {SEARCH_TEXT_MAX} characters.", field="q")
    ids: dict[str, int | None] = {}
    for name, model in SLUG_PARAMS.items():
        value = params.get(name, "")
        if value and not is_slug(value):
            raise DomainError(
                f"'{name}' must be a slug such as 'date-of-birth' (lower-case words and hyphens).", field=name
            )
        ids[name] = db.session.scalar(select(model.id).where(model.slug == value)) if value else None
    kind = params.get("kind", "")
    if kind and not (len(kind) <= KIND_SLUG_MAX and is_slug(kind.replace("_", "-"))):
        raise DomainError("'kind' must be a kind's key such as 'math' or 'learning_platform'.", field="kind")
    ids["kind"] = db.session.scalar(select(ProductKind.id).where(ProductKind.slug == kind)) if kind else None
    status = _choice("status", params.get("status", ""), STATUS_VALUES)
    agreement = _choice("agreement", params.get("agreement", ""), AGREEMENT_VALUES)
    filters = DirectoryFilters(
        text=text,
        element_id=ids["element"],
        category_id=ids["category"],
        school_id=ids["school"],
        kind_id=ids["kind"],
        status=StatusFilter(status) if status == StatusFilter.ALL else ProductStatus(status) if status else None,
        agreement=AgreementFilter(agreement) if agreement else None,
    )
    unknown = any(params.get(name) and ids[name] is None for name in (*SLUG_PARAMS, "kind"))
    return ProductQuery(params=params, filters=filters, matches_nothing=unknown)
