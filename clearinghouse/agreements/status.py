"""Where a product's data-privacy agreement stands: the one derived status the public sees.

A product has two statuses, as districts keep them: its approval for use (`Product.status`) and
the state of its agreement, derived here from the agreements recorded for it and, when none of
them speaks for it, from what the district stated (`Product.agreement_status`):

1. an agreement in force (active or expiring): signed, with its state;
2. an agreement on file whose dates are not recorded;
3. a signed agreement that is not yet in effect;
4. what the district stated, unless it is "none on file": requested, declined by the vendor (with
   its reason), not required (no student data collected);
5. a signed agreement that has ended (expired, terminated, renewed): signed, with its state;
6. a draft agreement: requested (the district is preparing it with the vendor);
7. otherwise: no agreement on file.

Among agreements of one rank, the latest by effective date counts (undated ones are the oldest,
then the highest id), as `directory.queries.current_agreement` picks. `standing` reads the
loaded agreements; `status_sql` and `standing_in` are its SQL twins for filters, counts and the
API (`tests/agreements/test_status.py` compares them on every case, on SQLite and PostgreSQL).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CompoundSelect, Integer, Select, case, cast, func, or_, select, true, union, union_all
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import ColumnElement

from clearinghouse.agreements.models import (
    Agreement,
    AgreementState,
    agreement_product,
    agreement_standing_count,
    agreement_term_standing_count,
)
from clearinghouse.agreements.state import KEPT_TERMS, constant, state_in_on_day, state_on_day_sql, value_on_day_sql
from clearinghouse.directory.models import Product, StatedAgreementStatus
from clearinghouse.i18n import N_
from clearinghouse.timeutil import format_date


class ProductAgreementStatus(StrEnum):
    """The displayed status of a product's agreement (the importer's vocabulary maps onto it)."""

    SIGNED = "signed"
    ON_FILE = "on_file"  # on file, dates not recorded
    REQUESTED = "requested"
    NONE_ON_FILE = "none_on_file"
    DECLINED_BY_VENDOR = "declined_by_vendor"
    NOT_REQUIRED = "not_required"

    @property
    def label(self) -> str:
        return PRODUCT_AGREEMENT_STATUS_LABELS[self]


# Two standings a directory filter is named after, said in the same words there.
OPEN_ENDED_LABEL = _l("Signed, in effect with no end date")
RENEWED_LABEL = _l("Signed, since renewed")

# An agreement on file and the statuses the district states are said in their own enums' words.
PRODUCT_AGREEMENT_STATUS_LABELS = {
    ProductAgreementStatus.SIGNED: _l("Signed"),
    ProductAgreementStatus.ON_FILE: AgreementState.ON_FILE.label,
    ProductAgreementStatus.REQUESTED: _l("Requested"),
    ProductAgreementStatus.NONE_ON_FILE: StatedAgreementStatus.NONE_ON_FILE.label,
    ProductAgreementStatus.DECLINED_BY_VENDOR: StatedAgreementStatus.DECLINED_BY_VENDOR.label,
    ProductAgreementStatus.NOT_REQUIRED: StatedAgreementStatus.NOT_REQUIRED.label,
}

# The stated statuses that speak for a product with no agreement in force (rank 4 above).
_STATED = {
    StatedAgreementStatus.REQUESTED: ProductAgreementStatus.REQUESTED,
    StatedAgreementStatus.DECLINED_BY_VENDOR: ProductAgreementStatus.DECLINED_BY_VENDOR,
    StatedAgreementStatus.NOT_REQUIRED: ProductAgreementStatus.NOT_REQUIRED,
}
STATED_RANK = 4
_RANKS = {
    AgreementState.ACTIVE: 1,
    AgreementState.EXPIRING: 1,
    AgreementState.ON_FILE: 2,
    AgreementState.UPCOMING: 3,
    AgreementState.EXPIRED: 5,
    AgreementState.TERMINATED: 5,
    AgreementState.RENEWED: 5,
    AgreementState.DRAFT: 6,
}
NO_AGREEMENT_RANK = 7
# `Product.agreement_key` of a product that several agreements cover (0: none; else the sole one's id).
SEVERAL_AGREEMENTS = -1

# Badge kinds for the _macros/ui.html badge(): the words say the status; colour only repeats it.
_BADGES = {
    AgreementState.ACTIVE: "ok",
    AgreementState.EXPIRING: "warn",
    AgreementState.UPCOMING: "neutral",
    AgreementState.EXPIRED: "bad",
    AgreementState.TERMINATED: "bad",
    AgreementState.RENEWED: "neutral",
}
_STATUS_BADGES = {
    ProductAgreementStatus.ON_FILE: "neutral",
    ProductAgreementStatus.REQUESTED: "warn",
    ProductAgreementStatus.NONE_ON_FILE: "warn",
    ProductAgreementStatus.DECLINED_BY_VENDOR: "bad",
    ProductAgreementStatus.NOT_REQUIRED: "neutral",
}


def _latest_key(agreement: Agreement) -> tuple:
    return (agreement.effective_on is not None, agreement.effective_on or date.min, agreement.id)


@dataclass(frozen=True)
class AgreementStanding:
    """A product's agreement status, with the agreement it comes from (None when a stated status
    or the lack of any agreement speaks) and that agreement's state on the day asked about."""

    status: ProductAgreementStatus
    agreement: Agreement | None = None
    state: AgreementState | None = None
    today: date | None = None

    @property
    def badge(self) -> str:
        if self.status is ProductAgreementStatus.SIGNED:
            return _BADGES[self.state]
        return _STATUS_BADGES[self.status]

    @property
    def label(self) -> str:
        """In plain words, with the day that matters: "Signed, in effect until June 30, 2027"."""
        return self.phrase.worded(_, format_date)

    @property
    def phrase(self) -> "Phrase":
        """What `label` says, before it is put in the reader's words (`directory.cards` words the
        phrases of a page's cards once each)."""
        if self.status is not ProductAgreementStatus.SIGNED:
            return Phrase(self.status.label)
        agreement, state = self.agreement, self.state
        ends_on = agreement.term_ends_on(self.today) if self.today else agreement.expires_on
        if state in (AgreementState.ACTIVE, AgreementState.EXPIRING):
            if ends_on is None:
                return Phrase(OPEN_ENDED_LABEL)
            renews_on = agreement.renews_on(self.today) if self.today else None
            if renews_on is not None:  # not when it is to be terminated first, or replaced
                return Phrase(N_("Signed, in effect; renews on %(day)s"), renews_on, names_day=True)
            if state is AgreementState.EXPIRING:
                return Phrase(N_("Signed, expiring on %(day)s"), ends_on, names_day=True)
            return Phrase(N_("Signed, in effect until %(day)s"), ends_on, names_day=True)
        if state is AgreementState.UPCOMING:
            return Phrase(N_("Signed, in effect from %(day)s"), agreement.effective_on, names_day=True)
        if state is AgreementState.TERMINATED:
            return Phrase(N_("Signed, terminated on %(day)s"), agreement.terminated_on, names_day=True)
        if state is AgreementState.RENEWED:
            return Phrase(RENEWED_LABEL)
        return Phrase(N_("Signed, expired on %(day)s"), agreement.ended_on(self.today) or ends_on, names_day=True)


