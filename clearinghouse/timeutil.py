"""Time: aware UTC instants in storage, district-calendar dates for rules and display."""

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel import dates as babel_dates
from flask import Flask, current_app, has_app_context
from flask_babel import get_locale, gettext
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

DEFAULT_ZONE = "America/New_York"
DEFAULT_LOCALE = "en"
BABEL_EXTENSION = "babel"  # where Flask-Babel keeps itself in app.extensions
DATES_KEPT = 4_096  # formatted dates a worker keeps (`format_date`)
# The app's extension key for the callable that names the district's zone. timeutil sits below
# every domain and imports none of them: the settings domain's reader is handed in by create_app.
ZONE_PROVIDER = "clearinghouse_district_zone"
# The calendar dates the site accepts anywhere (forms, importer, services): wide enough for any real
# agreement, certificate or search, narrow enough that adding a term or a window never overflows.
EARLIEST_DATE = date(1990, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC; refuses naive values because SQLite would drop the offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime.")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def date_range_problem(value: date) -> str | None:
    """Why a calendar date cannot be used, or None when it is inside the accepted range."""
    if EARLIEST_DATE <= value <= LATEST_DATE:
        return None
    return f"Enter a date between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}."


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def district_zone() -> ZoneInfo:
    """The district's time zone, from the app's zone provider (the settings); the default without one."""
    if has_app_context():
        zone_name = current_app.extensions.get(ZONE_PROVIDER)
        if zone_name is not None:
            return zone_named(zone_name())
    return ZoneInfo(DEFAULT_ZONE)


def district_today(now: datetime | None = None) -> date:
    """The date in the district: the 'today' every rule uses."""
    return (now or utcnow()).astimezone(district_zone()).date()


def zoned_today(zone_name: str | None) -> date:
    """The date now in the zone named (the default zone for None): `district_today` for a caller
    that has read the district's zone itself (the page cache, outside any app context)."""
    return utcnow().astimezone(zone_named(zone_name or DEFAULT_ZONE)).date()


def to_district(value: datetime) -> datetime:
    return value.astimezone(district_zone())


def _translates() -> bool:
    """Whether the app renders languages: create_app sets Flask-Babel up; a bare app (a unit test's) has none."""
    return has_app_context() and BABEL_EXTENSION in current_app.extensions


def reader_locale() -> Locale:
    """The language being rendered (a page's, or an e-mail's); English outside an app that translates."""
    return (get_locale() if _translates() else None) or Locale.parse(DEFAULT_LOCALE)


def format_date(value: date | datetime | None) -> str:
    """A district calendar date in the reader's language: "July 4, 2026", "4 de julio de 2026"."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_district(value).date()
    return long_date(value, reader_locale())


@functools.lru_cache(maxsize=DATES_KEPT)
def long_date(value: date, locale: Locale) -> str:
    """`format_date` in a Locale the caller already holds (a batch of cards), kept per date and
    Locale: Babel takes about 20 µs a date, and the cards of a results page say the same few hundred
    agreement end dates again and again."""
    return babel_dates.format_date(value, format="long", locale=locale)


def format_datetime(value: datetime | None) -> str:
    """An instant on the district's clock: "July 4, 2026 at 12:30 PM EDT", "4 de julio de 2026, 12:30 EDT"."""
    if value is None:
        return ""
    local = to_district(value)
    # CLDR puts a narrow no-break space before AM/PM; a plain space reads the same and copies cleanly.
    clock = babel_dates.format_time(local, format="short", locale=reader_locale()).replace("\u202f", " ")
    day, zone = format_date(local.date()), local.tzname()
    if not _translates():
        return f"{day} at {clock} {zone}"
    return gettext("%(date)s at %(time)s %(zone)s", date=day, time=clock, zone=zone)


def most_recent_mark(marks: list[int], remaining: int) -> int | None:
    """The smallest of `marks` (days before a date) already reached, `remaining` <= it; None if none.

    The sweep's catch-up rule: with marks [90, 60, 30, 7] and 25 days remaining the 30-day mark is
    the latest reached, so after a gap only its notice goes out, not the missed 90- and 60-day ones.
    """
    reached = [mark for mark in marks if remaining <= mark]
    return min(reached) if reached else None


def is_business_day(day: date) -> bool:
    """Monday to Friday (public holidays are not counted out)."""
    return day.weekday() < 5


def add_business_days(day: date, count: int) -> date:
    """The `count`-th business day after `day` (`day` itself when count is 0): Friday + 1 is Monday,
    and Saturday + 1 is Monday too."""
    while count > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            count -= 1
    return day


def day_start(day: date) -> datetime:
    """The instant the district's calendar day begins, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=district_zone()).astimezone(UTC)


def init_app(app: Flask, *, district_zone_name: Callable[[], str]) -> None:
    """Register the zone provider and the date filters."""
    app.extensions[ZONE_PROVIDER] = district_zone_name
    app.jinja_env.filters["district_date"] = format_date
    app.jinja_env.filters["district_datetime"] = format_datetime
    app.jinja_env.filters["iso_date"] = lambda d: d.isoformat() if d else ""
