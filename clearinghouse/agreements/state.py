"""An agreement's derived dates and state in SQL: the twin of `Agreement.term_ends_on`, `renews_on`,
`ended_on` and `state_on`, written step for step like them so that a reader can check one against the other.

Every query that filters, counts or sorts agreements by state or by the end of their term calls
these (the directory, the staff dashboard and lists, the reports, the API, the daily sweep);
none writes its own copy. `tests/agreements/test_state_sql.py` compares them with the model's
rules for every day of three years, leap-day anniversaries included, on SQLite and PostgreSQL.

`agreement` is the Agreement class, an alias of it, or anything with the same column attributes
(a subquery's `.c`). `today` is a date, or a SQL expression of dates (a column of a table of
days, so that one query can ask about many days at once).
"""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    extract,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement, Subquery

from clearinghouse.agreements.models import EXPIRING_HORIZON, IN_FORCE_STATES, AgreementState, agreement_term_count


class _DateFromParts(FunctionElement):
    """A date from integer year, month and day: PostgreSQL's make_date, built as ISO text on SQLite
    (where SQLAlchemy stores dates as 'YYYY-MM-DD', so the two compare as dates)."""

    type = Date()
    inherit_cache = True
    name = "date_from_parts"


@compiles(_DateFromParts)
def _date_from_parts(element: _DateFromParts, compiler: Any, **kw: Any) -> str:
    return f"make_date({compiler.process(element.clauses, **kw)})"


@compiles(_DateFromParts, "sqlite")
def _date_from_parts_sqlite(element: _DateFromParts, compiler: Any, **kw: Any) -> str:
    year, month, day = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"printf('%04d-%02d-%02d', {year}, {month}, {day})"


