"""District sign-in through a real OpenID Connect provider on loopback (tests/oidc_provider.py).

The app side runs in Flask's test client; the provider is reached over real HTTP, by the test for
its authorization page and by the app for discovery, the token exchange and the signing keys.
"""

import base64
import hashlib
import itertools
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from sqlalchemy import func, select

from clearinghouse.accounts import services
from clearinghouse.accounts.models import Role, User
from clearinghouse.app import create_app
from clearinghouse.audit.models import AuditEvent
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db, unit_of_work
from tests import factories
from tests.accounts.conftest import flash_messages, sign_in
from tests.conftest import in_app
from tests.oidc_provider import (
    ADMIN_EMAIL,
    ADMIN_GROUP,
    CLIENT_ID,
    OFFICER_EMAIL,
    OFFICER_GROUP,
    come_back,
    district_config,
    go_to_provider,
    sign_in_through_provider,
)

_subjects = itertools.count(1)
BUTTON = "Sign in with your district account"


@pytest.fixture
def district(district_app):
    return district_app.test_client()


@pytest.fixture
def person(provider):
    """A new provider user each time: (sub, set_claims); the provider outlives each test's database."""

    def make(email: str = "tess.teacher@district.example", **claims):
        sub = f"person-{next(_subjects)}-{email}"
        provider.set_user(sub, email=email, email_verified=True, name="Tess Teacher", **claims)
        return sub

    return make


def _users(app) -> list[User]:
    with in_app(app):
        users = list(db.session.scalars(select(User).order_by(User.id)))
        db.session.expunge_all()
        return users


def _actions(app) -> list[str]:
    with in_app(app):
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _assert_refused(response, status: int, words: str) -> None:
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert "<h1>You are not signed in</h1>" in html
    assert words in html
    assert 'href="/login"' in html


# --- the sign-in page -------------------------------------------------------------------------------


def test_the_sign_in_page_offers_the_district_account_only_when_configured(client, district):
    assert BUTTON not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/district").status_code == 404
    assert client.get("/login/district/callback?code=x&state=y").status_code == 404
    html = district.get("/login?next=/directory").get_data(as_text=True)
    assert f'<a class="button" href="/login/district?next=/directory">{BUTTON}</a>' in html
    assert html.index(BUTTON) < html.index('name="password"')  # above the password form


# --- first and later sign-ins -------------------------------------------------------------------------


def test_first_sign_in_creates_a_requester_linked_to_the_provider(app, district, provider, person):
    sub = person()
    response = sign_in_through_provider(district, sub)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    [user] = _users(app)
    assert (user.email, user.name, user.role) == ("tess.teacher@district.example", "Tess Teacher", Role.REQUESTER)
    assert (user.oidc_issuer, user.oidc_subject, user.password_hash) == (provider.issuer, sub, None)
    assert user.last_login_at is not None
    assert _actions(app) == ["user.created", "user.signed_in"]
    home = district.get("/").get_data(as_text=True)
    assert "Tess Teacher</span></li>" in home
    assert ">Sign out</button>" in home


def test_second_sign_in_reuses_the_account_and_takes_the_providers_new_address(app, district, provider, person):
    sub = person()
    sign_in_through_provider(district, sub)
    district.post("/logout")
    provider.set_user(sub, email="Tess.Smith@District.example", email_verified=True, name="Tess Smith")
    response = sign_in_through_provider(district, sub)
    assert response.status_code == 302
    [user] = _users(app)  # found by iss + sub, not by e-mail
    assert (user.email, user.name, user.role) == ("tess.smith@district.example", "Tess Smith", Role.REQUESTER)
    with in_app(app):
        updated = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.updated"))
        assert updated.changes["email"] == ["tess.teacher@district.example", "tess.smith@district.example"]


@pytest.mark.parametrize(
    ("email", "groups", "role", "lands_on"),
    [
        (ADMIN_EMAIL, None, Role.ADMIN, "/staff/"),
        (OFFICER_EMAIL, None, Role.OFFICER, "/staff/"),
        ("groupie@district.example", [OFFICER_GROUP], Role.OFFICER, "/staff/"),
        ("groupie@district.example", ["teachers", ADMIN_GROUP], Role.ADMIN, "/staff/"),
        ("groupie@district.example", OFFICER_GROUP, Role.OFFICER, "/staff/"),  # one group sent as a string
        ("groupie@district.example", ["teachers"], Role.REQUESTER, "/"),
        ("groupie@district.example", {"not": "a list"}, Role.REQUESTER, "/"),
    ],
)
def test_listed_addresses_and_groups_get_their_roles(app, district, person, email, groups, role, lands_on):
    sub = person(email, **({"groups": groups} if groups is not None else {}))
    response = sign_in_through_provider(district, sub)
    assert response.headers["Location"] == lands_on
    [user] = _users(app)
    assert user.role == role
    staff_page = district.get("/staff/")
    assert staff_page.status_code == (200 if role in (Role.ADMIN, Role.OFFICER) else 403)


