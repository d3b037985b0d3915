"""Helpers for the accounts tests: the loopback SMTP server and OpenID provider, signing in through the real form."""

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.oidc_provider import district_app, provider  # noqa: F401 - re-exported fixtures
from tests.smtp import smtp_server  # noqa: F401 - re-exported fixture

INVITATION_LINK = re.compile(r"https?://\S+?(/invitations/[A-Za-z0-9_.\-]+)")


def sign_in(client: FlaskClient, email: str, password: str, **kwargs) -> TestResponse:
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def flash_messages(response: TestResponse) -> list[str]:
    return re.findall(r'<div class="flash flash--\w+" role="\w+">([^<]*)</div>', response.get_data(as_text=True))


def invitation_path(text: str) -> str:
    """The /invitations/<token> path inside an e-mail body."""
    match = INVITATION_LINK.search(text)
    assert match, f"no invitation link in: {text}"
    return match.group(1)
