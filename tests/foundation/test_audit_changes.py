"""pending_changes reports the true "before" value, even after an earlier commit expired it."""

from sqlalchemy import select

from clearinghouse.audit.models import AuditEvent
from clearinghouse.audit.services import pending_changes
from clearinghouse.directory.models import School
from clearinghouse.extensions import db
from tests import factories
from tests.conftest import in_app


def test_before_value_is_read_back_when_the_attribute_was_expired(app):
    with in_app(app):
        vendor = factories.make_vendor(website="https://a.example")  # the commit expires every attribute
        vendor.website = "https://b.example"
        vendor.internal_notes = ""  # unchanged in substance: not reported
        assert pending_changes(vendor) == {"website": ["https://a.example", "https://b.example"]}
        db.session.rollback()


def test_new_records_report_none_before(app):
    with in_app(app):
        school = School(name="North", slug="north", grade_band="K-5")
        db.session.add(school)
        assert pending_changes(school)["name"] == [None, "North"]
        db.session.rollback()


def test_commands_are_named_as_the_actor_when_no_user_acts(app, runner):
    result = runner.invoke(args=["seed-taxonomy"])
    assert result.exit_code == 0, result.output
    with in_app(app):
        labels = set(db.session.scalars(select(AuditEvent.actor_label)))
    assert labels == {"System (flask seed-taxonomy)"}
