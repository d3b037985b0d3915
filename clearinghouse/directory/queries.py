"""Read side of the public directory: search and filters, and the loader of each public page.

Every loader runs a constant number of SQL statements whatever the number of rows, and the
agreement-state filter is computed in SQL by `agreements.state`, the twin of `Agreement.state_on`.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache, cached_property, lru_cache, partial
from operator import itemgetter
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination, SelectPagination
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Result,
    Row,
    ScalarSelect,
    Select,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    type_coerce,
    union,
    union_all,
)
from sqlalchemy.orm import aliased, contains_eager, joinedload, load_only, selectinload
from sqlalchemy.sql.elements import BinaryExpression
from sqlalchemy.sql.operators import in_op
from sqlalchemy.sql.visitors import replacement_traverse
from sqlalchemy.types import Text, TypeDecorator

from clearinghouse import page_cache
from clearinghouse.agreements.models import (
    NO_AGREEMENT_TERM,
    Agreement,
    AgreementState,
    agreement_product,
    agreement_standing_count,
    agreement_term_category_count,
    agreement_term_element_count,
    agreement_term_kind_count,
    agreement_term_school_count,
    agreement_term_standing_count,
)
from clearinghouse.agreements.state import KEPT_IN_FORCE_COUNT, KEPT_TERMS, constant
from clearinghouse.agreements.status import (
    OPEN_ENDED_LABEL,
    RENEWED_LABEL,
    SEVERAL_AGREEMENTS,
    AgreementStanding,
    ProductAgreementStatus,
    record_agreement_in,
    standing,
    status_in,
)
from clearinghouse.audit import public as audit_public
from clearinghouse.audit.models import DisclosureRevision
from clearinghouse.destruction import public as destruction_public
from clearinghouse.directory.models import (
    DataCategory,
    DataElement,
    DataUse,
    Product,
    ProductKind,
    ProductStatus,
    School,
    Tag,
    Vendor,
    headline_count,
    product_school,
    product_status_count,
    product_tag,
)
from clearinghouse.directory.search import (
    SEARCH_WORDS,
    SUGGEST_BELOW,
    hits_keep_sort_keys,
    search_hits,
    search_terms,
    search_words,
    suggest,
    surely_unmatched,
)
from clearinghouse.extensions import db
from clearinghouse.i18n import LocalizedText, current_language, default_language, localize, translated
from clearinghouse.settings.queries import get_settings
from clearinghouse.text import plain_text
from clearinghouse.urls import MAX_PAGE

# --- The current agreement ------------------------------------------------------------------


def current_agreement(agreements: Iterable[Agreement]) -> Agreement | None:
    """The product's current agreement: the latest by effective date (undated ones count as oldest)."""
    return max(agreements, key=lambda a: (a.effective_on is not None, a.effective_on or date.min, a.id), default=None)


class AgreementFilter(StrEnum):
    """The directory's agreement filter: where a product's agreement stands (`agreements.status`),
    a signed one by its state."""

    ACTIVE = "active"
    OPEN_ENDED = "open_ended"
    EXPIRING = "expiring"
    UPCOMING = "upcoming"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    RENEWED = "renewed"
    ON_FILE = "on_file"
    REQUESTED = "requested"
    DECLINED_BY_VENDOR = "declined_by_vendor"
    NOT_REQUIRED = "not_required"
    NONE = "none"

    @property
    def label(self) -> str:
        return AGREEMENT_FILTER_LABELS[self]


AGREEMENT_FILTER_LABELS = {
    AgreementFilter.ACTIVE: _l("Signed, in effect"),
    AgreementFilter.OPEN_ENDED: OPEN_ENDED_LABEL,
    AgreementFilter.EXPIRING: _l("Signed, expiring within 90 days"),
    AgreementFilter.UPCOMING: AgreementState.UPCOMING.label,
    AgreementFilter.EXPIRED: _l("Signed, expired"),
    AgreementFilter.TERMINATED: _l("Signed, terminated"),
    AgreementFilter.RENEWED: RENEWED_LABEL,
    AgreementFilter.ON_FILE: ProductAgreementStatus.ON_FILE.label,
    AgreementFilter.REQUESTED: ProductAgreementStatus.REQUESTED.label,
    AgreementFilter.DECLINED_BY_VENDOR: ProductAgreementStatus.DECLINED_BY_VENDOR.label,
    AgreementFilter.NOT_REQUIRED: ProductAgreementStatus.NOT_REQUIRED.label,
    AgreementFilter.NONE: ProductAgreementStatus.NONE_ON_FILE.label,
}
_SIGNED_FILTERS = {
    AgreementFilter.ACTIVE: AgreementState.ACTIVE,
    AgreementFilter.OPEN_ENDED: AgreementState.ACTIVE,
    AgreementFilter.EXPIRING: AgreementState.EXPIRING,
    AgreementFilter.UPCOMING: AgreementState.UPCOMING,
    AgreementFilter.EXPIRED: AgreementState.EXPIRED,
    AgreementFilter.TERMINATED: AgreementState.TERMINATED,
    AgreementFilter.RENEWED: AgreementState.RENEWED,
}


@lru_cache(maxsize=64)
def agreement_filter_ids(value: AgreementFilter, today: date) -> CompoundSelect:
    """Ids (column `id`) of the products whose agreement status matches the filter, each once,
    computed in SQL by `agreements.status` (the twin of `standing`).

    Built once per filter and day, shared by every request that asks: the state expression is a large
    tree, and building it cost several milliseconds of Python a request (issue 14)."""
    if value in _SIGNED_FILTERS:
        extra = Agreement.expires_on.is_(None) if value is AgreementFilter.OPEN_ENDED else None
        return record_agreement_in([_SIGNED_FILTERS[value]], today, extra)
    if value is AgreementFilter.NONE:
        return status_in(ProductAgreementStatus.NONE_ON_FILE, today)
    return status_in(ProductAgreementStatus(value.value), today)


class _AgreementRule(NamedTuple):
    """An agreement filter's parts (`agreement_filter_ids`' statements, the rule's own) as the kept pages ask them:
    `clause`, a WHERE clause on Product that a page checks product by product while it walks them in order;
    `own`, the WHERE clauses of the parts that select from product alone (a product's agreement key and
    stated status, an agreement's state), which the kept groups of products can be asked."""

    clause: ColumnElement[bool]
    own: tuple[ColumnElement[bool], ...]
    probing: ColumnElement[bool]


@lru_cache(maxsize=64)
def _agreement_rule(value: AgreementFilter, today: date) -> _AgreementRule:
    """The clause: each part that selects from product alone is its WHERE clause, any other (the ranking of a
    product's several agreements) a check of the product's id; on PostgreSQL each subquery is hashed once.
    `probing`: the same clause with each agreement asked by the product's key (`_probing`).
    Built once per filter and day, as `agreement_filter_ids`."""
    parts = agreement_filter_ids(value, today).selects
    product = Product.__table__
    # A part that ranks several agreements is read once, in a WITH, though the count and the walk both ask it.
    clause = or_(
        *(
            part.whereclause if part.get_final_froms() == [product] else Product.id.in_(select(part.cte().c.id))
            for part in parts
        )
    )
    own = tuple(part.whereclause for part in parts if part.get_final_froms() == [product])
    return _AgreementRule(clause, own, _probing(clause))


# The agreement a product's key names, as `_probing` reads it: its own name, inside a walk that reads agreement too.
_PROBED = Agreement.__table__.alias("probed_agreement")


def _probing(clause: ColumnElement[bool]) -> ColumnElement[bool]:
    """`clause` with each `agreement_key IN (SELECT agreement.id FROM agreement WHERE …)` asked of the one
    agreement the key names, read by its primary key: `coalesce((SELECT true FROM agreement WHERE id =
    agreement_key AND …), false)`, the same truth (no agreement has the id 0 or -1). PostgreSQL hashes an IN or
    an EXISTS, asking every agreement its state once (about 1.5 ms of the bench's 9,800 before the first product
    is walked); a scalar subquery it can only run for each product walked (about 1 µs each), which is cheaper
    when the walk is short (`PROBE_WALK`). The rule is not written again: the IN's own WHERE clause, its
    columns read from the probed agreement."""

    def on_probed(element: Any) -> Any:
        table = getattr(element, "table", None)
        if table is Agreement.__table__:
            return _PROBED.c[element.key]
        return None

    def replace(element: Any) -> Any:
        if not (isinstance(element, BinaryExpression) and element.operator is in_op):
            return None
        agreements = _agreements_asked(element) if _is_agreement_key(element.left) else None
        if agreements is None:
            return element  # kept whole, not copied: a part about several agreements reads its WITH as it is
        where = replacement_traverse(agreements.whereclause, {}, on_probed)
        return func.coalesce(select(true()).where(_PROBED.c.id == element.left, where).scalar_subquery(), false())

    return replacement_traverse(clause, {}, replace)


def _on_groups(rule: _AgreementRule, key: Any, stated: Any) -> ColumnElement[bool]:
    """The rule's own parts asked of groups of products keyed by `key` (0 for the products with no agreement)
    and `stated`; a part that reads more of a product speaks only of those with several agreements."""
    grouped = {Product.agreement_key: key, Product.agreement_status: stated}
    return or_(*(c for c in (_on_columns(clause, grouped) for clause in rule.own) if c is not None))


@lru_cache(maxsize=64)
def agreement_filter_kept(
    value: AgreementFilter, today: date
) -> tuple[ColumnElement[int], tuple[ColumnElement[bool], ...]]:
    """The agreement filter alone as `DirectoryFilters.kept` gives it: the number of listed products that
    match, and a WHERE clause on Product that a page checks product by product while it walks them in
    order, stopping after the page (with `listed_clause`).

    Both are read off `agreement_filter_ids`' parts, the rule's own statements, not written again
    (`_agreement_rule`). The count: the kept groups of
    listed products with no agreement or a sole one (`agreement_standing_count`, per agreement key and
    stated status) that the parts reading only those two columns match, plus the few listed products
    with several agreements (`SEVERAL_AGREEMENTS`) that the clause matches, counted one by one; a part
    that reads more of a product speaks only of those. When every such part can be asked of an
    agreement's term (`_on_term_groups`: every signed state, "on file", none on file), the products with
    a sole agreement are counted from the groups of its term instead (`agreement_term_standing_count`,
    2,180 term groups on the bench against 9,684 groups by agreement: "active" counted in 0.95 ms of
    PostgreSQL's execution instead of 3.9). Most products match `active` (15,380 of 23,500
    listed on the bench): reading, sorting and counting every match took 50 ms of PostgreSQL; checking
    products in name order until 25 match, and adding up the groups, about 4. A rare filter's deep pages
    walk further (the last of `expiring`, 1,423 matches, reads all 25,000 products' entries) on the covering index
    `ix_product_name_listing`. Built once per filter and day, as `agreement_filter_ids`."""
    rule = _agreement_rule(value, today)
    groups = agreement_standing_count.c
    on_groups = _on_groups(rule, groups.agreement_key, groups.stated)
    terms = agreement_term_standing_count.c
    on_terms = [_on_term_groups(clause, terms.stated) for clause in rule.own]
    if all(term is not None for term in on_terms):
        # The products with no agreement from their groups (key 0); those with a sole agreement from the
        # groups of its term (`agreement_term_standing_count`): each term group asked once, not each agreement.
        # (the products with no agreement asked as `_on_no_agreement` asks them: no agreement's state is read)
        sole = select(func.coalesce(func.sum(groups.product_count), constant(0))).where(
            groups.agreement_key == constant(0), _on_no_agreement(rule, groups.stated)
        ).scalar_subquery() + (
            select(func.coalesce(func.sum(terms.product_count), constant(0)))
            .select_from(agreement_term_standing_count)
            .join(KEPT_TERMS, KEPT_TERMS.c.term_key == terms.term_key)
            .where(or_(*on_terms))
            .scalar_subquery()
        )
    else:
        sole = (
            select(func.coalesce(func.sum(groups.product_count), constant(0)))
            .where(groups.agreement_key != constant(SEVERAL_AGREEMENTS), on_groups)
            .scalar_subquery()
        )
    several = (
        select(func.count(Product.id))
        .where(Product.agreement_key == constant(SEVERAL_AGREEMENTS), rule.clause, listed_clause())
        .scalar_subquery()
    )
    return sole + several, (rule.clause, listed_clause())


class _KeptFacet(NamedTuple):
    """A filter of `DirectoryFilters` (its field `name`) whose listed products triggers keep per agreement term
    group and stated status: `counts`, their table, its column `column` the filter's id; `found`, the filter as
    a clause on Product; `walked`, as a check of each product a page walks."""

    name: str
    counts: Any
    column: str
    found: Callable[[int], ColumnElement[bool]]
    walked: Callable[[int], ColumnElement[bool]]


def of_kind(kind_id: int) -> ColumnElement[bool]:
    """The product is of the kind (a clause on Product)."""
    return Product.kind_id == kind_id


@lru_cache(maxsize=256)
def agreement_facet_kept(
    value: AgreementFilter, today: date, facet: str, facet_id: int
) -> tuple[ColumnElement[int], tuple[ColumnElement[bool], ...]] | None:
    """An agreement filter with one data element, data category, school or kind (`facet`, a field of
    `DirectoryFilters`; no other filter) as `DirectoryFilters.kept` gives it, when every part of the filter that
    reads only a product can be asked of an agreement's term (`_on_term_groups`; else None: counted). The count:
    the kept groups of listed products that receive the element, some element of the category, are used at the
    school or are of the kind (`agreement_term_element_count`, `_category_count`, `_school_count`, `_kind_count`:
    per facet id, term group of the sole agreement or none, stated status) that the rule's parts match, as
    `agreement_filter_kept` counts the filter alone, plus the listed products with several agreements of the
    facet that the clause matches, counted one by one. The clauses: the agreement filter's and the facet's, each
    checked product by product while a page walks them in order (the two kept filters' own, together). The
    element is asked of the ids the product keeps (`receives_element`), which the walked index carries: an
    EXISTS probed data_use's index for each product walked (about 3 buffers each; "active" with an element
    received by 2,367 products, page 1: 2,433 buffers, 654 so); a category is asked of those ids too, on
    PostgreSQL (`receives_category(walking=True)`), a school is such an EXISTS on product_school's key
    (`used_at_school`: about 2 buffers a product walked; "active" with school-7, 549 matches, page 1 walks 646
    products), a kind the product's column. "Active" with category-2 (6,489
    matches on the bench), page 1: the page no longer reads, counts and sorts every match. Built once per filter,
    facet and day."""
    kept = KEPT_FACETS[facet]
    rule = _agreement_rule(value, today)
    counts = kept.counts.c
    on_terms = [_on_term_groups(clause, counts.stated) for clause in rule.own]
    if any(term is None for term in on_terms):
        return None
    of_facet = counts[kept.column] == facet_id
    none = select(func.coalesce(func.sum(counts.product_count), constant(0))).where(
        of_facet,
        counts.term_key == constant(NO_AGREEMENT_TERM),
        _on_no_agreement(rule, counts.stated),
    )
    sole = (
        select(func.coalesce(func.sum(counts.product_count), constant(0)))
        .select_from(kept.counts)
        .join(KEPT_TERMS, KEPT_TERMS.c.term_key == counts.term_key)
        .where(of_facet, or_(*on_terms))
    )
    several = select(func.count(Product.id)).where(
        Product.agreement_key == constant(SEVERAL_AGREEMENTS), rule.clause, kept.found(facet_id), listed_clause()
    )
    count = none.scalar_subquery() + sole.scalar_subquery() + several.scalar_subquery()
    return count, (rule.clause, kept.walked(facet_id), listed_clause(walking=True))


