"""Reading the audit log for officers: filters, pages, changed fields, and links to the records."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app, url_for
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, exists, select

from clearinghouse.accounts.models import User
from clearinghouse.audit.forms import SYSTEM_ACTOR
from clearinghouse.audit.models import AuditEvent
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_zone

PER_PAGE = 50

# The staff page of each kind of record, as (endpoint, its one URL argument); the first endpoint
# the app has is used, so a record gets a link as soon as its domain adds the page.
RECORD_PAGES: dict[str, tuple[tuple[str, str | None], ...]] = {
    "vendor": (("directory_staff.edit_vendor", "vendor_id"),),
    "product": (("directory_staff.edit_product", "product_id"),),
    "data_element": (("directory_staff.edit_element", "element_id"),),
    "school": (("directory_staff.edit_school", "school_id"),),
    "agreement": (("agreements.show", "agreement_id"), ("agreements.edit", "agreement_id")),
    "destruction_request": (("destruction.show", "request_id"),),
    "district_settings": (("settings.edit", None),),
}


@dataclass(frozen=True)
class LogFilters:
    """What the officer asked to see; dates are district calendar dates, both ends included."""

    actor: str = ""  # "" anyone, "system", or a user id
    action: str = ""
    record_type: str = ""
    record_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.actor == SYSTEM_ACTOR:
            clauses.append(AuditEvent.actor_id.is_(None))
        elif self.actor:
            clauses.append(AuditEvent.actor_id == int(self.actor))
        if self.action:
            clauses.append(AuditEvent.action == self.action)
        if self.record_type:
            clauses.append(AuditEvent.record_type == self.record_type)
        if self.record_id is not None:
            clauses.append(AuditEvent.record_id == self.record_id)
        start = _district_midnight(self.date_from)
        if start is not None:
            clauses.append(AuditEvent.occurred_at >= start)
        end = _district_midnight(self.date_to + timedelta(days=1)) if self.date_to and self.date_to < date.max else None
        if end is not None:
            clauses.append(AuditEvent.occurred_at < end)
        return clauses


def _district_midnight(day: date | None) -> datetime | None:
    """The UTC instant at which the district's calendar day begins (None: no day, or beyond the calendar)."""
    if day is None:
        return None
    try:
        return datetime.combine(day, time.min, tzinfo=district_zone()).astimezone(UTC)
    except OverflowError:
        return None


def filter_choices() -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """Actors (user id, label), actions and record types that occur in the log (three queries)."""
    has_event = exists().where(AuditEvent.actor_id == User.id)
    actors = [
        (str(user_id), f"{name} ({email})" if name else email)
        for user_id, name, email in db.session.execute(
            select(User.id, User.name, User.email).where(has_event).order_by(User.email)
        )
    ]
    actions = list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
    record_types = list(db.session.scalars(select(AuditEvent.record_type).distinct().order_by(AuditEvent.record_type)))
    return actors, actions, record_types


def search_events(filters: LogFilters, page: int, per_page: int = PER_PAGE) -> Pagination:
    """One page of matching events, newest first (two queries)."""
    stmt = select(AuditEvent).where(*filters.clauses()).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, max_per_page=PER_PAGE, error_out=False)


@dataclass(frozen=True)
class ChangeRow:
    field: str
    before: str
    after: str


def change_rows(event: AuditEvent) -> list[ChangeRow]:
    """Each changed field of the event, with its values before and after as text."""
    rows = []
    for field, values in sorted((event.changes or {}).items()):
        before, after = [*values, None, None][:2] if isinstance(values, list | tuple) else (None, values)
        rows.append(ChangeRow(field, display_value(before), display_value(after)))
    return rows


def display_value(value: Any) -> str:
    """A stored value as an officer reads it; '' stands for empty (the template says so)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(display_value(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {display_value(item)}" for key, item in value.items())
    return str(value)


def record_url(event: AuditEvent) -> str | None:
    """The staff page of the event's record, when the app has one (none for a deleted record)."""
    if event.record_id is None or event.action.endswith(".deleted"):
        return None
    for endpoint, argument in RECORD_PAGES.get(event.record_type, ()):
        if endpoint not in current_app.view_functions:
            continue
        wanted = {argument} if argument else set()
        if any(rule.arguments == wanted for rule in current_app.url_map.iter_rules(endpoint)):
            return url_for(endpoint, **({argument: event.record_id} if argument else {}))
    return None


@dataclass(frozen=True)
class LogEntry:
    event: AuditEvent
    changes: list[ChangeRow]
    url: str | None


def log_entries(events: list[AuditEvent]) -> list[LogEntry]:
    """What the log page shows of each event (no queries: everything is on the event row)."""
    return [LogEntry(event, change_rows(event), record_url(event)) for event in events]
