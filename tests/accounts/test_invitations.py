"""Inviting vendor contacts (issue 6.1): the e-mail, the single-use expiring link, re-sending and revoking."""

import threading
from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from clearinghouse.accounts import queries, services
from clearinghouse.accounts.models import Invitation, Role, User
from clearinghouse.audit.models import AuditEvent
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.notices.models import Notice, NoticeStatus
from clearinghouse.timeutil import utcnow
from tests import factories
from tests.accounts.conftest import flash_messages, invitation_path, sign_in
from tests.conftest import client_as, in_app

PASSWORD = "lantern orbit pickle 42"


@pytest.fixture
def vendor_id(app) -> int:
    with in_app(app):
        return factories.make_vendor(name="Acme Learning").id


def _invite(app, officer_id, vendor_id, email="pat@acme.example", name="Pat Lee"):
    client = client_as(app, officer_id)
    return client.post("/staff/users/invite", data={"vendor_id": vendor_id, "email": email, "name": name})


def _accept(client, path, password=PASSWORD, name="Pat Lee"):
    return client.post(path, data={"name": name, "password": password, "confirm": password})


def test_officer_invites_a_vendor_contact_who_gets_an_email_and_signs_up(app, officer_id, vendor_id, smtp_server):
    response = _invite(app, officer_id, vendor_id, email="Pat@Acme.example")
    assert response.status_code == 302
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message.envelope_to == ["pat@acme.example"]
    # stdlib folds long subjects as "Subject:\n Our …"; a reader unfolds to a leading space
    assert message["Subject"].strip() == "Set up your account on the Our School District student data privacy site"
    body = message.get_body(("plain",)).get_content()
    assert "as a contact for Acme Learning" in body
    path = invitation_path(body)
    raw_link_token = path.rsplit("/", 1)[1]
    with in_app(app):
        user = db.session.scalar(select(User).where(User.email == "pat@acme.example"))
        assert (user.role, user.vendor_id, user.password_hash, user.is_active) == (Role.VENDOR, vendor_id, None, False)
        invitation = db.session.scalar(select(Invitation).where(Invitation.user_id == user.id))
        assert len(invitation.token_hash) == 64
        assert invitation.token_hash not in body
        assert raw_link_token not in invitation.token_hash
        assert invitation.expires_at - invitation.created_at == timedelta(days=7)
        notice = db.session.scalar(select(Notice))
        assert (notice.purpose_key, notice.subject_type, notice.subject_id) == (
            f"invitation:{invitation.id}",
            "invitation",
            invitation.id,
        )
        assert notice.status == NoticeStatus.SENT
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.record_id == user.id)) == "user.invited"

    visitor = app.test_client()
    page = visitor.get(path)
    assert page.status_code == 200
    assert "pat@acme.example" in page.get_data(as_text=True)
    assert 'value="Pat Lee"' in page.get_data(as_text=True)
    response = _accept(visitor, path, name="Pat Q. Lee")
    assert response.status_code == 302
    assert response.headers["Location"] in ("/vendor/", "/")
    assert "/vendor" not in app.view_functions or visitor.get("/vendor/").status_code == 200
    with in_app(app):
        user = db.session.scalar(select(User).where(User.email == "pat@acme.example"))
        assert user.name == "Pat Q. Lee"
        assert user.is_active
        assert user.password_hash.startswith("scrypt:")
        assert db.session.scalar(select(Invitation.used_at)) is not None
    assert sign_in(app.test_client(), "pat@acme.example", PASSWORD).status_code == 302


def test_a_used_link_shows_a_clear_page_not_an_error(app, officer_id, vendor_id, smtp_server):
    _invite(app, officer_id, vendor_id)
    path = invitation_path(smtp_server.messages[0].get_body(("plain",)).get_content())
    assert _accept(app.test_client(), path).status_code == 302
    for response in (app.test_client().get(path), _accept(app.test_client(), path)):
        assert response.status_code == 410
        assert (
            "This invitation link has already been used. Sign in or ask the district for a new link."
            in response.get_data(as_text=True)
        )


def test_a_double_submit_uses_the_link_once(app, officer_id, vendor_id, smtp_server):
    _invite(app, officer_id, vendor_id)
    path = invitation_path(smtp_server.messages[0].get_body(("plain",)).get_content())
    start = threading.Barrier(2)
    statuses: list[int] = []

    def submit(password: str) -> None:
        client = app.test_client()
        start.wait()
        statuses.append(_accept(client, path, password=password).status_code)

    threads = [threading.Thread(target=submit, args=(pw,)) for pw in (PASSWORD, "second tab password 99")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302, 410]
    with in_app(app):
        assert (
            db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "user.invitation_accepted"))
            == 1
        )


def test_a_tampered_link_is_refused_with_a_helpful_page(app, officer_id, vendor_id, smtp_server):
    _invite(app, officer_id, vendor_id)
    path = invitation_path(smtp_server.messages[0].get_body(("plain",)).get_content())
    tampered = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    for bad in (tampered, "/invitations/not-a-token", "/invitations/" + "x" * 500):
        response = app.test_client().get(bad)
        assert response.status_code == 404
        assert "This invitation link is not valid." in response.get_data(as_text=True)