def _on_term_groups(clause: ColumnElement[bool], stated: Any) -> ColumnElement[bool] | None:
    """`clause` (a part of an agreement filter that reads only product's row) asked of the groups of listed
    products with a sole agreement, by that agreement's term and stated status (`agreement_term_standing_count`
    or `agreement_term_element_count`, whose column `stated` is given, joined to `agreements.state.KEPT_TERMS`):
    `agreement_key IN (the agreements that …)` becomes what those
    agreements are asked, of the term group's columns (the same columns the state is derived from); a
    comparison of the key with a number, that number's comparison with a sole agreement's key (always
    positive); the stated status, the group's. None when it reads anything else (of the product, or of an
    agreement outside such an IN)."""
    other = []
    product, agreement = Product.__table__, Agreement.__table__

    def on_terms(element: Any) -> Any:
        table = getattr(element, "table", None)
        if table is not None and getattr(table, "name", None) == agreement.name:
            if element.name in KEPT_TERMS.c:
                return KEPT_TERMS.c[element.name]
            other.append(element)
        return None

    def replace(element: Any) -> Any:
        if isinstance(element, BinaryExpression) and element.operator is in_op and _is_agreement_key(element.left):
            agreements = _agreements_asked(element)
            if agreements is not None:
                return replacement_traverse(agreements.whereclause, {}, on_terms)
            other.append(element)
            return None
        table = getattr(element, "table", None)
        if table is None or getattr(table, "name", None) not in (product.name, agreement.name):
            return None
        if table.name == product.name and element.key == product.c.agreement_key.key:
            return constant(1)  # a sole agreement's id: its comparisons with 0 (none) and -1 (several) are false
        if table.name == product.name and element.key == product.c.agreement_status.key:
            return stated
        other.append(element)
        return None

    replaced = replacement_traverse(clause, {}, replace)
    return None if other else replaced


def _agreements_asked(element: BinaryExpression) -> Select | None:
    """The SELECT of `agreement_key IN (SELECT agreement.id FROM agreement WHERE …)`, when `element` is one."""
    agreements = getattr(element.right, "element", None)
    agreement = Agreement.__table__
    if (
        isinstance(agreements, Select)
        and [getattr(source, "name", None) for source in agreements.get_final_froms()] == [agreement.name]
        and [column.name for column in agreements.selected_columns] == [agreement.c.id.name]
        and agreements.whereclause is not None
    ):
        return agreements
    return None


def _on_no_agreement(rule: _AgreementRule, stated: Any) -> ColumnElement[bool]:
    """The rule's own parts asked of groups of the products with no agreement, whose stated status is `stated`:
    `_on_groups` for the key 0, each `agreement_key IN (agreements …)` false (an agreement's id is positive)
    rather than asked of every agreement."""

    def replace(element: Any) -> Any:
        if isinstance(element, BinaryExpression) and element.operator is in_op and _is_agreement_key(element.left):
            return false() if _agreements_asked(element) is not None else None
        return None

    own = tuple(replacement_traverse(clause, {}, replace) for clause in rule.own)
    return _on_groups(rule._replace(own=own), constant(0), stated)


def _is_agreement_key(element: Any) -> bool:
    return _is_of_product(element) and element.key == Product.agreement_key.key


def _asked_of_hits(clause: ColumnElement[bool], hits: Any) -> ColumnElement[bool]:
    """`clause` (an agreement rule's, on Product: `_agreement_rule`) asked of a search's keyed hits
    (`search_hits(…, keyed=True)`), which keep each product's agreement key and stated status: each column of
    product read as the hit's (a product with no agreement or a sole one is answered by them alone); a part about
    products with several agreements, `Product.id IN (its WITH)`, asked of the hit's product id, its WITH kept
    whole (a copy would be a second WITH of the same name, and would read the hit in place of each product)."""
    columns = {
        Product.id.key: hits.c.product_id,
        Product.agreement_key.key: hits.c.agreement_key,
        Product.agreement_status.key: hits.c.agreement_status,
    }

    def replace(element: Any) -> Any:
        if isinstance(element, BinaryExpression) and element.operator is in_op and _is_product_id(element.left):
            return columns[Product.id.key].in_(element.right.element)
        if _is_of_product(element):
            return columns[element.key]
        return None

    return replacement_traverse(clause, {}, replace)


def _is_of_product(element: Any) -> bool:
    return getattr(getattr(element, "table", None), "name", None) == Product.__tablename__


def _is_product_id(element: Any) -> bool:
    return _is_of_product(element) and element.key == Product.id.key


def _on_columns(clause: ColumnElement[bool], columns: dict[Any, Any]) -> ColumnElement[bool] | None:
    """`clause` with the product's columns replaced by `columns`' values; None when it reads any other
    column of product (a part about products with several agreements, which the groups leave out)."""
    other = []

    def replace(element: Any) -> Any:
        table = getattr(element, "table", None)
        if table is None or getattr(table, "name", None) != Product.__tablename__:
            return None
        for column, replacement in columns.items():
            if element.key == column.key:
                return replacement
        other.append(element)
        return None

    replaced = replacement_traverse(clause, {}, replace)
    return None if other else replaced


# --- Directory search and filters --------------------------------------------------------------


class Sort(StrEnum):
    RELEVANCE = "relevance"
    NAME = "name"
    VENDOR = "vendor"
    UPDATED = "updated"

    @property
    def label(self) -> str:  # a lazy string: translated where it is shown
        return {
            "relevance": _l("Best match"),
            "name": _l("Product name"),
            "vendor": _l("Company name"),
            "updated": _l("Recently updated"),
        }[self.value]


class StatusFilter(StrEnum):
    """Beyond the product statuses: every product, retired ones included."""

    ALL = "all"


def _retired_vendor_ids() -> Select:
    return select(Vendor.id).where(Vendor.is_retired.is_(True))


_RETIRED_VENDOR = aliased(Vendor, name="retired_vendor")


def _vendor_not_retired() -> ColumnElement[bool]:
    """The product's vendor is not retired: an anti-join that probes the vendor by key.

    Both databases plan it well, whether they walk the products in the order asked for or start
    from a filter's few rows (PostgreSQL cannot estimate `NOT IN (subquery)` and then reads every product).
    """
    return ~exists().where(_RETIRED_VENDOR.id == Product.vendor_id, _RETIRED_VENDOR.is_retired.is_(True))


def listed_clause(*, walking: bool = False) -> ColumnElement[bool]:
    """Products shown by default: not retired, from a vendor that is not retired (a clause on Product).

    `walking`: for a statement that walks the products in an index's order and stops after a page, the
    vendor is asked as "not among the few retired vendors" (a set of ids hashed once, read with the index's
    own columns) instead of by the anti-join, which probed the vendor of each product walked: 2,500 probes
    (of 12,000 buffers) to reach the most shared data element's page 100 on the bench catalogue. The same
    products: a product always has a vendor."""
    vendor = Product.vendor_id.not_in(_retired_vendor_ids()) if walking else _vendor_not_retired()
    return and_(Product.status != ProductStatus.RETIRED, vendor)


def receives_element(element_id: int) -> ColumnElement[bool]:
    """The product receives the data element (a clause on Product), asked of the ids it keeps
    (`Product.received_element_ids`, ",3,7,12,"): ix_product_name_listing carries them, so a walk in name order
    asks each product from the index it walks, where an EXISTS probed data_use's index for each (three buffers
    a product: page 100 of the most shared element walked and probed 3,092 products, 5.5 of its 6.5 ms)."""
    return Product.received_element_ids.contains(f",{element_id},")


def receives_category(category_id: int, *, walking: bool = False) -> ColumnElement[bool]:
    """The product receives a data element of the category (a clause on Product): a probe of data_use's index.

    `walking`, on PostgreSQL: for a walk in name order that checks each product (`agreement_facet_kept`), asked of
    the ids the product keeps (`Product.received_element_ids`, which the walked index carries) as a match of the
    pattern of the category's elements' ids, made once (",(3|7|12),"; NULL, matching nothing, for a category with
    none): no probe of data_use for each product walked (three buffers each: "active" with category-2, page 30 of
    the directory, walked 2,700 products, 21,562 buffers)."""
    if walking and _on_postgresql():
        ids = func.string_agg(DataElement.id.cast(Text), literal("|"))
        pattern = select(",(" + ids + "),").where(DataElement.category_id == category_id).scalar_subquery()
        return Product.received_element_ids.bool_op("~")(pattern)
    return exists().where(
        DataUse.product_id == Product.id,
        DataElement.id == DataUse.data_element_id,
        DataElement.category_id == category_id,
    )


def used_at_school(school_id: int, *, walking: bool = False) -> ColumnElement[bool]:
    """The product is used at the school (a clause on Product): a probe of product_school's key.

    `walking`, on PostgreSQL: for a walk in name order that checks each product (`agreement_facet_kept`), asked as
    "among the school's products" (their ids read once from the school's links and hashed; `IS TRUE` keeps
    PostgreSQL from making it a join, which a walk stopped after the page probes once per product walked): no probe
    of product_school for each product walked (about two buffers each: "active" with school-7, 735 matches on the
    bench, page 20 of the directory walked 17,000 products, 12,686 buffers; hashed, 0.5 ms for the school's
    1,201 links)."""
    if walking and _on_postgresql():
        school_products = select(product_school.c.product_id).where(product_school.c.school_id == school_id)
        return Product.id.in_(school_products).is_(true())
    return exists().where(product_school.c.product_id == Product.id, product_school.c.school_id == school_id)


# The filters that an agreement filter's kept count goes with (`agreement_facet_kept`), by their field.
KEPT_FACETS = {
    facet.name: facet
    for facet in (
        _KeptFacet("element_id", agreement_term_element_count, "data_element_id", receives_element, receives_element),
        _KeptFacet(
            "category_id",
            agreement_term_category_count,
            "category_id",
            receives_category,
            partial(receives_category, walking=True),
        ),
        _KeptFacet(
            "school_id", agreement_term_school_count, "school_id", used_at_school, partial(used_at_school, walking=True)
        ),
        _KeptFacet("kind_id", agreement_term_kind_count, "kind_id", of_kind, of_kind),
    )
}


def unlisted_ids() -> Select:
    """Ids of the products `listed_clause` leaves out: few, found by two index lookups.

    Counts of listed products count the ids a filter gives and leave these out, which reads an
    index or two instead of every matching product row.
    """
    return union(
        select(Product.id).where(Product.status == ProductStatus.RETIRED),
        select(Product.id).where(Product.vendor_id.in_(_retired_vendor_ids())),
    )


def unlisted_by_name() -> Select:
    """The products `listed_clause` leaves out, as rows (id, name) that PostgreSQL reads in name order: the retired
    ones from ix_product_retired_name (migration 20261128_product_retired_name, PostgreSQL), merged with the few
    others of the retired vendors, sorted. A walk of every product's name for them (`unlisted_clause`, hashed)
    read the bench's 25,000 names for its 1,510; sorting them by name read each one's name by id (`picked_by_name`:
    1,205 buffers); merged, the page's and a few hundred entries."""
    retired = select(Product.id.label("id"), Product.name.label("name")).where(Product.status == ProductStatus.RETIRED)
    of_retired_vendors = select(Product.id, Product.name).where(
        Product.status != ProductStatus.RETIRED, Product.vendor_id.in_(_retired_vendor_ids())
    )
    rows = union_all(retired, of_retired_vendors).subquery("unlisted_by_name")
    return select(rows.c.id, rows.c.name)


def unlisted_clause() -> ColumnElement[bool]:
    """The products `listed_clause` leaves out (a clause on Product)."""
    return Product.id.in_(unlisted_ids())


def _unlisted_count() -> ScalarSelect[int]:
    """How many products `listed_clause` leaves out, counted from `unlisted_ids`' two indexes."""
    return select(func.count()).select_from(unlisted_ids().subquery()).scalar_subquery()


def public_status(product: Product) -> ProductStatus:
    """A product of a retired vendor is shown as retired, whatever its own status."""
    return ProductStatus.RETIRED if product.vendor.is_retired else product.status


def listed_products_count() -> ScalarSelect[int]:
    """How many products are listed, read from the counts per approval status that triggers keep
    (migration 20261126_headline_counts), not counted over every product."""
    return select(func.coalesce(func.sum(product_status_count.c.product_count), 0)).scalar_subquery()


