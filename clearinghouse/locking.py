"""Optimistic locking, the one kit every versioned record uses (directory, agreements, settings, destruction).

A versioned record carries a `version` column (`VersionedMixin`). A form that edits it carries the
version it was drawn from in a hidden `VersionField`. The service refuses a stale form early with
`check_version`, then makes `claim_version` the first write of its unit of work: a conditional
`UPDATE … SET version = version + 1 WHERE id = ? AND version = ?` that only one of two concurrent
writers can match; the other gets `StaleVersion` and its unit of work rolls back. The UPDATE also
locks the row until the commit. A view shows the refusal with `show_refusal`, which carries the
saved version into the form, so that a second save is a deliberate one.
"""

from typing import Any, ClassVar

from flask_wtf import FlaskForm
from sqlalchemy import ColumnElement, inspect, update
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.attributes import set_committed_value
from wtforms import HiddenField

from clearinghouse.errors import DomainError, show_domain_error
from clearinghouse.extensions import db

STALE_MESSAGE = "Someone else changed {record} while you were editing. Review their changes and try again."
# Longer than any version a record reaches; keeps int() of a tampered field cheap.
_VERSION_DIGITS_MAX = 18


class VersionedMixin:
    """A `version` column bumped by every save; `record_phrase` names the record in the stale message."""

    record_phrase: ClassVar[str] = "this record"
    version: Mapped[int] = mapped_column(default=1, server_default="1")


def stale_message(model: type[VersionedMixin]) -> str:
    """What a person whose save came too late reads."""
    return STALE_MESSAGE.format(record=model.record_phrase)


class StaleVersion(DomainError):
    """The form was drawn from an older version of the record than the one saved now."""

    def __init__(self, record: VersionedMixin):
        super().__init__(stale_message(type(record)))


def check_version(record: VersionedMixin, expected: int | None) -> None:
    """Refuse early (before writing anything) when the form's version is not the saved one."""
    if expected != record.version:
        raise StaleVersion(record)


def claim_version(record: VersionedMixin, expected: int, *conditions: ColumnElement[bool], **values: Any) -> None:
    """Bump the version from `expected` with one conditional UPDATE, the first write of the unit.

    `conditions` narrow the UPDATE further (a request's state, say) and `values` are written with
    it; the UPDATE bypasses the session, so refresh the record when `values` matter afterwards.
    Raises StaleVersion when another writer got there first.
    """
    model = type(record)
    result = db.session.execute(
        update(model)
        .where(model.id == record.id, model.version == expected, *conditions)
        .values(version=expected + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleVersion(record)
    set_committed_value(record, "version", expected + 1)


class VersionField(HiddenField):
    """The version of the record the form was drawn from; anything but a plain number reads as None."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = str(valuelist[0]) if valuelist else ""
        valid = raw.isascii() and raw.isdigit() and len(raw) <= _VERSION_DIGITS_MAX
        self.data = int(raw) if valid else None

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)

    def refresh(self, version: int) -> None:
        """After a refused stale save, carry the saved version so a second save is a deliberate one."""
        self.data = version
        self.raw_data = None


def show_refusal(form: FlaskForm, err: DomainError, record: VersionedMixin | None = None) -> None:
    """Show a service's refusal on the form; after a stale save, let the form carry the saved version."""
    show_domain_error(form, err)
    if isinstance(err, StaleVersion) and record is not None:
        if inspect(record).persistent:
            db.session.refresh(record)
        form.version.refresh(record.version)
