"""Signing in and out through the real form, landing pages, `next`, and changing one's own password."""

import pytest
from sqlalchemy import select

from clearinghouse.accounts.models import User
from clearinghouse.audit.models import AuditEvent
from clearinghouse.extensions import db
from tests import factories
from tests.accounts.conftest import flash_messages, sign_in
from tests.conftest import client_as, in_app

NEW_PASSWORD = "lantern orbit pickle 42"


def _user(app, **kwargs) -> User:
    with in_app(app):
        user = factories.make_user(**kwargs)
        db.session.expunge(user)
        return user


def _home_path(app, endpoint: str) -> str:
    return (
        {"agreements.dashboard": "/staff/", "portal.home": "/vendor/"}[endpoint]
        if endpoint in app.view_functions
        else "/"
    )


def test_login_page_has_a_labelled_form(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<label class="field__label" for="email">' in html
    assert 'autocomplete="current-password"' in html
    assert html.count("<h1>") == 1


def test_officer_signs_in_and_lands_on_the_staff_dashboard(app, client, officer_id):
    response = sign_in(client, "officer@district.example", factories.TEST_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == _home_path(app, "agreements.dashboard")
    assert client.get("/staff/users/").status_code == 200
    with in_app(app):
        user = db.session.get(User, officer_id)
        assert user.last_login_at is not None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.signed_in"))
        assert event.actor_id == officer_id


def test_vendor_user_lands_on_the_portal(app, client, vendor_user_id):
    response = sign_in(client, "Contact@OwnVendor.example ", factories.TEST_PASSWORD)  # case and spaces forgiven
    assert response.status_code == 302
    assert response.headers["Location"] == _home_path(app, "portal.home")


def test_a_local_next_address_is_followed(client, officer_id):
    response = sign_in(
        client, "officer@district.example", factories.TEST_PASSWORD, query_string={"next": "/staff/users/?page=2"}
    )
    assert response.headers["Location"] == "/staff/users/?page=2"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "/staff\r\nSet-Cookie: x=1",
        "http:/evil.example",
    ],
)
def test_a_foreign_next_address_is_ignored(app, client, officer_id, target):
    response = sign_in(client, "officer@district.example", factories.TEST_PASSWORD, query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == _home_path(app, "agreements.dashboard")


def test_wrong_password_is_refused_with_the_form_kept(client, officer_id):
    response = sign_in(client, "officer@district.example", "not the password at all")
    assert response.status_code == 422
    assert flash_messages(response) == [
        "That e-mail address and password do not match an active account. Check them and try again."
    ]
    assert 'value="officer@district.example"' in response.get_data(as_text=True)
    assert client.get("/staff/users/").status_code == 302


def test_empty_form_gets_field_errors(client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter your e-mail address." in html
    assert 'aria-invalid="true"' in html


@pytest.mark.parametrize("overrides", [{"is_active_account": False}, {"password": None}])
def test_inactive_or_unfinished_accounts_cannot_sign_in(app, client, overrides):
    _user(app, email="gone@district.example", **overrides)
    response = sign_in(client, "gone@district.example", factories.TEST_PASSWORD)
    assert response.status_code == 422
    assert flash_messages(response) == [
        "That e-mail address and password do not match an active account. Check them and try again."
    ]


def test_logout_is_post_only(client):
    assert client.get("/logout").status_code == 405


def test_logout_ends_the_session_and_bumps_the_session_version(app, client, officer_id):
    sign_in(client, "officer@district.example", factories.TEST_PASSWORD)
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/staff/users/").status_code == 302
    with in_app(app):
        assert db.session.get(User, officer_id).session_version == 2


def test_signed_in_user_visiting_login_goes_home(app, officer_id):
    client = client_as(app, officer_id)
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == _home_path(app, "agreements.dashboard")


def test_change_password_needs_a_signed_in_user(client):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/account/password")


def test_change_password_checks_the_current_one_and_the_rules(app, officer_id):
    client = client_as(app, officer_id)
    response = client.post(
        "/account/password",
        data={"current_password": "wrong one entirely", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 422
    assert "That is not your current password." in response.get_data(as_text=True)
    response = client.post(
        "/account/password",
        data={"current_password": factories.TEST_PASSWORD, "new_password": "password2024!", "confirm": "password2024!"},
    )
    assert response.status_code == 422
    assert "one of the most common passwords" in response.get_data(as_text=True)
    response = client.post(
        "/account/password",
        data={"current_password": factories.TEST_PASSWORD, "new_password": NEW_PASSWORD, "confirm": "something else"},
    )
    assert response.status_code == 422
    assert "The two passwords are not the same." in response.get_data(as_text=True)
    with in_app(app):
        assert db.session.get(User, officer_id).password_hash == factories.password_hash()


def test_changing_the_password_ends_other_sessions_but_keeps_this_one(app, officer_id):
    here = client_as(app, officer_id)
    elsewhere = client_as(app, officer_id)
    response = here.post(
        "/account/password",
        data={"current_password": factories.TEST_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert here.get("/staff/users/").status_code == 200
    assert elsewhere.get("/staff/users/").status_code == 302
    fresh = app.test_client()
    assert sign_in(fresh, "officer@district.example", factories.TEST_PASSWORD).status_code == 422
    assert sign_in(fresh, "officer@district.example", NEW_PASSWORD).status_code == 302
    with in_app(app):
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.password_changed"))
        assert event.changes == {"password": ["(hidden)", "(changed)"]}
        assert "scrypt" not in str(event.changes)


def test_vendor_user_changes_password_on_the_plain_layout(app, vendor_user_id):
    client = client_as(app, vendor_user_id)
    response = client.get("/account/password")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="staff-nav"' not in html
    assert "Change your password" in html