@dataclass(frozen=True)
class DirectoryFilters:
    """What a visitor asked the directory for; every field already validated."""

    text: str = ""
    element_id: int | None = None
    category_id: int | None = None
    school_id: int | None = None
    tag_id: int | None = None
    kind_id: int | None = None
    status: ProductStatus | StatusFilter | None = None  # None: every status but retired
    agreement: AgreementFilter | None = None
    sort: Sort | None = None  # None: best match when searching, else by name

    @cached_property
    def terms(self) -> list[str]:
        """The search's words (read several times a request: folded once)."""
        return search_terms(self.text)

    @property
    def effective_sort(self) -> Sort:
        if self.sort is Sort.RELEVANCE and not self.terms:
            return Sort.NAME
        return self.sort or (Sort.RELEVANCE if self.terms else Sort.NAME)

    def id_sets(self, today: date) -> list[Select | CompoundSelect]:
        """The filters on what a product receives, where, and under which agreement: each a SELECT of
        distinct product ids (column `id`), read from an index; a product must be in every one."""
        sets: list[Select | CompoundSelect] = []
        if self.element_id is not None:
            sets.append(select(DataUse.product_id.label("id")).where(DataUse.data_element_id == self.element_id))
        if self.school_id is not None:
            sets.append(
                select(product_school.c.product_id.label("id")).where(product_school.c.school_id == self.school_id)
            )
        if self.tag_id is not None:
            sets.append(select(product_tag.c.product_id.label("id")).where(product_tag.c.tag_id == self.tag_id))
        if self.kind_id is not None:
            sets.append(select(Product.id.label("id")).where(Product.kind_id == self.kind_id))
        if self.category_id is not None:
            sets.append(
                select(DataUse.product_id.label("id"))
                .join(DataElement, DataElement.id == DataUse.data_element_id)
                .where(DataElement.category_id == self.category_id)
                .distinct()
            )
        if self.agreement is not None:
            sets.append(agreement_filter_ids(self.agreement, today))
        return sets

    def clauses(
        self, today: date, id_sets: list[Select] | None = None, *, agreement_ids: bool | None = None
    ) -> list[ColumnElement[bool]]:
        """WHERE clauses on Product; they combine with AND (`id_sets`: those of `id_sets(today)`, when built).

        An agreement filter is its ids (`agreement_filter_ids`) or, when it is broad enough on PostgreSQL
        (`_agreement_is_broad`: WALK_SHARE alone, AGREEMENT_BROAD_SHARE with another filter or a search), its
        rule's own clause (`_agreement_rule`: each part a WHERE clause on product);
        `agreement_ids` True or False chooses. PostgreSQL took the UNION of the ids for about 200 rows where
        "active" has 16,377 (of 25,000 products on the bench), and looked each up in product by a nested loop:
        the API's product list with "active" read 50,300 buffers (155 ms at load 10), with the clause 401
        (13 ms). For a rare filter the clause was worse: PostgreSQL then walked every product to check it
        ("upcoming", no match, with a data element: 22 buffers with the ids, 5,003 with the clause)."""
        sets = self.id_sets(today) if id_sets is None else id_sets
        rule = self._agreement_rule_asked(today, agreement_ids)
        agreement = agreement_filter_ids(self.agreement, today) if rule is not None else None
        clauses: list[ColumnElement[bool]] = [
            rule.clause if ids is agreement and rule is not None else Product.id.in_(ids) for ids in sets
        ]
        if self.status is None:
            clauses.append(listed_clause())
        elif self.status is ProductStatus.RETIRED:
            clauses.append(unlisted_clause())
        elif isinstance(self.status, ProductStatus):
            clauses.append(and_(Product.status == self.status, _vendor_not_retired()))
        return clauses

    def hit_clauses(
        self, hits: Any, today: date, id_sets: list[Select], *, agreement_ids: bool | None = None
    ) -> list[ColumnElement[bool]]:
        """`clauses` asked of a search's keyed hits (`_keyed_hits`), which are the products the page lists already
        (the listed ones, or every one): each filter's ids asked of the hit's product id, but an agreement filter
        asked by its rule's clause (`clauses`' choice) is the rule asked of the hit's own columns, the agreement
        key and stated status product_search keeps (`_asked_of_hits`): no product is read for it but those with
        several agreements, ranked. PostgreSQL hashes the agreements in the state once and checks each hit's key.
        "reading" with "active" (2,125 hits) read the UNION of the filter's 16,377 ids and hashed them first (27 ms
        of 31 on the bench); asked of each hit's product, it read all 25,000 entries of `ix_product_agreement_key`
        to hash the matching products (7.6 ms)."""
        rule = self._agreement_rule_asked(today, agreement_ids)
        agreement = agreement_filter_ids(self.agreement, today) if rule is not None else None
        return [
            _asked_of_hits(rule.clause, hits) if ids is agreement and rule is not None else hits.c.product_id.in_(ids)
            for ids in id_sets
        ]

    def _agreement_rule_asked(self, today: date, agreement_ids: bool | None) -> _AgreementRule | None:
        """The agreement filter's rule (`_agreement_rule`) when it is asked by its clause rather than read as its
        ids (`agreement_ids` False, or None and `agreement_by_rule`); else None."""
        if self.agreement is None or agreement_ids is True:
            return None
        if agreement_ids is None and not self.agreement_by_rule(today):
            return None
        return _agreement_rule(self.agreement, today)

    def agreement_by_rule(self, today: date, *, ranks_keyed_hits: bool = False) -> bool:
        """Whether the agreement filter is broad enough, on PostgreSQL, to be asked by its rule's clause
        (`_agreement_is_broad`): WALK_SHARE alone (a page walks the products by name until enough match),
        HITS_SHARE with a search that ranks its keyed hits (`ranks_keyed_hits`, `_ranks_keyed_hits`: the rule
        asked of each hit's kept columns, `hit_clauses`), AGREEMENT_BROAD_SHARE with another filter or any
        other search (the matches come from that one's ids or hits)."""
        if self.agreement is None or not _on_postgresql():
            return False
        others = (self.element_id, self.category_id, self.school_id, self.tag_id, self.kind_id)
        alone = not self.terms and all(value is None for value in others)
        share = WALK_SHARE if alone else HITS_SHARE if ranks_keyed_hits else AGREEMENT_BROAD_SHARE
        return _agreement_is_broad(self.agreement, today, share)

    def kept(self, today: date | None = None) -> tuple[ColumnElement[int], list[ColumnElement[bool]]] | None:
        """For filters whose number of matches triggers keep: that count, and the WHERE clauses on
        Product that find the matches (else None: count them).

        Those are no filter but a sort (`listed_products_count`), one data category, data
        element, school or agreement filter alone (`DataCategory.product_count`, `DataElement.receiver_count`,
        `School.product_count`: the listed products that receive its data, or are used there;
        `agreement_filter_kept`: the kept groups of products by agreement), and an agreement filter with a
        data element, data category, school or kind (`agreement_facet_kept`: the kept groups by that one and
        agreement term). Each count equals what
        `listed_count` counts for the same filters, and the clauses find what `clauses` finds
        (tests/directory/test_kept_totals.py, test_agreement_filter_kept.py). The filter is a check of
        each product (a correlated EXISTS, a product's own columns), so that a page can walk the products
        in name order and stop after it: the thousands of matches of a broad filter are neither all
        read nor sorted. `today` is the day an agreement filter asks about (without it, one is counted).
        Every product, retired ones included (`StatusFilter.ALL`), with one data element, category, school or
        kind, or none: a count read from the links' index rather than kept, equal to what `_filtered_count`
        counts (`_every_status_kept`; tests/directory/test_every_status_kept.py).
        """
        if self.terms or (self.agreement is not None and today is None):
            return None
        if self.status is StatusFilter.ALL:
            return self._every_status_kept()
        if self.status is not None or self.tag_id is not None:
            return None
        facet = _kept_facet(self)
        if self.agreement is not None and facet is not None:
            kept = agreement_facet_kept(self.agreement, today, *facet)
            return None if kept is None else (kept[0], list(kept[1]))
        chosen = any(getattr(self, name) is not None for name in KEPT_FACETS)
        if chosen and (self.agreement is not None or facet is None or self.kind_id is not None):
            return None  # several filters, or a kind alone
        if self.agreement is not None:
            count, clauses = agreement_filter_kept(self.agreement, today)
            return count, list(clauses)
        if self.category_id is not None:
            count = select(DataCategory.product_count).where(DataCategory.id == self.category_id)
            found = receives_category(self.category_id)
        elif self.element_id is not None:
            count = select(DataElement.receiver_count).where(DataElement.id == self.element_id)
            found = receives_element(self.element_id)
        elif self.school_id is not None:
            count = select(School.product_count).where(School.id == self.school_id)
            found = used_at_school(self.school_id)
        else:
            return listed_products_count(), [listed_clause()]
        # 0 for a row deleted since the filter was read, as counting would find (not NULL).
        return func.coalesce(count.scalar_subquery(), literal(0)), [found, listed_clause(walking=True)]

    def _every_status_kept(self) -> tuple[ColumnElement[int], list[ColumnElement[bool]]] | None:
        """`kept` for every product, retired ones included (`StatusFilter.ALL`), with one data element, data
        category, school or kind and no other filter, or none (else None: counted).

        No count of every status is kept: each is read from an index of the links instead, each link a product
        once (data_use's and product_school's pairs are unique): the element's uses, the school's links, the
        distinct products of the category's uses, the kind's products; every product is the listed ones, whose
        count is kept, and the few others. The most shared element counted from ix_data_use_element_product:
        20,049 entries, 18 buffers, about 1.5 ms of PostgreSQL on the bench, where the page read, counted (a
        window) and sorted its 20,049 matches (about 45 ms). The filter is the listed pages' check of each
        product, without the listed rule, so that the page walks the products in order and stops after it, as
        theirs do."""
        if self.agreement is not None or self.tag_id is not None:
            return None
        chosen = [
            value for value in (self.element_id, self.category_id, self.school_id, self.kind_id) if value is not None
        ]
        if len(chosen) > 1:
            return None
        if self.element_id is not None:
            count = select(func.count()).select_from(DataUse).where(DataUse.data_element_id == self.element_id)
            found = [receives_element(self.element_id)]
        elif self.category_id is not None:
            count = (
                select(func.count(DataUse.product_id.distinct()))
                .join(DataElement, DataElement.id == DataUse.data_element_id)
                .where(DataElement.category_id == self.category_id)
            )
            found = [receives_category(self.category_id)]
        elif self.school_id is not None:
            count = select(func.count()).select_from(product_school).where(product_school.c.school_id == self.school_id)
            found = [used_at_school(self.school_id)]
        elif self.kind_id is not None:
            count = select(func.count(Product.id)).where(Product.kind_id == self.kind_id)
            found = [Product.kind_id == self.kind_id]
        else:  # the listed products (kept per approval status) and the few others
            return listed_products_count() + _unlisted_count(), []
        return count.scalar_subquery(), found

    def one_status_kept(self) -> tuple[ColumnElement[int], list[ColumnElement[bool]]] | None:
        """For one approval status and no other filter (else None), the products `clauses` finds, as `kept` gives
        them: their number, read from the counts triggers keep per approval status (`product_status_count`: the
        listed products, whose status is never retired), or for "retired" counted from the unlisted ids' indexes;
        and the WHERE clauses on Product that find them, the listed rule apart so that a walk of the names reads it
        from the index it walks (`walking_clauses`). Counting the approved products read 621 buffers (4.8 ms of
        PostgreSQL on the bench), the retired ones 3,336 (3.5 ms). The API's lists walk them (`_kept_walk`); the
        directory's pages of a status read the count with their page (`_filtered_page`)."""
        if self.terms or self.agreement is not None or not isinstance(self.status, ProductStatus):
            return None
        others = (self.element_id, self.category_id, self.school_id, self.tag_id, self.kind_id)
        if any(value is not None for value in others):
            return None
        if self.status is ProductStatus.RETIRED:
            return _unlisted_count(), [unlisted_clause()]
        kept = select(product_status_count.c.product_count).where(product_status_count.c.status == self.status)
        # 0 for a status no listed product has (no row), as counting would find.
        return func.coalesce(kept.scalar_subquery(), literal(0)), [Product.status == self.status, listed_clause()]

    def listed_count(
        self, today: date, id_sets: list[Select] | None = None, *, bound: bool = False, kept: bool = True
    ) -> Select:
        """The exact number of listed products that match (status filter unset), from indexes only.

        An agreement filter, alone or with a data element, reads the count triggers keep (`kept`: "active"
        counted from its ids took 13-91 ms of PostgreSQL on the bench, the kept groups about 1; on SQLite only
        a broad one's, `_agreement_is_broad`: a rare one's was counted faster; `kept=False`: counted, as the
        tests compare them). Otherwise it counts the ids of the most selective source (the
        search hits, else a filter's ids, else every product), keeps those in every other filter's ids, and
        leaves out the unlisted ones. `bound`: a search whose words are the SEARCH_WORDS parameter
        (`search_hits(…, bound=True)`).
        """
        if kept and self.agreement is not None and id_sets is None and not bound:
            counted = self.kept(today)
            if counted is not None and (_on_postgresql() or _agreement_is_broad(self.agreement, today)):
                return select(counted[0])
        terms = self.terms
        sets = self.id_sets(today) if id_sets is None else id_sets
        if terms or bound:
            source = search_hits(terms, ranked=False, bound=bound)
            ids = source.c.product_id
        elif sets:
            source = sets.pop(0).subquery("source")
            ids = source.c.id
        else:
            return select(listed_products_count())
        clauses = [ids.in_(other) for other in sets]
        return select(func.count()).select_from(source).where(*clauses, ids.not_in(unlisted_ids()))


LISTING_OPTIONS = (selectinload(Product.agreements),)
# Only the columns a directory card shows: the long Markdown and staff notes of 25 vendors and
# products cost transfer and row processing. Reading any other column raises (no hidden query).
DIRECTORY_CARD_COLUMNS = (
    load_only(
        Product.id,
        Product.vendor_id,
        Product.name,
        Product.slug,
        Product.kind_id,
        Product.status,
        Product.agreement_status,
        Product.purpose_md,
        Product.translations,
        raiseload=True,
    ),
    contains_eager(Product.vendor).load_only(Vendor.id, Vendor.name, Vendor.slug, Vendor.is_retired, raiseload=True),
)


class _Paginated(SelectPagination):
    """`db.paginate` that loads a page with `select_page(limit, offset)` and counts with its own lean statement.

    The pages pick their rows' ids on narrow columns before loading the rows (see `search_products`).
    With `windowed`, each row of the page also carries the number of matches (`count(*) OVER ()` in
    the id-pick, which reads every match anyway to sort them, or a count kept by triggers), and the
    count statement runs only for a page past the last.
    """

    def _query_items(self) -> list[Any]:
        if self._past_end():
            return []
        page = self._query_args["select_page"](self.per_page, self._query_offset)
        statement, params = page if isinstance(page, tuple) else (page, None)
        session, gather = self._query_args["session"], self._query_args["gather"]
        if gather is not None:  # plain rows: no ORM execution (about 0.3 ms of Python a statement)
            items, total = gather(session.connection().execute(statement, params))
        elif self._query_args["windowed"]:
            rows = session.execute(statement, params).unique().all()
            items, total = [row[0] for row in rows], rows[0][1] if rows else None
        else:
            items, total = list(session.execute(statement, params).unique().scalars()), None
        if not self._query_args["windowed"]:
            self._total = None
        else:
            self._total = total if items else (0 if self._query_offset == 0 else None)
        return items

    def _past_end(self) -> bool:
        """Whether the page starts past the last match when the matches last seen (`seen_matches`) say it does:
        then the count runs first, and the page only when the matches have grown past its start. A walk in name
        order to a page past the end reads every product to find none (`agreement=terminated&page=30`: 2,400
        buffers of the bench's product index, then the count)."""
        seen = self._query_args["seen_matches"]
        if seen is None or self._query_offset < seen:
            return False
        self._total = None
        self._total = self._query_count()
        return self._query_offset >= self._total

    def _query_count(self) -> int:
        if self._total is not None:
            return self._total
        count_select = self._query_args["count_select"]
        count = count_select() if callable(count_select) else count_select
        statement, params = count if isinstance(count, tuple) else (count, None)
        return self._query_args["session"].scalar(statement, params)


def paginate_picked(
    select_page: Callable[[int, int], Select | tuple[Select, dict[str, Any]]],
    count_stmt: Select | Callable[[], Select | tuple[Select, dict[str, Any]]],
    page: int,
    per_page: int,
    windowed: bool = False,
    gather: Callable[[Result], tuple[list[Any], int | None]] | None = None,
    seen_matches: int | None = None,
) -> Pagination:
    """A page whose rows `select_page(limit, offset)` picks on narrow columns before loading them
    (`_Paginated`): the directory, a data element's receivers, the API's products.

    `count_stmt` may be a function that builds it: a windowed page needs it only past the last page.
    `select_page`, and that function, may give the statement's parameters with it (a statement made
    once, `_search_page`, `search_count`).
    `gather`, when given, makes the page's items from the statement's rows, with the number of
    matches a windowed statement carries (else the items are the statement's first entity).
    `seen_matches`, the number of matches a page last saw: a page that starts past it counts first
    (`_Paginated._past_end`)."""
    return _Paginated(
        select_page=select_page,
        count_select=count_stmt,
        windowed=windowed,
        gather=gather,
        seen_matches=seen_matches,
        session=db.session,
        page=min(max(page, 1), MAX_PAGE),
        per_page=per_page,
        max_per_page=per_page,
        error_out=False,
    )


def _sort_keys(sort: Sort, hits: Any) -> list[tuple[ColumnElement, bool]]:
    """The directory's ORDER BY for a sort, as (column, descending) pairs; the last is unique.
    A search's hits may carry them (`_hits_sort_keys`)."""
    if _keys_kept(hits):
        return _hits_sort_keys(sort, hits)
    if sort is Sort.RELEVANCE:
        return [(hits.c.relevance, False), (Product.name, False), (Product.id, False)]
    if sort is Sort.VENDOR:
        return [(Vendor.name, False), (Product.name, False), (Product.id, False)]
    if sort is Sort.UPDATED:
        return [(Product.updated_at, True), (Product.id, True)]
    return [(Product.name, False), (Vendor.name, False), (Product.id, False)]


def _hits_sort_keys(sort: Sort, hits: Any) -> list[tuple[ColumnElement, bool]]:
    """`_sort_keys` read from a search's hits (`search_hits(…, keyed=True)`): the same values
    (product.name and the vendor's name, kept beside each document) and the same order."""
    if sort is Sort.RELEVANCE:
        return [(hits.c.relevance, False), (hits.c.name, False), (hits.c.product_id, False)]
    if sort is Sort.VENDOR:
        return [(hits.c.vendor_name, False), (hits.c.name, False), (hits.c.product_id, False)]
    return [(hits.c.name, False), (hits.c.vendor_name, False), (hits.c.product_id, False)]


def _keyed_hits(sort: Sort, status: ProductStatus | StatusFilter | None) -> Any:
    """A search's hits with their sort keys (`search_hits(…, keyed=True)`, its words bound), when the index keeps
    them (PostgreSQL), the sort reads nothing else of product (not by update) and the status filter reads nothing
    of it either: the listed products (no status filter) or every product (`StatusFilter.ALL`: "reading" then
    read no index of product, where joining its 2,254 hits to product hashed all 25,000 products' entries);
    else None."""
    if not _hits_keyed(sort, status):
        return None
    return search_hits((), sort is Sort.RELEVANCE, bound=True, keyed=True, listed=status is None)


def _hits_keyed(sort: Sort, status: ProductStatus | StatusFilter | None) -> bool:
    """Whether a search's page is picked from its keyed hits alone (`_keyed_hits`)."""
    return sort is not Sort.UPDATED and hits_keep_sort_keys() and status in (None, StatusFilter.ALL)


def _ranks_keyed_hits(sort: Sort, status: ProductStatus | StatusFilter | None) -> bool:
    """Whether a search's page ranks its keyed hits (`_keyed_hits`, by relevance), reading every one of them."""
    return sort is Sort.RELEVANCE and _hits_keyed(sort, status)


