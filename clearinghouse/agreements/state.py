"""An agreement's derived dates and state in SQL: the twin of `Agreement.term_ends_on`, `renews_on`,
`ended_on` and `state_on`, written step for step like them so that a reader can check one against the other.

Every query that filters, counts or sorts agreements by state or by the end of their term calls
these (the directory, the staff dashboard and lists, the reports, the API, the daily sweep);
none writes its own copy. `tests/agreements/test_state_sql.py` compares them with the model's
rules for every day of three years, leap-day anniversaries included, on SQLite and PostgreSQL.
For a day known in Python, `state_in_on_day`, `state_on_day_sql` and `value_on_day_sql` (at the end)
fold the model's own answers into a few comparisons with that day's dates instead.

`agreement` is the Agreement class, an alias of it, or anything with the same column attributes
(a subquery's `.c`). `today` is a date, or a SQL expression of dates (a column of a table of
days, so that one query can ask about many days at once).
"""

from calendar import isleap
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from functools import lru_cache
from itertools import product
from typing import Any, NamedTuple

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

from clearinghouse.agreements.models import (
    EXPIRING_HORIZON,
    IN_FORCE_STATES,
    Agreement,
    AgreementState,
    agreement_term_count,
)


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


def term_key_sql(agreement: Any) -> ColumnElement[str]:
    """The name of the agreement's term group (`agreement_term_count.term_key`): the columns its state is
    derived from in one text, empty for a date not set, '1' or '0' for a flag, joined by '|'.

    The triggers write the same text (`_term_key` of migration 20261126_headline_counts, which code cannot
    import); `kept_counts_check` counts the groups from scratch with this one and reports any group the
    triggers named otherwise."""
    parts = [
        func.coalesce(cast(agreement.effective_on, String), constant("")),
        func.coalesce(cast(agreement.expires_on, String), constant("")),
        _flag(agreement.auto_renews),
        func.coalesce(cast(agreement.terminated_on, String), constant("")),
        _flag(agreement.dates_recorded),
        _flag(agreement.signed_on.is_not(None)),
        _flag(agreement.renewed_by_id.is_not(None)),
    ]
    key = parts[0]
    for part in parts[1:]:
        key = key + constant("|") + part
    return key


def _flag(condition: ColumnElement[bool]) -> ColumnElement[str]:
    return case((condition, constant("1")), else_=constant("0"))