class Phrase(NamedTuple):
    """A standing's label before it is worded: a fixed label (`text`, a lazy string), or a message
    that names a day (`text` not yet translated, with its `day`)."""

    text: Any
    day: date | None = None
    names_day: bool = False

    def worded(self, translate: Callable[[str], str], say_day: Callable[[date | None], str]) -> str:
        """In the reader's words: a fixed label as it is; a message translated by `translate`, with its day
        said by `say_day`. Whatever words a standing (its `label`, a page's cards, the API) calls this, with
        its own, kept, translation and date functions."""
        if not self.names_day:
            return str(self.text)
        return translate(self.text) % {"day": say_day(self.day)}


def standing(
    product: Product,
    today: date,
    agreements: Iterable[Agreement] | None = None,
    state_of: Callable[[Agreement], AgreementState] | None = None,
) -> AgreementStanding:
    """Where the product's agreement stands on `today`, from its loaded agreements (no query when
    `product.agreements` is loaded; `agreements` may give them instead). `state_of` gives an agreement's
    `state_on(today)` where the caller keeps it (the API derives each agreement's state once)."""
    best: tuple[int, tuple, Agreement, AgreementState] | None = None
    for agreement in product.agreements if agreements is None else agreements:
        state = agreement.state_on(today) if state_of is None else state_of(agreement)
        candidate = (_RANKS[state], _latest_key(agreement), agreement, state)
        if best is None or (candidate[0], _negated(candidate[1])) < (best[0], _negated(best[1])):
            best = candidate
    rank = best[0] if best else NO_AGREEMENT_RANK
    stated = _STATED.get(StatedAgreementStatus(product.agreement_status or StatedAgreementStatus.NONE_ON_FILE))
    if stated is not None and rank > STATED_RANK:
        return AgreementStanding(stated, today=today)
    if best is None:
        return AgreementStanding(ProductAgreementStatus.NONE_ON_FILE, today=today)
    _, _, agreement, state = best
    if state is AgreementState.ON_FILE:
        return AgreementStanding(ProductAgreementStatus.ON_FILE, agreement, state, today)
    if state is AgreementState.DRAFT:
        return AgreementStanding(ProductAgreementStatus.REQUESTED, agreement, state, today)
    return AgreementStanding(ProductAgreementStatus.SIGNED, agreement, state, today)


