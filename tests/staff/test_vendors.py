"""Officers keep vendors: list, search, add, edit, retire; audited, locked against stale saves."""

import re

import pytest
import sqlalchemy as sa
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import User
from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.directory import services
from clearinghouse.directory.models import Vendor
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.locking import StaleVersion
from tests import factories
from tests.conftest import client_as, count_queries, in_app

VENDOR_FORM = {
    "name": "Bright Reading Co.",
    "website": "https://bright.example",
    "privacy_policy_url": "https://bright.example/privacy",
    "contact_email": "privacy@bright.example",
    "description_md": "Makes **reading** apps.",
    "internal_notes": "Renewal contact: Sam.",
}


def audit_events(action: str | None = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt))


def test_officer_adds_a_vendor_and_the_change_is_audited(app, officer_id):
    client = client_as(app, officer_id)
    response = client.post("/staff/vendors/new", data=VENDOR_FORM)
    assert response.status_code == 302
    with in_app(app):
        vendor = db.session.scalar(select(Vendor))
        assert vendor.name == "Bright Reading Co."
        assert vendor.slug == "bright-reading-co"
        assert vendor.contact_email == "privacy@bright.example"
        (event_,) = audit_events("vendor.created")
        assert event_.actor_id == officer_id
        assert event_.record_id == vendor.id
        assert event_.changes["name"] == [None, "Bright Reading Co."]
        assert event_.changes["internal_notes"] == [None, "Renewal contact: Sam."]
    assert response.headers["Location"].endswith(f"/staff/vendors/{vendor.id}/edit")
    page = client.get(response.headers["Location"])
    assert "Bright Reading Co. added." in page.get_data(as_text=True)


def test_renaming_a_vendor_keeps_its_slug_and_audits_before_and_after(app, officer_id):
    with in_app(app):
        vendor = factories.make_vendor(name="Old Name Inc.", slug="old-name-inc")
        vendor_id, version = vendor.id, vendor.version
    response = client_as(app, officer_id).post(
        f"/staff/vendors/{vendor_id}/edit", data={**VENDOR_FORM, "name": "New Name Inc.", "version": version}
    )
    assert response.status_code == 302
    with in_app(app):
        vendor = db.session.get(Vendor, vendor_id)
        assert (vendor.name, vendor.slug, vendor.version) == ("New Name Inc.", "old-name-inc", version + 1)
        (event_,) = audit_events("vendor.updated")
        assert event_.changes["name"] == ["Old Name Inc.", "New Name Inc."]
        assert "version" not in event_.changes
        assert db.session.scalar(select(sa.func.count()).select_from(DisclosureRevision)) == 0


