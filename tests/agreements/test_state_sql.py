"""The SQL twin of an agreement's state and dates agrees with the model on every day of three years.

One query asks about every day at once: a table of 1,096 days (2026 to 2028, leap day included)
joined to every agreement below, with the state for several horizons, the end of the term and
the day it ended as columns.
"""

from datetime import date, timedelta

import pytest
from sqlalchemy import Date, column, select, true, values
from sqlalchemy.dialects import postgresql, sqlite

from clearinghouse.agreements.models import EXPIRING_HORIZON, Agreement, AgreementState
from clearinghouse.agreements.state import (
    constant,
    days_between,
    ended_on_sql,
    renews_on_sql,
    state_in,
    state_sql,
    term_ends_on_sql,
)
from clearinghouse.agreements.status import record_agreement_in
from clearinghouse.extensions import db
from tests import factories
from tests.conftest import count_queries, in_app

FIRST_DAY, LAST_DAY = date(2026, 1, 1), date(2028, 12, 31)
DAYS = [FIRST_DAY + timedelta(days=n) for n in range((LAST_DAY - FIRST_DAY).days + 1)]
HORIZONS = (EXPIRING_HORIZON, timedelta(days=0), timedelta(days=30), timedelta(days=400))

# Each entry: the agreement's dates and flags; "renewed" gives it a successor.
CASES = {
    "draft": {"signed_on": None, "effective_on": None, "expires_on": None},
    "on file, dates not recorded": {
        "signed_on": None,
        "effective_on": None,
        "expires_on": None,
        "dates_recorded": False,
    },
    "draft with an end date": {"signed_on": None, "effective_on": None, "expires_on": date(2027, 1, 1)},
    "upcoming, then active": {
        "signed_on": date(2025, 1, 10),
        "effective_on": date(2026, 9, 1),
        "expires_on": date(2029, 8, 31),
    },
    "upcoming, then expiring at once": {"effective_on": date(2026, 3, 1), "expires_on": date(2026, 4, 15)},
    "no effective date": {"effective_on": None, "expires_on": date(2026, 2, 1)},
    "open-ended": {"expires_on": None},
    "lapses mid-range": {"expires_on": date(2026, 6, 30)},
    "lapses on a leap day": {"expires_on": date(2028, 2, 29)},
    "lapses on 28 February": {"expires_on": date(2027, 2, 28)},
    # The example: the term ends on 28 February 2027 and 2029, 29 February 2028.
    "auto-renews from a leap day": {"expires_on": date(2024, 2, 29), "auto_renews": True},
    "auto-renews, first term ends on a leap day": {"expires_on": date(2028, 2, 29), "auto_renews": True},
    "auto-renews from 28 February": {"expires_on": date(2025, 2, 28), "auto_renews": True},
    "auto-renews from 1 March": {"expires_on": date(2025, 3, 1), "auto_renews": True},
    "auto-renews from 31 December": {"expires_on": date(2024, 12, 31), "auto_renews": True},
    "auto-renews from 1 January": {"expires_on": date(2025, 1, 1), "auto_renews": True},
    "auto-renews after the range": {"expires_on": date(2029, 12, 31), "auto_renews": True},
    "terminated before the range": {"expires_on": date(2026, 3, 31), "terminated_on": date(2025, 11, 15)},
    "terminated mid-range": {"expires_on": date(2028, 3, 31), "terminated_on": date(2027, 5, 5)},
    "terminated on a leap day": {"expires_on": date(2028, 6, 30), "terminated_on": date(2028, 2, 29)},
    "auto-renewing, terminated": {
        "expires_on": date(2024, 2, 29),
        "auto_renews": True,
        "terminated_on": date(2027, 10, 1),
    },
    "terminated draft": {"signed_on": None, "expires_on": date(2027, 1, 1), "terminated_on": date(2026, 1, 1)},
    "renewed": {"expires_on": date(2026, 6, 30), "renewed": True},
    "renewed, open-ended": {"expires_on": None, "renewed": True},
    "renewed, auto-renewing": {"expires_on": date(2026, 6, 30), "auto_renews": True, "renewed": True},
    "renewed on a leap day": {"expires_on": date(2028, 2, 29), "renewed": True},
    "renewed, then terminated": {"expires_on": date(2027, 6, 30), "terminated_on": date(2027, 3, 1), "renewed": True},
}


def _build() -> dict[int, str]:
    vendor = factories.make_vendor()
    names = {}
    for name, fields in CASES.items():
        fields = dict(fields)
        renewed = fields.pop("renewed", False)
        agreement = factories.make_agreement(vendor, [], **fields)
        if renewed:
            successor = factories.make_agreement(
                vendor, [], effective_on=date(2026, 7, 1), expires_on=date(2031, 6, 30)
            )
            names[successor.id] = f"successor of {name}"
            agreement.renewed_by_id = successor.id
            db.session.commit()
        names[agreement.id] = name
    return names


