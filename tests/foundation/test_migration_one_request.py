"""Migration 20261125_one_request_per_agreement on data the old sweep left: second requests withdrawn."""

from datetime import date
from types import SimpleNamespace

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic import command as alembic_command
from flask import current_app
from sqlalchemy import select

from clearinghouse.audit.models import AuditEvent
from clearinghouse.destruction.models import DestructionRequest, RequestOrigin, RequestStatus
from clearinghouse.extensions import db
from clearinghouse.notices.models import Notice, NoticeStatus
from clearinghouse.timeutil import UTCDateTime, utcnow
from tests import factories
from tests.conftest import in_app

REVISION = "6c1d8e5a2b47"


def _agreements(vendor_name: str, count: int) -> tuple[SimpleNamespace, list[SimpleNamespace]]:
    """A vendor and its agreements, made before the downgrade by the current models (which know
    columns the older schema lacks), as plain ids for the factories to point at afterwards."""
    vendor = factories.make_vendor(name=vendor_name)
    agreements = [SimpleNamespace(id=factories.make_agreement(vendor).id) for _ in range(count)]
    ids = SimpleNamespace(id=vendor.id)
    db.session.close()
    return ids, agreements


def _statuses() -> dict[int, RequestStatus]:
    return dict(db.session.execute(select(DestructionRequest.id, DestructionRequest.status)).tuples().all())


def test_the_upgrade_withdraws_second_open_requests_and_keeps_the_one_furthest_along(app):
    with in_app(app):
        vendor, (certified, doubled, answered) = _agreements("Twice Told", 3)
        flask_migrate.downgrade(revision=f"{REVISION}-1")
        try:
            # An officer's directive, certified; then the old sweep's request for the same agreement.
            kept = factories.make_destruction_request(vendor, certified, status=RequestStatus.ACCEPTED)
            second = factories.make_destruction_request(
                vendor, certified, origin=RequestOrigin.AGREEMENT_ENDED, issued_on=date(2027, 2, 1)
            )
            # Two open ones: the first issued stays.
            first = factories.make_destruction_request(vendor, doubled, issued_on=date(2027, 1, 4))
            later = factories.make_destruction_request(vendor, doubled, issued_on=date(2027, 1, 9))
            # A certificate under review outranks an earlier open request.
            waiting = factories.make_destruction_request(
                vendor, answered, issued_on=date(2027, 1, 9), status="submitted"
            )
            older = factories.make_destruction_request(vendor, answered, issued_on=date(2027, 1, 4))
            # Only the outbox's columns of this migration's time (the model may have more by now).
            at = utcnow()
            db.session.execute(
                sa.text(
                    "INSERT INTO notice (purpose_key, recipients, subject, body_text, body_html, status, attempts,"
                    " last_error, created_at, next_attempt_at, subject_type, subject_id) VALUES (:key, 'x@example.com',"
                    " 'Reminder', '…', '', 'queued', 0, '', :at, :at, 'destruction_request', :id)"
                ).bindparams(sa.bindparam("at", type_=UTCDateTime())),
                {"key": f"request:{second.id}:due-in-7", "at": at, "id": second.id},
            )
            reminder_id = db.session.scalar(select(Notice.id).where(Notice.subject_id == second.id))
            db.session.commit()
        finally:
            flask_migrate.upgrade()
        db.session.expire_all()
        assert _statuses() == {
            kept.id: RequestStatus.ACCEPTED,
            second.id: RequestStatus.WITHDRAWN,
            first.id: RequestStatus.OPEN,
            later.id: RequestStatus.WITHDRAWN,
            waiting.id: RequestStatus.SUBMITTED,
            older.id: RequestStatus.WITHDRAWN,
        }
        withdrawn = db.session.get(DestructionRequest, second.id)
        assert f"already has destruction request {kept.id}" in withdrawn.status_reason
        assert db.session.get(Notice, reminder_id).status is NoticeStatus.CANCELLED
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "destruction_request.withdrawn"))
        assert sorted(event.record_id for event in events) == sorted([second.id, later.id, older.id])


def test_two_certificates_waiting_for_review_stop_the_upgrade_with_what_to_do(app):
    with in_app(app):
        vendor, (agreement,) = _agreements("Twice Answered", 1)
        flask_migrate.downgrade(revision=f"{REVISION}-1")
        try:
            factories.make_destruction_request(vendor, agreement, status=RequestStatus.SUBMITTED)
            one = factories.make_destruction_request(vendor, agreement, status=RequestStatus.SUBMITTED)
            # Alembic's own command, which raises what `flask db upgrade` prints before it exits 1.
            config = current_app.extensions["migrate"].migrate.get_config()
            with pytest.raises(RuntimeError, match=f"review: {agreement.id}. Accept or reject one of the two"):
                alembic_command.upgrade(config, "head")
            db.session.rollback()
            one.status = RequestStatus.ACCEPTED  # what accepting one certificate does
            db.session.commit()
        finally:
            flask_migrate.upgrade()
        assert sorted(_statuses().values()) == [RequestStatus.ACCEPTED, RequestStatus.SUBMITTED]
