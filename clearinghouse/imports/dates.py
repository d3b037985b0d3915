"""Dates as district sheets write them: a day, a month, a school or fiscal year, or "no expiry".

Every form becomes a `DateValue`: the first and last day it covers, how precise it is, and
whether it is a placeholder for "never ends" (01/01/2099, "perpetual"). Day-first dates
(15/01/2024) are refused, not guessed: US districts write the month first. Pure: no database.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

OPEN_ENDED_YEAR = 2099  # 01/01/2099, 12/31/9999: placeholders for "no end date"


class Precision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    SCHOOL_YEAR = "school_year"
    FISCAL_YEAR = "fiscal_year"
    OPEN = "open"  # words that mean "never ends": no day at all


@dataclass(frozen=True)
class Calendar:
    """How the district names its years.

    A fiscal year is named after the calendar year it ends in: with the default July–June year,
    FY27 runs from 1 July 2026 to 30 June 2027 (most US states and districts). A district whose
    fiscal year is the calendar year sets `fiscal_year_start_month=1`; a school year "2025-26"
    runs from the first day of `school_year_start_month` in 2025 to the day before it in 2026.
    """

    fiscal_year_start_month: int = 7
    school_year_start_month: int = 7


DEFAULT_CALENDAR = Calendar()


@dataclass(frozen=True)
class DateValue:
    text: str
    first: date | None
    last: date | None
    precision: Precision
    open_ended: bool = False

    @property
    def day(self) -> date | None:
        """The day, when the text names one day."""
        return self.first if self.precision is Precision.DAY else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "precision": self.precision.value,
            "open_ended": self.open_ended,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DateValue":
        return cls(
            data["text"],
            date.fromisoformat(data["first"]) if data["first"] else None,
            date.fromisoformat(data["last"]) if data["last"] else None,
            Precision(data["precision"]),
            bool(data["open_ended"]),
        )


@dataclass(frozen=True)
class FoundDate:
    """A date found in free text, with where it is (`text[start:end]`)."""

    start: int
    end: int
    value: DateValue


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s?[AP]M)?\s?(?P<tz>Z|[+-]\d{2}:?\d{2})?)?"

# (precision, pattern), tried in this order; a later pattern never overlaps an earlier match.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        (
            "open",
            r"\b(?:no (?:expiry|expiration|expiration date|end date)|never expires?|does not expire|"
            r"doesn'?t expire|perpetual|indefinite(?:ly)?|evergreen|until terminated|open[- ]ended)\b",
        ),
        ("iso", r"(?<![\d/])(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})(?![\d/])" + _TIME),
        ("us", r"(?<![\d/.])(?P<m>\d{1,2})[/.-](?P<d>\d{1,2})[/.-](?P<y>\d{4}|\d{2})(?![\d/.])" + _TIME),
        ("month_day_year", r"\b" + _MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})\b"),
        ("day_month_year", r"\b(?P<d>\d{1,2})[\s-]+" + _MONTH + r"[\s,-]+(?P<y>\d{4}|\d{2})\b"),
        ("fiscal", r"\bFY\s?'?(?:(?P<y1>\d{2}|\d{4})\s?[-–/]\s?)?(?P<y>\d{4}|\d{2})\b"),
        (
            "school",
            r"(?<![\d/-])(?:\bSY\s?(?P<sy>\d{2}(?:\d{2})?)|(?P<y1>\d{4}))\s?[-–/]\s?(?P<y2>\d{4}|\d{2})(?![\d/-])",
        ),
        ("month_year", r"\b" + _MONTH + r",?\s+(?P<y>\d{4})\b"),
        (
            "numeric_month",
            r"(?<![\d/.-])(?P<m>\d{1,2})/(?P<y>\d{4})(?![\d/])|(?<![\d/-])(?P<y2>\d{4})-(?P<m2>\d{2})(?![\d/-])",
        ),
    )
)
_YEAR = re.compile(r"(?:19|20)\d{2}")


def _year(text: str) -> int:
    """A year as written; two digits are 2000-2068 or 1969-1999, as spreadsheets read them."""
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 69 else 1900
    return year


def _last_day_of_month(year: int, month: int) -> date:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return following - timedelta(days=1)


def _span_of_year(first_month: int, end_year: int) -> tuple[date, date]:
    """The twelve months that end in `end_year` and start on the first of `first_month`."""
    if first_month == 1:
        return date(end_year, 1, 1), date(end_year, 12, 31)
    return date(end_year - 1, first_month, 1), date(end_year, first_month, 1) - timedelta(days=1)


def _value(kind: str, match: re.Match[str], text: str, calendar: Calendar, zone: ZoneInfo | None) -> DateValue | None:
    """The date a pattern's match stands for, or None when the numbers are not a real date."""
    groups = match.groupdict()
    try:
        if kind == "open":
            return DateValue(text, None, None, Precision.OPEN, open_ended=True)
        if kind in ("iso", "us", "month_day_year", "day_month_year"):
            month = _MONTHS[groups["mon"].lower()] if groups.get("mon") else int(groups["m"])
            day = date(_year(groups["y"]), month, int(groups["d"]))
            if kind == "iso" and groups.get("tz") and zone is not None:
                day = _instant(match.group(0)).astimezone(zone).date()
            return DateValue(text, day, day, Precision.DAY, open_ended=day.year >= OPEN_ENDED_YEAR)
        if kind == "month_year" or kind == "numeric_month":
            if groups.get("mon"):
                year, month = _year(groups["y"]), _MONTHS[groups["mon"].lower()]
            elif groups.get("m"):
                year, month = _year(groups["y"]), int(groups["m"])
            else:
                year, month = int(groups["y2"]), int(groups["m2"])
            first = date(year, month, 1)
            return DateValue(text, first, _last_day_of_month(year, month), Precision.MONTH)
        if kind == "school":
            start, end = _year(groups["y1"] or groups["sy"]), groups["y2"]
            end_year = int(end) if len(end) == 4 else start // 100 * 100 + int(end)
            if end_year != start + 1:
                return None
            first, last = _span_of_year(calendar.school_year_start_month, end_year)
            return DateValue(text, first, last, Precision.SCHOOL_YEAR)
        if kind == "fiscal":
            end_year = _year(groups["y"])
            first, last = _span_of_year(calendar.fiscal_year_start_month, end_year)
            return DateValue(text, first, last, Precision.FISCAL_YEAR)
    except ValueError:
        return None
    return None


