"""Reading agreements: the staff list and the dashboard's figures.

States and term ends are filtered, counted and sorted in the database with `agreements.state`,
the SQL twin of `Agreement.state_on` and `term_ends_on`.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, and_, exists, func, not_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from clearinghouse.agreements.models import COVERING_STATES, Agreement, AgreementState, agreement_product
from clearinghouse.agreements.state import (
    days_between,
    ended_on_sql,
    kept_state_counts,
    state_in,
    term_ends_on_sql,
)
from clearinghouse.directory.models import Product, ProductStatus, StatedAgreementStatus, Vendor
from clearinghouse.extensions import db

DASHBOARD_BUCKETS = (30, 60, 90)  # days: "expires within 30 days", "within 60", "within 90"
DASHBOARD_LIST_LIMIT = 25


def list_agreements(
    *, today: date, state: AgreementState | None, vendor_id: int | None, page: int, per_page: int
) -> Pagination:
    """The staff list: filtered in SQL, one page at a time, with vendor and products loaded."""
    stmt = (
        select(Agreement)
        .join(Agreement.vendor)
        .options(contains_eager(Agreement.vendor), selectinload(Agreement.products))
        .order_by(Vendor.name, Agreement.effective_on.desc().nulls_first(), Agreement.id.desc())
    )
    if state is not None:
        stmt = stmt.where(state_in(Agreement, today, [state]))
    if vendor_id is not None:
        stmt = stmt.where(Agreement.vendor_id == vendor_id)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False, max_per_page=100)


def agreement_stmt(agreement_id: int) -> Select:
    """One agreement with its vendor, products, document and renewal links loaded."""
    return (
        select(Agreement)
        .where(Agreement.id == agreement_id)
        .options(
            joinedload(Agreement.vendor),
            selectinload(Agreement.products),
            joinedload(Agreement.document),
            joinedload(Agreement.renewed_by),
            joinedload(Agreement.renews),
        )
    )


@dataclass
class ExpiringAgreement:
    agreement: Agreement
    ends_on: date
    days_left: int


@dataclass
class Dashboard:
    """What the privacy office should act on, as of `today`."""

    today: date
    counts: dict[AgreementState, int]
    expiring: dict[int, list[ExpiringAgreement]] = field(default_factory=dict)  # bucket days -> rows
    ended: list[Agreement] = field(default_factory=list)
    ended_total: int = 0
    uncovered: list[Product] = field(default_factory=list)
    uncovered_total: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def counts_by_state(today: date) -> dict[AgreementState, int]:
    """How many agreements are in each state on `today` (every state, zeros included); one query over
    the groups kept by triggers (`agreements.state.kept_state_counts`)."""
    return state_counts(db.session.execute(kept_state_counts(today)))


def state_counts(rows: Iterable[tuple[str, int]]) -> dict[AgreementState, int]:
    """`kept_state_counts`' rows (state, count) as every state's count, zeros included (`counts_by_state`;
    the reports read the rows with their other counts)."""
    counts = dict.fromkeys(AgreementState, 0)
    for value, number in rows:
        counts[AgreementState(value)] = number
    return counts


def dashboard(today: date) -> Dashboard:
    """Counts by state, agreements expiring within 30/60/90 days, ended ones with no renewal, and
    products with no agreement in force. A fixed number of queries whatever the number of rows."""
    board = Dashboard(today=today, counts=counts_by_state(today))

    loaded = (joinedload(Agreement.vendor), selectinload(Agreement.products))
    board.expiring = {days: [] for days in DASHBOARD_BUCKETS}
    ends_on = term_ends_on_sql(Agreement, today)
    rows = db.session.execute(
        select(Agreement, ends_on, days_between(ends_on, today))
        .join(Agreement.vendor)
        .where(state_in(Agreement, today, [AgreementState.EXPIRING]))
        .options(contains_eager(Agreement.vendor), selectinload(Agreement.products))
        .order_by(ends_on, Vendor.name, Agreement.id)
    ).all()
    for agreement, ends, days_left in rows:
        bucket = next(days for days in DASHBOARD_BUCKETS if days_left <= days)
        board.expiring[bucket].append(ExpiringAgreement(agreement, ends, days_left))

    ended = state_in(Agreement, today, [AgreementState.EXPIRED, AgreementState.TERMINATED])
    board.ended_total = db.session.scalar(select(func.count()).select_from(Agreement).where(ended))
    board.ended = list(
        db.session.scalars(
            select(Agreement)
            .where(ended)
            .options(*loaded)
            .order_by(ended_on_sql(Agreement, today).desc(), Agreement.id.desc())
            .limit(DASHBOARD_LIST_LIMIT)
        ).unique()
    )

    covered = exists(
        select(agreement_product.c.product_id)
        .join(Agreement, Agreement.id == agreement_product.c.agreement_id)
        .where(agreement_product.c.product_id == Product.id, state_in(Agreement, today, COVERING_STATES))
    )
    needs_agreement = and_(
        not_(covered),
        Product.status.not_in(
            [ProductStatus.RETIRED, ProductStatus.NOT_APPROVED, ProductStatus.APPROVED_NO_STUDENT_DATA]
        ),
        Product.agreement_status != StatedAgreementStatus.NOT_REQUIRED,
    )
    board.uncovered_total = db.session.scalar(select(func.count()).select_from(Product).where(needs_agreement))
    board.uncovered = list(
        db.session.scalars(
            select(Product)
            .join(Product.vendor)
            .where(needs_agreement)
            .options(contains_eager(Product.vendor))
            .order_by(Vendor.name, Product.name)
            .limit(DASHBOARD_LIST_LIMIT)
        )
    )
    return board


def get_agreement_or_404(agreement_id: int) -> Agreement:
    return db.one_or_404(agreement_stmt(agreement_id))
