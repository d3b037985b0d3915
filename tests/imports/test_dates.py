"""Dates as district sheets write them: days, months, school and fiscal years, and "never ends"."""

import json
import re
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from clearinghouse.imports.dates import Calendar, DateValue, Precision, find_dates, parse_date, parse_day


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-15",
        "2024/01/15",
        "1/15/2024",
        "01/15/2024",
        "1/15/24",
        "01-15-2024",
        "15-Jan-24",
        "15 Jan 2024",
        "Jan 15, 2024",
        "January 15, 2024",
        "Jan. 15 2024",
        "1/15/2024 0:00",
        "1/15/2024 12:00 AM",
        "2024-01-15 00:00:00",
        "2024-01-15T09:30:00",
        "2024-01-15T01:01:46.399212+00:00",
        "2024-01-15T15:05:49.41Z",
    ],
)
def test_one_day_in_every_form_sheets_write(text):
    value = parse_date(text)
    assert (value.first, value.last, value.precision, value.open_ended) == (
        date(2024, 1, 15),
        date(2024, 1, 15),
        Precision.DAY,
        False,
    )
    assert value.day == date(2024, 1, 15) == parse_day(text)


def test_a_timestamp_with_an_offset_is_read_on_the_districts_calendar_when_its_zone_is_given():
    text = "2025-09-02T01:01:46.399212+00:00"  # the SB 29 sheet's request_date
    assert parse_date(text).day == date(2025, 9, 2)
    assert parse_date(text, zone=ZoneInfo("America/New_York")).day == date(2025, 9, 1)


@pytest.mark.parametrize(
    ("text", "first", "last", "precision"),
    [
        ("July 2026", date(2026, 7, 1), date(2026, 7, 31), Precision.MONTH),
        ("Feb 2024", date(2024, 2, 1), date(2024, 2, 29), Precision.MONTH),
        ("08/2025", date(2025, 8, 1), date(2025, 8, 31), Precision.MONTH),
        ("2025-08", date(2025, 8, 1), date(2025, 8, 31), Precision.MONTH),
        ("2025-26", date(2025, 7, 1), date(2026, 6, 30), Precision.SCHOOL_YEAR),
        ("2025-2026", date(2025, 7, 1), date(2026, 6, 30), Precision.SCHOOL_YEAR),
        ("SY2025-26", date(2025, 7, 1), date(2026, 6, 30), Precision.SCHOOL_YEAR),
        ("SY 25-26", date(2025, 7, 1), date(2026, 6, 30), Precision.SCHOOL_YEAR),
        ("FY27", date(2026, 7, 1), date(2027, 6, 30), Precision.FISCAL_YEAR),
        ("FY 2027", date(2026, 7, 1), date(2027, 6, 30), Precision.FISCAL_YEAR),
        ("FY2026-27", date(2026, 7, 1), date(2027, 6, 30), Precision.FISCAL_YEAR),
        ("2024", date(2024, 1, 1), date(2024, 12, 31), Precision.YEAR),
    ],
)
def test_months_and_years_cover_their_days(text, first, last, precision):
    value = parse_date(text)
    assert (value.first, value.last, value.precision, value.day) == (first, last, precision, None)
    with pytest.raises(ValueError, match=re.escape("is not one day. Write the day")):
        parse_day(text)


def test_the_fiscal_and_school_year_follow_the_districts_convention():
    calendar_year = Calendar(fiscal_year_start_month=1, school_year_start_month=8)
    fy = parse_date("FY27", calendar=calendar_year)
    assert (fy.first, fy.last) == (date(2027, 1, 1), date(2027, 12, 31))
    sy = parse_date("2025-26", calendar=calendar_year)
    assert (sy.first, sy.last) == (date(2025, 8, 1), date(2026, 7, 31))
    october = parse_date("FY27", calendar=Calendar(fiscal_year_start_month=10))  # the US federal year
    assert (october.first, october.last) == (date(2026, 10, 1), date(2027, 9, 30))


@pytest.mark.parametrize(
    ("text", "day"),
    [("01/01/2099", date(2099, 1, 1)), ("12/31/9999", date(9999, 12, 31)), ("2100-01-01", date(2100, 1, 1))],
)
def test_placeholder_expiries_are_open_ended_and_keep_what_was_written(text, day):
    value = parse_date(text)
    assert value.open_ended
    assert value.day == day


@pytest.mark.parametrize(
    "text", ["no expiry", "No expiration date", "never expires", "Perpetual", "indefinite", "until terminated"]
)
def test_words_for_never_ending_are_open_ended_without_a_day(text):
    value = parse_date(text)
    assert (value.precision, value.open_ended, value.first, value.last) == (Precision.OPEN, True, None, None)


@pytest.mark.parametrize("text", ["15/01/2024", "31/01/2024", "2024-13-01", "2/30/2024", "soon", "1/15", "2023-2025"])
def test_what_is_not_a_date_is_refused_with_an_example(text):
    with pytest.raises(
        ValueError, match=re.escape("a date in a format we don't know. Write it as 2024-01-15 or 1/15/2024")
    ):
        parse_date(text)


def test_dates_are_found_in_free_text_with_where_they_are():
    text = (
        "SDPC approved 07/09/2024 (expires 07/09/2027); FY27 budget, SY 2025-26 pilot from Jan 20, 2025 "
        "to July 2026; 24/7 filtering for grades 7-12, 1:1 devices, $2,474,400 over 2023-2025 (05/26/2020, no expiry)"
    )
    found = [(text[f.start : f.end], f.value.precision, f.value.first) for f in find_dates(text)]
    assert found == [
        ("07/09/2024", Precision.DAY, date(2024, 7, 9)),
        ("07/09/2027", Precision.DAY, date(2027, 7, 9)),
        ("FY27", Precision.FISCAL_YEAR, date(2026, 7, 1)),
        ("SY 2025-26", Precision.SCHOOL_YEAR, date(2025, 7, 1)),
        ("Jan 20, 2025", Precision.DAY, date(2025, 1, 20)),
        ("July 2026", Precision.MONTH, date(2026, 7, 1)),
        ("05/26/2020", Precision.DAY, date(2020, 5, 26)),
        ("no expiry", Precision.OPEN, None),
    ]


def test_a_date_value_is_plain_data():
    for text in ("2024-01-15", "FY27", "no expiry", "01/01/2099"):
        value = parse_date(text)
        assert DateValue.from_dict(json.loads(json.dumps(value.to_dict()))) == value
