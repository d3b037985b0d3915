"""Audit events are append-only, and written in the same transaction as the change they describe."""

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from clearinghouse.accounts.models import User
from clearinghouse.audit import services
from clearinghouse.audit.models import AuditEvent
from clearinghouse.directory.models import Vendor
from clearinghouse.extensions import db, unit_of_work
from tests import factories
from tests.conftest import in_app

CHANGING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _one_event(app) -> int:
    with in_app(app):
        vendor = factories.make_vendor()
        with unit_of_work():
            event = services.record(None, "vendor.created", vendor, services.snapshot(vendor))
        return event.id


def test_no_route_of_the_app_changes_or_deletes_audit_events(app):
    audit_rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.split(".")[0] in ("audit", "audit_staff")]
    assert {rule.endpoint for rule in audit_rules} >= {"audit.changes", "audit.feed", "audit_staff.log"}
    for rule in audit_rules:
        assert not (rule.methods & CHANGING_METHODS), rule
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule or "audit" in rule.endpoint:
            assert not (rule.methods & CHANGING_METHODS), rule


def test_the_database_refuses_to_update_an_audit_event(app):
    event_id = _one_event(app)
    with in_app(app), pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_event SET action = 'forged' WHERE id = :id"), {"id": event_id})
    with in_app(app):
        assert db.session.get(AuditEvent, event_id).action == "vendor.created"


def test_changing_an_audit_event_through_the_orm_is_refused_and_rolled_back(app):
    event_id = _one_event(app)
    with in_app(app):
        event = db.session.get(AuditEvent, event_id)
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), unit_of_work():
            event.actor_label = "someone else"
        assert db.session.get(AuditEvent, event_id).actor_label == services.SYSTEM_LABEL


def test_the_database_refuses_to_delete_an_audit_event_on_postgresql(app):
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite blocks UPDATE only: the test fixture empties tables with DELETE (see the migration).")
    event_id = _one_event(app)
    with in_app(app), pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_event WHERE id = :id"), {"id": event_id})
    with in_app(app):
        assert db.session.get(AuditEvent, event_id) is not None


def test_the_audit_event_is_committed_with_the_change(app):
    with in_app(app), app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.44"}):
        officer = factories.make_user(role="officer", email="pat@district.example")
        vendor = factories.make_vendor(website="https://old.example")
        assert vendor.website == "https://old.example"  # loaded, as a view loads the record it edits
        with unit_of_work():
            vendor.website = "https://new.example"
            services.record(officer, "vendor.updated", vendor, services.pending_changes(vendor))
        vendor_id, officer_id = vendor.id, officer.id

    with in_app(app):
        event = db.session.scalars(select(AuditEvent)).one()
        assert (event.actor_id, event.actor_label) == (officer_id, "pat@district.example")
        assert event.ip_address == "192.0.2.44"
        assert (event.action, event.record_type, event.record_id) == ("vendor.updated", "vendor", vendor_id)
        assert event.changes == {"website": ["https://old.example", "https://new.example"]}
        assert db.session.get(Vendor, vendor_id).website == "https://new.example"


class _Interrupted(Exception):
    pass


def _change_then_fail(officer: User, vendor: Vendor) -> None:
    with unit_of_work():
        vendor.website = "https://new.example"
        services.record(officer, "vendor.updated", vendor, services.pending_changes(vendor))
        db.session.flush()  # the rows reach the database before the failure
        raise _Interrupted


def _create_duplicate(officer: User) -> None:
    with unit_of_work():
        vendor = Vendor(name="Taken Name", slug="taken-name-2")
        db.session.add(vendor)
        services.record(officer, "vendor.created", vendor)  # flushes the vendor: the unique name fails


def test_no_audit_event_remains_when_the_change_rolls_back(app):
    with in_app(app):
        officer = factories.make_user(role="officer")
        vendor = factories.make_vendor(website="https://old.example")
        with pytest.raises(_Interrupted):
            _change_then_fail(officer, vendor)
        vendor_id = vendor.id

    with in_app(app):
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
        assert db.session.get(Vendor, vendor_id).website == "https://old.example"


def test_a_failed_write_leaves_neither_the_record_nor_its_audit_event(app):
    with in_app(app):
        officer = factories.make_user(role="officer")
        factories.make_vendor(name="Taken Name")
        with pytest.raises(sa.exc.IntegrityError):
            _create_duplicate(officer)

    with in_app(app):
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
        assert db.session.scalar(select(func.count()).select_from(Vendor)) == 1
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