def _keys_kept(hits: Any) -> bool:
    """Whether a search's hits carry their sort keys and are the products a page lists (`_keyed_hits`)."""
    return hits is not None and "vendor_name" in hits.c


def _ordered(keys: Sequence[tuple[Any, bool]]) -> list[Any]:
    return [key.desc() if descending else key for key, descending in keys]


class _NoMatches(Pagination):
    """The page of a search that surely matches nothing (`surely_unmatched`): empty, with no query."""

    def _query_items(self) -> list[Any]:
        return []

    def _query_count(self) -> int:
        return 0


def search_products(filters: DirectoryFilters, page: int, per_page: int, today: date) -> Pagination:
    """One page of the directory: products matching the search and every filter, sorted (three or four
    queries; none for a search with a word the index surely does not hold). Its items are
    `CardProduct`s, what their cards show."""
    terms = filters.terms
    if terms and surely_unmatched(terms):
        return _NoMatches(page=min(max(page, 1), MAX_PAGE), per_page=per_page, max_per_page=per_page, error_out=False)
    kept_page = _kept_page(filters, today)
    seen = _seen_key(filters, today)
    matches = _KEPT_SEEN.get(seen) if seen is not None else None
    if kept_page is not None and matches is None and kept_page.needs_first(page):
        matches = _saw(seen, *db.session.connection().execute(kept_page.first).one())
    if kept_page is not None and (not kept_page.walks_if_broad or walks_in_order(*matches)):
        return paginate_picked(
            lambda limit, offset: (kept_page.pick(matches, limit, offset), {PAGE_LIMIT: limit, PAGE_OFFSET: offset}),
            select(kept_page.count),
            page,
            per_page,
            windowed=True,
            gather=card_products if seen is None else _cards_seen(seen),
            seen_matches=None if matches is None else matches[0],
        )
    if not terms:  # filters without a search whose count is not kept: their statement made once too
        # (and few matches of filters whose kept page walks only when enough match: main's statement)
        statement, windowed = _filtered_page(filters, today, _fetches_with_ties())
        return paginate_picked(
            lambda limit, offset: (statement, {PAGE_LIMIT: limit, PAGE_OFFSET: offset}),
            lambda: _filtered_count(filters, today),
            page,
            per_page,
            windowed=windowed,
            gather=card_products if kept_page is None else _cards_seen(seen, matches[1]),
        )
    # A search, with or without filters on what a product receives, where, its tags and kind, under which
    # agreement and of which status: one statement per sort and set of filters chosen, made once.
    values = bound_filters(filters)
    words = search_words(terms)
    shape = search_shape(filters, tuple(values), today)
    return paginate_picked(
        lambda limit, offset: (
            _search_page(shape),
            {SEARCH_WORDS: words, PAGE_LIMIT: limit, PAGE_OFFSET: offset, **values},
        ),
        lambda: (search_count(shape), {SEARCH_WORDS: words, **values}),
        page,
        per_page,
        windowed=True,
        gather=card_products,
    )


@lru_cache(maxsize=256)
def _filtered_page(filters: DirectoryFilters, today: date, with_ties: bool) -> tuple[Select, bool]:
    """For filters without a search whose count is not kept (several filters, a tag, a kind, a status:
    `_kept_page` takes the others), the page statement, its LIMIT and OFFSET bound when it runs, and
    whether it counts the matches (`_WINDOW_TOTAL`: a filter on what a product receives, where, or under
    which agreement, whose matches it reads all to sort them; a status filter alone reads the count kept per
    approval status, `DirectoryFilters.one_status_kept`: counting the approved products read 621 buffers, 4.6 ms
    of PostgreSQL on the bench, the retired ones 3,336).

    Made once per filters and day, as `_kept_page`: with an agreement filter the statement is a large
    tree (5,900 characters for "expiring" with a data element), and building it and computing its cache
    key cost about 2 ms of Python a page. `with_ties`: `page_statement`'s (`_fetches_with_ties`)."""
    id_sets = filters.id_sets(today)
    status_kept = filters.one_status_kept()
    total = _WINDOW_TOTAL if id_sets else None if status_kept is None else status_kept[0]
    limit, offset = bindparam(PAGE_LIMIT, type_=Integer), bindparam(PAGE_OFFSET, type_=Integer)
    keys = _sort_keys(filters.effective_sort, None)
    retired = status_kept is not None and filters.status is ProductStatus.RETIRED
    if retired and with_ties and _tie_broken_by_vendor(keys):  # read in name order (`unlisted_by_name`)
        return _walked_cards(filters, today, False, False), True
    clauses = filters.clauses(today, id_sets)
    return page_statement(keys, None, clauses, total, limit, offset, with_ties=with_ties), total is not None


def _filtered_count(filters: DirectoryFilters, today: date) -> Select:
    """The number of matches of `_filtered_page`'s filters, for a page past the last (which reads none)."""
    if filters.status is None:
        return filters.listed_count(today)
    status_kept = filters.one_status_kept()
    if status_kept is not None:
        return select(status_kept[0])
    return select(func.count(Product.id)).where(*filters.clauses(today))


def _fetches_with_ties() -> bool:
    """Whether the database fetches a page's rows WITH TIES (PostgreSQL; SQLite does not): `page_statement`'s
    `with_ties`."""
    return _on_postgresql()


# The filters a search's page statement made once takes as parameters, each named as its field of
# `DirectoryFilters` (`_search_page`): an agreement filter, which asks about a day, and a status filter, a few
# values that decide which products are read, are part of the statement (`SearchShape`).
BOUND_FILTERS = ("element_id", "category_id", "school_id", "tag_id", "kind_id")


def bound_filters(filters: DirectoryFilters) -> dict[str, int]:
    """The values of the filters chosen of BOUND_FILTERS, by name: a search's statements made once
    (`_search_page`, `search_count`) take them as parameters."""
    return {name: getattr(filters, name) for name in BOUND_FILTERS if getattr(filters, name) is not None}


class SearchShape(NamedTuple):
    """What a search's statements made once (`_search_page`, `search_count`) are made for, besides the values
    bound when they run: the database, the sort, the filters chosen (of BOUND_FILTERS), a status filter, and an
    agreement filter, with the day it asks about and whether it is asked by its rule's clause
    (`DirectoryFilters.agreement_by_rule`, read from the data: part of the key, so that a statement never
    holds the other form): `by_rule` of the products, `hits_by_rule` of the keyed hits a page picks from
    (`hit_clauses`; broad enough at a lower share when the page ranks them, `_ranks_keyed_hits`)."""

    dialect: str
    sort: Sort
    chosen: tuple[str, ...]
    status: ProductStatus | StatusFilter | None
    agreement: AgreementFilter | None
    day: date
    by_rule: bool
    hits_by_rule: bool

    def bound(self) -> DirectoryFilters:
        """Filters whose chosen values are parameters named as the filters (`bound_filters`'), with the
        status and agreement filters: the same id sets and clauses, with no value in them."""
        chosen = {name: bindparam(name, type_=Integer) for name in self.chosen}
        return DirectoryFilters(status=self.status, agreement=self.agreement, **chosen)  # type: ignore[arg-type]


def search_shape(
    filters: DirectoryFilters, chosen: tuple[str, ...], today: date, sort: Sort | None = None
) -> SearchShape:
    """The `SearchShape` of a search with the filters `chosen` (`bound_filters`), in its own order or `sort`
    (the API's, by name); one without an agreement filter reads no day (its statements serve every day)."""
    dialect, sort = db.session.get_bind().dialect.name, sort or filters.effective_sort
    if filters.agreement is None:
        return SearchShape(dialect, sort, chosen, filters.status, None, date.min, False, False)
    by_rule = filters.agreement_by_rule(today)
    hits_by_rule = filters.agreement_by_rule(today, ranks_keyed_hits=_ranks_keyed_hits(sort, filters.status))
    return SearchShape(dialect, sort, chosen, filters.status, filters.agreement, today, by_rule, hits_by_rule)


# A search's statements made once, by `SearchShape`; forgotten when they pass SEARCH_STATEMENTS_MAX (those of
# an agreement filter are made again each day).
_SEARCH_PICKS: dict[SearchShape, tuple[Any, list[tuple[ColumnElement, bool]]]] = {}
_SEARCH_PAGES: dict[SearchShape, Select] = {}
_SEARCH_COUNTS: dict[SearchShape, Select] = {}
SEARCH_STATEMENTS_MAX = 512


def _made_once(made: dict[SearchShape, Any], shape: SearchShape, make: Callable[[], Any]) -> Any:
    statement = made.get(shape)
    if statement is None:
        if len(made) >= SEARCH_STATEMENTS_MAX:
            made.clear()
        statement = made[shape] = make()
    return statement


def search_count(shape: SearchShape) -> Select:
    """The number of matches of a search of `shape`, its words (SEARCH_WORDS) and each filter's value bound
    when it runs (`DirectoryFilters.listed_count`; with a status filter, the hits' products that match
    `clauses`), made once as `_search_page`: a page past the last one asks it."""

    def make() -> Select:
        bound = shape.bound()
        if shape.status is None:
            return bound.listed_count(shape.day, bound=True)
        hits = search_hits((), ranked=False, bound=True)
        clauses = bound.clauses(shape.day, agreement_ids=not shape.by_rule)
        return select(func.count(Product.id)).join(hits, hits.c.product_id == Product.id).where(*clauses)

    return _made_once(_SEARCH_COUNTS, shape, make)


def search_picks(shape: SearchShape) -> tuple[Any, list[tuple[ColumnElement, bool]]]:
    """The page of a search of `shape` picked (`picked_page`: ids, sort keys and the number of matches, with its
    keys), its words (SEARCH_WORDS), each filter's value (a parameter named as the filter), LIMIT and OFFSET
    (PAGE_LIMIT, PAGE_OFFSET) bound when it runs: the same statement object for every such search, so
    SQLAlchemy builds it and computes its cache key once per worker (about 2,000 Python calls a search, some
    20,000 with an agreement filter's rule) instead of once per request. It is `picked_page` for the search's
    hits, the filters' ids or rule (`DirectoryFilters.hit_clauses`, `clauses`) and the listed products, as any
    other search's; with a status filter but "all", the hits joined to their products.
    By name, on PostgreSQL, those matches are cut WITH TIES before their vendors' names are read (`picked_page`)."""

    def make() -> tuple[Any, list[tuple[ColumnElement, bool]]]:
        bound = shape.bound()
        id_sets = bound.id_sets(shape.day)
        hits = _keyed_hits(shape.sort, shape.status)
        if hits is not None:  # the page picked from the index alone: the filters asked of its product ids
            clauses = bound.hit_clauses(hits, shape.day, id_sets, agreement_ids=not shape.hits_by_rule)
        else:
            clauses = bound.clauses(shape.day, id_sets, agreement_ids=not shape.by_rule)
            hits = search_hits((), bound=True)
        limit, offset = bindparam(PAGE_LIMIT, type_=Integer), bindparam(PAGE_OFFSET, type_=Integer)
        keys = _sort_keys(shape.sort, hits)
        return picked_page(keys, hits, clauses, _WINDOW_TOTAL, limit, offset, with_ties=_fetches_with_ties())

    return _made_once(_SEARCH_PICKS, shape, make)


def _search_page(shape: SearchShape) -> Select:
    """The directory's page of a search of `shape`: its picks (`search_picks`) with what their cards show."""
    return _made_once(_SEARCH_PAGES, shape, lambda: _cards_of(*search_picks(shape), _WINDOW_TOTAL))


class AgreementTerms(NamedTuple):
    """An agreement's terms as a results page reads them: the columns its state and its label are
    derived from, with the model's own rules (`Agreement.state_on` and the rest read only these), so
    that `agreements.status.standing` ranks them as it ranks loaded agreements."""

    id: int
    signed_on: date | None
    effective_on: date | None
    expires_on: date | None
    auto_renews: bool
    terminated_on: date | None
    dates_recorded: bool
    renewed_by_id: int | None

    term_ends_on = Agreement.term_ends_on
    renews_on = Agreement.renews_on
    ended_on = Agreement.ended_on
    state_on = Agreement.state_on


class CardVendor(NamedTuple):
    name: str
    slug: str
    is_retired: bool


class CardKind(NamedTuple):
    id: int
    name: str
    translations: dict


class CardProduct(NamedTuple):
    """A product of a results page as its card reads it (a `Listing`'s product, like a loaded
    `Product`: the same attributes), made from plain rows: loading 25 products with their vendor,
    kind and agreements as ORM objects cost about 2 ms of Python a page."""

    id: int
    name: str
    slug: str
    status: ProductStatus
    agreement_status: str | None
    purpose_md: str
    translations: dict
    vendor: CardVendor
    kind: CardKind
    agreements: list[AgreementTerms]
    received: list[int]  # the data elements it receives (`listings` counts them and names the sensitive ones)


class _KeptIds(TypeDecorator):
    """`Product.received_element_ids` (",3,7,12,", kept by triggers) read as a list of ids; none (NULL) is an
    empty list."""

    impl = Text
    cache_ok = True

    def process_result_value(self, value: str | None, dialect: Any) -> list[int]:
        return list(map(int, value[1:-1].split(","))) if value else []


# What a results page's product receives, read with its row from the ids it keeps (no statement of its own to
# draw its card, `listings`). It was an aggregate of data_use's entries for each product of the page (a probe of
# data_use's product index each); the kept ids are in the product row the page reads anyway. The CSV export
# reads it too (`imports.queries.export_products`).
RECEIVED_ELEMENT_IDS = type_coerce(Product.received_element_ids, _KeptIds())

# The columns of a results page's statement, in the order `card_products` reads them.
_CARD_COLUMNS = (
    Product.id,
    Product.name,
    Product.slug,
    Product.status,
    Product.agreement_status,
    Product.purpose_md,
    Product.translations,
    Vendor.name,
    Vendor.slug,
    Vendor.is_retired,
    ProductKind.id,
    ProductKind.name,
    ProductKind.translations,
    RECEIVED_ELEMENT_IDS.label("received"),
    *(getattr(Agreement, name) for name in AgreementTerms._fields),
)
_VENDOR_AT, _KIND_AT, _RECEIVED_AT, _AGREEMENT_AT = 7, 10, 13, 14
_TOTAL_AT = len(_CARD_COLUMNS)
_LISTED_AT = _TOTAL_AT + 1  # the number of listed products, read by an agreement filter's kept page after its total


def card_products(result: Result | Sequence[Row]) -> tuple[list[CardProduct], int | None]:
    """A results page's products from its rows (one per product and agreement, a product's rows
    together), and the number of matches when the statement carries it."""
    products: list[CardProduct] = []
    total = None
    last_id = None
    for row in result.all() if isinstance(result, Result) else result:  # fetched at once, not row by row
        if row[0] != last_id:
            last_id = row[0]
            products.append(
                CardProduct(
                    *row[:_VENDOR_AT],
                    CardVendor(*row[_VENDOR_AT:_KIND_AT]),
                    CardKind(*row[_KIND_AT:_RECEIVED_AT]),
                    [],
                    row[_RECEIVED_AT],
                )
            )
            total = row[_TOTAL_AT] if len(row) > _TOTAL_AT else None
        if row[_AGREEMENT_AT] is not None:
            products[-1].agreements.append(AgreementTerms(*row[_AGREEMENT_AT:_TOTAL_AT]))
    return products, total


# The bound parameters of `_search_page`, `_kept_page` and `_filtered_page`.
PAGE_LIMIT, PAGE_OFFSET = "page_limit", "page_offset"
# A walk in name order reads about (listed products / matches) entries of the index for each match it finds:
# when fewer than one listed product in WALK_SHARE match, the page reads the matches from the filters' ids
# instead (`_filtered_page`, main's statement): on the bench "expiring" with an element received by 105
# listed products, 8 ms of PostgreSQL against 18 walking; "signed, in effect" with one received by 382, 108
# against 19.
WALK_SHARE = 100
# A walk expected to read at most PROBE_WALK products reads each one's agreement by key (`_probing`) instead of
# hashing every agreement in the state first: on the bench (9,800 agreements) a probe costs about 1 µs of
# PostgreSQL, the hash about 1.5 ms; "signed, in effect" page 1 (38 products walked) 3.6 → 1.4 ms of execution,
# "expiring" page 1 (about 400) 2.3 → 1.8, its last page (all 25,000) 9.7 → 31 (so: hashed).
PROBE_WALK = 1000
# A page of every listed product that ends at most LISTED_WALK products in walks `ix_product_name_listing` and
# reads whether each is listed from it (`_every_listed_page`): page 1 0.7 ms of PostgreSQL, page 40 1.0, page 200
# 1.4 on the bench; past about 8,000 products PostgreSQL sorted every listed product instead (page 941: 36 ms),
# so deeper pages walk `ix_product_name` for the products not among the unlisted ids (page 400 5 ms, 941 7.5).
LISTED_WALK = 5000