def _negated(key: tuple) -> tuple:
    """Sort the latest first: (has date, date, id) → a key that sorts in reverse."""
    has_date, day, agreement_id = key
    return (not has_date, -day.toordinal(), -agreement_id)


# --- SQL -----------------------------------------------------------------------------------


def _rank_of(state: ColumnElement[str]) -> ColumnElement[int]:
    """The rank of a state already derived (a column of a subquery)."""
    ranks = {constant(value.value): constant(rank) for value, rank in _RANKS.items()}
    return case(ranks, value=state, else_=constant(NO_AGREEMENT_RANK))


def rank_on_day_sql(agreement: Any, today: date) -> ColumnElement[int]:
    """The rank (1 is the strongest) of an agreement's state on `today` in the order above, folded from
    the rule's answers for that day (`agreements.state.value_on_day_sql`): states of one rank are not
    told apart, so "active" and "expiring" ask nothing of the end date's month and day."""
    return value_on_day_sql(agreement, today, _RANKS.__getitem__)


def _best_rank(product_id: Any, today: date) -> ColumnElement[int]:
    """The product's strongest agreement rank (NULL without agreements), a correlated subquery."""
    link, agreement = agreement_product.alias("rank_link"), aliased(Agreement, name="rank_agreement")
    return (
        select(func.min(rank_on_day_sql(agreement, today)))
        .select_from(link)
        .join(agreement, agreement.id == link.c.agreement_id)
        .where(link.c.product_id == product_id)
        .scalar_subquery()
    )


def status_sql(product: Any, today: date) -> ColumnElement[str]:
    """`standing(product, today).status` in SQL, on the Product class (or an alias of it)."""
    return _status_of(
        func.coalesce(_best_rank(product.id, today), constant(NO_AGREEMENT_RANK)), product.agreement_status
    )


def status_counts(today: date, *where: ColumnElement[bool]) -> Select:
    """(status, count) of the products matching `where` (clauses on Product), by `status_sql`'s rule.

    Each product's strongest agreement is found by one grouped join over every link, not by
    `status_sql`'s correlated subquery, which its CASE runs up to four times a product (1.8 s over
    25,000 products on PostgreSQL; bench/README.md).
    """
    link, agreement = agreement_product.alias("rank_link"), aliased(Agreement, name="rank_agreement")
    ranked = (
        select(
            Product.agreement_status.label("stated"),
            # NULL without an agreement (the outer join's empty row would read as a draft).
            func.min(case((agreement.id.is_not(None), rank_on_day_sql(agreement, today)))).label("best"),
        )
        .select_from(Product)
        .outerjoin(link, link.c.product_id == Product.id)
        .outerjoin(agreement, agreement.id == link.c.agreement_id)
        .where(*where)
        .group_by(Product.id, Product.agreement_status)
        .subquery()
    )
    status = _status_of(func.coalesce(ranked.c.best, constant(NO_AGREEMENT_RANK)), ranked.c.stated).label("status")
    return select(status, func.count()).group_by(status)