def test_a_link_signed_with_another_key_is_refused(app, officer_id, vendor_id):
    forged = URLSafeTimedSerializer("guessed-key", salt=services.INVITATION_SALT).dumps("anything")
    assert app.test_client().get(f"/invitations/{forged}").status_code == 404


def test_an_expired_link_is_refused(app, officer_id, vendor_id, smtp_server):
    with in_app(app):
        officer = db.session.get(User, officer_id)
        vendor = queries.get_vendor_or_none(vendor_id)
        with unit_of_work():
            services.invite_vendor_user(
                vendor, "late@acme.example", "Lee Late", actor=officer, now=utcnow() - timedelta(days=8)
            )
    path = invitation_path(smtp_server.messages[0].get_body(("plain",)).get_content())
    response = app.test_client().get(path)
    assert response.status_code == 410
    assert "This invitation link has expired. Ask the district for a new link." in response.get_data(as_text=True)
    assert _accept(app.test_client(), path).status_code == 410


def test_resend_withdraws_the_old_link(app, officer_id, vendor_id, smtp_server):
    _invite(app, officer_id, vendor_id)
    old_path = invitation_path(smtp_server.messages[0].get_body(("plain",)).get_content())
    with in_app(app):
        user_id = db.session.scalar(select(User.id).where(User.email == "pat@acme.example"))
    response = client_as(app, officer_id).post(f"/staff/users/{user_id}/resend")
    assert response.status_code == 302
    assert len(smtp_server.messages) == 2
    new_path = invitation_path(smtp_server.messages[1].get_body(("plain",)).get_content())
    assert new_path != old_path
    response = app.test_client().get(old_path)
    assert response.status_code == 410
    assert "withdrawn" in response.get_data(as_text=True)
    assert _accept(app.test_client(), new_path).status_code == 302


def test_revoking_a_vendor_user_ends_their_session(app, officer_id, vendor_user_id):
    vendor_client = client_as(app, vendor_user_id)
    assert vendor_client.get("/account/password").status_code == 200
    response = client_as(app, officer_id).post(f"/staff/users/{vendor_user_id}/revoke")
    assert response.status_code == 302
    with in_app(app):
        user = db.session.get(User, vendor_user_id)
        assert not user.is_active_account
        assert user.session_version == 2
        assert db.session.scalar(select(AuditEvent.changes).where(AuditEvent.action == "user.deactivated")) == {
            "is_active_account": [True, False]
        }
    assert vendor_client.get("/account/password").status_code == 302
    assert sign_in(app.test_client(), "contact@ownvendor.example", factories.TEST_PASSWORD).status_code == 422


def test_revoking_an_invited_contact_withdraws_the_pending_link(app, officer_id, vendor_id, smtp_server):
    _invite(app, officer_id, vendor_id)
    path = invitation_path(smtp_server.messages[0].get_body(("plain",)).get_content())
    with in_app(app):
        user_id = db.session.scalar(select(User.id).where(User.email == "pat@acme.example"))
    assert client_as(app, officer_id).post(f"/staff/users/{user_id}/revoke").status_code == 302
    with in_app(app):
        assert db.session.scalar(select(Invitation.revoked_at)) is not None
    response = app.test_client().get(path)
    assert response.status_code == 410
    assert "withdrawn" in response.get_data(as_text=True)


def test_revoke_is_only_for_vendor_users(app, officer_id, admin_id):
    assert client_as(app, officer_id).post(f"/staff/users/{admin_id}/revoke").status_code == 404


def test_inviting_an_existing_email_is_refused_and_keeps_the_input(app, officer_id, vendor_id, vendor_user_id):
    response = _invite(app, officer_id, vendor_id, email="contact@ownvendor.example", name="Sam Doe")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "A user with this e-mail address already exists." in html
    assert 'value="Sam Doe"' in html
    with in_app(app):
        assert db.session.scalar(select(func.count(Invitation.id))) == 0
        assert db.session.scalar(select(func.count(Notice.id))) == 0


def test_invite_form_validates_its_fields(app, officer_id, vendor_id):
    response = _invite(app, officer_id, vendor_id, email="not an email", name="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter a valid e-mail address" in html
    assert "Enter the contact&#39;s name." in html


def test_a_weak_password_on_the_accept_page_keeps_the_name(app, officer_id, vendor_id, smtp_server):
    _invite(app, officer_id, vendor_id)
    path = invitation_path(smtp_server.messages[0].get_body(("plain",)).get_content())
    response = _accept(app.test_client(), path, password="pat@acme.example", name="Pat Typed")
    assert response.status_code == 422
    assert 'value="Pat Typed"' in response.get_data(as_text=True)
    response = _accept(app.test_client(), path, password="password1234")
    assert "one of the most common passwords" in response.get_data(as_text=True)
    with in_app(app):
        assert db.session.scalar(select(Invitation.used_at)) is None


def test_the_link_survives_a_failed_delivery_in_the_outbox(app, officer_id, vendor_id):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=9)  # nothing listens on the discard port
    try:
        response = _invite(app, officer_id, vendor_id)
    finally:
        app.config.update(SMTP_PORT=25)
    assert response.status_code == 302
    assert flash_messages(client_as(app, officer_id).get("/staff/users/")) == []
    with in_app(app):
        notice = db.session.scalar(select(Notice))
        assert notice.status == NoticeStatus.QUEUED
        assert notice.last_error
    assert app.test_client().get(invitation_path(notice.body_text)).status_code == 200