def test_roles_follow_the_provider_at_every_sign_in(app, district, provider, person):
    sub = person("mover@district.example", groups=[OFFICER_GROUP])
    sign_in_through_provider(district, sub)
    assert district.get("/staff/").status_code == 200
    district.post("/logout")
    provider.set_user(sub, email="mover@district.example", email_verified=True, name="Mo", groups=[ADMIN_GROUP])
    sign_in_through_provider(district, sub)
    assert _users(app)[0].role == Role.ADMIN
    district.post("/logout")
    provider.set_user(sub, email="mover@district.example", email_verified=True, name="Mo", groups=[])
    sign_in_through_provider(district, sub)
    assert _users(app)[0].role == Role.REQUESTER
    assert district.get("/staff/").status_code == 403
    with in_app(app):
        changes = [
            e.changes["role"]
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.role_changed"))
        ]
    assert changes == [["officer", "admin"], ["admin", "requester"]]


def test_sign_in_starts_a_fresh_versioned_session_and_follows_a_local_next(app, district, person):
    with district.session_transaction() as sess:
        sess["left_over"] = "from before"
    response = sign_in_through_provider(district, person(), next_path="/directory?q=maths")
    assert response.headers["Location"] == "/directory?q=maths"
    [user] = _users(app)
    with district.session_transaction() as sess:
        assert "left_over" not in sess
        assert sess["_user_id"] == f"{user.id}:{user.session_version}"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_a_foreign_next_is_ignored(district, person, target):
    response = sign_in_through_provider(district, person(), next_path=target)
    assert response.headers["Location"] == "/"


def test_sign_out_ends_the_session_and_the_old_cookie_is_dead(district_app, district, person):
    sub = person(OFFICER_EMAIL)
    sign_in_through_provider(district, sub)
    old_cookie = district.get_cookie("session").value
    assert district.get("/staff/").status_code == 200
    response = district.post("/logout")
    assert response.status_code == 302
    thief = district_app.test_client()
    thief.set_cookie("session", old_cookie)
    assert thief.get("/staff/").headers["Location"].startswith("/login")
    assert ">Sign out</button>" not in thief.get("/").get_data(as_text=True)


# --- what is refused, with nothing written ------------------------------------------------------------


def test_an_address_outside_the_districts_domains_is_refused(app, district, person):
    for email in ("someone@gmail.example", "teacher@sub.district.example"):
        response = sign_in_through_provider(district, person(email))
        _assert_refused(response, 403, "only @district.example accounts can sign in here")
    assert _users(app) == []
    assert _actions(app) == []


def test_an_address_the_provider_calls_unverified_is_refused(app, district, provider):
    provider.set_user("unverified-1", email="new@district.example", email_verified=False, name="New")
    _assert_refused(sign_in_through_provider(district, "unverified-1"), 403, "is not verified")
    provider.set_user("unverified-2", email="new@district.example", email_verified="false")
    _assert_refused(sign_in_through_provider(district, "unverified-2"), 403, "is not verified")
    assert _users(app) == []


def test_an_address_without_a_verified_flag_is_accepted(app, district, provider):
    provider.set_user("no-flag-1", email="flagless@district.example", name="Flagless")  # as Entra ID sends it
    assert sign_in_through_provider(district, "no-flag-1").status_code == 302
    assert [u.email for u in _users(app)] == ["flagless@district.example"]


def test_an_answer_without_an_email_address_is_refused(app, district, provider):
    provider.set_user("no-email-1", name="Nobody")
    _assert_refused(sign_in_through_provider(district, "no-email-1"), 403, "did not tell this site your e-mail")
    assert _users(app) == []


def test_a_replayed_state_is_refused_and_writes_nothing(app, district_app, district, person):
    sub = person()
    trip = go_to_provider(district, sub)
    cookie_before_return = district.get_cookie("session").value
    assert come_back(district, trip).status_code == 302
    actions = _actions(app)
    # The same browser again: the state was used up at the first return.
    _assert_refused(come_back(district, trip), 400, "has already been used")
    # The session cookie from before the return still holds the state, but the code is spent.
    replay = district_app.test_client()
    replay.set_cookie("session", cookie_before_return)
    _assert_refused(come_back(replay, trip), 400, "could not be verified")
    # A state this browser never started.
    other = district_app.test_client()
    _assert_refused(come_back(other, trip), 400, "has already been used")
    assert _actions(app) == actions
    assert len(_users(app)) == 1


def _with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    query[name] = [value]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))