class _DaysBetween(FunctionElement):
    """How many days `later` is after `earlier` (negative when it is before)."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(_DaysBetween)
def _days_between(element: _DaysBetween, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({later} - {earlier})"


@compiles(_DaysBetween, "sqlite")
def _days_between_sqlite(element: _DaysBetween, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _as_sql(today: date | ColumnElement) -> ColumnElement:
    """The day as SQL: one parameter, which every use of it in an expression shares."""
    return today if isinstance(today, ColumnElement) else literal(today, Date)


def constant(value: int | str) -> ColumnElement:
    """A constant of the code (a month, a rank, a state's value) written into the SQL text, not sent as a
    parameter: the state expression repeats dozens of them, a statement that asks for the state of an
    agreement and of its rivals held 122 parameters in 55,000 characters, and each one lengthened what
    PostgreSQL parses and plans and psycopg scans on every execution (issue 14)."""
    if isinstance(value, str):
        if "'" in value or "\\" in value:
            raise ValueError(f"Not a plain constant: {value!r}")
        return literal_column(f"'{value}'", String)
    return literal_column(str(int(value)), Integer)


def _part(part: str, day: ColumnElement) -> ColumnElement[int]:
    return cast(extract(part, day), Integer)


def _anniversary(day: ColumnElement, year: ColumnElement[int]) -> ColumnElement[date]:
    """`models._add_years`: the same month and day in `year`; 29 February is the 28th in other years."""
    month, day_of_month = _part("month", day), _part("day", day)
    zero = constant(0)
    is_leap = and_(year % constant(4) == zero, or_(year % constant(100) != zero, year % constant(400) == zero))
    day_in_year = case(
        (and_(month == constant(2), day_of_month == constant(29), ~is_leap), constant(28)), else_=day_of_month
    )
    return _DateFromParts(year, month, day_in_year)


def days_between(later: date | ColumnElement, earlier: date | ColumnElement) -> ColumnElement[int]:
    """`(later - earlier).days` in SQL."""
    return _DaysBetween(_as_sql(later), _as_sql(earlier))


def term_ends_on_sql(agreement: Any, today: date | ColumnElement) -> ColumnElement[date]:
    """`Agreement.term_ends_on(today)`: the last day of the current term; NULL when open-ended."""
    today = _as_sql(today)
    year = _part("year", today)
    this_year = _anniversary(agreement.expires_on, year)
    next_year = _anniversary(agreement.expires_on, year + constant(1))
    rolled_on = case((this_year >= today, this_year), else_=next_year)
    return type_coerce(
        case(
            (and_(agreement.auto_renews.is_(True), agreement.expires_on < today), rolled_on),
            else_=agreement.expires_on,
        ),
        Date,
    )


def renews_on_sql(agreement: Any, today: date | ColumnElement) -> ColumnElement[date]:
    """`Agreement.renews_on(today)`: the day an auto-renewing agreement next renews; NULL when it does not."""
    today = _as_sql(today)
    end = term_ends_on_sql(agreement, today)
    renews = and_(
        agreement.auto_renews.is_(True),
        agreement.expires_on.is_not(None),
        agreement.signed_on.is_not(None),
        agreement.renewed_by_id.is_(None),
        end >= today,
        or_(agreement.terminated_on.is_(None), agreement.terminated_on > end),
    )
    return type_coerce(case((renews, end)), Date)


def ended_on_sql(agreement: Any, today: date | ColumnElement) -> ColumnElement[date]:
    """`Agreement.ended_on(today)`: the day it was terminated or lapsed; NULL while it runs."""
    today = _as_sql(today)
    end = term_ends_on_sql(agreement, today)
    return type_coerce(
        case(
            (agreement.terminated_on <= today, agreement.terminated_on),
            (end < today, end),
        ),
        Date,
    )


def state_sql(agreement: Any, today: date | ColumnElement, horizon: timedelta = EXPIRING_HORIZON) -> ColumnElement[str]:
    """`Agreement.state_on(today, horizon)`: the state's value ("active", "expiring", …).

    A CASE tries the states in the order `state_on` does, so the first that holds wins; a test
    on a NULL date is false, as `None` is in the model's tests.
    """
    today = _as_sql(today)
    end = term_ends_on_sql(agreement, today)
    return case(
        (agreement.terminated_on <= today, constant(AgreementState.TERMINATED.value)),
        (agreement.dates_recorded.is_(False), constant(AgreementState.ON_FILE.value)),
        (agreement.signed_on.is_(None), constant(AgreementState.DRAFT.value)),
        (
            and_(agreement.renewed_by_id.is_not(None), or_(end.is_(None), end < today)),
            constant(AgreementState.RENEWED.value),
        ),
        (end < today, constant(AgreementState.EXPIRED.value)),
        (agreement.effective_on > today, constant(AgreementState.UPCOMING.value)),
        (days_between(end, today) <= constant(horizon.days), constant(AgreementState.EXPIRING.value)),
        else_=constant(AgreementState.ACTIVE.value),
    )


def ended_without_renewal_sql(agreement: Any, today: date | ColumnElement) -> ColumnElement[bool]:
    """`Agreement.ended_without_renewal_on(today)`: expired or terminated, signed, with no successor."""
    ended = state_in(agreement, today, (AgreementState.EXPIRED, AgreementState.TERMINATED))
    return and_(ended, agreement.signed_on.is_not(None), agreement.renewed_by_id.is_(None))


def state_in(
    agreement: Any, today: date | ColumnElement, states: tuple[AgreementState, ...] | list[AgreementState]
) -> ColumnElement[bool]:
    """A WHERE clause: the agreement's state on `today` is one of `states`."""
    return state_sql(agreement, today).in_([constant(state.value) for state in states])


def _kept_terms() -> Subquery:
    """The agreements' kept groups (`agreement_term_count`) as rows `state_sql` can read: a group's
    `signed_on` and `renewed_by_id` are set when its agreements' are, which is all the state asks of them."""
    groups = agreement_term_count.c
    return (
        select(
            groups.effective_on,
            groups.expires_on,
            groups.auto_renews,
            groups.terminated_on,
            groups.dates_recorded,
            case((groups.is_signed, constant(1))).label("signed_on"),
            case((groups.is_renewed, constant(1))).label("renewed_by_id"),
            groups.agreement_count,
        )
        .where(groups.agreement_count > 0)
        .subquery("term_group")
    )


KEPT_TERMS = _kept_terms()
# The statements below are built once, the day a parameter: the state expression is a large tree.
KEPT_DAY = bindparam("kept_day", type_=Date)


def _kept_state_counts() -> Select:
    states = select(state_sql(KEPT_TERMS.c, KEPT_DAY).label("state"), KEPT_TERMS.c.agreement_count).subquery()
    return select(states.c.state, cast(func.sum(states.c.agreement_count), Integer)).group_by(states.c.state)


# (state, count) of every agreement on the day `kept_day`, from the kept groups: a group's state is
# derived by `state_sql`, the one rule, once per distinct set of dates instead of once per agreement
# (2,188 groups for the bench's 9,800 agreements; a district's agreements share their dates more).
KEPT_STATE_COUNTS = _kept_state_counts()
# How many agreements are in force on the day `kept_day` (a scalar subquery), from the same groups.
KEPT_IN_FORCE_COUNT = (
    select(func.coalesce(func.sum(KEPT_TERMS.c.agreement_count), constant(0)))
    .where(state_in(KEPT_TERMS.c, KEPT_DAY, IN_FORCE_STATES))
    .scalar_subquery()
)
