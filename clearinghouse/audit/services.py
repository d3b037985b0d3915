"""Writing the audit log and disclosure revisions, always inside the caller's unit of work."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

import click
from flask import has_request_context, request
from sqlalchemy import inspect, select

from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.audit.wording import Wording
from clearinghouse.extensions import db

if TYPE_CHECKING:
    from clearinghouse.accounts.models import User

SYSTEM_LABEL = "System (daily sweep)"


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a column value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def pending_changes(record: db.Model, *, exclude: tuple[str, ...] = ("updated_at", "version")) -> dict[str, list]:
    """Each column changed on the record since it was loaded: {field: [before, after]}.

    Call it after setting attributes and before the flush that clears the history. When an
    attribute was expired (by an earlier commit) before it was set, its old value is read from
    the database, so "before" is never a guess.
    """
    changes: dict[str, list] = {}
    state = inspect(record)
    is_new = state.pending or state.transient
    unknown_before: list[str] = []
    for attr in state.mapper.column_attrs:
        if attr.key in exclude:
            continue
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        after = history.added[0] if history.added else None
        if is_new:
            before = None
        elif history.deleted:
            before = history.deleted[0]
        else:
            unknown_before.append(attr.key)
            before = None
        changes[attr.key] = [before, after]
    if unknown_before:
        table = state.mapper.local_table
        columns = [state.mapper.get_property(key).columns[0] for key in unknown_before]
        with db.session.no_autoflush:
            row = db.session.connection().execute(select(*columns).where(table.c.id == state.identity[0])).one_or_none()
        if row is not None:
            for key, value in zip(unknown_before, row, strict=True):
                changes[key][0] = value
    return {key: [_plain(b), _plain(a)] for key, (b, a) in changes.items() if b != a}


def snapshot(
    record: db.Model, *, exclude: tuple[str, ...] = ("created_at", "updated_at", "version")
) -> dict[str, list]:
    """Every column of a record as [value, None], for a deletion's audit entry."""
    mapper = inspect(record).mapper
    return {
        attr.key: [_plain(getattr(record, attr.key)), None] for attr in mapper.column_attrs if attr.key not in exclude
    }


def _system_label() -> str:
    """Who acts when no user does: the command being run, or the scheduler's sweep."""
    command = click.get_current_context(silent=True)
    if command is not None and command.info_name:
        return f"System (flask {command.info_name})"
    return SYSTEM_LABEL


def record(
    actor: "User | None",
    action: str,
    target: db.Model,
    changes: dict[str, list] | None = None,
    *,
    label: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session (the caller commits it together with the change)."""
    if target.id is None:
        db.session.flush()
    return record_row(
        actor,
        action,
        target.__tablename__,
        target.id,
        changes,
        label=label or getattr(target, "name", None) or f"{target.__tablename__} {target.id}",
    )


def record_row(
    actor: "User | None",
    action: str,
    record_type: str,
    record_id: int | None,
    changes: dict[str, list] | None = None,
    *,
    label: str,
) -> AuditEvent:
    """Add an audit event about a row no model maps (a kept count's), or a model's by its table and id."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.email if actor is not None else _system_label(),
        ip_address=(request.remote_addr or "") if has_request_context() else "",
        action=action,
        record_type=record_type,
        record_id=record_id,
        record_label=label[:300],
        changes=changes or {},
    )
    db.session.add(event)
    return event


def disclose(
    vendor_id: int, kind: str, summary: "str | Wording", *, product_id: int | None = None, **details: Any
) -> DisclosureRevision:
    """Add a public disclosure revision (the caller commits it together with the change).

    Give a `Wording` (audit.wording), so that the public reads the revision in its own language;
    a plain string summary is shown as is, marked as the default language's, in every language.
    """
    plain = {key: _plain(value) for key, value in details.items()}
    if isinstance(summary, Wording):
        plain["wording"] = summary.stored()
        summary = summary.in_default_language()
    revision = DisclosureRevision(vendor_id=vendor_id, product_id=product_id, kind=kind, summary=summary, details=plain)
    db.session.add(revision)
    return revision