def test_a_token_with_another_nonce_is_refused(app, district, person):
    sub = person()
    trip = go_to_provider(district, sub, tamper=lambda url: _with_param(url, "nonce", "not-the-apps-nonce"))
    _assert_refused(come_back(district, trip), 400, "could not be verified")
    assert _users(app) == []
    assert _actions(app) == []


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "another-client"},
        {"aud": "another-client", "azp": CLIENT_ID},  # azp alone must not stand in for the audience
        {"aud": ["another-client", "a-third"]},
        {"iss": "https://impostor.example"},
        {"nonce": "a-nonce-of-another-sign-in"},
        {"exp": 1_000_000_000},
    ],
)
def test_a_signed_token_not_meant_for_this_site_is_refused(app, district, person, claims):
    sub = person(**claims)
    _assert_refused(sign_in_through_provider(district, sub), 400, "could not be verified")
    assert _users(app) == []
    assert _actions(app) == []


def test_the_provider_refusing_is_a_clear_page(app, district, person):
    trip = go_to_provider(district, person(), action="deny")
    _assert_refused(come_back(district, trip), 403, "did not sign you in")
    assert _users(app) == []


def test_a_deactivated_account_stays_out(app, district, person, admin_id):
    sub = person()
    sign_in_through_provider(district, sub)
    district.post("/logout")
    with in_app(app):
        user = db.session.scalar(select(User).where(User.oidc_subject == sub))
        with unit_of_work():
            services.deactivate_user(user, actor=db.session.get(User, admin_id))
    actions = _actions(app)
    _assert_refused(sign_in_through_provider(district, sub), 403, "has been deactivated")
    assert _actions(app) == actions


def test_a_password_account_is_never_taken_over(app, district, person, officer_id):
    sub = person("officer@district.example")  # the address of the password account
    _assert_refused(sign_in_through_provider(district, sub), 409, "signs in with a password")
    with in_app(app):
        officer = db.session.get(User, officer_id)
        assert (officer.oidc_subject, officer.role) == (None, Role.OFFICER)
        assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


# --- PKCE and the provider out of reach ---------------------------------------------------------------


def test_the_pkce_verifier_is_sent_with_the_code(district, provider, person):
    provider.recorder.token_requests.clear()
    trip = go_to_provider(district, person())
    query = parse_qs(urlsplit(trip.authorize_url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"][0]
    assert query["state"][0]
    come_back(district, trip)
    [token_request] = provider.recorder.token_requests
    verifier = token_request["code_verifier"][0]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert query["code_challenge"] == [challenge]
    assert token_request["grant_type"] == ["authorization_code"]


def test_a_provider_out_of_reach_is_a_clear_page(app, provider, database_url, tmp_path):
    config = district_config(provider, database_url, tmp_path, OIDC_ISSUER="http://127.0.0.1:9", OIDC_TIMEOUT_SECONDS=2)
    response = create_app(config).test_client().get("/login/district")
    _assert_refused(response, 502, "could not be reached")


def test_a_discovery_document_naming_another_issuer_is_refused(app, provider, database_url, tmp_path):
    district_app = create_app(district_config(provider, database_url, tmp_path))
    provider.recorder.pretend_host = "impostor.example"
    try:
        response = district_app.test_client().get("/login/district")
    finally:
        provider.recorder.pretend_host = None
    _assert_refused(response, 502, "could not be reached")


# --- passwords ----------------------------------------------------------------------------------------


def test_password_sign_in_still_works_next_to_the_provider(district, officer_id):
    response = sign_in(district, "officer@district.example", factories.TEST_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"


def test_an_account_made_by_the_provider_has_no_password_sign_in(app, district_app, district, person, admin_id):
    sub = person(OFFICER_EMAIL)
    sign_in_through_provider(district, sub)
    stranger = district_app.test_client()
    response = sign_in(stranger, OFFICER_EMAIL, "")
    assert response.status_code == 422
    response = sign_in(stranger, OFFICER_EMAIL, factories.TEST_PASSWORD)
    assert response.status_code == 422
    assert flash_messages(response) == [services.SIGN_IN_FAILED]
    page = district.get("/account/password").get_data(as_text=True)
    assert "has no password on this site" in page
    assert 'name="new_password"' not in page
    assert "My password" not in district.get("/staff/").get_data(as_text=True)
    with in_app(app):
        user = db.session.scalar(select(User).where(User.oidc_subject == sub))
        with pytest.raises(DomainError, match="district account"), unit_of_work():
            services.change_password(user, "", "a brand new long passphrase")
        with pytest.raises(DomainError, match="needs no invitation"), unit_of_work():
            services.resend_invitation(user, actor=db.session.get(User, admin_id))
        assert user.password_hash is None