def test_a_duplicate_name_is_refused_and_the_form_keeps_what_was_typed(app, officer_id):
    with in_app(app):
        factories.make_vendor(name="Bright Reading Co.")
    response = client_as(app, officer_id).post("/staff/vendors/new", data={**VENDOR_FORM, "name": "BRIGHT reading co."})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "A vendor named BRIGHT reading co. already exists." in html
    assert 'value="https://bright.example/privacy"' in html
    assert "Renewal contact: Sam." in html
    assert 'aria-invalid="true"' in html
    with in_app(app):
        assert db.session.scalar(select(sa.func.count()).select_from(Vendor)) == 1
        assert audit_events() == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("website", "javascript:alert(1)", "Enter a full web address that starts with https://"),
        ("privacy_policy_url", "bright.example/privacy", "Enter a full web address that starts with https://"),
        ("contact_email", "not an address", "Enter an e-mail address like privacy@vendor.example."),
        ("name", "", "Enter the vendor&#39;s name."),
    ],
)
def test_bad_fields_are_refused_with_a_clear_message(app, officer_id, field, value, message):
    response = client_as(app, officer_id).post("/staff/vendors/new", data={**VENDOR_FORM, field: value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "Makes **reading** apps." in html  # everything else typed is still there
    with in_app(app):
        assert db.session.scalar(select(sa.func.count()).select_from(Vendor)) == 0


def test_a_stale_form_is_refused_and_nothing_is_overwritten(app, officer_id, admin_id):
    with in_app(app):
        vendor = factories.make_vendor(name="Shared Vendor")
        vendor_id, version = vendor.id, vendor.version
    first = client_as(app, admin_id).post(
        f"/staff/vendors/{vendor_id}/edit", data={**VENDOR_FORM, "name": "Saved First", "version": version}
    )
    assert first.status_code == 302
    late = client_as(app, officer_id).post(
        f"/staff/vendors/{vendor_id}/edit", data={**VENDOR_FORM, "name": "Saved Late", "version": version}
    )
    assert late.status_code == 422
    html = late.get_data(as_text=True)
    assert "Someone else changed this vendor while you were editing. Review their changes and try again." in html
    assert 'value="Saved Late"' in html  # what they typed is kept
    # The form now carries the saved version, so saving again (after review) is deliberate.
    assert re.search(rf'name="version" type="hidden" value="{version + 1}"', html)
    with in_app(app):
        assert db.session.get(Vendor, vendor_id).name == "Saved First"
        assert len(audit_events("vendor.updated")) == 1


def test_the_conditional_update_refuses_a_save_that_raced_past_the_version_check(app, officer_id):
    """Two workers both loaded version 1; the other one committed first. Only the UPDATE can tell."""
    with in_app(app):
        vendor = factories.make_vendor(name="Raced Vendor")
        actor = db.session.get(User, officer_id)
        stale = db.session.get(Vendor, vendor.id)  # this worker's copy: version 1
        with db.engine.begin() as other_worker:
            other_worker.execute(
                sa.text("UPDATE vendor SET name = 'Other Worker', version = 2 WHERE id = :id"), {"id": vendor.id}
            )
        with pytest.raises(StaleVersion), unit_of_work():
            services.update_vendor(stale, actor, version=1, **{**VENDOR_FORM, "name": "This Worker"})
        db.session.expire_all()
        assert db.session.get(Vendor, vendor.id).name == "Other Worker"
        assert audit_events() == []


def test_a_unique_violation_from_a_concurrent_insert_becomes_a_message_and_leaves_no_audit_row(app, officer_id):
    """Another request adds the same name between our check and our INSERT: the constraint is the backstop."""
    fired = []

    def concurrent_insert(session, flush_context, instances):
        if not fired:
            fired.append(True)
            with db.engine.begin() as other:
                other.execute(
                    sa.text(
                        "INSERT INTO vendor (name, name_key, slug, website, privacy_policy_url, contact_email,"
                        " description_md, internal_notes, is_retired, version, created_at, updated_at)"
                        " VALUES ('Racing Vendor', 'racing vendor', 'racing-vendor-other', '', '', '', '', '', false,"
                        " 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    )
                )

    with in_app(app):
        actor = db.session.get(User, officer_id)
        event.listen(Session, "before_flush", concurrent_insert)
        try:
            with pytest.raises(DomainError, match="A vendor named Racing Vendor already exists"), unit_of_work():
                services.create_vendor(actor, name="Racing Vendor")
        finally:
            event.remove(Session, "before_flush", concurrent_insert)
        assert fired
        assert list(db.session.scalars(select(Vendor.slug))) == ["racing-vendor-other"]
        assert audit_events() == []


def test_retiring_and_bringing_back_a_vendor(app, officer_id):
    with in_app(app):
        vendor = factories.make_vendor(name="Fading Co.")
        vendor_id, version = vendor.id, vendor.version
    client = client_as(app, officer_id)
    retired = client.post(f"/staff/vendors/{vendor_id}/retire", data={"version": version}, follow_redirects=True)
    assert "Fading Co. retired." in retired.get_data(as_text=True)
    with in_app(app):
        assert db.session.get(Vendor, vendor_id).is_retired
    assert "Fading Co." not in client.get("/staff/vendors").get_data(as_text=True)
    assert "Fading Co." in client.get("/staff/vendors?show=retired").get_data(as_text=True)
    client.post(f"/staff/vendors/{vendor_id}/unretire", data={"version": version + 1})
    with in_app(app):
        assert not db.session.get(Vendor, vendor_id).is_retired
        assert [e.action for e in audit_events()] == ["vendor.retired", "vendor.unretired"]
        assert audit_events()[0].changes == {"is_retired": [False, True]}


def test_vendor_list_searches_and_paginates(app, officer_id):
    with in_app(app):
        for n in range(30):
            factories.make_vendor(name=f"Alpha {n:02d}")
        factories.make_vendor(name="Beta 100%")
    client = client_as(app, officer_id)
    first = client.get("/staff/vendors").get_data(as_text=True)
    assert "31 vendors" in first
    assert "Alpha 00" in first
    assert "Alpha 29" not in first
    assert "Alpha 29" in client.get("/staff/vendors?page=2").get_data(as_text=True)
    found = client.get("/staff/vendors?q=100%25").get_data(as_text=True)  # % is matched literally
    assert "1 vendor" in found
    assert "Beta 100%" in found
    assert "Alpha" not in found
    assert client.get("/staff/vendors?page=-3").status_code == 200
    assert client.get("/staff/vendors?page=abc").status_code == 200


@pytest.mark.parametrize("path", ["/staff/vendors", "/staff/products", "/staff/schools", "/staff/data-elements"])
def test_list_pages_run_a_constant_number_of_queries(app, officer_id, path):
    def build(n):
        with in_app(app):
            category = factories.make_category()
            for _ in range(n):
                vendor = factories.make_vendor()
                school = factories.make_school()
                element = factories.make_element(category)
                factories.make_product(vendor, elements=[element], schools=[school])

    client = client_as(app, officer_id)
    build(5)
    with count_queries(app) as few:
        assert client.get(path).status_code == 200
    build(45)
    with count_queries(app) as many:
        assert client.get(path).status_code == 200
    assert len(many) == len(few)