def test_sql_state_and_dates_agree_with_the_model_on_every_day_of_three_years(app):
    with in_app(app):
        names = _build()
        agreements = {a.id: a for a in db.session.scalars(select(Agreement))}
        days = values(column("day", Date), name="days").data([(day,) for day in DAYS]).cte("days")
        stmt = (
            select(
                days.c.day,
                Agreement.id,
                term_ends_on_sql(Agreement, days.c.day),
                ended_on_sql(Agreement, days.c.day),
                renews_on_sql(Agreement, days.c.day),
                *(state_sql(Agreement, days.c.day, horizon) for horizon in HORIZONS),
            )
            .select_from(days)
            .join(Agreement, true())
        )
        with count_queries(app) as statements:
            rows = db.session.execute(stmt).all()
        assert len(statements) == 1
    assert len(rows) == len(DAYS) * len(agreements)
    mismatches = []
    reached: set[AgreementState] = set()
    renewing = set()
    for day, agreement_id, term_end, ended_on, renews_on, *states in rows:
        agreement = agreements[agreement_id]
        expected = (
            agreement.term_ends_on(day),
            agreement.ended_on(day),
            agreement.renews_on(day),
            *(agreement.state_on(day, horizon).value for horizon in HORIZONS),
        )
        if (term_end, ended_on, renews_on, *states) != expected:
            mismatches.append((day, names[agreement_id], (term_end, ended_on, renews_on, *states), expected))
        if renews_on is not None:
            renewing.add(names[agreement_id])
        reached.add(AgreementState(states[0]))
    assert mismatches[:5] == []
    assert reached == set(AgreementState)
    # Every auto-renewing case renews on some day, but the renewed one (its successor takes over).
    assert renewing == {name for name, fields in CASES.items() if fields.get("auto_renews")} - {
        "renewed, auto-renewing"
    }


def test_an_auto_renewing_leap_day_agreement_is_expiring_before_each_28_february(app):
    # The case: the staff dashboard said "active" on these days; the model says "expiring".
    with in_app(app):
        agreement = factories.make_agreement(
            factories.make_vendor(), [], expires_on=date(2024, 2, 29), auto_renews=True
        )
        for day, ends_on in ((date(2026, 11, 30), date(2027, 2, 28)), (date(2028, 11, 30), date(2029, 2, 28))):
            row = db.session.execute(
                select(state_sql(Agreement, day), term_ends_on_sql(Agreement, day), days_between(ends_on, day)).where(
                    Agreement.id == agreement.id
                )
            ).one()
            assert agreement.state_on(day) is AgreementState.EXPIRING
            assert tuple(row) == ("expiring", ends_on, 90)


def test_an_auto_renewing_agreement_names_its_next_renewal_not_a_past_end_date():
    # The case: "Active" next to "Ends September 26, 2025", read in November 2026.
    agreement = Agreement(
        signed_on=date(2024, 9, 1), effective_on=date(2024, 9, 27), expires_on=date(2025, 9, 26), auto_renews=True
    )
    today = date(2026, 11, 26)
    assert agreement.state_on(today) is AgreementState.ACTIVE
    assert agreement.renews_on(today) == date(2027, 9, 26)
    assert agreement.renews_on(date(2027, 9, 26)) == date(2027, 9, 26)
    assert agreement.renews_on(date(2027, 9, 27)) == date(2028, 9, 26)
    agreement.terminated_on = date(2027, 6, 1)  # to be ended before it would renew
    assert agreement.renews_on(today) is None
    agreement.terminated_on = None
    agreement.auto_renews = False
    assert agreement.renews_on(date(2025, 1, 1)) is None


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect()], ids=["postgresql", "sqlite"])
def test_the_state_expression_sends_the_day_alone_as_a_parameter(dialect):
    """Its constants are written in the SQL text: one parameter per day asked about, not 122 (issue 14)."""
    day = date(2026, 11, 26)
    compiled = select(Agreement.id).where(state_in(Agreement, day, [AgreementState.EXPIRING])).compile(dialect=dialect)
    assert list(compiled.params.values()) == [day]
    # The directory's filter knows its day: the day's dates are written into its statement, built once a day.
    compiled = record_agreement_in([AgreementState.EXPIRED], day).compile(dialect=dialect)
    assert list(compiled.params.values()) == []
    assert f"'{day.isoformat()}'" in str(compiled)


def test_a_constant_is_never_text_that_could_end_its_quotes():
    assert str(constant("expiring")) == "'expiring'"
    assert str(constant(90)) == "90"
    with pytest.raises(ValueError, match="Not a plain constant"):
        constant("it's")