def kept_status_counts(today: date, listed: ColumnElement[bool]) -> Select:
    """(status, count) of the listed products on `today`, by `status_sql`'s rule, from the counts kept by
    triggers.

    `listed` is `directory.queries.listed_clause()` (the rule the triggers keep the groups by). The products
    with a single agreement are counted per term group of that agreement and stated status
    (`agreement_term_standing_count`): each term group (`agreements.state.KEPT_TERMS`, the columns the state
    is derived from) is ranked once on `today` (`rank_on_day_sql`: the rule's answers for the day folded into
    a few comparisons, states of one rank not told apart). Ranking each sole agreement's group of
    `agreement_standing_count` instead joined 9,684 groups to their agreements, about 4 ms of PostgreSQL's
    time on the bench, against 2,180 term groups read alone. The products with no agreement are that
    table's groups of key 0; those with several (`Product.agreement_key` -1) are counted as `status_counts`
    does. The statement is written for its day: a caller that asks often keeps it (`reports.queries`).
    """
    groups, standing = agreement_term_standing_count, agreement_standing_count
    best = rank_on_day_sql(KEPT_TERMS.c, today).label("best")
    sole = (
        select(best, groups.c.stated, func.sum(groups.c.product_count).label("count"))
        .select_from(groups)
        .join(KEPT_TERMS, KEPT_TERMS.c.term_key == groups.c.term_key)
        .where(groups.c.product_count > constant(0))
        .group_by(best, groups.c.stated)
    )
    none = select(constant(NO_AGREEMENT_RANK), standing.c.stated, standing.c.product_count).where(
        standing.c.agreement_key == constant(0), standing.c.product_count > constant(0)
    )
    ranked = union_all(sole, none).subquery()
    counted = select(_status_of(ranked.c.best, ranked.c.stated).label("status"), ranked.c.count)
    several = status_counts(today, listed, Product.agreement_key == constant(SEVERAL_AGREEMENTS))
    both = union_all(counted, several).subquery()
    return select(both.c.status, cast(func.sum(both.c.count), Integer)).group_by(both.c.status)


def _status_of(best: ColumnElement[int], agreement_status: Any) -> ColumnElement[str]:
    """The status of a product whose strongest agreement has the rank `best` (NO_AGREEMENT_RANK
    without one) and whose district stated `agreement_status`."""
    stated = agreement_status.in_([constant(value.value) for value in _STATED])
    return case(
        (
            best < constant(STATED_RANK),
            case(
                (best == constant(2), constant(ProductAgreementStatus.ON_FILE.value)),
                else_=constant(ProductAgreementStatus.SIGNED.value),
            ),
        ),
        (stated, agreement_status),
        (best == constant(5), constant(ProductAgreementStatus.SIGNED.value)),
        (best == constant(6), constant(ProductAgreementStatus.REQUESTED.value)),
        else_=constant(ProductAgreementStatus.NONE_ON_FILE.value),
    )


def _latest_of_rank(states: list[AgreementState], today: date, extra: Any = None) -> Select:
    """Ids (column `id`) of the products with several agreements (`agreement_key` -1) whose status comes
    from an agreement in one of `states`: it outranks the product's others, or is the latest of its rank;
    a stated status outranks an ended or draft agreement.

    Each of their agreements gets its state once, and its place among the product's agreements by rank,
    then latest effective date (undated ones the oldest), then highest id (`_latest_key`): the first
    place speaks for the product. Comparing each agreement with each rival wrote the state expression
    three times, a statement PostgreSQL took 3-4 ms to plan on every request."""
    link = agreement_product.alias("link")
    several = select(Product.id).where(Product.agreement_key == constant(SEVERAL_AGREEMENTS))
    derived = (
        select(
            link.c.product_id,
            Agreement.id.label("agreement_id"),
            Agreement.effective_on,
            state_on_day_sql(Agreement, today).label("state"),
            (true() if extra is None else extra).label("holds"),
        )
        .join(Agreement, Agreement.id == link.c.agreement_id)
        .where(link.c.product_id.in_(several))
        .subquery("derived")
    )
    rank = _rank_of(derived.c.state)
    placed = select(
        derived.c.product_id,
        derived.c.state,
        derived.c.holds,
        rank.label("rank"),
        func.row_number()
        .over(
            partition_by=derived.c.product_id,
            order_by=(
                rank,
                derived.c.effective_on.is_(None),
                derived.c.effective_on.desc(),
                derived.c.agreement_id.desc(),
            ),
        )
        .label("place"),
    ).subquery("placed")
    stmt = select(placed.c.product_id.label("id")).where(
        placed.c.place == constant(1),
        placed.c.state.in_([constant(state.value) for state in states]),
        placed.c.holds,
    )
    if any(_RANKS[state] > STATED_RANK for state in states):
        stated = select(Product.id).where(Product.id == placed.c.product_id, _stated_clause(Product))
        stmt = stmt.where(or_(placed.c.rank < constant(STATED_RANK), ~stated.exists()))
    return stmt


