"""The state on a day known in Python (`state_on_day_sql`, `state_in_on_day`) and its rank
(`agreements.status.rank_on_day_sql`, the reports' status counts), folded from the model's answers,
agree with the model (`Agreement.state_on`), and so does every value of the directory's
agreement filter with the products' standing (`agreements.status.standing`).

The agreements end on every day of a leap year long past (auto-renewing and not: each month and day's
next anniversary) and on every day from October 2026 to March 2029; a sample of them are also
terminated, unsigned, on file without dates, renewed, not yet in effect or open-ended. The days asked
about run day by day across the edges: the horizon's last day reaching the end of February (29
February 2028, 28 February otherwise), the turn of the year, 29 February itself, a termination day.
"""

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from clearinghouse.agreements.models import EXPIRING_HORIZON, Agreement, AgreementState
from clearinghouse.agreements.state import state_in_on_day, state_on_day_sql
from clearinghouse.agreements.status import (
    _RANKS,
    ProductAgreementStatus,
    kept_status_counts,
    rank_on_day_sql,
    standing,
)
from clearinghouse.directory.models import Product, StatedAgreementStatus
from clearinghouse.directory.queries import AgreementFilter, agreement_filter_ids, listed_clause
from clearinghouse.extensions import db
from tests import factories
from tests.conftest import in_app


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


DAYS = [
    *_days(date(2026, 5, 30), date(2026, 6, 2)),
    *_days(date(2026, 11, 24), date(2026, 12, 3)),  # the horizon reaches 28 February 2027
    *_days(date(2027, 2, 26), date(2027, 3, 2)),
    *_days(date(2027, 5, 30), date(2027, 6, 2)),  # the sample's termination day
    *_days(date(2027, 11, 25), date(2027, 12, 3)),  # the horizon reaches 29 February 2028
    *_days(date(2027, 12, 29), date(2028, 1, 3)),  # the turn of the year
    *_days(date(2028, 2, 26), date(2028, 3, 2)),  # 29 February itself
    *_days(date(2028, 11, 29), date(2028, 12, 2)),
    date(2029, 1, 1),
]
HORIZONS = (EXPIRING_HORIZON, timedelta(days=0), timedelta(days=30), timedelta(days=400))
SIGNED = date(2023, 1, 1)
TERMINATED = date(2027, 6, 1)
LATER_EFFECTIVE = date(2027, 12, 1)

# (name, fields) of the sampled variants, every 13th end date.
VARIANTS = (
    ("terminated", {"terminated_on": TERMINATED}),
    ("unsigned", {"signed_on": None}),
    ("on file", {"signed_on": None, "effective_on": None, "dates_recorded": False}),
    ("not yet in effect", {"effective_on": LATER_EFFECTIVE}),
    ("no effective date", {"effective_on": None}),
    ("renewed", {"renewed": True}),
)


def _agreement_fields() -> list[dict]:
    ends = [*_days(date(2024, 1, 1), date(2024, 12, 31)), *_days(date(2026, 10, 1), date(2029, 3, 31))]
    fields = [{"expires_on": end, "auto_renews": auto_renews} for end in ends for auto_renews in (False, True)]
    for auto_renews in (False, True):  # open-ended
        fields.append({"expires_on": None, "auto_renews": auto_renews})
        for _, variant in VARIANTS:
            fields.append({"expires_on": None, "auto_renews": auto_renews, **variant})
    for n, end in enumerate(ends[::13]):
        for _, variant in VARIANTS:
            fields.append({"expires_on": end, "auto_renews": n % 2 == 0, **variant})
    return fields


def _make_agreements(vendor) -> list[Agreement]:
    """One agreement for each of `_agreement_fields`, each renewed one with its own successor."""
    made = []
    for i, fields in enumerate(_agreement_fields()):
        fields = dict(fields)
        renewed = fields.pop("renewed", False)
        fields.setdefault("signed_on", SIGNED)
        fields.setdefault("effective_on", SIGNED)
        agreement = Agreement(vendor_id=vendor.id, reference=f"A {i}", **fields)
        if renewed:
            agreement.renewed_by = Agreement(
                vendor_id=vendor.id, reference=f"A {i}, renewed", signed_on=SIGNED, effective_on=SIGNED
            )
        made.append(agreement)
    db.session.add_all(made)
    db.session.commit()
    return made