def walks_in_order(matches: int, listed: int) -> bool:
    """Whether a page of filters that `matches` of the `listed` listed products match is found walking the products
    in name order and checking each (`DirectoryFilters.kept`'s clauses) rather than sorting the matches read from
    the filters' ids: when at least one listed product in `WALK_SHARE` matches."""
    return matches * WALK_SHARE >= listed


def walk_probes(seen: tuple[int, int] | None, through: int) -> bool:
    """Whether a walk in name order to the `through`-th match of an agreement filter, of which the pages last saw
    `seen` (its matches, the listed products), reads each walked product's agreement by key (`probing_clauses`):
    on PostgreSQL (SQLite keeps the hashed form), when that makes it at most PROBE_WALK products."""
    if seen is None or not _fetches_with_ties():
        return False
    matches, listed = seen
    return through * listed <= PROBE_WALK * matches


def name_walk(seen: tuple[int, int], limit: int, offset: int, *, agreement: bool) -> tuple[bool, bool]:
    """How a walk of the names to the page (`limit` matches from `offset`) of filters whose matches and listed
    products were `seen` goes (`walked_name_page`): whether from the last match back (the page is past the middle:
    fewer matches follow its first than end with its last), and whether it probes each walked product's agreement
    by key (`agreement`, an agreement filter; `walk_probes`: the walk is short). The directory's pages and the
    API's lists walk so."""
    matches = seen[0]
    from_end = matches - offset < offset + limit
    through = matches - offset if from_end else offset + limit
    return from_end, agreement and walk_probes(seen, through)


def walk_rule(filters: DirectoryFilters, today: date) -> tuple[ColumnElement[int], list[ColumnElement[bool]]] | None:
    """The count and the clauses a walk of the names reads for `filters` (`walked_name_page`): `DirectoryFilters.kept`'s
    for the listed products or every product, `DirectoryFilters.one_status_kept`'s for one approval status."""
    if filters.status is None or filters.status is StatusFilter.ALL:
        return filters.kept(today)
    return filters.one_status_kept()


def walked_name_page(
    filters: DirectoryFilters, today: date, *, from_end: bool, probes: bool
) -> tuple[Any, ScalarSelect[int]]:
    """The page (PAGE_LIMIT matches from PAGE_OFFSET, bound when it runs) of filters whose matches a kept count says
    (`walk_rule`: the count and the clauses on Product that find them), by name, vendor's name and id, as rows (id,
    name, vendor_name) found walking the names and checking each product (`seek_name_page`), stopped after the page;
    with the kept count, read once (a WITH), to carry on each row. `from_end`: from the last match back, for a page
    past the middle; `probes`: an agreement filter's rule asks each walked product's agreement by key, for a short
    walk (`name_walk`), as it always asks the few products named as the page's first or last. The walk reads the
    listed rule from the index it walks (`walking_clauses`): sorting the matches by name and vendor's name probed
    the vendor of each product walked (the directory's page 30 of "active" on the bench: 751 products, 2,928 of its
    3,572 buffers). The retired products are walked in name order from their own index (`unlisted_by_name`)."""
    count, clauses = walk_rule(filters, today)
    walking = walking_clauses(filters, today, clauses, probing=probes)
    total = select(count.label("total")).cte("kept_total")
    kept_total = select(total.c.total).scalar_subquery()
    # The products named as the page's first or last are few: each asked its agreement by key.
    tied = probing_clauses(filters, today, clauses)
    limit, offset = bindparam(PAGE_LIMIT, type_=Integer), bindparam(PAGE_OFFSET, type_=Integer)
    # The retired products (one approval status, "retired"): their own index, in name order (PostgreSQL).
    walked = unlisted_by_name() if filters.status is ProductStatus.RETIRED and _on_postgresql() else None
    page_ids = seek_name_page(tied, walking, limit, offset, total=kept_total if from_end else None, walked=walked)
    return page_ids, kept_total


def probing_clauses(
    filters: DirectoryFilters, today: date, clauses: list[ColumnElement[bool]]
) -> list[ColumnElement[bool]]:
    """`clauses` (`DirectoryFilters.kept`'s) for a short walk (`walk_probes`): an agreement filter's rule with each
    walked product's agreement read by key (`_AgreementRule.probing`)."""
    if filters.agreement is None:
        return clauses
    rule = _agreement_rule(filters.agreement, today)
    return [rule.probing if clause is rule.clause else clause for clause in clauses]


def walking_clauses(
    filters: DirectoryFilters, today: date, clauses: list[ColumnElement[bool]], *, probing: bool
) -> list[ColumnElement[bool]]:
    """`clauses` (`DirectoryFilters.kept`'s) for a walk of the names that stops after the page and ranks only its
    products by vendor (`seek_name_page`'s `walking`): the listed rule asked of the walked index
    (`listed_clause(walking=True)`: its anti-join probed the vendor of each product walked, 7,775 of the 9,100
    buffers of the API's middle page of "active" on the bench); with `probing`, an agreement filter's rule asks
    each walked product's agreement by key (`probing_clauses`)."""
    anti_join = listed_clause()
    walked = probing_clauses(filters, today, clauses) if probing else clauses
    return [listed_clause(walking=True) if clause.compare(anti_join) else clause for clause in walked]


def _walks_if_broad(filters: DirectoryFilters) -> bool:
    """Whether the filters' kept page walks only when enough products match (`WALK_SHARE`): an agreement filter
    with a data element, data category, school or kind, which can both be broad or both rare."""
    return filters.agreement is not None and _kept_facet(filters) is not None


def _kept_facet(filters: DirectoryFilters) -> tuple[str, int] | None:
    """The one filter of `KEPT_FACETS` chosen, as (its field, its id); None when none is (or several are)."""
    chosen = [(name, getattr(filters, name)) for name in KEPT_FACETS if getattr(filters, name) is not None]
    return chosen[0] if len(chosen) == 1 else None


SeenKey = tuple[AgreementFilter, tuple[str, int] | None, date]
# What the pages of an agreement filter (with a data element, data category, school or kind, or none) last read of
# its matches: (agreement filter, that filter and its id, day) → (number of matches, listed products). It only
# chooses which of the statements
# that give the same answer a page runs (`_KeptPage.pick`, `WALK_SHARE`): a page of a pair seen before runs
# one statement instead of reading its kept count first. Each worker's own; forgotten when it grows past
# KEPT_SEEN_MAX (the keys of past days).
_KEPT_SEEN: dict[SeenKey, tuple[int, int]] = {}
KEPT_SEEN_MAX = 4096


def _seen_key(filters: DirectoryFilters, today: date) -> SeenKey | None:
    """The key of `_KEPT_SEEN` for an agreement filter's page (with one of `KEPT_FACETS` or none, no other
    filter)."""
    if filters.agreement is None or filters.terms or filters.status is not None or filters.tag_id is not None:
        return None
    facet = _kept_facet(filters)
    if facet is None and any(getattr(filters, name) is not None for name in KEPT_FACETS):
        return None
    return filters.agreement, facet, today


def _saw(key: SeenKey, matches: int, listed: int) -> tuple[int, int]:
    if len(_KEPT_SEEN) >= KEPT_SEEN_MAX:
        _KEPT_SEEN.clear()
    _KEPT_SEEN[key] = (matches, listed)
    return matches, listed


# An agreement filter that at least one listed product in AGREEMENT_BROAD_SHARE matches is asked of each product by
# its rule's clause rather than read as its ids (`DirectoryFilters.clauses`), on PostgreSQL (SQLite's statements stay
# as they were). On the bench (23,500 listed): "active" (16,377) and "expired" read far fewer buffers so, alone and
# with another filter; "expiring" (1,423), "open ended" (962) and "upcoming" (none) more with another filter (the
# ids: main's statements). Alone,
# a filter that one listed product in WALK_SHARE matches (the API's "expiring", page 1: 10,314 buffers with the
# ids, 437 with the clause); "upcoming" (none) walked every product (4 buffers, 1,204).
AGREEMENT_BROAD_SHARE = 10
# With a search that ranks its keyed hits by relevance (`_ranks_keyed_hits`), one listed product in HITS_SHARE: the
# rule is asked of each hit's kept columns, which the ranking reads either way, where the ids read every match's
# entry of `ix_product_agreement_key` (on the bench, "a" with "expiring", 1,423 matches: 8,430 buffers and 24 ms
# with the ids, 5,095 and 13-19 asked of the hits; "reading" with "none", 469: 2,733 and 2.8-4.5 ms, 2,127 and
# 3.4-4.5); a filter that matches none ("on file": 131 buffers, 2,009 asked of every hit) stays its ids.
# By name or vendor a page walks the names until it has its rows, with the ids hashed: asking every hit instead
# paid as many more buffers as the search has hits ("a" with "terminated": 2,581 → 5,078, 2 → 8 ms).
HITS_SHARE = 100


def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _agreement_is_broad(value: AgreementFilter, today: date, share: int = AGREEMENT_BROAD_SHARE) -> bool:
    """Whether the agreement filter alone matches at least one listed product in `share`."""
    matches, listed = _agreement_alone_seen(value, today)
    return matches * share >= listed


def _agreement_alone_seen(value: AgreementFilter, today: date) -> tuple[int, int]:
    """The agreement filter alone's matches and the listed products. Read from `_KEPT_SEEN` (the filter alone's
    pages note it), else from its kept count (`agreement_filter_kept`, about 1 ms of PostgreSQL), noted there."""
    key = (value, None, today)
    seen = _KEPT_SEEN.get(key)
    if seen is None:
        count, _ = agreement_filter_kept(value, today)
        seen = _saw(key, *db.session.execute(select(count, listed_products_count())).one())
    return seen


# An export (every match, by vendor and name) of an agreement filter asked by its rule with a data element, data
# category, school or kind starts from that filter's products, each asked its agreement by key, when they are at
# most EXPORT_PROBES (`export_probes`): with the rule's hashed agreements PostgreSQL prices them as paid again for
# each product probed by key, so it read every product and hashed the other filter's ids instead. On the bench
# with "active": element-40 (923 listed receivers) 17 → 7.5 ms of execution, school-7 21.5 → 9.4, element-20
# (1,855) 27 → 15, element-12 (2,929) 37 → 22, element-8 (4,292) 44 → 33, element-6 (5,488) 48 → 43, element-4
# (7,860) 48 → 69.
EXPORT_PROBES = 3000


def export_probes(filters: DirectoryFilters, today: date) -> bool:
    """Whether an export of `filters` asks its agreement filter's rule of each product by key (`probing_clauses`),
    driven by the other filter's few products: an agreement filter asked by its rule (`agreement_by_rule`, so on
    PostgreSQL) with one of `KEPT_FACETS` and nothing else, whose products it estimates from the matches the pages
    note (`_KEPT_SEEN`, else the kept count read as a page reads it first, `_KeptPage.first`) and the agreement
    filter's share of the listed products: at most EXPORT_PROBES."""
    key = _seen_key(filters, today)
    if filters.agreement is None or key is None or key[1] is None or not filters.agreement_by_rule(today):
        return False
    kept_page = _kept_page(filters, today)
    if kept_page is None or kept_page.first is None:
        return False
    matches, listed = _KEPT_SEEN.get(key) or _saw(key, *db.session.connection().execute(kept_page.first).one())
    agreement_matches, _ = _agreement_alone_seen(filters.agreement, today)
    return matches * listed <= EXPORT_PROBES * agreement_matches


def forget_seen_counts() -> None:
    """Forget what pages read of their matches (`_KEPT_SEEN`): for tests, whose databases start empty."""
    _KEPT_SEEN.clear()


def _cards_seen(key: SeenKey, listed: int | None = None) -> Callable[[Result], tuple[list[CardProduct], int | None]]:
    """`card_products`, noting in `_KEPT_SEEN` the number of matches the rows carry, with the listed products
    the rows carry after it (a kept page's, `_LISTED_AT`) or else `listed`."""

    def gather(result: Result) -> tuple[list[CardProduct], int | None]:
        rows = result.all()
        if rows:
            first = rows[0]
            seen_listed = first[_LISTED_AT] if len(first) > _LISTED_AT else listed
            if seen_listed is not None:
                _saw(key, first[_TOTAL_AT], seen_listed)
        return card_products(rows)

    return gather


class _KeptPage(NamedTuple):
    """`_kept_page`'s statements: `statement`, the page with its kept count, its LIMIT and OFFSET bound when it
    runs; `probing`, the same page for a short walk: for an agreement filter, with each walked product's
    agreement read by key (`_AgreementRule.probing`), for every listed product (`every_listed`), with the
    listed rule read from the walked index (`_every_listed_page`); `first`, for an agreement filter's page, the
    kept count and the number of listed products, read first when no page has seen them (`_KEPT_SEEN`) and the
    page needs them (`needs_first`).

    `walks_if_broad`: the page walks only when enough products match (`_walks_if_broad`). `walked`: for an agreement
    filter's pages by name, the statement of a page found walking the names (`_walked_cards`, given `name_walk`'s
    from_end and probes), for the filters enough products match (`walks_in_order`), as the API's lists find theirs."""

    count: ColumnElement[int]
    statement: Select
    probing: Select | None
    first: Select | None
    every_listed: bool = False
    walks_if_broad: bool = False
    walked: Callable[[bool, bool], Select] | None = None

    def needs_first(self, page: int) -> bool:
        """Whether a page that no page has seen the matches of reads them first (`first`): one whose page walks
        only when enough products match (to choose), or any but the first (to know whether it is past the last:
        `paginate_picked`'s `seen_matches`; a walk to a page past the end reads every product)."""
        return self.first is not None and (self.walks_if_broad or page > 1)

    def pick(self, seen: tuple[int, int] | None, limit: int, offset: int) -> Select:
        """The statement for a page of `limit` matches from `offset`: walking the names (`walked`) when enough
        products match; else probing when the walk to its last match is short, on PostgreSQL (SQLite keeps the
        other): for an agreement filter, when the matches last seen make it at most PROBE_WALK products; for every
        listed product, when it is at most LISTED_WALK."""
        if self.walked is not None and seen is not None and walks_in_order(*seen):
            return self.walked(*name_walk(seen, limit, offset, agreement=True))
        through = limit + offset
        if self.probing is None:
            return self.statement
        if self.every_listed:
            return self.probing if _fetches_with_ties() and through <= LISTED_WALK else self.statement
        return self.probing if walk_probes(seen, through) else self.statement


