"""The users screen: officers invite and revoke vendor users; admins also manage staff accounts."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from clearinghouse.accounts import queries, services
from clearinghouse.accounts.blueprint import admin_bp as bp
from clearinghouse.accounts.forms import ActionForm, InviteVendorUserForm, StaffUserForm
from clearinghouse.errors import DomainError, show_domain_error
from clearinghouse.extensions import unit_of_work
from clearinghouse.security import role_required
from clearinghouse.timeutil import utcnow
from clearinghouse.urls import id_arg, page_arg


def _actor():
    return current_user._get_current_object()


@bp.get("/")
def users():
    page = page_arg()
    pagination, rows = queries.list_users(page, current_app.config["PAGE_SIZE"])
    return render_template(
        "accounts/users.html", pagination=pagination, rows=rows, now=utcnow(), action_form=ActionForm()
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def create():
    form = StaffUserForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                user = services.create_staff_user(form.email.data, form.name.data, form.role.data, actor=_actor())
        except DomainError as err:
            show_domain_error(form, err)
        else:
            flash(
                f"{user.role.label} {user.email} added. An invitation to set a password has been e-mailed.", "success"
            )
            return redirect(url_for(".users"))
    return render_template("accounts/create_staff.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/invite", methods=["GET", "POST"])
def invite():
    form = InviteVendorUserForm()
    form.set_vendors(queries.vendor_choices())
    if request.method == "GET" and id_arg("vendor_id"):
        form.vendor_id.data = id_arg("vendor_id")
    if form.validate_on_submit():
        try:
            with unit_of_work():
                vendor = queries.get_vendor_or_none(form.vendor_id.data)
                if vendor is None:
                    raise DomainError("Choose the vendor.", field="vendor_id")
                user = services.invite_vendor_user(vendor, form.email.data, form.name.data, actor=_actor())
        except DomainError as err:
            show_domain_error(form, err)
        else:
            flash(
                f"Invitation e-mailed to {user.email}. The link works once and expires in "
                f"{current_app.config['INVITATION_DAYS']} days.",
                "success",
            )
            return redirect(url_for(".users"))
    return render_template("accounts/invite.html", form=form), 422 if form.is_submitted() else 200


def _act(user_id: int, action, success: str, *, vendor_only: bool = False) -> Response:
    """Run one user action behind a CSRF-checked button, then back to the list with a message."""
    form = ActionForm()
    user = queries.get_vendor_user_or_404(user_id) if vendor_only else queries.get_user_or_404(user_id)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                action(user, actor=_actor())
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(success.format(email=user.email), "success")
    return redirect(url_for(".users"))


@bp.post("/<int:user_id>/deactivate")
@role_required("admin")
def deactivate(user_id: int) -> Response:
    return _act(user_id, services.deactivate_user, "{email} is deactivated and signed out everywhere.")


@bp.post("/<int:user_id>/reactivate")
@role_required("admin")
def reactivate(user_id: int) -> Response:
    return _act(user_id, services.reactivate_user, "{email} is active again.")


@bp.post("/<int:user_id>/resend")
def resend(user_id: int) -> Response:
    return _act(
        user_id, services.resend_invitation, "A new invitation was e-mailed to {email}; older links no longer work."
    )


@bp.post("/<int:user_id>/revoke")
def revoke(user_id: int) -> Response:
    return _act(
        user_id,
        services.revoke_vendor_user,
        "Access withdrawn for {email}: deactivated, signed out and pending links cancelled.",
        vendor_only=True,
    )