def _stated_clause(product: Any) -> ColumnElement[bool]:
    """The district stated a status that speaks for a product with no agreement above rank 4."""
    return product.agreement_status.in_([constant(value.value) for value in _STATED])


def _sole_agreement_in(states: list[AgreementState], today: date, extra: Any = None) -> Select:
    """The agreements in one of `states` on `today` (and `extra`), as ids a product's `agreement_key` names."""
    stmt = select(Agreement.id).where(state_in_on_day(Agreement, today, states))
    return stmt if extra is None else stmt.where(extra)


def _record_parts(states: Iterable[AgreementState], today: date, extra: Any = None) -> list[Select]:
    """`record_agreement_in`'s parts, whose ids never overlap: a product has one agreement key."""
    states = list(states)
    strong = [state for state in states if _RANKS[state] < STATED_RANK]
    weak = [state for state in states if _RANKS[state] > STATED_RANK]
    parts = []
    if strong:
        parts.append(
            select(Product.id.label("id")).where(Product.agreement_key.in_(_sole_agreement_in(strong, today, extra)))
        )
    if weak:  # a stated status outranks an ended or draft agreement
        parts.append(
            select(Product.id.label("id")).where(
                Product.agreement_key.in_(_sole_agreement_in(weak, today, extra)), ~_stated_clause(Product)
            )
        )
    return [*parts, _latest_of_rank(states, today, extra)]


def record_agreement_in(states: Iterable[AgreementState], today: date, extra: Any = None) -> CompoundSelect:
    """Ids (column `id`) of the products whose status comes from an agreement in one of `states`
    (each once): that agreement outranks the product's others, or is the latest of its rank; a
    stated status outranks an ended or draft agreement.

    `extra` is one more condition on that agreement (the open-ended filter: no expiry date). A product
    with one agreement (`Product.agreement_key`, kept by triggers: its id) has its status from it, so
    its state alone decides: the agreements in those states are found once and their products by the
    key's index; only the few products with several compare their agreements.
    """
    return union_all(*_record_parts(states, today, extra))


def _stated_parts(status: ProductAgreementStatus, today: date) -> list[Select]:
    """`stated_in`'s parts, by `Product.agreement_key` (kept by triggers): no agreement (0), a sole
    agreement whose state ranks below a stated status, or several whose best does."""
    if status is ProductAgreementStatus.NONE_ON_FILE:
        none_on_file = Product.agreement_status == constant(StatedAgreementStatus.NONE_ON_FILE.value)
        return [select(Product.id.label("id")).where(none_on_file, Product.agreement_key == constant(0))]
    stated = next(key for key, value in _STATED.items() if value is status)
    is_stated = Product.agreement_status == constant(stated.value)
    below = [state for state, rank in _RANKS.items() if rank > STATED_RANK]
    return [
        select(Product.id.label("id")).where(is_stated, Product.agreement_key == constant(0)),
        select(Product.id.label("id")).where(is_stated, Product.agreement_key.in_(_sole_agreement_in(below, today))),
        select(Product.id.label("id")).where(
            is_stated,
            Product.agreement_key == constant(SEVERAL_AGREEMENTS),
            _best_rank(Product.id, today) > constant(STATED_RANK),
        ),
    ]


def stated_in(status: ProductAgreementStatus, today: date) -> CompoundSelect:
    """Ids (column `id`) of the products whose status is `status` and comes from no agreement:
    a stated status (requested, declined, not required) with no agreement above it, or none on file."""
    return union_all(*_stated_parts(status, today))


def status_in(status: ProductAgreementStatus, today: date) -> CompoundSelect:
    """Ids (column `id`) of the products whose agreement status is `status` on `today`."""
    if status is ProductAgreementStatus.SIGNED:
        signed = [state for state, rank in _RANKS.items() if rank not in (2, 6)]
        return record_agreement_in(signed, today)
    if status is ProductAgreementStatus.ON_FILE:
        return record_agreement_in([AgreementState.ON_FILE], today)
    if status is ProductAgreementStatus.REQUESTED:
        # A product may have a stated "requested" and a draft agreement: each once.
        return union(*_stated_parts(status, today), *_record_parts([AgreementState.DRAFT], today))
    return stated_in(status, today)
