"""The district settings screen: admin only, validated, optimistic locking, audited, Markdown preview."""

from sqlalchemy import func, select

from clearinghouse.audit.models import AuditEvent
from clearinghouse.extensions import db
from clearinghouse.settings.models import SETTINGS_ID, DistrictSettings
from clearinghouse.settings.queries import get_settings
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
