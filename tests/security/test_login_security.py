"""Sign-in that resists attack: throttling in the database, no enumeration, cookies, session renewal, logout."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clearinghouse.accounts import passwords, services
from clearinghouse.accounts.models import LoginAttempt
from clearinghouse.app import create_app
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.timeutil import utcnow
from tests import factories
from tests.accounts.conftest import flash_messages, sign_in
from tests.conftest import in_app

EMAIL = "officer@district.example"
LOCKED = "Too many failed sign-ins. Try again in 15 minutes."


def test_five_failures_lock_the_account_even_for_the_right_password(client, officer_id):
    for _ in range(5):
        assert sign_in(client, EMAIL, "wrong password number").status_code == 422
    response = sign_in(client, EMAIL, factories.TEST_PASSWORD)
    assert response.status_code == 429
    assert flash_messages(response) == [LOCKED]
    assert client.get("/staff/users/").status_code == 302


def test_an_unknown_account_locks_the_same_way(client):
    for _ in range(5):
        sign_in(client, "nobody@district.example", "wrong password number")
    assert sign_in(client, "nobody@district.example", "wrong password number").status_code == 429


def test_the_lock_is_per_account_from_other_addresses_too(app, officer_id):
    for n in range(5):
        sign_in(app.test_client(), EMAIL, "wrong", environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
    response = sign_in(app.test_client(), EMAIL, factories.TEST_PASSWORD, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert response.status_code == 429


def test_one_address_trying_many_accounts_is_locked(app, officer_id):
    attacker = {"REMOTE_ADDR": "203.0.113.7"}
    for n in range(20):
        sign_in(app.test_client(), f"guess{n}@district.example", "wrong", environ_base=attacker)
    response = sign_in(app.test_client(), EMAIL, factories.TEST_PASSWORD, environ_base=attacker)
    assert response.status_code == 429
    other = sign_in(app.test_client(), EMAIL, factories.TEST_PASSWORD, environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert other.status_code == 302


def test_success_clears_the_accounts_failures(client, officer_id):
    for _ in range(4):
        sign_in(client, EMAIL, "wrong")
    assert sign_in(client, EMAIL, factories.TEST_PASSWORD).status_code == 302
    client.post("/logout")
    for _ in range(4):
        sign_in(client, EMAIL, "wrong")
    assert sign_in(client, EMAIL, factories.TEST_PASSWORD).status_code == 302


def test_the_lock_lifts_after_the_window_and_old_rows_are_pruned(app, officer_id):
    start = utcnow() - timedelta(minutes=20)
    with in_app(app):
        for n in range(5):
            with pytest.raises(DomainError), unit_of_work():
                services.sign_in(EMAIL, "wrong", address="10.1.1.1", now=start + timedelta(seconds=n))
        with pytest.raises(services.SignInThrottled, match=r"Try again in 14 minutes\."), unit_of_work():
            services.sign_in(EMAIL, factories.TEST_PASSWORD, address="10.1.1.1", now=start + timedelta(minutes=1))
        with pytest.raises(services.SignInThrottled, match=r"Try again in 1 minute\."), unit_of_work():
            services.sign_in(EMAIL, factories.TEST_PASSWORD, address="10.1.1.1", now=start + timedelta(minutes=14.5))
        assert db.session.scalar(select(func.count(LoginAttempt.id))) == 10
        with pytest.raises(DomainError), unit_of_work():  # a new failure, 20 minutes on, prunes the old rows
            services.sign_in("other@district.example", "wrong", address="10.2.2.2", now=utcnow())
        assert db.session.scalar(select(func.count(LoginAttempt.id))) == 2
        with unit_of_work():
            assert services.sign_in(EMAIL, factories.TEST_PASSWORD, address="10.1.1.1").email == EMAIL


def test_throttling_holds_across_two_app_instances_sharing_the_database(app, database_url, officer_id, tmp_path):
    """Two separately created apps (think two gunicorn workers) count failures together."""
    other_app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_DIR": str(tmp_path),
            "WTF_CSRF_ENABLED": False,
        }
    )
    try:
        first, second = app.test_client(), other_app.test_client()
        for n in range(5):
            sign_in(first if n % 2 else second, EMAIL, "wrong password")
        assert sign_in(first, EMAIL, factories.TEST_PASSWORD).status_code == 429
        assert sign_in(second, EMAIL, factories.TEST_PASSWORD).status_code == 429
    finally:
        with other_app.app_context():
            db.engine.dispose()


def test_unknown_email_and_wrong_password_look_the_same(client, officer_id, monkeypatch):
    calls: list[str] = []
    real_check = passwords.check_password_hash

    def spy(pwhash: str, password: str) -> bool:
        calls.append(pwhash)
        return real_check(pwhash, password)

    monkeypatch.setattr(passwords, "check_password_hash", spy)  # a spy on werkzeug: it still hashes
    unknown = sign_in(client, "nobody@district.example", "some password here")
    assert len(calls) == 1
    assert calls[0].startswith("scrypt:")
    wrong = sign_in(client, EMAIL, "some password here")
    assert len(calls) == 2
    # The same work either way (no timed test): the stand-in hash has the real one's method and cost.
    assert calls[0].split("$")[0] == calls[1].split("$")[0]
    assert unknown.status_code == wrong.status_code == 422
    assert flash_messages(unknown) == flash_messages(wrong) == [services.SIGN_IN_FAILED]


def test_session_cookie_is_httponly_and_samesite_lax(client, officer_id):
    response = sign_in(client, EMAIL, factories.TEST_PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_session_cookie_is_secure_over_https(app, database_url, officer_id, tmp_path):
    https_app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "k" * 32,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_DIR": str(tmp_path),
            "WTF_CSRF_ENABLED": False,
            "BASE_URL": "https://privacy.district.example",
        }
    )
    try:
        client = https_app.test_client()
        response = sign_in(client, EMAIL, factories.TEST_PASSWORD, base_url="https://privacy.district.example")
        assert response.status_code == 302
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Strict-Transport-Security" in response.headers
    finally:
        with https_app.app_context():
            db.engine.dispose()


def test_sign_in_starts_a_new_session_with_a_new_csrf_token(client, officer_id, csrf):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    before = client.get_cookie("session").value
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"  # anything set before sign-in must not survive it
        old_csrf = sess["csrf_token"]
    response = client.post("/login", data={"email": EMAIL, "password": factories.TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("csrf_token") != old_csrf
        assert sess.permanent


def test_the_login_form_needs_its_csrf_token(client, officer_id, csrf):
    response = client.post("/login", data={"email": EMAIL, "password": factories.TEST_PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_replaying_the_cookie_after_logout_is_not_signed_in(app, client, officer_id):
    sign_in(client, EMAIL, factories.TEST_PASSWORD)
    assert client.get("/staff/users/").status_code == 200
    stolen = client.get_cookie("session").value
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/staff/users/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
