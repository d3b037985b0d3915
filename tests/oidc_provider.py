"""A real OpenID Connect provider on loopback for the district sign-in tests.

oidc-provider-mock's server (Authlib's authorization server underneath) runs in a thread on a free
port; the app reaches it over real HTTP for discovery, the token exchange and its signing keys, and
the tests drive its authorization page over real HTTP too. A thin WSGI wrapper records what the app
sent to the token endpoint (to see the PKCE verifier), and can answer for another host name (to make
the discovery document name another issuer).

A test user is created with `provider.set_user(sub, **claims)`; the provider copies the claims into
the ID token after its own, so a claim such as `aud` or `nonce` there makes a token that is signed
correctly but not meant for this site.
"""

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import oidc_provider_mock
import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from clearinghouse.app import create_app
from clearinghouse.extensions import db
from tests.conftest import LiveServer

CLIENT_ID = "clearinghouse-test"
CLIENT_SECRET = "loopback-client-secret"
DISTRICT_DOMAIN = "district.example"
ADMIN_EMAIL = f"chief@{DISTRICT_DOMAIN}"
OFFICER_EMAIL = f"privacy@{DISTRICT_DOMAIN}"
ADMIN_GROUP = "clearinghouse-admins"
OFFICER_GROUP = "clearinghouse-officers"
TIMEOUT = 10


@dataclass
class RecordingProvider:
    """The provider's WSGI app, with a record of the token requests it received."""

    app: Callable
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    pretend_host: str | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        if self.pretend_host:
            environ["HTTP_HOST"] = self.pretend_host
        if environ.get("PATH_INFO") == "/oauth2/token" and environ.get("REQUEST_METHOD") == "POST":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            self.token_requests.append(parse_qs(body.decode()))
            environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)


class Provider:
    def __init__(self) -> None:
        self.recorder = RecordingProvider(oidc_provider_mock.app(require_nonce=True, issue_refresh_token=False))
        self._server = LiveServer(self.recorder)
        self.issuer = self._server.url

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def set_user(self, sub: str, **claims: Any) -> None:
        """Create or replace the provider's user `sub` with these claims."""
        requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=TIMEOUT).raise_for_status()


def district_config(provider: Provider, database_url: str, upload_dir: Path, **overrides: Any) -> dict[str, Any]:
    """The test app's settings with district sign-in pointing at the loopback provider."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_DIR": str(upload_dir),
        "WTF_CSRF_ENABLED": False,
        "BASE_URL": "http://localhost",
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_ALLOWED_DOMAINS": DISTRICT_DOMAIN,
        "OIDC_ADMIN_EMAILS": ADMIN_EMAIL,
        "OIDC_OFFICER_EMAILS": OFFICER_EMAIL,
        "OIDC_ADMIN_GROUPS": ADMIN_GROUP,
        "OIDC_OFFICER_GROUPS": OFFICER_GROUP,
        **overrides,
    }


@pytest.fixture(scope="session")
def provider() -> Iterator[Provider]:
    provider = Provider()
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def district_app(app, provider, database_url, tmp_path_factory) -> Iterator[Flask]:
    """A second app on the suite's database (migrated by `app`), with district sign-in configured."""
    district_app = create_app(district_config(provider, database_url, tmp_path_factory.mktemp("district")))
    yield district_app
    with district_app.app_context():
        db.engine.dispose()


@dataclass
class ProviderTrip:
    """One trip through the provider: where the app sent the browser, and the provider's answer."""

    authorize_url: str
    callback_path: str
    callback_query: str


def go_to_provider(
    client: FlaskClient,
    sub: str,
    *,
    next_path: str | None = None,
    tamper=None,
    action=None,
    start_path: str = "/login/district",
):
    """Start the sign-in in the app (at `start_path`: `/es/login/district` in Spanish), then sign in
    as `sub` on the provider's page (real HTTP)."""
    start = client.get(start_path, query_string={"next": next_path} if next_path else None)
    assert start.status_code == 302, start.get_data(as_text=True)
    authorize_url = start.headers["Location"]
    if tamper is not None:
        authorize_url = tamper(authorize_url)
    form = {"action": action} if action else {"sub": sub}
    answer = requests.post(authorize_url, data=form, allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["Location"])
    return ProviderTrip(authorize_url, callback.path, callback.query)


def come_back(client: FlaskClient, trip: ProviderTrip) -> TestResponse:
    return client.get(trip.callback_path, query_string=trip.callback_query)


def sign_in_through_provider(client: FlaskClient, sub: str, **kwargs: Any) -> TestResponse:
    """The whole authorization-code flow: app → provider → app; the app's last answer."""
    return come_back(client, go_to_provider(client, sub, **kwargs))