def test_the_state_on_a_day_agrees_with_the_model(app):
    with in_app(app):
        _make_agreements(factories.make_vendor())
        agreements = db.session.scalars(select(Agreement)).all()
        mismatches, reached = [], set()
        for day in DAYS:
            states = list(AgreementState)
            columns = [
                *(state_on_day_sql(Agreement, day, horizon) for horizon in HORIZONS),
                *(state_in_on_day(Agreement, day, [state]) for state in states),
                state_in_on_day(Agreement, day, [AgreementState.ACTIVE, AgreementState.EXPIRING]),
                rank_on_day_sql(Agreement, day),
            ]
            rows = {row[0]: row[1:] for row in db.session.execute(select(Agreement.id, *columns))}
            assert len(rows) == len(agreements)
            for agreement in agreements:
                found = rows[agreement.id]
                by_horizon = tuple(agreement.state_on(day, horizon).value for horizon in HORIZONS)
                state = agreement.state_on(day)
                expected = (
                    *by_horizon,
                    *(state is each for each in states),
                    state in (AgreementState.ACTIVE, AgreementState.EXPIRING),
                    _RANKS[state],
                )
                found = (*found[: len(HORIZONS)], *(bool(value) for value in found[len(HORIZONS) : -1]), found[-1])
                if found != expected:
                    mismatches.append((day, agreement.expires_on, agreement.auto_renews, found, expected))
                reached.add(state)
    assert mismatches[:3] == []
    assert reached == set(AgreementState)


# What each filter value asks of a product's standing (`agreements.status.standing`).
SIGNED_FILTERS = {
    AgreementFilter.ACTIVE: AgreementState.ACTIVE,
    AgreementFilter.OPEN_ENDED: AgreementState.ACTIVE,
    AgreementFilter.EXPIRING: AgreementState.EXPIRING,
    AgreementFilter.UPCOMING: AgreementState.UPCOMING,
    AgreementFilter.EXPIRED: AgreementState.EXPIRED,
    AgreementFilter.TERMINATED: AgreementState.TERMINATED,
    AgreementFilter.RENEWED: AgreementState.RENEWED,
}


def _matches(value: AgreementFilter, found) -> bool:
    if value in SIGNED_FILTERS:
        if found.status is not ProductAgreementStatus.SIGNED or found.state is not SIGNED_FILTERS[value]:
            return False
        return value is not AgreementFilter.OPEN_ENDED or found.agreement.expires_on is None
    if value is AgreementFilter.NONE:
        return found.status is ProductAgreementStatus.NONE_ON_FILE
    return found.status is ProductAgreementStatus(value.value)


STATED = list(StatedAgreementStatus)


@pytest.fixture
def filtered_products(app) -> list[int]:
    """Products with one agreement each (every 16th of `_agreement_fields` and a third of the renewed ones),
    products with two (pairs of others), and products with none; their stated statuses in turn."""
    with in_app(app):
        vendor = factories.make_vendor()
        agreements = _make_agreements(vendor)
        renewed = [agreement for agreement in agreements if agreement.renewed_by_id is not None]
        sole = list(dict.fromkeys([*agreements[::16], *renewed[::3]]))
        first, second = agreements[1::16], agreements[9::16]
        products = [
            factories.make_product(vendor, agreement_status=STATED[n % len(STATED)])
            for n in range(len(sole) + len(second) + 8)
        ]
        for product, agreement in zip(products, sole, strict=False):
            agreement.products.append(product)
            if agreement.renewed_by_id is not None:  # a stated status would outrank its ended agreement
                product.agreement_status = StatedAgreementStatus.NONE_ON_FILE
        for product, one, other in zip(products[len(sole) :], first, second, strict=False):
            one.products.append(product)
            other.products.append(product)
        db.session.commit()
        return [product.id for product in products]


def test_each_agreement_filter_finds_the_products_whose_standing_it_names(app, filtered_products):
    with in_app(app):
        products = db.session.scalars(select(Product).options(selectinload(Product.agreements))).all()
        assert len(products) == len(filtered_products)
        reached, mismatches = set(), []
        for day in DAYS[::3]:
            standings = {product.id: standing(product, day) for product in products}
            for value in AgreementFilter:
                found = set(db.session.scalars(select(agreement_filter_ids(value, day).subquery().c.id)))
                expected = {product_id for product_id, each in standings.items() if _matches(value, each)}
                if found != expected:
                    mismatches.append((day, value, sorted(found - expected)[:3], sorted(expected - found)[:3]))
                if expected:
                    reached.add(value)
    assert mismatches[:3] == []
    assert reached == set(AgreementFilter), Counter((each.status, each.state) for each in standings.values())


def test_the_reports_status_counts_count_each_products_standing(app, filtered_products):
    """`kept_status_counts` (the reports' "Products by agreement status", from the kept groups and the
    rank folded for the day) counts each product by its standing, day by day across the edges."""
    with in_app(app):
        products = db.session.scalars(select(Product).options(selectinload(Product.agreements))).all()
        mismatches, reached = [], set()
        for day in DAYS:
            expected = Counter(standing(product, day).status.value for product in products)
            found = dict(db.session.execute(kept_status_counts(day, listed_clause())).tuples().all())
            if {status: count for status, count in found.items() if count} != expected:
                mismatches.append((day, found, expected))
            reached.update(expected)
    assert mismatches[:3] == []
    assert reached == {status.value for status in ProductAgreementStatus}
