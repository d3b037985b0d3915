"""Date rules of an agreement, shared by its forms (to show every problem at once) and its services."""

from datetime import date

from clearinghouse.timeutil import date_range_problem, format_date

Problem = tuple[str, str]  # (form field, message)


def term_problems(
    *,
    signed_on: date | None,
    effective_on: date | None,
    expires_on: date | None,
    is_open_ended: bool,
    today: date,
    dates_recorded: bool = True,
) -> list[Problem]:
    """What is wrong with an agreement's dates, in words a person can act on.

    A draft (not signed) may leave its dates blank. A signed agreement needs the day it takes
    effect and either an expiry date after that day or the open-ended box. An agreement may be
    signed after it takes effect (back-dated terms are common), but not on a day still to come.
    Every date is inside the site's range (`timeutil.EARLIEST_DATE`…`LATEST_DATE`).

    An agreement on file whose dates are not recorded has none: no date, not open-ended.
    """
    if not dates_recorded:
        if signed_on or effective_on or expires_on or is_open_ended:
            return [
                (
                    "dates_not_recorded",
                    "An agreement whose dates are not recorded has no dates. "
                    "Clear them, or untick “On file, dates not recorded”.",
                )
            ]
        return []
    problems: list[Problem] = _out_of_range(signed_on=signed_on, effective_on=effective_on, expires_on=expires_on)
    if signed_on is not None and signed_on > today:
        problems.append(
            (
                "signed_on",
                "The signing date can't be in the future. Enter the day it was signed, "
                "or leave it blank while the agreement is a draft.",
            )
        )
    if signed_on is not None and effective_on is None:
        problems.append(("effective_on", "Enter the day the agreement takes effect."))
    if is_open_ended and expires_on is not None:
        problems.append(
            ("expires_on", "An open-ended agreement has no expiry date. Clear the date or untick “Open-ended”.")
        )
    elif signed_on is not None and not is_open_ended and expires_on is None:
        problems.append(("expires_on", "Enter the expiry date, or tick “Open-ended” if the agreement has no end date."))
    if effective_on is not None and expires_on is not None and expires_on <= effective_on:
        problems.append(
            (
                "expires_on",
                f"The expiry date must be after the day the agreement takes effect ({format_date(effective_on)}).",
            )
        )
    return problems


def _out_of_range(**dates: date | None) -> list[Problem]:
    return [(name, problem) for name, value in dates.items() if value and (problem := date_range_problem(value))]


def termination_problems(*, terminated_on: date | None, reason: str, starts_on: date | None) -> list[Problem]:
    """A termination needs its date (not before the agreement took effect) and a reason."""
    problems: list[Problem] = _out_of_range(terminated_on=terminated_on)
    if terminated_on is None:
        problems.append(("terminated_on", "Enter the day the agreement ends."))
    elif starts_on is not None and terminated_on < starts_on:
        problems.append(("terminated_on", f"The agreement can't end before it took effect ({format_date(starts_on)})."))
    if not (reason or "").strip():
        problems.append(("reason", "Give the reason for ending the agreement; it is kept in the audit log."))
    return problems
