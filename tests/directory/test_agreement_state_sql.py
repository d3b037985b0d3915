"""The agreement-state filter is computed in SQL; it must agree with Agreement.state_on on every date."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from clearinghouse.agreements.models import EXPIRING_HORIZON, Agreement, AgreementState
from clearinghouse.directory.queries import agreement_state_sql
from clearinghouse.extensions import db
from tests import factories
from tests.conftest import in_app

# Dates to ask about: weekly over three years, plus the edges around leap days, year ends and expiries.
DAYS = sorted(
    {date(2025, 1, 1) + timedelta(days=n) for n in range(0, 3 * 366, 9)}
    | {date(2025, 12, 1) + timedelta(days=n) for n in range(0, 100)}
    | {date(y, m, d) for y in (2026, 2027, 2028) for m, d in ((2, 27), (2, 28), (3, 1), (12, 31), (1, 1), (7, 1))}
    | {date(2028, 2, 29), date(2027, 11, 30), date(2027, 12, 1)}
)

# Each entry: the agreement's dates and flags; "renewed" gives it a successor.
CASES = [
    {"signed_on": None, "effective_on": None, "expires_on": None},  # draft
    {"signed_on": date(2025, 1, 10), "effective_on": date(2026, 9, 1), "expires_on": date(2029, 8, 31)},  # upcoming
    {"expires_on": None},  # open-ended
    {"expires_on": date(2026, 6, 30)},  # lapses in the middle of the range
    {"expires_on": date(2027, 1, 15)},
    {"expires_on": date(2025, 3, 1), "auto_renews": True},  # rolls on each 1 March
    {"expires_on": date(2024, 2, 29), "auto_renews": True},  # leap-day anniversary: 28 Feb in other years
    {"expires_on": date(2024, 12, 31), "auto_renews": True},
    {"expires_on": date(2025, 1, 1), "auto_renews": True},
    {"expires_on": date(2028, 12, 31), "auto_renews": True},  # not yet past its first end
    {"expires_on": date(2026, 3, 31), "terminated_on": date(2025, 11, 15)},
    {"expires_on": date(2028, 3, 31), "terminated_on": date(2027, 5, 5)},  # terminated later in the range
    {"signed_on": None, "expires_on": date(2027, 1, 1), "terminated_on": date(2026, 1, 1)},
    {"expires_on": date(2026, 6, 30), "renewed": True},
    {"expires_on": None, "renewed": True},
    {"expires_on": date(2026, 6, 30), "auto_renews": True, "renewed": True},
    {"effective_on": None, "expires_on": date(2026, 2, 1)},
    {"effective_on": date(2026, 1, 1), "expires_on": date(2026, 2, 15)},  # upcoming, then expiring at once
]


def _build(cases: list[dict]) -> None:
    vendor = factories.make_vendor()
    for case in cases:
        case = dict(case)
        renewed = case.pop("renewed", False)
        agreement = factories.make_agreement(vendor, [], **case)
        if renewed:
            successor = factories.make_agreement(
                vendor, [], effective_on=date(2026, 7, 1), expires_on=date(2029, 6, 30)
            )
            agreement.renewed_by_id = successor.id
            db.session.commit()


@pytest.mark.parametrize("horizon", [EXPIRING_HORIZON, timedelta(days=1), timedelta(days=30), timedelta(days=400)])
def test_sql_state_agrees_with_state_on_for_every_agreement_and_day(app, horizon):
    with in_app(app):
        _build(CASES)
        agreements = db.session.scalars(select(Agreement)).all()
        seen: set[AgreementState] = set()
        mismatches = []
        for today in DAYS:
            stmt = select(Agreement.id, agreement_state_sql(Agreement, today, horizon))
            rows = dict(db.session.execute(stmt).tuples().all())
            for agreement in agreements:
                expected = agreement.state_on(today, horizon)
                seen.add(expected)
                if rows[agreement.id] != expected.value:
                    mismatches.append((today, agreement.id, expected.value, rows[agreement.id]))
    assert mismatches == []
    if horizon == EXPIRING_HORIZON:
        assert seen == set(AgreementState)  # every state was exercised


def test_leap_day_anniversary_is_expiring_on_the_28th_window_edge(app):
    # 29 Feb 2024, auto-renewing: in 2027 its term ends on 28 Feb, exactly 89 days after 1 Dec 2026.
    with in_app(app):
        vendor = factories.make_vendor()
        agreement = factories.make_agreement(vendor, [], expires_on=date(2024, 2, 29), auto_renews=True)
        today = date(2026, 12, 1)
        sql_state = db.session.scalar(select(agreement_state_sql(Agreement, today)).where(Agreement.id == agreement.id))
        assert agreement.state_on(today) is AgreementState.EXPIRING
        assert sql_state == "expiring"
        day_after = date(2027, 3, 1)
        later = db.session.scalar(select(agreement_state_sql(Agreement, day_after)).where(Agreement.id == agreement.id))
        assert later == agreement.state_on(day_after).value == "active"
