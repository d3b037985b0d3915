"""Time: aware UTC instants in storage, district-calendar dates for rules and display."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app, has_app_context
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

DEFAULT_ZONE = "America/New_York"
# The app's extension key for the callable that names the district's zone. timeutil sits below
# every domain and imports none of them: the settings domain's reader is handed in by create_app.
ZONE_PROVIDER = "clearinghouse_district_zone"


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


def to_district(value: datetime) -> datetime:
    return value.astimezone(district_zone())


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_district(value).date()
    return f"{value:%B} {value.day}, {value.year}"


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = to_district(value)
    hour = local.strftime("%I").lstrip("0")
    return f"{format_date(local.date())} at {hour}:{local:%M} {local:%p} {local.tzname()}"


def init_app(app: Flask, *, district_zone_name: Callable[[], str]) -> None:
    """Register the zone provider and the date filters."""
    app.extensions[ZONE_PROVIDER] = district_zone_name
    app.jinja_env.filters["district_date"] = format_date
    app.jinja_env.filters["district_datetime"] = format_datetime
    app.jinja_env.filters["iso_date"] = lambda d: d.isoformat() if d else ""
