"""Public account pages: sign in, sign out, accept an invitation; and changing one's own password."""

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from clearinghouse.accounts import oidc, services
from clearinghouse.accounts.blueprint import bp
from clearinghouse.accounts.forms import PASSWORD_HINT, AcceptInvitationForm, ChangePasswordForm, LoginForm
from clearinghouse.accounts.models import Role, User
from clearinghouse.errors import DomainError, show_domain_error
from clearinghouse.extensions import unit_of_work
from clearinghouse.security import role_required


def safe_next(target: str | None) -> str | None:
    """A `next` address only when it is a path on this site (no scheme, host or protocol-relative trick)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def home_for(user: User) -> str:
    """Where a user lands after signing in: the staff dashboard, the vendor portal, or (a requester) the home page."""
    endpoint = {
        Role.ADMIN: "agreements.dashboard",
        Role.OFFICER: "agreements.dashboard",
        Role.VENDOR: "portal.home",
    }.get(user.role, "directory.home")
    if endpoint not in current_app.view_functions:
        endpoint = "directory.home"
    return url_for(endpoint)


def start_session(user: User) -> None:
    """A fresh session for the signed-in user: nothing from before survives, not even the CSRF token."""
    session.clear()
    login_user(user)
    session.permanent = True  # PERMANENT_SESSION_LIFETIME applies


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or home_for(current_user))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            with unit_of_work():
                user = services.sign_in(form.email.data, form.password.data, address=request.remote_addr or "")
        except services.SignInThrottled as err:
            flash(err.message, "error")
            status = 429
        except DomainError as err:
            flash(err.message, "error")
            status = 422
        else:
            start_session(user)
            return redirect(safe_next(request.args.get("next")) or home_for(user))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/login.html", form=form, district_sign_in=oidc.is_enabled()), status


@bp.post("/logout", localized=False)
def logout() -> Response:
    if current_user.is_authenticated:
        with unit_of_work():
            services.sign_out(current_user._get_current_object())
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("directory.home"))


@bp.route("/account/password", methods=["GET", "POST"], localized=False)
@role_required("admin", "officer", "vendor")
def change_password():
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.change_password(user, form.current_password.data, form.new_password.data)
        except DomainError as err:
            show_domain_error(form, err)
        else:
            login_user(user)  # the session carries the new session version; other sessions end
            flash(
                "Your password has been changed. Other devices where you were signed in have been signed out.",
                "success",
            )
            return redirect(url_for(".change_password"))
    layout = "staff_base.html" if user.is_staff else "base.html"
    return render_template(
        "accounts/change_password.html", form=form, layout=layout, password_hint=PASSWORD_HINT
    ), 422 if form.is_submitted() else 200


@bp.route("/invitations/<token>", methods=["GET", "POST"], localized=False)
def accept_invitation(token: str):
    try:
        invitation = services.find_invitation(token)
    except services.InvitationGone as err:
        return render_template("accounts/invitation_gone.html", message=err.message), err.status
    form = AcceptInvitationForm()
    if request.method == "GET" and not form.name.data:
        form.name.data = invitation.user.name
    if form.validate_on_submit():
        try:
            with unit_of_work():
                user = services.accept_invitation(invitation, form.name.data, form.password.data)
        except services.InvitationGone as err:
            return render_template("accounts/invitation_gone.html", message=err.message), err.status
        except DomainError as err:
            show_domain_error(form, err)
        else:
            start_session(user)
            flash("Welcome! Your password is set and you are signed in.", "success")
            return redirect(home_for(user))
    return render_template(
        "accounts/accept_invitation.html", form=form, invitation=invitation, password_hint=PASSWORD_HINT
    ), 422 if form.is_submitted() else 200
