"""The users screen: admins manage staff accounts; officers see users and manage vendor contacts."""

from sqlalchemy import select

from clearinghouse.accounts.models import Role, User
from clearinghouse.audit.models import AuditEvent
from clearinghouse.extensions import db
from tests import factories
from tests.accounts.conftest import flash_messages, invitation_path
from tests.conftest import client_as, count_queries, in_app


def test_users_list_shows_role_vendor_status_and_last_sign_in(app, admin_id, officer_id, vendor_user_id):
    with in_app(app):
        factories.make_user(
            role="vendor",
            email="pending@ownvendor.example",
            password=None,
            vendor_id=db.session.get(User, vendor_user_id).vendor_id,
        )
        factories.make_user(email="old@district.example", is_active_account=False)
    html = client_as(app, officer_id).get("/staff/users/").get_data(as_text=True)
    for text in (
        "admin@district.example",
        "Administrator",
        "Privacy officer",
        "Vendor user",
        "Own Vendor Inc.",
        "Deactivated",
        "Invitation expired",
        "Never",
    ):
        assert text in html
    assert "Add a staff member" not in html  # officers cannot add staff
    assert "Revoke access" in html
    admin_html = client_as(app, admin_id).get("/staff/users/").get_data(as_text=True)
    assert "Add a staff member" in admin_html
    assert "Reactivate" in admin_html


def test_users_list_runs_the_same_number_of_queries_for_5_and_50_users(app, admin_id):
    def count() -> int:
        client = client_as(app, admin_id)
        with count_queries(app) as statements:
            assert client.get("/staff/users/").status_code == 200
        return len(statements)

    with in_app(app):
        vendor_id = factories.make_vendor().id
        for _ in range(4):
            factories.make_user(role="vendor", vendor_id=vendor_id, password=None)
    few = count()
    with in_app(app):
        for n in range(45):
            factories.make_user(role="vendor", vendor_id=factories.make_vendor().id if n % 3 else vendor_id)
    assert count() == few


def test_admin_adds_an_officer_who_gets_an_invitation(app, admin_id, smtp_server):
    client = client_as(app, admin_id)
    response = client.post(
        "/staff/users/new", data={"email": "new.officer@district.example", "name": "Nia Officer", "role": "officer"}
    )
    assert response.status_code == 302
    message = smtp_server.to("new.officer@district.example")[0]
    body = message.get_body(("plain",)).get_content()
    assert "as a privacy officer" in body
    with in_app(app):
        user = db.session.scalar(select(User).where(User.email == "new.officer@district.example"))
        assert user.role == Role.OFFICER
        assert user.password_hash is None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created"))
        assert event.actor_id == admin_id
        assert event.changes["role"] == [None, "officer"]
        assert "password_hash" not in event.changes
    visitor = app.test_client()
    response = visitor.post(
        invitation_path(body),
        data={"name": "Nia Officer", "password": "tidal marble crayon 7", "confirm": "tidal marble crayon 7"},
    )
    assert response.status_code == 302
    assert visitor.get("/staff/users/").status_code == 200


def test_officers_cannot_add_staff(app, officer_id):
    client = client_as(app, officer_id)
    assert client.get("/staff/users/new").status_code == 403
    response = client.post("/staff/users/new", data={"email": "x@district.example", "name": "X", "role": "admin"})
    assert response.status_code == 403
    with in_app(app):
        assert db.session.scalar(select(User).where(User.email == "x@district.example")) is None


def test_add_staff_refuses_a_taken_email_and_a_bad_role(app, admin_id, officer_id):
    client = client_as(app, admin_id)
    response = client.post(
        "/staff/users/new", data={"email": "OFFICER@district.example", "name": "Dup", "role": "officer"}
    )
    assert response.status_code == 422
    assert "A user with this e-mail address already exists." in response.get_data(as_text=True)
    response = client.post("/staff/users/new", data={"email": "v@district.example", "name": "V", "role": "vendor"})
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_admin_deactivates_and_reactivates_a_user(app, admin_id, officer_id):
    officer_client = client_as(app, officer_id)
    admin = client_as(app, admin_id)
    response = admin.post(f"/staff/users/{officer_id}/deactivate", follow_redirects=True)
    assert flash_messages(response) == ["officer@district.example is deactivated and signed out everywhere."]
    assert officer_client.get("/staff/users/").status_code == 302  # the old session ended
    with in_app(app):
        assert db.session.get(User, officer_id).session_version == 2
    response = admin.post(f"/staff/users/{officer_id}/reactivate", follow_redirects=True)
    assert flash_messages(response) == ["officer@district.example is active again."]
    with in_app(app):
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions == ["user.deactivated", "user.reactivated"]
    assert officer_client.get("/staff/users/").status_code == 302  # reactivating does not revive old cookies


def test_officers_cannot_deactivate_or_reactivate(app, officer_id, admin_id):
    client = client_as(app, officer_id)
    assert client.post(f"/staff/users/{admin_id}/deactivate").status_code == 403
    assert client.post(f"/staff/users/{admin_id}/reactivate").status_code == 403
    with in_app(app):
        assert db.session.get(User, admin_id).is_active_account


def test_an_admin_cannot_deactivate_themselves_or_the_last_admin(app, admin_id):
    client = client_as(app, admin_id)
    response = client.post(f"/staff/users/{admin_id}/deactivate", follow_redirects=True)
    assert flash_messages(response) == ["You cannot deactivate your own account."]
    with in_app(app):
        other = factories.make_user(role="admin", email="second@district.example")
        other_id = other.id
    second = client_as(app, other_id)
    second.post(f"/staff/users/{admin_id}/deactivate")
    response = client_as(app, admin_id).get("/staff/users/")
    assert response.status_code == 302  # admin_id is deactivated now
    with in_app(app):
        assert not db.session.get(User, admin_id).is_active_account


def test_unknown_user_ids_are_404(app, admin_id):
    client = client_as(app, admin_id)
    for action in ("deactivate", "reactivate", "resend", "revoke"):
        assert client.post(f"/staff/users/99999/{action}").status_code == 404
