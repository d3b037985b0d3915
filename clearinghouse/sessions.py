"""The session cookie and the sign-in check, cheap for a reader who brings no cookie.

Most public requests come without a session cookie (an anonymous reader who has opened no form).
Flask's cookie session builds its signing serializer (itsdangerous, with the key list and
derivation) on every request before looking for the cookie, and reads half a dozen cookie settings
after every request before finding the session empty; Flask-Login hashes the reader's address and
User-Agent for its session protection before finding no session to protect. Each is skipped here
when there is nothing to read or write; the answers, headers and cookies are the same.
"""

from typing import Any

import flask_login
from flask import Flask, Request, Response, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, without building the serializer when no cookie came, and
    without reading the cookie settings to save a session that is and stays empty."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()  # what Flask answers for a missing cookie
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified:  # Flask's own path for it: Vary, no cookie
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


class LoginManager(flask_login.LoginManager):
    """Flask-Login's, whose session protection returns at once for an empty session (it compares the
    reader's identifier with the session's only when there is a session: Flask-Login's own rule)."""

    def _session_protection_failed(self) -> Any:
        if not session:
            return False
        return super()._session_protection_failed()