def _kept_terms() -> Subquery:
    """The agreements' kept groups (`agreement_term_count`) as rows `state_sql` can read: a group's
    `signed_on` and `renewed_by_id` are set when its agreements' are, which is all the state asks of them;
    `term_key` names the group (`agreement_term_standing_count` counts products by it)."""
    groups = agreement_term_count.c
    return (
        select(
            groups.term_key,
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


@lru_cache(maxsize=4)
def kept_state_counts(today: date) -> Select:
    """(state, count) of every agreement on `today`, from the kept groups: a group's state is derived by
    `state_on_day_sql` (the rule's answers for the day), once per distinct set of dates instead of once per
    agreement (2,188 groups for the bench's 9,800 agreements; a district's agreements share their dates
    more). Built once a day: `state_sql` with the day a parameter took PostgreSQL about twice as long to
    plan and run (the reports ask on every request)."""
    states = select(state_on_day_sql(KEPT_TERMS.c, today).label("state"), KEPT_TERMS.c.agreement_count).subquery()
    return select(states.c.state, cast(func.sum(states.c.agreement_count), Integer)).group_by(states.c.state)


# How many agreements are in force on the day `kept_day` (a scalar subquery), from the same groups.
KEPT_IN_FORCE_COUNT = (
    select(func.coalesce(func.sum(KEPT_TERMS.c.agreement_count), constant(0)))
    .where(state_in(KEPT_TERMS.c, KEPT_DAY, IN_FORCE_STATES))
    .scalar_subquery()
)


# --- The state on one known day, from the rule's answers --------------------------------------
#
# `state_sql` writes the rule's steps in SQL so that it holds for any day, even a column of days; it
# is 18,000 characters once a product's rivals are ranked, and PostgreSQL spent milliseconds planning
# it on every directory page filtered by agreement state (issue 14). When the day is known in Python,
# the state is a function of a few facts about an agreement's columns, each a comparison with that day:
# whether it was terminated by then, its dates are recorded, it is signed, renewed, in effect yet,
# auto-renewing, and where its end date falls (none; before the day, by month and day, which is all an
# auto-renewing term's next end depends on; or on each day from the day to the horizon's end, and
# after). The model's rule (`Agreement.state_on`) is asked for the state of a made-up agreement for
# every combination of them, and the answers are folded into a small expression: a fact that changes
# no answer is not asked, runs of end dates with the same answer become one range. No step of the rule
# is written here; `tests/agreements/test_state_on_day.py` checks the expressions against the model
# for every day of three years, on SQLite and PostgreSQL.


class _Inputs:
    """An agreement's columns as plain attributes, for the model's own rule to read (without the ORM)."""

    __slots__ = (
        "auto_renews",
        "dates_recorded",
        "effective_on",
        "expires_on",
        "renewed_by_id",
        "signed_on",
        "terminated_on",
    )
    term_ends_on = Agreement.term_ends_on
    state_on = Agreement.state_on


def day_constant(day: date) -> ColumnElement[date]:
    """A date written into the SQL text ('2026-11-26'; SQLite keeps dates as that text, PostgreSQL reads
    it as a date next to a date column), as `constant` writes numbers: a statement built for one day."""
    return literal_column(f"'{day.isoformat()}'", Date)


class _Fact(NamedTuple):
    """A yes-or-no fact about an agreement on the day: the column it reads, and a value of that column
    for which it holds and one for which it does not (`_fact_sql` writes it in SQL)."""

    column: str
    when_true: Any
    when_false: Any


def _facts(today: date) -> tuple[_Fact, ...]:
    """The facts, in the order the folded expressions ask them (the rule's order, roughly)."""
    return (
        _Fact("terminated_on", today, None),
        _Fact("dates_recorded", True, False),
        _Fact("signed_on", today, None),
        _Fact("renewed_by_id", 1, None),
        _Fact("effective_on", today + timedelta(days=1), None),
        _Fact("auto_renews", True, False),
    )


def _fact_sql(agreement: Any, column: str, today: ColumnElement) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """(holds, does not hold) for the fact read from `column`: NULL-safe, each the other's complement."""
    value = getattr(agreement, column)
    if column == "terminated_on":
        return value <= today, or_(value.is_(None), value > today)
    if column == "effective_on":
        return value > today, or_(value.is_(None), value <= today)
    if column in ("dates_recorded", "auto_renews"):
        return value.is_not(False), value.is_(False)
    return value.is_not(None), value.is_(None)


def _month_days() -> list[tuple[int, int]]:
    """Every (month, day) of a leap year, in order."""
    first = date(2000, 1, 1)
    return [((first + timedelta(days=n)).month, (first + timedelta(days=n)).day) for n in range(366)]


MONTH_DAYS = _month_days()


class _Ends(NamedTuple):
    """The end dates the rule is asked about on a day, in order: none; one before the day for each
    month and day (in the last leap year before it); then each day from the day to the horizon's end
    and one more, which stands for every later day."""

    values: tuple[date | None, ...]
    today: date
    last: date


def _ends(today: date, horizon: timedelta) -> _Ends:
    leap = today.year - 1
    while not isleap(leap):
        leap -= 1
    past = [date(leap, month, day) for month, day in MONTH_DAYS]
    last = today + horizon + timedelta(days=1)
    coming = [today + timedelta(days=n) for n in range((last - today).days + 1)]
    return _Ends((None, *past, *coming), today, last)


@lru_cache(maxsize=8)
def _answers(today: date, horizon: timedelta) -> tuple[_Ends, dict[tuple[bool, ...], tuple[AgreementState, ...]]]:
    """The rule's state on `today` for each combination of the facts, for each end date of `_ends`."""
    ends = _ends(today, horizon)
    facts = _facts(today)
    inputs = _Inputs()
    answers = {}
    for combination in product((True, False), repeat=len(facts)):
        for fact, holds in zip(facts, combination, strict=True):
            setattr(inputs, fact.column, fact.when_true if holds else fact.when_false)
        states = []
        for end in ends.values:
            inputs.expires_on = end
            states.append(inputs.state_on(today, horizon))
        answers[combination] = tuple(states)
    return ends, answers


def _folded(today: date, horizon: timedelta, outcome: Callable[[AgreementState], Any]) -> Any:
    """The answers as a tree: (fact's index, tree if it holds, tree if not), or a tuple of outcomes by
    end date; a fact whose two trees are the same is not asked."""
    _, answers = _answers(today, horizon)
    count = len(_facts(today))

    def fold(asked: tuple[bool, ...]) -> Any:
        if len(asked) == count:
            return tuple(outcome(state) for state in answers[asked])
        holds, not_holds = fold((*asked, True)), fold((*asked, False))
        return holds if holds == not_holds else (len(asked), holds, not_holds)

    return fold(())


def _ends_in(agreement: Any, ends: _Ends, chosen: set[int]) -> ColumnElement[bool]:
    """The end date is one of `ends.values[i]` for i in `chosen` (the last day standing for every later
    day, a past one for every year before the day with its month and day)."""
    expires_on = agreement.expires_on
    parts: list[ColumnElement[bool]] = []
    if 0 in chosen:
        parts.append(expires_on.is_(None))
    past = [i - 1 for i in range(1, 1 + len(MONTH_DAYS)) if i in chosen]
    runs = _runs(sorted(i - 1 - len(MONTH_DAYS) for i in chosen if i > len(MONTH_DAYS)))
    if len(past) == len(MONTH_DAYS) and runs and runs[0][0] == 0:
        # Every day before the day and a run from it: one range.
        last = _coming_day(ends, runs.pop(0)[1])
        parts.append(expires_on.is_not(None) if last is None else expires_on <= day_constant(last))
    elif len(past) == len(MONTH_DAYS):
        parts.append(expires_on < day_constant(ends.today))
    elif past:
        month_day = _part("month", expires_on) * constant(100) + _part("day", expires_on)
        ranges = []
        for first, last_index in _runs(past):
            low = MONTH_DAYS[first][0] * 100 + MONTH_DAYS[first][1]
            high = MONTH_DAYS[last_index][0] * 100 + MONTH_DAYS[last_index][1]
            ranges.append(
                month_day == constant(low) if low == high else month_day.between(constant(low), constant(high))
            )
        parts.append(and_(expires_on < day_constant(ends.today), or_(*ranges)))
    for first, last_index in runs:
        low, high = _coming_day(ends, first), _coming_day(ends, last_index)
        if low is None:
            parts.append(expires_on >= day_constant(ends.last))
        elif high is None:
            parts.append(expires_on >= day_constant(low))
        elif low == high:
            parts.append(expires_on == day_constant(low))
        else:
            parts.append(expires_on.between(day_constant(low), day_constant(high)))
    return or_(*parts)


def _coming_day(ends: _Ends, index: int) -> date | None:
    """The index-th day from the day on; None for the last, which stands for every later day."""
    day = ends.today + timedelta(days=index)
    return None if day == ends.last else day


def _runs(indexes: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted indexes, as (first, last)."""
    runs: list[tuple[int, int]] = []
    for index in indexes:
        if runs and runs[-1][1] == index - 1:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


def state_in_on_day(
    agreement: Any, today: date, states: Iterable[AgreementState], horizon: timedelta = EXPIRING_HORIZON
) -> ColumnElement[bool]:
    """`state_in` for a day known in Python: the same agreements, asked with a few comparisons of their
    columns with the day's dates, folded from the rule's answers (above)."""
    wanted = frozenset(states)
    ends = _answers(today, horizon)[0]
    facts = _facts(today)
    day = day_constant(today)

    def clause(tree: Any) -> ColumnElement[bool] | bool:
        if isinstance(tree[0], bool):  # outcomes by end date
            if len(set(tree)) == 1:
                return tree[0]
            chosen = {i for i, holds in enumerate(tree) if holds}
            return _ends_in(agreement, ends, chosen)
        index, if_holds, if_not = tree
        holds, not_holds = _fact_sql(agreement, facts[index].column, day)
        parts = []
        for condition, branch in ((holds, clause(if_holds)), (not_holds, clause(if_not))):
            if branch is True:
                parts.append(condition)
            elif branch is not False:
                parts.append(and_(condition, branch))
        return or_(*parts) if parts else False

    found = clause(_folded(today, horizon, lambda state: state in wanted))
    return literal(found) if isinstance(found, bool) else found


def state_on_day_sql(agreement: Any, today: date, horizon: timedelta = EXPIRING_HORIZON) -> ColumnElement[str]:
    """`state_sql` for a day known in Python: the state's value, as a CASE folded from the rule's answers."""
    return value_on_day_sql(agreement, today, lambda state: state.value, horizon)


def value_on_day_sql(
    agreement: Any,
    today: date,
    value_of: Callable[[AgreementState], int | str],
    horizon: timedelta = EXPIRING_HORIZON,
) -> ColumnElement:
    """`value_of` the agreement's state on a day known in Python (the state's value, a rank), as a CASE
    folded from the rule's answers: states of the same value are not told apart, so a value shared by
    "active" and "expiring" asks nothing of the end date's month and day."""
    ends = _answers(today, horizon)[0]
    facts = _facts(today)
    day = day_constant(today)

    def value(tree: Any) -> ColumnElement:
        if not isinstance(tree[1], tuple):  # outcomes by end date (a fact's node holds two trees)
            order = sorted(set(tree), key=lambda outcome: (tree.count(outcome), outcome))  # the commonest last, as ELSE
            if len(order) == 1:
                return constant(order[0])
            whens = [
                (_ends_in(agreement, ends, {i for i, each in enumerate(tree) if each == outcome}), constant(outcome))
                for outcome in order[:-1]
            ]
            return case(*whens, else_=constant(order[-1]))
        index, if_holds, if_not = tree
        holds, _ = _fact_sql(agreement, facts[index].column, day)
        return case((holds, value(if_holds)), else_=value(if_not))

    return value(_folded(today, horizon, value_of))
