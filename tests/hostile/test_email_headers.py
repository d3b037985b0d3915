"""Values that end up in e-mail headers are refused when saved; a message that still cannot be built
(from data saved before) is recorded in the outbox as failed with its reason, and never breaks the
page, the command or the other messages that asked for it."""

from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from clearinghouse.accounts.models import Invitation, User
from clearinghouse.accounts.services import create_user_with_password
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.notices.models import Notice, NoticeStatus
from clearinghouse.notices.services import deliver_queued, queue_notice
from clearinghouse.settings.models import DistrictSettings
from clearinghouse.settings.services import ensure_settings, update_settings
from tests import factories
from tests.conftest import client_as, in_app
from tests.settings.test_settings import VALID


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("district_name", "Riverside\r\nBcc: everyone@example.org"),
        ("district_name", "Riverside\nUnified"),
        ("sender_email", "no-reply@riverside.example\r\nBcc: x@example.org"),
        ("district_signer_name", "Dana\x1bCruz"),
    ],
)
def test_the_settings_form_refuses_a_line_break_or_control_character_in_a_one_line_setting(app, admin_id, field, value):
    response = client_as(app, admin_id).post("/staff/settings/", data={**VALID, field: value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert 'value="privacy@riverside.example"' in html  # the rest of what was typed is kept
    with in_app(app):
        assert db.session.scalar(select(func.count()).select_from(DistrictSettings)) == 0


def test_the_settings_service_refuses_them_too(app, admin_id):
    with in_app(app):
        admin = db.session.get(User, admin_id)
        with pytest.raises(DomainError) as refused, unit_of_work():
            update_settings({"district_name": "Two\nLines"}, version=1, actor=admin)
        assert refused.value.field == "district_name"
        with pytest.raises(DomainError), unit_of_work():
            create_user_with_password(
                "boss@district.example\r\nBcc: x@example.org", "Boss", "a long enough passphrase here"
            )
        assert db.session.scalar(select(func.count()).select_from(DistrictSettings)) == 0


@pytest.mark.parametrize(
    ("field", "value"), [("email", "pat@vendor.example\r\nBcc: x@example.org"), ("name", "Pat\r\nBcc: x")]
)
def test_an_invitation_refuses_a_header_breaking_e_mail_or_name(app, officer_id, field, value):
    with in_app(app):
        vendor_id = factories.make_vendor(name="Acme").id
    data = {"vendor_id": vendor_id, "email": "pat@vendor.example", "name": "Pat", field: value}
    response = client_as(app, officer_id).post("/staff/users/invite", data=data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    with in_app(app):
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


@pytest.fixture
def broken_district_name(app):
    """A district name with a line break, saved before such names were refused."""
    with in_app(app):
        ensure_settings()
        db.session.execute(sa.update(DistrictSettings).values(district_name="Riverside\nUnified"))
        db.session.commit()


def test_inviting_with_a_broken_district_name_records_the_failure_instead_of_a_500(
    app, officer_id, broken_district_name, smtp_server
):
    with in_app(app):
        vendor_id = factories.make_vendor(name="Acme").id
    response = client_as(app, officer_id).post(
        "/staff/users/invite", data={"vendor_id": vendor_id, "email": "pat@vendor.example", "name": "Pat"}
    )
    assert response.status_code == 302
    with in_app(app):
        notice = db.session.scalar(select(Notice))
        assert notice.status == NoticeStatus.QUEUED
        assert notice.last_error.startswith("The message could not be built:")
        assert "linefeed" in notice.last_error
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1
    assert smtp_server.messages == []
    # Once the name is fixed, the retry goes out.
    with in_app(app):
        db.session.execute(sa.update(DistrictSettings).values(district_name="Riverside Unified"))
        db.session.commit()
        report = deliver_queued(now=notice.next_attempt_at)
        assert report.sent == [notice.purpose_key]
    assert smtp_server.messages[0]["From"].startswith("Riverside Unified")


def test_the_sweep_finishes_and_the_stuck_notices_say_why(app, runner, broken_district_name, smtp_server):
    with in_app(app):
        factories.make_user(role="officer", email="officer@district.example")
        vendor = factories.make_vendor(name="Alpha", contact_email="privacy@alpha.example")
        factories.make_agreement(vendor, reference="A", expires_on=date(2027, 3, 31))
    result = runner.invoke(args=["sweep", "--today", "2027-04-01"])
    assert result.exit_code == 0, result.output
    assert "0 sent, 1 failed" in result.output
    with in_app(app):
        notices = list(db.session.scalars(select(Notice)))
        assert notices
        assert all(n.last_error.startswith("The message could not be built:") for n in notices)
    assert smtp_server.messages == []


def test_one_unbuildable_message_does_not_hold_back_the_others(app, smtp_server):
    context = {"dr": SimpleNamespace(id=7), "cert": SimpleNamespace(signer_name="Pat Signer")}
    with in_app(app):
        good = queue_notice("test:good", ["good@example.org"], "certificate_accepted", context)
        bad = queue_notice("test:bad", ["bad@example.org"], "certificate_accepted", context)
        db.session.commit()
        # An address saved before addresses were checked, now in the outbox.
        db.session.execute(sa.update(Notice).where(Notice.id == bad.id).values(recipients="bad@example.org\r\nBcc: x"))
        db.session.commit()
        report = deliver_queued()
        assert report.sent == [good.purpose_key]
        assert list(report.failed) == [bad.purpose_key]
    assert [m["To"] for m in smtp_server.messages] == ["good@example.org"]