@lru_cache(maxsize=256)
def _kept_page(filters: DirectoryFilters, today: date) -> _KeptPage | None:
    """For filters whose number of matches triggers keep (`DirectoryFilters.kept`), that count and the
    page's statements (`_KeptPage`; else None). An agreement filter's carry the number of listed products
    after the count (`_LISTED_AT`).

    With one of those (no filter, a category, a data element, a school or an agreement filter alone:
    thousands of matches), the page reads that count and an index walk in order stops after the page
    instead of reading and sorting every match. Made once per filters and day, as `_search_page`: the
    statement of an agreement filter is a large tree, and building it and computing its cache key cost
    about 1.5 ms of Python a page."""
    kept = filters.kept(today)
    if kept is None:
        return None
    count, clauses = kept
    limit, offset = bindparam(PAGE_LIMIT, type_=Integer), bindparam(PAGE_OFFSET, type_=Integer)
    keys = _sort_keys(filters.effective_sort, None)
    if _lists_every_product(filters) and _tie_broken_by_vendor(keys):
        short, deep = (_every_listed_page(count, limit, offset, walked) for walked in (True, False))
        return _KeptPage(count, deep, short, None, every_listed=True)
    if _lists_every_product(filters) and filters.effective_sort is Sort.VENDOR:
        return _KeptPage(count, _every_listed_by_vendor(count, limit, offset), None, None)
    if filters.effective_sort is Sort.VENDOR and filters.status is None:  # the listed products' vendors are listed
        keys, by_vendor = _listed_vendors_by_name()
        clauses = [*clauses, by_vendor]
    statement = page_statement(keys, None, clauses, count, limit, offset)
    if filters.agreement is None:
        return _KeptPage(count, statement, None, None)
    probing = probing_clauses(filters, today, clauses)
    listed = listed_products_count().label("listed")
    return _KeptPage(
        count,
        statement.add_columns(listed),
        page_statement(keys, None, probing, count, limit, offset).add_columns(listed),
        select(count, listed_products_count()),
        walks_if_broad=_walks_if_broad(filters),
        walked=partial(_walked_cards, filters, today) if _tie_broken_by_vendor(keys) else None,
    )


@lru_cache(maxsize=256)
def _walked_cards(filters: DirectoryFilters, today: date, from_end: bool, probes: bool) -> Select:
    """A page by name found walking the names (`walked_name_page`) with its kept count: an agreement filter's
    (`_KeptPage.walked`), which carries the number of listed products too (`_LISTED_AT`), or the retired products'
    (`_filtered_page`). Made once per filters, day and walk, as `_kept_page`."""
    page_ids, kept_total = walked_name_page(filters, today, from_end=from_end, probes=probes)
    keys = [(page_ids.c.name, False), (page_ids.c.vendor_name, False), (page_ids.c.id, False)]
    statement = _cards_of(page_ids, keys, kept_total)
    return statement if filters.agreement is None else statement.add_columns(listed_products_count().label("listed"))


def _lists_every_product(filters: DirectoryFilters) -> bool:
    """No search and no filter: the page lists every listed product (`DirectoryFilters.kept`'s last case)."""
    return not filters.terms and filters == DirectoryFilters(text=filters.text, sort=filters.sort)


def _every_listed_page(
    count: ColumnElement[int], limit: ColumnElement[int], offset: ColumnElement[int], short: bool
) -> Select:
    """A page of every listed product by name, with the kept count: found by `seek_name_page`, which walks the
    names alone and ranks by vendor only the page's products and those whose names tie with its first or last.
    `page_statement` walked the products by name probing each one's vendor for its name (page 40: 1,000
    products, 3 ms of PostgreSQL on the bench database), and past a few hundred pages PostgreSQL sorted every
    listed product with its vendor's name instead (page 400: 38-56 ms; now 5).

    The walk asks whether each product is listed from the index it walks (`short`: its status and vendor on
    `ix_product_name_listing`, the few retired vendors hashed) or as "not among the unlisted ids" (hashing
    1,500 ids first, about 1 ms, then walking the narrow `ix_product_name`): on the wider index PostgreSQL
    prices a long walk above sorting every listed product (LISTED_WALK)."""
    walking = listed_clause(walking=True) if short else Product.id.not_in(unlisted_ids())
    page_ids = seek_name_page([listed_clause()], [walking], limit, offset)
    keys = [(page_ids.c.name, False), (page_ids.c.vendor_name, False), (page_ids.c.id, False)]
    return _cards_of(page_ids, keys, count)


def _every_listed_by_vendor(count: ColumnElement[int], limit: ColumnElement[int], offset: ColumnElement[int]) -> Select:
    """A page of every listed product by its vendor's name, with the kept count: found by `seek_vendor_page`, which
    walks the vendors' names and counts, not the products. `page_statement` joined every listed product to its
    vendor and, past the first pages, sorted them all by the vendor's name (no index holds both names): page 180
    of the bench catalogue read 1,600 buffers and took 30 ms of PostgreSQL, most of it comparing names."""
    page_ids = seek_vendor_page(count, limit, offset)
    keys = [(page_ids.c.vendor_name, False), (page_ids.c.name, False), (page_ids.c.id, False)]
    return _cards_of(page_ids, keys, count)


def _listed_vendors() -> Select:
    """The vendors whose products are listed, with how many (`Vendor.product_count`: those not retired): not retired,
    with a product. ix_vendor_name_listed holds them by name, with their ids and counts (PostgreSQL)."""
    return select(Vendor.id, Vendor.name, Vendor.product_count).where(
        Vendor.is_retired.is_(False), Vendor.product_count > 0
    )


def _listed_vendors_by_name() -> tuple[list[tuple[ColumnElement, bool]], ColumnElement[bool]]:
    """Sort.VENDOR's keys for a kept page of filtered products (`_kept_page`), and the clause that joins each product
    to its vendor among the listed vendors, read from a subquery sorted by name (ix_vendor_name_listed holds them in
    that order, with their ids): PostgreSQL may walk them and each one's products and stop after the page, or hash
    the 70 pages of that index where it hashed the 665 of the vendor table. On the bench catalogue (EXPLAIN ANALYZE,
    the same answers): page 30 of a category 30,747 → 1,058 buffers (it read the category's products by hashing
    their uses, not by probing each product's), of a school 4,580 → 1,240; an element's or an agreement filter's
    600 fewer, their matches still all sorted (PostgreSQL prices the walk above it). The same products: a listed
    product's vendor is listed and has a product."""
    vendors = _listed_vendors().order_by(Vendor.name).subquery("vendor_by_name")
    return [(vendors.c.name, False), (Product.name, False), (Product.id, False)], Product.vendor_id == vendors.c.id


def seek_vendor_page(total: ColumnElement[int], limit: ColumnElement[int], offset: ColumnElement[int]) -> Any:
    """The page (`limit` rows from `offset`) of every listed product by its vendor's name, its own name and id
    (`_sort_keys`' Sort.VENDOR), as rows (id, name, vendor_name); `total` is the number of listed products
    (`listed_products_count`).

    A vendor's name is unique, and so is a product's name at its vendor: the order is the vendors' by name, each
    with its products by name. A listed vendor (not retired) lists the products it keeps in `Vendor.product_count`
    (those not retired, kept by triggers and checked by `kept_counts_check`): walking the vendors by name and
    summing their counts (the covering index ix_vendor_name_listed, PostgreSQL) finds the page's vendors, at
    most `limit`, and how many products come before the first; only their products are read, and placed. A
    page past the middle walks from the last vendor back, so no walk passes more than half the vendors."""
    backward = total - offset < offset + limit  # fewer products follow the page's first than end with its last
    vendors = _listed_vendors().subquery("listed_vendor")
    edges = []
    for descending in (False, True):
        name = vendors.c.name.desc() if descending else vendors.c.name
        passed = func.sum(vendors.c.product_count).over(order_by=name, rows=(None, 0))  # this vendor's and before
        before = total - passed if descending else passed - vendors.c.product_count
        walked = select(vendors.c.id, vendors.c.name, vendors.c.product_count, before.label("before")).subquery()
        reached = walked.c.before < offset + limit if descending else walked.c.before + walked.c.product_count > offset
        edge = (
            select(walked.c.id, walked.c.name, walked.c.before)
            .where(reached)
            .order_by(walked.c.name.desc() if descending else walked.c.name)
        )
        edges.append(edge.limit(limit).subquery("edge_back" if descending else "edge"))
    forward, back = edges
    edge = union_all(select(forward).where(~backward), select(back).where(backward)).subquery("page_vendor")
    place = func.min(edge.c.before).over() + func.row_number().over(order_by=(edge.c.name, Product.name, Product.id))
    ranked = (
        select(
            Product.id.label("id"), Product.name.label("name"), edge.c.name.label("vendor_name"), place.label("place")
        )
        .select_from(Product)
        .join(edge, edge.c.id == Product.vendor_id)
        .where(Product.status != ProductStatus.RETIRED)
        .subquery("ranked")
    )
    on_page = and_(ranked.c.place > offset, ranked.c.place <= offset + limit)
    return select(ranked.c.id, ranked.c.name, ranked.c.vendor_name).where(on_page).subquery("page")


_WINDOW_TOTAL = "window"  # `page_statement`'s total: the matches counted as they are read (count(*) OVER ())


def page_statement(
    keys: list[tuple[ColumnElement, bool]],
    hits: Any,
    clauses: list[ColumnElement[bool]],
    total: ColumnElement[int] | str | None,
    limit: int | ColumnElement[int],
    offset: int | ColumnElement[int],
    *,
    with_ties: bool = False,
    from_end: bool = False,
) -> Select:
    """Pick the page's products on narrow columns first (`picked_page`), then read only what their cards show
    (`card_products`), with their agreements' terms joined in the same statement."""
    page_ids, page_keys = picked_page(keys, hits, clauses, total, limit, offset, with_ties=with_ties, from_end=from_end)
    return _cards_of(page_ids, page_keys, total)


def picked_by_name(
    hits: Any, clauses: list[ColumnElement[bool]], limit: ColumnElement[int], offset: ColumnElement[int]
) -> tuple[Any, list[tuple[ColumnElement, bool]]]:
    """The page of the products matching `clauses` (and `hits`, a search's, when given) by name, the vendor's
    name and id, picked as the directory's lists that count their matches pick it (`picked_page`: every match
    read and counted, `total`, FETCH … WITH TIES where the database has it): the API's lists that do not walk."""
    keys = _sort_keys(Sort.NAME, hits)
    return picked_page(keys, hits, clauses, _WINDOW_TOTAL, limit, offset, with_ties=_fetches_with_ties())


def picked_page(
    keys: list[tuple[ColumnElement, bool]],
    hits: Any,
    clauses: list[ColumnElement[bool]],
    total: ColumnElement[int] | str | None,
    limit: int | ColumnElement[int],
    offset: int | ColumnElement[int],
    *,
    with_ties: bool = False,
    from_end: bool = False,
) -> tuple[Any, list[tuple[ColumnElement, bool]]]:
    """The page's products picked on narrow columns: a subquery of their ids (`id`), their sort keys
    (`key_0`…, in the order of the keys it returns with it) and, when windowed, the number of matches (`total`).

    Sorting whole rows, the databases would read and sort every match (about 1,400 for a
    search, on PostgreSQL after reading the whole product table); the ids, names and statuses
    come from the covering index ix_product_listing (migration 20261122_directory_counts). A
    product has one or two agreements: joined, they cost less than a second query.

    Each row carries the number of matches (column `total`) when `total` says how: `_WINDOW_TOTAL`
    counts them while picking the page (which then reads every match), a scalar subquery reads a
    count kept by triggers (and leaves the pick free to stop after the page); None: no count.

    `with_ties` (PostgreSQL: FETCH … WITH TIES): counted matches sorted by name, the vendor's name
    breaking ties, are first cut after the page on the name alone, with every match that ties with
    the last (`_tied_matches`), and only those read their vendor's name.

    `from_end` (with a kept `total`): the same page walked from the last match back (`_page_of`).
    """
    windowed = total is _WINDOW_TOTAL
    counted = [func.count().over().label("total")] if windowed else []
    if windowed and with_ties and not _keys_kept(hits) and _tie_broken_by_vendor(keys):
        matches = _tied_matches(hits, clauses, counted, limit + offset)
        ranked = select(matches.c.id, *(matches.c[f"key_{n}"] for n in range(len(keys))), matches.c.total)
        keys = [(matches.c[f"key_{n}"], descending) for n, (_, descending) in enumerate(keys)]
        return _page_of(ranked, keys, limit, offset, total)
    labelled = [key.label(f"key_{n}") for n, (key, _) in enumerate(keys)]
    if _keys_kept(hits):  # the listed hits with their sort keys: the page is picked without reading product
        ranked = select(hits.c.product_id.label("id"), *labelled, *counted).select_from(hits)
    else:
        ranked = select(Product.id.label("id"), *labelled, *counted)
        if hits is not None:
            ranked = ranked.join(hits, hits.c.product_id == Product.id)
    if any(key is Vendor.name for key, _ in keys):
        ranked = ranked.join(Product.vendor)
    ranked = ranked.where(*clauses)
    if windowed:
        # Counted, every match is read: the matches are a subquery of their own, planned to read them
        # all (joined by hashing), and the page is sorted from them. In one statement, the LIMIT led
        # PostgreSQL to walk product in the sort's order (ix_product_updated_at, ix_product_listing) and
        # to compare each product with every hit: "a" by update, 23,500 × 10,000 rows, 5-16 s.
        matches = ranked.subquery("matches")
        ranked = select(matches.c.id, *(matches.c[f"key_{n}"] for n in range(len(keys))), matches.c.total)
        keys = [(matches.c[f"key_{n}"], descending) for n, (_, descending) in enumerate(keys)]
    return _page_of(ranked, keys, limit, offset, total, from_end=from_end)


def _tie_broken_by_vendor(keys: list[tuple[ColumnElement, bool]]) -> bool:
    """The sort by name: the product's name, then its vendor's name, then its id (`_sort_keys`)."""
    expected = (Product.name, Vendor.name, Product.id)
    return len(keys) == len(expected) and all(
        key is want and not desc for (key, desc), want in zip(keys, expected, strict=True)
    )


def _tied_matches(
    hits: Any,
    clauses: list[ColumnElement[bool]],
    counted: list[ColumnElement[int]],
    through: ColumnElement[int] | int,
) -> Any:
    """The counted matches (`key_0`… and `total`) that can be on the pages up to the `through`-th match
    by name: the first `through` by name and every match whose name ties with the last of them
    (FETCH … WITH TIES). Only those read their vendor's name, the sort's second key: the matches of two
    filters (1,126 for "expiring" and the most shared element) each probed vendor for it before, most
    of them for nothing. PostgreSQL 13 and later."""
    read = select(Product.id.label("id"), Product.name.label("key_0"), Product.vendor_id.label("vendor_id"), *counted)
    if hits is not None:
        read = read.join(hits, hits.c.product_id == Product.id)
    # Every match read (and counted) in a subquery of its own, as `page_statement`'s windowed matches: cut
    # in the same SELECT, PostgreSQL walked product in name order and read the hits again for each.
    every = read.where(*clauses).subquery("every_match")
    tied = select(every).order_by(every.c.key_0).fetch(through, with_ties=True).subquery("tied")
    return (
        select(tied.c.id, tied.c.key_0, Vendor.name.label("key_1"), tied.c.id.label("key_2"), tied.c.total)
        .join(Vendor, Vendor.id == tied.c.vendor_id)
        .subquery("matches")
    )


def _page_of(
    ranked: Select,
    keys: list[tuple[ColumnElement, bool]],
    limit: int | ColumnElement[int],
    offset: int | ColumnElement[int],
    total: ColumnElement[int] | str | None,
    *,
    from_end: bool = False,
) -> tuple[Any, list[tuple[ColumnElement, bool]]]:
    """`picked_page`'s last step: the page of `ranked` (ids and sort keys, and the column `total` when
    windowed), with its keys.

    `from_end`: `ranked` read in the reverse order, the page counted back from its last match by the kept
    `total` (for a page past the middle, a walk in order that stops after the page reads fewer products so); a
    page past the last reads none. Its rows are cut again at `limit`, which they never pass: PostgreSQL
    prices a LIMIT it cannot read as a tenth of the matches (953 rows for the most shared element), and then
    joined the page to every use of the element by hashing (20,000 uses read for 20)."""
    if from_end:
        reversed_keys = [(key, not descending) for key, descending in keys]
        back = _counted_back(ranked.order_by(*_ordered(reversed_keys)), total, limit, offset).subquery("back")
        page_ids = select(back).limit(limit).subquery("page")
    else:
        page_ids = ranked.order_by(*_ordered(keys)).limit(limit).offset(offset).subquery("page")
    return page_ids, [(page_ids.c[f"key_{n}"], desc) for n, (_, desc) in enumerate(keys)]