def _instant(text: str) -> datetime:
    """An ISO timestamp with an offset ("2025-09-02T01:01:46.399212+00:00", "…Z") as an aware datetime."""
    cleaned = text.strip().replace(" ", "T", 1)
    cleaned = re.sub(r"Z$", "+00:00", cleaned)
    cleaned = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", cleaned)
    value = datetime.fromisoformat(cleaned)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_date(text: str, *, calendar: Calendar = DEFAULT_CALENDAR, zone: ZoneInfo | None = None) -> DateValue:
    """The date a whole cell holds. `zone`: the district's, to read a timestamp with an offset on its calendar.

    Raises ValueError with a message for the person who wrote the sheet.
    """
    value = text.strip()
    for kind, pattern in _PATTERNS:
        match = pattern.fullmatch(value)
        if match:
            parsed = _value(kind, match, value, calendar, zone)
            if parsed is not None:
                return parsed
    if _YEAR.fullmatch(value):
        year = int(value)
        return DateValue(
            value, date(year, 1, 1), date(year, 12, 31), Precision.YEAR, open_ended=year >= OPEN_ENDED_YEAR
        )
    raise ValueError(f"“{text}” is a date in a format we don't know. Write it as 2024-01-15 or 1/15/2024.")


def parse_day(text: str) -> date:
    """A cell that must name one day (an agreement's dates); ValueError for a month, a year or an unknown form."""
    value = parse_date(text)
    if value.day is None:
        raise ValueError(f"“{text}” is not one day. Write the day, like 2024-01-15 or 1/15/2024.")
    return value.day


def find_dates(text: str, *, calendar: Calendar = DEFAULT_CALENDAR, zone: ZoneInfo | None = None) -> list[FoundDate]:
    """Every date in free text, in order; a bare year ("2024") is not taken as a date here."""
    taken: list[FoundDate] = []
    has_digits = any(char.isdigit() for char in text)
    for kind, pattern in _PATTERNS:
        if kind != "open" and not has_digits:
            continue  # every other form has digits: a name without any holds no date
        for match in pattern.finditer(text):
            if any(match.start() < found.end and found.start < match.end() for found in taken):
                continue
            value = _value(kind, match, match.group(0), calendar, zone)
            if value is not None:
                taken.append(FoundDate(match.start(), match.end(), value))
    return sorted(taken, key=lambda found: found.start)
