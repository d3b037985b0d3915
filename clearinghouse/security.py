"""Security headers, the CSP, and the deny-by-default role guards for staff and vendor areas."""

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Flask, Response, abort, redirect, request, url_for
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


# (lower-case name, name, value): a view may have set its own (a download's sandboxed CSP).
_SECURITY_HEADERS = tuple((name.lower(), name, value) for name, value in SECURITY_HEADERS.items())


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    present = {name.lower() for name in headers.keys()}  # noqa: SIM118 - Headers' keys, not a dict's
    for lower, name, value in _SECURITY_HEADERS:
        if lower not in present:  # `setdefault`, without a KeyError raised and caught for each name
            headers.add(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if current_user and current_user.is_authenticated:
        # Pages behind a login are never kept by shared caches or the back button of a shared computer.
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Vary", "Cookie")
    return response


def deny_unless(blueprint: Blueprint, *roles: str) -> None:
    """Every route of the blueprint needs a signed-in, active user with one of these roles.

    Anonymous users are sent to the login page; a signed-in user with another role gets 403.
    """

    @blueprint.before_request
    def _guard() -> Response | None:
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        if current_user.role not in roles:
            abort(403)
        return None


def role_required(*roles: str) -> Callable:
    """A stricter guard for one view inside an already guarded blueprint (e.g. admin-only)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def init_app(app: Flask) -> None:
    app.after_request(set_security_headers)