def _counted_back(
    backward: Select, total: ColumnElement[int], limit: int | ColumnElement[int], offset: int | ColumnElement[int]
) -> Select:
    """`backward` (the matches in the reverse order) cut to the page that starts at `offset` in the order, counted
    back from the last of the `total` matches; none past the last."""
    rest = total - offset  # the matches from the page's first on
    return backward.limit(case((rest >= limit, limit), (rest > 0, rest), else_=0)).offset(
        case((rest > limit, rest - limit), else_=0)
    )


def _cards_of(page_ids: Any, keys: list[tuple[ColumnElement, bool]], total: ColumnElement[int] | str | None) -> Select:
    """The columns the cards show of a page's products (`page_ids`, with the column `total` when windowed), in
    the order of `keys` (the page's columns), a product's agreements in order of id."""
    carried = [page_ids.c.total] if total is _WINDOW_TOTAL else [] if total is None else [total.label("total")]
    return (
        select(*_CARD_COLUMNS, *carried)
        .select_from(Product)
        .join(page_ids, page_ids.c.id == Product.id)
        .join(Product.vendor)
        .join(Product.kind)
        .outerjoin(Product.agreements)
        .order_by(*_ordered(keys), Agreement.id)
    )


def seek_name_page(
    clauses: list[ColumnElement[bool]],
    walking: list[ColumnElement[bool]],
    limit: ColumnElement[int],
    offset: ColumnElement[int],
    *,
    total: ColumnElement[int] | None = None,
    walked: Select | None = None,
) -> Any:
    """The page (`limit` rows from `offset`) of the products matching `clauses` by name, vendor's name and id
    (the directory's and the API's order), as rows (id, name, vendor_name), found without sorting every
    match by its vendor (`walking`: the same clauses, written for an ordered walk: the listed products as
    "not among the few unlisted ids", a hashed lookup per product).

    The order differs from (name, id), which the narrow index `ix_product_name` holds, only among products
    of the same name; so the page's names are those at the same places in (name, id) order (`edge`, read
    from that index alone and stopped there: on the wider `ix_product_name_listing`, PostgreSQL priced
    the walk to page 500 above sorting every listed product by name, 3 ms against 37 at load 5). The page's
    products are among the edge's and the others named as its first or last (`tied`); ranked by the
    order, they are placed from the edge's first place, less those of the first name that (name, id) order
    put before it. Sorting every listed product with its vendor's name to pick the API's page 500 took about
    12 ms on the bench database, page 1 about 8 ms; the directory's page 400, 38-56 ms.

    `total` (the number of matches, kept): the edge walked from the last match back (`_counted_back`), for a page
    past the middle; a page past the last finds none. `walked`: the matches as rows (id, name) that an index reads
    in name order, walked instead of the products matching `walking` (`unlisted_by_name`).
    """
    if walked is None:
        walked = select(Product.id.label("id"), Product.name.label("name")).where(*walking)
    name, product_id = walked.selected_columns.name, walked.selected_columns.id
    if total is None:
        edge = walked.order_by(name, product_id).limit(limit).offset(offset).cte("edge")
    else:
        back = _counted_back(walked.order_by(name.desc(), product_id.desc()), total, limit, offset)
        edge = select(back.subquery("back")).limit(limit).cte("edge")
    first = select(edge.c.id, edge.c.name).order_by(edge.c.name, edge.c.id).limit(1).subquery("first_of_edge")
    first_id, first_name = select(first.c.id).scalar_subquery(), select(first.c.name).scalar_subquery()
    last_name = select(func.max(edge.c.name)).scalar_subquery()
    tied = select(Product.id).where(*clauses, or_(Product.name == first_name, Product.name == last_name))
    ranked = (
        select(
            Product.id.label("id"),
            Product.name.label("name"),
            Vendor.name.label("vendor_name"),
            func.row_number().over(order_by=(Product.name, Vendor.name, Product.id)).label("place"),
            func.sum(case((and_(Product.name == first_name, Product.id < first_id), 1), else_=0))
            .over()
            .label("before"),
        )
        .join(Vendor, Vendor.id == Product.vendor_id)
        .where(Product.id.in_(union(select(edge.c.id), tied)))
        .subquery("ranked")
    )
    place = ranked.c.place - ranked.c.before
    return select(ranked.c.id, ranked.c.name, ranked.c.vendor_name).where(place >= 1, place <= limit).subquery("page")


def search_suggestion(filters: DirectoryFilters, total: int | None) -> str | None:
    """ "Did you mean …?": the search spelled with words of the index, when it found few products
    (one query, only then)."""
    if not filters.terms or (total or 0) >= SUGGEST_BELOW:
        return None
    return suggest(filters.terms)


SNIPPET_MAX = 220
# Anything Markdown could read as markup: then the snippet goes through Markdown, else it is the text itself.
# A character Markdown reads, or a line that starts a list, a heading's underline or a code block: two
# searches, as one pattern with both tried at every character took twice as long (~5 µs a card).
_MARKUP_CHARACTER = re.compile(r"[\\`*_{}\[\]<>#+!|&~\t]")
_MARKUP_LINE = re.compile(r"^(?:\s*(?:\d+[.)]|[-=]+)(?:\s|$)| {4})", re.MULTILINE)


