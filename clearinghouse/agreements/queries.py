"""Reading agreements: their derived state as SQL, the staff list, and the dashboard's figures.

`state_condition` mirrors `Agreement.state_on` in SQL so that lists can filter and count by
state in the database; tests check that the two agree for every state.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, and_, case, exists, extract, func, not_, or_, select, true
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from clearinghouse.agreements.models import EXPIRING_HORIZON, Agreement, AgreementState, agreement_product
from clearinghouse.directory.models import Product, ProductStatus, Vendor
from clearinghouse.extensions import db

DASHBOARD_BUCKETS = (30, 60, 90)  # days: "expires within 30 days", "within 60", "within 90"
DASHBOARD_LIST_LIMIT = 25


def _anniversary_within(day_column, start: date, end: date) -> ColumnElement[bool]:
    """True when the next anniversary (month and day) of the column falls in [start, end]."""
    if (end - start).days >= 365:
        return true()
    month_day = extract("month", day_column) * 100 + extract("day", day_column)
    start_md, end_md = start.month * 100 + start.day, end.month * 100 + end.day
    if start.year == end.year:
        return and_(month_day >= start_md, month_day <= end_md)
    return or_(month_day >= start_md, month_day <= end_md)


def _ordered_conditions(today: date, horizon: timedelta) -> list[tuple[AgreementState, ColumnElement[bool]]]:
    """Each state's test, in the order `state_on` tries them (an earlier match wins).

    Every test is written so it is never NULL, which keeps NOT(...) meaningful.
    """
    a = Agreement
    limit = today + horizon
    # The current term ended: an agreement that renews itself rolls on, so it never lapses.
    lapsed = and_(a.expires_on.is_not(None), a.expires_on < today, a.auto_renews.is_(False))
    expiring = and_(
        a.expires_on.is_not(None),
        or_(
            and_(a.expires_on >= today, a.expires_on <= limit),
            and_(a.auto_renews.is_(True), a.expires_on < today, _anniversary_within(a.expires_on, today, limit)),
        ),
    )
    return [
        (AgreementState.TERMINATED, and_(a.terminated_on.is_not(None), a.terminated_on <= today)),
        (AgreementState.DRAFT, a.signed_on.is_(None)),
        (AgreementState.RENEWED, and_(a.renewed_by_id.is_not(None), or_(a.expires_on.is_(None), lapsed))),
        (AgreementState.EXPIRED, lapsed),
        (AgreementState.UPCOMING, and_(a.effective_on.is_not(None), a.effective_on > today)),
        (AgreementState.EXPIRING, expiring),
        (AgreementState.ACTIVE, true()),
    ]


def state_condition(state: AgreementState, today: date, horizon: timedelta = EXPIRING_HORIZON) -> ColumnElement[bool]:
    """A WHERE clause true exactly for the agreements whose `state_on(today)` is `state`."""
    earlier: list[ColumnElement[bool]] = []
    for candidate, condition in _ordered_conditions(today, horizon):
        if candidate is state:
            return and_(condition, *(not_(c) for c in earlier))
        earlier.append(condition)
    raise ValueError(state)


def in_force_condition(today: date) -> ColumnElement[bool]:
    """Signed and not ended: upcoming, active or expiring."""
    return or_(*(state_condition(s, today) for s in IN_FORCE))


IN_FORCE = (AgreementState.UPCOMING, AgreementState.ACTIVE, AgreementState.EXPIRING)


def state_column(today: date, horizon: timedelta = EXPIRING_HORIZON) -> ColumnElement[str]:
    """The state as a SQL value (CASE tries the tests in state_on's order)."""
    conditions = _ordered_conditions(today, horizon)
    return case(*[(condition, state.value) for state, condition in conditions[:-1]], else_=conditions[-1][0].value)


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
        stmt = stmt.where(state_condition(state, today))
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


def dashboard(today: date) -> Dashboard:
    """Counts by state, agreements expiring within 30/60/90 days, ended ones with no renewal, and
    products with no agreement in force. A fixed number of queries whatever the number of rows."""
    inner = select(state_column(today).label("state")).subquery()
    counts = {state: 0 for state in AgreementState}
    for value, number in db.session.execute(select(inner.c.state, func.count()).group_by(inner.c.state)):
        counts[AgreementState(value)] = number
    board = Dashboard(today=today, counts=counts)

    loaded = (joinedload(Agreement.vendor), selectinload(Agreement.products))
    board.expiring = {days: [] for days in DASHBOARD_BUCKETS}
    rows = db.session.scalars(
        select(Agreement).where(state_condition(AgreementState.EXPIRING, today)).options(*loaded)
    ).unique()
    expiring = []
    for agreement in rows:
        ends_on = agreement.term_ends_on(today)
        expiring.append(ExpiringAgreement(agreement, ends_on, (ends_on - today).days))
    for row in sorted(expiring, key=lambda r: (r.ends_on, r.agreement.vendor.name)):
        bucket = next(days for days in DASHBOARD_BUCKETS if row.days_left <= days)
        board.expiring[bucket].append(row)

    ended = or_(state_condition(AgreementState.EXPIRED, today), state_condition(AgreementState.TERMINATED, today))
    board.ended_total = db.session.scalar(select(func.count()).select_from(Agreement).where(ended))
    board.ended = list(
        db.session.scalars(
            select(Agreement)
            .where(ended)
            .options(*loaded)
            .order_by(func.coalesce(Agreement.terminated_on, Agreement.expires_on).desc(), Agreement.id.desc())
            .limit(DASHBOARD_LIST_LIMIT)
        ).unique()
    )

    covered = exists(
        select(agreement_product.c.product_id)
        .join(Agreement, Agreement.id == agreement_product.c.agreement_id)
        .where(agreement_product.c.product_id == Product.id, in_force_condition(today))
    )
    needs_agreement = and_(not_(covered), Product.status.not_in([ProductStatus.RETIRED, ProductStatus.NOT_APPROVED]))
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
