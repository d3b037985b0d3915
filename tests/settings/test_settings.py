"""The district settings screen: admin only, validated, optimistic locking, audited, Markdown preview."""

from datetime import timedelta

from sqlalchemy import func, select

from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.extensions import db
from clearinghouse.settings.models import SETTINGS_ID, DistrictSettings
from clearinghouse.settings.queries import get_settings
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import client_as, in_app

VALID = {
    "version": "1",
    "district_name": "Riverside Unified",
    "time_zone": "America/Chicago",
    "privacy_office_email": "privacy@riverside.example",
    "sender_email": "no-reply@riverside.example",
    "default_destruction_window_days": "45",
    "expiry_warning_days": "30, 90,7,60",
    "reminder_days_before_due": "3,14",
    "overdue_reminder_interval_days": "7",
    "sweep_time": "05:30",
    "digest_business_days": "5",
    "district_signer_name": "Dana Cruz",
    "district_signer_title": "Chief Privacy Officer",
    "privacy_notice_md": "We collect **nothing**.",
}


def test_first_save_creates_the_row_and_audits_before_and_after(app, admin_id):
    with in_app(app):
        assert db.session.get(DistrictSettings, SETTINGS_ID) is None
    client = client_as(app, admin_id)
    page = client.get("/staff/settings/")
    assert page.status_code == 200
    assert 'name="version" type="hidden" value="1"' in page.get_data(as_text=True)
    response = client.post("/staff/settings/", data=VALID)
    assert response.status_code == 302
    with in_app(app):
        settings = db.session.get(DistrictSettings, SETTINGS_ID)
        assert settings.district_name == "Riverside Unified"
        assert settings.expiry_warning_days == "90,60,30,7"  # normalised
        assert settings.reminder_days_before_due == "14,3"
        assert settings.version == 2
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "settings.updated"))
        assert event.actor_id == admin_id
        assert event.changes["district_name"] == ["Our School District", "Riverside Unified"]
        assert event.changes["time_zone"] == ["America/New_York", "America/Chicago"]
        assert "version" not in event.changes
    assert "Riverside Unified" in client.get("/").get_data(as_text=True)


def test_a_stale_form_is_refused_and_keeps_what_was_typed(app, admin_id):
    client = client_as(app, admin_id)
    assert client.post("/staff/settings/", data=VALID).status_code == 302
    stale = {**VALID, "district_name": "Typed Over An Old Page"}  # still version 1
    response = client.post("/staff/settings/", data=stale)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Someone else changed the district settings while you were editing." in html
    assert 'value="Typed Over An Old Page"' in html
    with in_app(app):
        assert get_settings().district_name == "Riverside Unified"
        assert db.session.scalar(select(func.count(AuditEvent.id))) == 1


def test_a_new_default_disposal_window_is_a_public_change_of_each_agreement_that_sets_none(app, admin_id):
    """Product pages say the district's window for an agreement without its own, so changing it is
    disclosed (changes page, feed, digests) for those agreements' products, and only theirs."""
    with in_app(app):
        today = district_today()
        vendor = factories.make_vendor(name="Lexi Learning")
        reader, math, draft_app, ended_app = (
            factories.make_product(vendor, name=name) for name in ("Lexi Reader", "Lexi Math", "Lexi Draft", "Lexi Old")
        )
        term = {"signed_on": today - timedelta(days=300), "effective_on": today - timedelta(days=300)}
        later, earlier = today + timedelta(days=400), today - timedelta(days=10)
        factories.make_agreement(vendor, [reader], expires_on=later, **term)
        factories.make_agreement(vendor, [math], expires_on=later, destruction_window_days=30, **term)
        factories.make_agreement(vendor, [draft_app], signed_on=None, expires_on=later)
        ended = factories.make_agreement(vendor, [ended_app], expires_on=earlier, **term)
        factories.make_destruction_request(vendor, ended, issued_on=today - timedelta(days=5))
        reader_id, reader_slug = reader.id, reader.slug
    client = client_as(app, admin_id)
    assert client.post("/staff/settings/", data=VALID).status_code == 302  # 60 days -> 45

    with in_app(app):
        revisions = list(db.session.scalars(select(DisclosureRevision).order_by(DisclosureRevision.id)))
        assert [(r.kind, r.product_id) for r in revisions] == [("agreement.disposal_changed", reader_id)]
        assert revisions[0].summary == (
            "Lexi Reader: When Lexi Learning's agreement ends, the district now directs the company to destroy "
            "the student data within 45 days."
        )
        assert (revisions[0].details["before"], revisions[0].details["after"]) == (
            {"disposal_method": None, "disposal_days": 60},
            {"disposal_method": None, "disposal_days": 45},
        )
    public = app.test_client()
    assert "within 45 days" in public.get(f"/products/{reader_slug}").get_data(as_text=True)
    assert "within 45 days" in public.get("/changes").get_data(as_text=True)

    # Saving the settings again without changing the window discloses nothing.
    assert client.post("/staff/settings/", data={**VALID, "version": "2", "sweep_time": "07:15"}).status_code == 302
    with in_app(app):
        assert db.session.scalar(select(func.count(DisclosureRevision.id))) == 1


def test_the_current_version_saves_again(app, admin_id):
    client = client_as(app, admin_id)
    client.post("/staff/settings/", data=VALID)
    response = client.post("/staff/settings/", data={**VALID, "version": "2", "sweep_time": "07:15"})
    assert response.status_code == 302
    with in_app(app):
        assert get_settings().sweep_time == "07:15"
        assert get_settings().version == 3


def test_bad_values_get_clear_messages_and_nothing_is_saved(app, admin_id):
    bad = {
        **VALID,
        "time_zone": "Mars/Olympus_Mons",
        "default_destruction_window_days": "400",
        "expiry_warning_days": "90,soon,-3",
        "reminder_days_before_due": "",
        "sweep_time": "25:00",
        "privacy_office_email": "not-an-email",
        "overdue_reminder_interval_days": "lots",
    }
    response = client_as(app, admin_id).post("/staff/settings/", data=bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in (
        "Not a valid choice",
        "Enter a number of days from 1 to 365.",
        "“soon” is not a number of days from 1 to 3650.",
        "Enter at least one number of days for reminders",
        "Enter a time of day as HH:MM",
        "Enter a valid e-mail address",
        "Enter a number of days from 1 to 90.",
    ):
        assert message in html, message
    assert 'value="90,soon,-3"' in html
    with in_app(app):
        assert db.session.get(DistrictSettings, SETTINGS_ID) is None


def test_preview_renders_the_typed_notice_sanitized_without_saving(app, admin_id):
    notice = "## Our promise\n\n<script>alert(1)</script>[x](javascript:alert(1)) **kept**"
    response = client_as(app, admin_id).post(
        "/staff/settings/", data={**VALID, "privacy_notice_md": notice, "preview": "Preview the notice"}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h2>Our promise</h2>" in html
    assert "<strong>kept</strong>" in html
    assert "<script>alert" not in html
    assert 'href="javascript' not in html
    assert "Preview of your text (not saved yet)" in html
    with in_app(app):
        assert db.session.get(DistrictSettings, SETTINGS_ID) is None


def test_settings_are_admin_only(app, officer_id, vendor_user_id, client):
    assert client_as(app, officer_id).get("/staff/settings/").status_code == 403
    assert client_as(app, officer_id).post("/staff/settings/", data=VALID).status_code == 403
    assert client_as(app, vendor_user_id).get("/staff/settings/").status_code == 403
    assert client.get("/staff/settings/").status_code == 302
    with in_app(app):
        assert db.session.get(DistrictSettings, SETTINGS_ID) is None