def purpose_snippet(source: str | None, limit: int = SNIPPET_MAX) -> str:
    """`text.plain_text(source, limit)`, without running Markdown over text that has no markup in it.

    A directory page shows 25 snippets, and Markdown costs a few milliseconds for them all.
    """
    if source and (_MARKUP_CHARACTER.search(source) or _MARKUP_LINE.search(source)):
        return plain_text(source, limit)
    text = " ".join((source or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _snippet(purpose: LocalizedText) -> LocalizedText:
    return purpose.derive(purpose_snippet(purpose.text))


@dataclass(frozen=True)
class Listing:
    """A product as the lists show it: its approval, where its agreement stands, data received."""

    product: "Product | CardProduct"  # a results page's products are read as rows
    status: ProductStatus
    standing: AgreementStanding
    element_count: int
    sensitive_names: list[LocalizedText]  # the sensitive data it receives, named, in taxonomy order
    snippet: LocalizedText  # the purpose's start, in the reader's language when staff translated it

    @property
    def sensitive_count(self) -> int:
        return len(self.sensitive_names)


_PRODUCT_IDS = "product_ids"  # the bound parameter of `_USES_OF_PRODUCTS`
# What some products receive (`listings`): built once, the ids one expanding parameter, so that a
# page neither builds the statement nor computes its cache key again. The elements' names and order
# come from `sensitive_elements`, so the statement reads one index and joins nothing: joined with the
# elements and categories and sorted, PostgreSQL spent 1–2 ms planning it.
_USES_OF_PRODUCTS = select(DataUse.product_id, DataUse.data_element_id).where(
    DataUse.product_id.in_(bindparam(_PRODUCT_IDS, expanding=True))
)


# The sensitive data elements in taxonomy order (`sensitive_elements`): made once, read as plain rows.
_SENSITIVE_ELEMENTS = (
    select(DataElement.id, DataElement.name, DataElement.translations)
    .join(DataElement.category)
    .where(DataElement.is_sensitive.is_(True))
    .order_by(DataCategory.position, DataCategory.name, DataElement.position, DataElement.name)
)


@page_cache.memoized_on_version
def sensitive_elements() -> dict[int, tuple[int, LocalizedText]]:
    """Each sensitive data element's place in taxonomy order and its name in the reader's language,
    by id: what a card names of the data its product receives (one query, kept per data version)."""
    rows = db.session.connection().execute(_SENSITIVE_ELEMENTS).all()
    return {id_: (place, localize(name, translations, "name")) for place, (id_, name, translations) in enumerate(rows)}


def _received(products: Sequence[Product | CardProduct]) -> dict[int, list[int]]:
    """The data elements each product receives, by product id: a results page's rows carry them
    (`CardProduct.received`); loaded products read them in one query."""
    if isinstance(products[0], CardProduct):
        return {product.id: product.received for product in products}  # type: ignore[union-attr]
    received: dict[int, list[int]] = {}
    # Plain rows: through the session's connection, without the ORM's execution.
    rows = db.session.connection().execute(_USES_OF_PRODUCTS, {_PRODUCT_IDS: [product.id for product in products]})
    for product_id, element_id in rows.all():
        received.setdefault(product_id, []).append(element_id)
    return received


def listings(products: Sequence[Product | CardProduct], today: date) -> list[Listing]:
    """Listings for products loaded with LISTING_OPTIONS and their vendor (one query: what each
    receives), or a results page's (`CardProduct`: none), and the kept `sensitive_elements`.

    A card counts the data a product receives and names its sensitive data.
    """
    received = _received(products) if products else {}
    named = sensitive_elements() if products else {}
    result = []
    for product in products:
        ids = received.get(product.id, ())
        sensitive = [named[id_] for id_ in ids if id_ in named]  # most receive one or none: sorted only when more
        if len(sensitive) > 1:
            sensitive.sort(key=itemgetter(0))
        result.append(
            Listing(
                product=product,
                status=public_status(product),
                standing=standing(product, today),
                element_count=len(ids),
                sensitive_names=[name for _, name in sensitive],
                snippet=_snippet(translated(product, "purpose_md")),
            )
        )
    return result


@dataclass(frozen=True)
class Choice:
    """A data element, category or school as a filter offers it (its name in the reader's language
    when staff translated it); a data element has its category's."""

    id: int
    slug: str
    name: str
    category: "Choice | None" = None


@dataclass(frozen=True, eq=False)
class FilterOptions:
    """The choices of the directory's filters (compared and hashed by identity: the forms keep the
    choices they draw from it beside it)."""

    elements: list[Choice]  # in taxonomy order
    categories: list[Choice]
    schools: list[Choice]
    tags: list[Choice] = field(default_factory=list)
    kinds: list[Choice] = field(default_factory=list)  # in the district's order, in the reader's language


def _filter_option_statements(translated: bool) -> tuple[Select, CompoundSelect]:
    """`filter_options`' two statements: the data elements with their categories, and the kinds, schools
    and tags in one (a page of the directory has a budget of queries). A kind is offered while it is
    current or some product still has it. `translated`: the rows carry the translations (else NULL)."""

    def translations(column: Any) -> Any:
        return column if translated else null()

    elements = (
        select(DataElement.id, DataElement.slug, DataElement.name, translations(DataElement.translations))
        .add_columns(DataCategory.id, DataCategory.slug, DataCategory.name, translations(DataCategory.translations))
        .join(DataElement.category)
        .order_by(DataCategory.position, DataCategory.name, DataElement.position, DataElement.name)
    )
    kind_in_use = exists().where(Product.kind_id == ProductKind.id)
    named = union_all(
        select(
            literal("kind").label("what"),
            ProductKind.position.label("position"),
            ProductKind.id,
            ProductKind.slug,
            ProductKind.name.label("name"),
            translations(ProductKind.translations),
        ).where(ProductKind.is_retired.is_(False) | kind_in_use),
        select(literal("school"), literal(0), School.id, School.slug, School.name, null()),
        select(literal("tag"), literal(0), Tag.id, Tag.slug, Tag.name, null()),
    ).order_by(literal_column("what"), literal_column("position"), literal_column("name"))
    return elements, named


# `_filter_option_statements` made once, by whether they read the translations, and read as plain rows through
# the session's connection: building them and computing their cache keys on each read, then reading the rows
# through the ORM's execution, cost about 0.7 ms of CPU a page whose filter lists are not kept (signed in, the
# page cache off; 1.13 → 0.45 ms a read on the bench catalogue).
_FILTER_OPTION_STATEMENTS = {translated: _filter_option_statements(translated) for translated in (False, True)}


@page_cache.memoized_on_version
def filter_options() -> FilterOptions:
    """Two queries of plain rows: every page of the directory reads them, and model objects cost more.
    Kept per data version for anonymous readers: a varied search load would read them on each page.
    In the default language no translation is read: `localize` would not look at it, and decoding
    the JSON of ~130 rows' translations was a third of this read's CPU."""
    elements_read, named = _FILTER_OPTION_STATEMENTS[current_language() != default_language()]
    connection = db.session.connection()
    categories: dict[int, Choice] = {}
    elements = []
    for element_id, element_slug, element_name, element_translations, *category_row in connection.execute(
        elements_read
    ).all():
        category_id, category_slug, category_name, category_translations = category_row
        category = categories.get(category_id) or categories.setdefault(
            category_id, Choice(category_id, category_slug, localize(category_name, category_translations, "name").text)
        )
        elements.append(
            Choice(element_id, element_slug, localize(element_name, element_translations, "name").text, category)
        )
    found: dict[str, list[Choice]] = {"kind": [], "school": [], "tag": []}
    for what, _position, choice_id, slug, name, translations in connection.execute(named).all():
        if what == "kind":
            name = localize(name, translations, "name").text
        found[what].append(Choice(choice_id, slug, name))
    return FilterOptions(
        elements=elements,
        categories=list(categories.values()),
        schools=found["school"],
        tags=found["tag"],
        kinds=found["kind"],
    )


# --- Home -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadlineCounts:
    vendors: int
    products: int
    elements_shared: int
    agreements_in_force: int


def _headline_counts() -> Select:
    # Each number is read from what triggers keep (migrations 20261126_headline_counts and
    # 20261126_headline_element_count), not counted over every product, agreement and data element.
    vendors, elements = (
        select(func.coalesce(func.sum(column), 0)).scalar_subquery()  # of one row (none in an empty database)
        for column in (headline_count.c.vendor_count, headline_count.c.element_count)
    )
    products = listed_products_count()
    return select(vendors, products, elements, KEPT_IN_FORCE_COUNT)


# Built once, the day a parameter (`kept_day`): the agreements' state expression is a large tree.
HEADLINE_COUNTS = _headline_counts()


def headline_counts(today: date) -> HeadlineCounts:
    """The home page's four numbers, in one query."""
    return HeadlineCounts(*db.session.execute(HEADLINE_COUNTS, {"kept_day": today}).one())


def recently_updated(limit: int = 5) -> list[Product]:
    """The listed products changed last, with their vendor (one query)."""
    stmt = (
        select(Product)
        .where(listed_clause())
        .options(joinedload(Product.vendor))
        .order_by(Product.updated_at.desc(), Product.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


# --- Product, vendor and data element pages ------------------------------------------------------


def is_slug(value: str) -> bool:
    """Slugs are short ASCII words and hyphens; anything else cannot name a row (and never reaches SQL)."""
    return 0 < len(value) <= 200 and value.isascii() and all(ch.isalnum() or ch == "-" for ch in value)


class CoveredProduct(NamedTuple):
    """A product an agreement covers, as the vendor page names it (plain values, `_VendorPageStatements.covered`)."""

    name: str
    slug: str


@dataclass(frozen=True)
class AgreementView:
    agreement: Agreement
    state: AgreementState
    destruction: Any  # destruction.public.DestructionStatus | None
    is_current: bool
    renews_on: date | None = None  # an auto-renewing agreement's next renewal (Agreement.renews_on)
    products: Sequence[CoveredProduct] = ()  # the products it covers, where the page names them (the vendor's)

    @property
    def has_public_document(self) -> bool:
        return self.agreement.is_document_published and self.agreement.document_id is not None


def _agreement_views(
    agreements: Sequence[Agreement],
    today: date,
    current: Agreement | None,
    covered: dict[int, list[CoveredProduct]] | None = None,
) -> list[AgreementView]:
    """Agreements newest first, with state and public destruction status (one query), and the products each
    covers when `covered` gives them."""
    ordered = sorted(
        agreements, key=lambda a: (a.effective_on is not None, a.effective_on or date.min, a.id), reverse=True
    )
    statuses = destruction_public.status_by_agreement([a.id for a in ordered], today) if ordered else {}
    covered = covered or {}
    return [
        AgreementView(
            a,
            a.state_on(today),
            statuses.get(a.id),
            is_current=a is current,
            renews_on=a.renews_on(today),
            products=covered.get(a.id, ()),
        )
        for a in ordered
    ]


class UseCategory(NamedTuple):
    """A data category as the product page's tables name it (plain values, `ProductUse`)."""

    id: int
    name: str
    translations: dict | None  # for `i18n.translated(category, "name")`
    position: int


class UseElement(NamedTuple):
    """A data element as the product page names it, with its category (plain values, `ProductUse`)."""

    id: int
    slug: str
    name: str
    translations: dict | None  # for `i18n.translated(element, "name")`
    is_sensitive: bool
    position: int
    category_id: int
    category: UseCategory


class ProductUse(NamedTuple):
    """A data use as the product page shows it: read as plain rows with its element and category, one
    statement (`PRODUCT_USES`); as ORM objects through a `selectinload`, about 1 ms more of Python a page."""

    id: int
    purpose: str
    translations: dict | None  # for `i18n.translated(use, "purpose")`
    element: UseElement


class ProductSchool(NamedTuple):
    """A school that uses the product, as its page names it (plain values: no ORM row read to show three)."""

    slug: str
    name: str
    grade_band: str


@dataclass(frozen=True)
class ProductPage:
    product: Product
    status: ProductStatus
    standing: AgreementStanding
    uses_by_category: list[tuple[UseCategory, list[ProductUse]]]
    agreements: list[AgreementView]
    current: AgreementView | None
    schools: list[ProductSchool]  # by name
    use_count: int  # how many kinds of data it receives
    revisions: list[DisclosureRevision] = field(default_factory=list)

    @property
    def public_links(self) -> list:
        """The evidence links staff chose to show (the others stay with staff)."""
        return [link for link in self.product.links if link.is_public]

    @property
    def sensitive_count(self) -> int:
        return sum(1 for _, uses in self.uses_by_category for use in uses if use.element.is_sensitive)

    @property
    def sensitive_uses(self) -> list[ProductUse]:
        """The sensitive data it receives, in taxonomy order."""
        return [use for _, uses in self.uses_by_category for use in uses if use.element.is_sensitive]

    @property
    def purpose_snippet(self) -> LocalizedText:
        """The start of its purpose, in the reader's language when staff translated it."""
        return _snippet(translated(self.product, "purpose_md"))

    @property
    def certified_destruction(self) -> Any:
        """The certified destruction of the data received under the agreement the page's status
        speaks of (destruction.public.DestructionStatus), or None."""
        status = self.current.destruction if self.current else None
        return status if status is not None and status.badge == "ok" else None


def group_uses(uses: Iterable[ProductUse]) -> list[tuple[UseCategory, list[ProductUse]]]:
    """Data uses grouped by category, both in taxonomy order."""
    groups: dict[int, tuple[UseCategory, list[ProductUse]]] = {}
    ordered = sorted(
        uses, key=lambda u: (u.element.category.position, u.element.category.name, u.element.position, u.element.name)
    )
    for use in ordered:
        groups.setdefault(use.element.category_id, (use.element.category, []))[1].append(use)
    return list(groups.values())


# The statements of `product_page`, built once per worker (building and keying the product's with its loader
# options cost about 0.5 ms of Python a page): the product (bound as `product_slug`) with its vendor, kind, tags
# and links; its agreements with their documents, and its data uses and schools as plain rows (bound as
# `product_id`). Each read by its own statement: through the product's `selectinload`s, about 2 ms more of Python.
PRODUCT = (
    select(Product)
    .where(Product.slug == bindparam("product_slug"))
    .options(
        joinedload(Product.vendor),
        # Joined, not a query each: a product has a few tags and links (their product
        # is one row, so the join repeats it only tags × links times).
        joinedload(Product.tags),
        joinedload(Product.links),
    )
)
PRODUCT_AGREEMENTS = (
    select(Agreement)
    .join(agreement_product, agreement_product.c.agreement_id == Agreement.id)
    .where(agreement_product.c.product_id == bindparam("product_id"))
    .options(joinedload(Agreement.document))
)
PRODUCT_USES = (
    select(
        DataUse.id,
        DataUse.purpose,
        DataUse.translations,
        DataElement.id,
        DataElement.slug,
        DataElement.name,
        DataElement.translations,
        DataElement.is_sensitive,
        DataElement.position,
        DataCategory.id,
        DataCategory.name,
        DataCategory.translations,
        DataCategory.position,
    )
    .join(DataElement, DataElement.id == DataUse.data_element_id)
    .join(DataCategory, DataCategory.id == DataElement.category_id)
    .where(DataUse.product_id == bindparam("product_id"))
    .order_by(DataUse.id)
)
PRODUCT_SCHOOLS = (
    select(School.slug, School.name, School.grade_band)
    .join(product_school, product_school.c.school_id == School.id)
    .where(product_school.c.product_id == bindparam("product_id"))
    .order_by(School.name)
)


def product_uses(product_id: int) -> list[ProductUse]:
    """The product's data uses with their elements and categories, in the order they were recorded (one query)."""
    categories: dict[int, UseCategory] = {}
    uses = []
    connection = db.session.connection()
    for (
        use_id,
        purpose,
        use_translations,
        element_id,
        *element,
        category_id,
        name,
        translations,
        position,
    ) in connection.execute(PRODUCT_USES, {"product_id": product_id}).all():
        category = categories.get(category_id)
        if category is None:
            category = categories[category_id] = UseCategory(category_id, name, translations, position)
        uses.append(
            ProductUse(use_id, purpose, use_translations, UseElement(element_id, *element, category_id, category))
        )
    return uses


def product_page(slug: str, today: date) -> ProductPage | None:
    """Everything the product page shows (six queries), or None for an unknown slug."""
    if not is_slug(slug):
        return None
    product = db.session.execute(PRODUCT, {"product_slug": slug}).unique().scalar_one_or_none()
    if product is None:
        return None
    agreements = db.session.scalars(PRODUCT_AGREEMENTS, {"product_id": product.id}).all()
    where = standing(product, today, agreements)
    views = _agreement_views(agreements, today, where.agreement)
    uses = product_uses(product.id)
    schools = db.session.connection().execute(PRODUCT_SCHOOLS, {"product_id": product.id}).all()
    return ProductPage(
        product=product,
        status=public_status(product),
        standing=where,
        uses_by_category=group_uses(uses),
        agreements=views,
        current=next((view for view in views if view.is_current), None),
        schools=[ProductSchool(*school) for school in schools],
        use_count=len(uses),
        revisions=audit_public.recent_revisions(product.id, limit=5),
    )


@dataclass(frozen=True)
class VendorPage:
    vendor: Vendor
    results: Pagination  # of CardProduct: this page's products, by name
    products: list[Listing]  # the same, as the lists show them
    agreements: list[AgreementView]


VENDOR_PAGE_SIZE = 25


def vendor_page(slug: str, today: date, page: int = 1, per_page: int = VENDOR_PAGE_SIZE) -> VendorPage | None:
    """What the vendor page shows: its agreements with the products each covers, and one page of its products,
    by name (seven queries whatever the number of products; past the last page, a count), or None for an
    unknown slug."""
    if not is_slug(slug):
        return None
    statements = _vendor_page_statements()
    vendor = db.session.scalar(statements.vendor, {"vendor_slug": slug})
    if vendor is None:
        return None
    results = paginate_picked(
        lambda limit, offset: (statements.page, {"vendor_id": vendor.id, PAGE_LIMIT: limit, PAGE_OFFSET: offset}),
        (statements.count, {"vendor_id": vendor.id}),
        page,
        per_page,
        windowed=True,
        gather=card_products,
    )
    agreements = db.session.scalars(statements.agreements, {"vendor_id": vendor.id}).all()
    covered: dict[int, list[CoveredProduct]] = {}
    if agreements:
        for agreement_id, *product in db.session.connection().execute(statements.covered, {"vendor_id": vendor.id}):
            covered.setdefault(agreement_id, []).append(CoveredProduct(*product))
    return VendorPage(
        vendor=vendor,
        results=results,
        products=listings(results.items, today),
        agreements=_agreement_views(agreements, today, None, covered),
    )


class _VendorPageStatements(NamedTuple):
    vendor: Select  # the vendor, bound as `vendor_slug`
    page: Select  # a page of its products (`page_statement`, counted as they are read), bound as `vendor_id`
    count: Select  # their number (past the last page)
    agreements: Select  # its agreements with their documents
    covered: Select  # (agreement id, name, slug) of each product its agreements cover


@cache
def _vendor_page_statements() -> _VendorPageStatements:
    """`vendor_page`'s statements, built once per worker: building and keying them with their loader options
    cost about 1 ms of Python a page.

    Plain rows where the page only names things: its products as a results page's (`card_products`: one
    statement with their vendor, kind and agreements' terms), the products its agreements cover as names and
    slugs. As ORM products (a `selectinload` of the page's products' agreements, a count apart, and of each
    agreement's products with their kinds) they cost four statements and about 2.5 ms more of Python a page."""
    vendor_id = bindparam("vendor_id")
    vendor_products = [Product.vendor_id == vendor_id]
    return _VendorPageStatements(
        vendor=select(Vendor).where(Vendor.slug == bindparam("vendor_slug")),
        page=page_statement(
            [(Product.name, False), (Product.id, False)],
            None,
            vendor_products,
            _WINDOW_TOTAL,
            bindparam(PAGE_LIMIT, type_=Integer),
            bindparam(PAGE_OFFSET, type_=Integer),
        ),
        count=select(func.count(Product.id)).where(*vendor_products),
        agreements=select(Agreement).where(Agreement.vendor_id == vendor_id).options(joinedload(Agreement.document)),
        covered=(
            select(agreement_product.c.agreement_id, Product.name, Product.slug)
            .join(Agreement, Agreement.id == agreement_product.c.agreement_id)
            .join(Product, Product.id == agreement_product.c.product_id)
            .where(Agreement.vendor_id == vendor_id)
            .order_by(agreement_product.c.agreement_id, Product.name, Product.id)
        ),
    )


@dataclass(frozen=True)
class ElementCount:
    element: DataElement
    product_count: int


def data_element_index() -> list[tuple[DataCategory, list[ElementCount]]]:
    """Every data element in use or not retired, grouped by category, with how many listed products receive it.

    One query: each element carries its count (`DataElement.receiver_count`, kept by triggers), so
    the page reads 80 elements where counting would read every data use (150,000 at the bench's scale).
    """
    groups: dict[int, tuple[DataCategory, list[ElementCount]]] = {}
    for element in all_data_elements():
        count = element.receiver_count
        if element.is_retired and not count:
            continue
        groups.setdefault(element.category_id, (element.category, []))[1].append(ElementCount(element, count))
    return list(groups.values())


def all_data_elements() -> list[DataElement]:
    """Every data element with its category, in taxonomy order (one query)."""
    return list(
        db.session.scalars(
            select(DataElement)
            .join(DataElement.category)
            .options(contains_eager(DataElement.category))
            .order_by(DataCategory.position, DataCategory.name, DataElement.position, DataElement.name)
        )
    )


def sensitive_examples(limit: int = 3) -> list[LocalizedText]:
    """The names of a few sensitive data elements in use, in the reader's language (one query)."""
    rows = db.session.execute(
        select(DataElement.name, DataElement.translations)
        .join(DataElement.category)
        .where(DataElement.is_sensitive.is_(True), DataElement.is_retired.is_(False))
        .order_by(DataCategory.position, DataCategory.name, DataElement.position, DataElement.name)
        .limit(limit)
    )
    return [localize(name, translations, "name") for name, translations in rows]


def get_data_element(slug: str) -> DataElement | None:
    if not is_slug(slug):
        return None
    return db.session.scalar(
        select(DataElement).where(DataElement.slug == slug).options(joinedload(DataElement.category))
    )


class CardUse(NamedTuple):
    """A data use as a data element's page shows it beside its product's card (`cards.use_cards`):
    its purpose, read with the product's card in the same plain rows (`CardProduct`)."""

    id: int
    product_id: int
    purpose: str
    translations: dict | None  # for `i18n.translated(use, "purpose")`
    product: CardProduct


# The use's columns, after the product's card and the kept count in each row of a data element's page.
_USE_COLUMNS = (DataUse.id, DataUse.purpose, DataUse.translations)


def _card_uses(result: Result) -> tuple[list[CardUse], int | None]:
    """A data element's page of uses from its rows (`card_products`' rows, each ending with its use)."""
    rows = result.all()
    products, total = card_products(rows)
    uses = {row[0]: row[-len(_USE_COLUMNS) :] for row in rows}
    return [CardUse(uses[product.id][0], product.id, *uses[product.id][1:], product) for product in products], total


def element_receivers(element: DataElement, page: int, per_page: int) -> Pagination:
    """One page of the listed products that receive the element, by name then id; items are `CardUse`s
    (one statement, and the kept count's past the last page).

    The page's products are picked walking the products by name on the covering index
    (ix_product_name_listing) and stopped after the page, as a directory page filtered by the element
    alone (`DirectoryFilters.kept`); each row carries the element's kept count of listed receivers
    (`DataElement.receiver_count`: a product receives an element once) and the product's use. A page past the
    middle of the element's receivers is walked from the last one back (`_ElementPage.pick`).
    Plain rows: loading 25 uses with their products, vendors, kinds and agreements as ORM objects
    cost about 3 ms of Python a page."""
    element_page = _element_page(element.id)
    return paginate_picked(
        lambda limit, offset: (
            element_page.pick(element.receiver_count, limit, offset),
            {PAGE_LIMIT: limit, PAGE_OFFSET: offset},
        ),
        element_page.count,
        page,
        per_page,
        windowed=True,
        gather=_card_uses,
    )


class _ElementPage(NamedTuple):
    """`_element_page`'s statements: the page walked from the first receiver (`forward`) or from the last back
    (`backward`), and the kept count (`count`)."""

    forward: Select
    backward: Select
    count: Select

    def pick(self, receivers: int, limit: int, offset: int) -> Select:
        """The statement whose walk to the page is shorter, by the element's number of receivers (read with the
        element: the statements count back by the kept count they read, so either gives the same page): from the
        end when fewer receivers follow the page's first than end with its last (a page past the last too)."""
        return self.backward if receivers - offset < offset + limit else self.forward


@lru_cache(maxsize=256)
def _element_page(element_id: int) -> _ElementPage:
    """`element_receivers`' statements for the element, their LIMIT and OFFSET bound when they run: made once per
    element, as `_kept_page` (building the statement cost about 1 ms of Python a page)."""
    kept, clauses = DirectoryFilters(element_id=element_id).kept()
    keys = [(Product.name, False), (Product.id, False)]
    limit, offset = bindparam(PAGE_LIMIT, type_=Integer), bindparam(PAGE_OFFSET, type_=Integer)
    use = and_(DataUse.product_id == Product.id, DataUse.data_element_id == element_id)
    forward, backward = (
        page_statement(keys, None, clauses, kept, limit, offset, from_end=from_end)
        .add_columns(*_USE_COLUMNS)
        .join(DataUse, use)
        for from_end in (False, True)
    )
    return _ElementPage(forward, backward, select(kept))


def get_published_document(agreement_id: int):
    """The agreement's StoredFile when its document is published, else None (one query)."""
    agreement = db.session.scalar(
        select(Agreement).where(Agreement.id == agreement_id).options(joinedload(Agreement.document))
    )
    if agreement is None or not agreement.is_document_published:
        return None
    return agreement.document


def privacy_notice_source() -> LocalizedText:
    """The site's own privacy notice (Markdown) in the reader's language: the district's text (its
    translation, else the district's text marked as such), or the default notice, which is translated."""
    settings = get_settings()
    if settings.privacy_notice_md.strip():
        return translated(settings, "privacy_notice_md")
    return LocalizedText(str(DEFAULT_PRIVACY_NOTICE), current_language())


DEFAULT_PRIVACY_NOTICE = _l("""\
This site tells families which companies receive student data from the district, and why.
It is built to collect as little about its own visitors as possible.

- **No account is needed** to read any public page, and nothing you search for is stored.
- **No tracking.** There are no analytics, advertising or social-media scripts, and no
  third-party fonts or images: every page and file comes from this site alone.
- **No cookies for visitors.** The only cookie is the session cookie set when district staff
  or a vendor signs in, which ends when they sign out or after eight hours.
- **Server logs.** Like any web server, ours records the address and time of each request to
  keep the site secure and working; these logs are kept only as long as needed for that.

Questions about this notice, or about the student data the district shares, go to the
district's privacy office at the address at the foot of every page.
""")
