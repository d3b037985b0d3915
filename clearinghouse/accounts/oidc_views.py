"""District sign-in pages (public): off to the district's identity provider, and back.

Both routes exist only when OIDC_ISSUER is set (404 otherwise). The way back is a GET, as
OpenID Connect's authorization-code flow needs: it carries no CSRF token, and Authlib's state,
nonce and PKCE verifier, kept in this browser's session, stand in for one.

The way out is in every language (`/es/login/district` from the Spanish sign-in page); the way
back has the one address registered with the provider, so the language the sign-in started in
rides in the session, like the page to return to, and a refusal is shown in it.
"""

from flask import redirect, render_template, request, session
from flask_login import current_user

from clearinghouse import i18n
from clearinghouse.accounts import oidc, oidc_services
from clearinghouse.accounts.blueprint import bp
from clearinghouse.accounts.views import home_for, safe_next, start_session
from clearinghouse.extensions import unit_of_work
from clearinghouse.urls import external_url

NEXT_KEY = "district_sign_in_next"
LANGUAGE_KEY = "district_sign_in_language"


def _callback_url() -> str:
    """Where the provider sends people back: BASE_URL's, as registered with the provider, never the Host header's."""
    return external_url("accounts.finish_district_sign_in")


def _refused(err: oidc.SignInRefused) -> tuple[str, int]:
    return render_template("accounts/district_sign_in_refused.html", message=err.message), err.status


@bp.get("/login/district")
def start_district_sign_in():
    provider = oidc.provider_or_404()
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or home_for(current_user))
    session[NEXT_KEY] = target
    session[LANGUAGE_KEY] = i18n.current_language()
    try:
        return provider.authorization_redirect(_callback_url())
    except oidc.SignInRefused as err:
        return _refused(err)


@bp.get("/login/district/callback", localized=False)
def finish_district_sign_in():
    provider = oidc.provider_or_404()
    i18n.use_language(session.pop(LANGUAGE_KEY, None))
    target = safe_next(session.pop(NEXT_KEY, None))
    try:
        identity = provider.finish_authorization()
        with unit_of_work():
            user = oidc_services.sign_in_with_provider(identity, provider.policy)
    except oidc.SignInRefused as err:
        return _refused(err)
    start_session(user)
    return redirect(target or home_for(user))
