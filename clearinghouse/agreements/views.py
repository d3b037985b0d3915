"""Staff pages for agreements (/staff/agreements) and the staff dashboard (/staff/)."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from clearinghouse.agreements import queries, services
from clearinghouse.agreements.blueprint import bp
from clearinghouse.agreements.forms import (
    AgreementFilterForm,
    AgreementForm,
    TerminateForm,
    VendorChoiceForm,
    agreement_data,
    renewal_data,
)
from clearinghouse.agreements.models import AgreementState
from clearinghouse.directory.models import Product, Vendor
from clearinghouse.directory.staff_forms import choices
from clearinghouse.downloads import send_stored_file
from clearinghouse.errors import DomainError, show_domain_error
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.intake import queries as intake_queries
from clearinghouse.locking import show_refusal
from clearinghouse.timeutil import district_today
from clearinghouse.urls import id_arg, id_args, page_arg


def _vendor_choices(empty_label: str) -> list[SelectChoice]:
    names = db.session.execute(select(Vendor.id, Vendor.name).order_by(Vendor.name))
    return choices([("", empty_label), *((vendor_id, name) for vendor_id, name in names)])


def _product_choices(form: AgreementForm, vendor: Vendor) -> None:
    products = db.session.scalars(select(Product).where(Product.vendor_id == vendor.id).order_by(Product.name))
    form.product_ids.choices = choices((p.id, f"{p.name} ({p.status.label})") for p in products)


def _status(form: AgreementForm | TerminateForm) -> int:
    return 422 if form.is_submitted() else 200


@bp.get("/")
def dashboard():
    today = district_today()
    return render_template(
        "agreements/dashboard.html",
        board=queries.dashboard(today),
        today=today,
        AgreementState=AgreementState,
        tool_requests=intake_queries.dashboard_counts(),
    )


@bp.get("/agreements")
def index():
    today = district_today()
    form = AgreementFilterForm(request.args)
    form.state.choices = choices([("", "Any state"), *((s.value, s.label) for s in AgreementState)])
    form.vendor_id.choices = _vendor_choices("Any vendor")
    state = AgreementState(form.state.data) if form.state.data in set(AgreementState) else None
    vendor_id = form.vendor_id.data if isinstance(form.vendor_id.data, int) else None
    page = queries.list_agreements(
        today=today, state=state, vendor_id=vendor_id, page=page_arg(), per_page=current_app.config["PAGE_SIZE"]
    )
    params = {key: value for key, value in (("state", state and state.value), ("vendor_id", vendor_id)) if value}
    return render_template("agreements/index.html", page=page, form=form, params=params, today=today)


@bp.route("/agreements/new", methods=["GET", "POST"])
def create():
    vendor_id = id_arg("vendor_id")
    vendor = db.session.get(Vendor, vendor_id) if vendor_id else None
    if vendor is None:
        if request.method == "POST":
            abort(400)
        choice = VendorChoiceForm(request.args)
        choice.vendor_id.choices = _vendor_choices("Choose a vendor…")
        return render_template("agreements/choose_vendor.html", form=choice)
    form = AgreementForm(product_ids=id_args("product_id"))
    _product_choices(form, vendor)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                agreement = services.create_agreement(current_user, vendor, form.to_input())
        except DomainError as err:
            show_domain_error(form, err)
        else:
            flash(f"Agreement with {vendor.name} saved.", "success")
            return redirect(url_for(".show", agreement_id=agreement.id))
    return render_template("agreements/form.html", form=form, vendor=vendor, agreement=None, mode="create"), _status(
        form
    )


@bp.get("/agreements/<int:agreement_id>")
def show(agreement_id: int):
    today = district_today()
    agreement = queries.get_agreement_or_404(agreement_id)
    return render_template("agreements/show.html", agreement=agreement, today=today, state=agreement.state_on(today))


@bp.route("/agreements/<int:agreement_id>/edit", methods=["GET", "POST"])
def edit(agreement_id: int):
    agreement = queries.get_agreement_or_404(agreement_id)
    form = AgreementForm(data=agreement_data(agreement))
    _product_choices(form, agreement.vendor)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_agreement(agreement, current_user, form.to_input(), version=form.version.data)
        except DomainError as err:
            show_refusal(form, err, agreement)
        else:
            flash("Agreement saved.", "success")
            return redirect(url_for(".show", agreement_id=agreement.id))
    return render_template(
        "agreements/form.html", form=form, vendor=agreement.vendor, agreement=agreement, mode="edit"
    ), _status(form)


@bp.route("/agreements/<int:agreement_id>/renew", methods=["GET", "POST"])
def renew(agreement_id: int):
    predecessor = queries.get_agreement_or_404(agreement_id)
    form = AgreementForm(data=renewal_data(predecessor, district_today()))
    _product_choices(form, predecessor.vendor)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                successor = services.renew_agreement(
                    predecessor, current_user, form.to_input(), version=form.version.data
                )
        except DomainError as err:
            show_refusal(form, err, predecessor)
        else:
            flash(f"Renewal saved. It replaces the agreement of {predecessor.vendor.name} it renews.", "success")
            return redirect(url_for(".show", agreement_id=successor.id))
    return render_template(
        "agreements/form.html", form=form, vendor=predecessor.vendor, agreement=predecessor, mode="renew"
    ), _status(form)


@bp.route("/agreements/<int:agreement_id>/terminate", methods=["GET", "POST"])
def terminate(agreement_id: int):
    agreement = queries.get_agreement_or_404(agreement_id)
    form = TerminateForm(data={"version": agreement.version, "terminated_on": district_today()})
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.terminate_agreement(
                    agreement,
                    current_user,
                    version=form.version.data,
                    terminated_on=form.terminated_on.data,
                    reason=form.reason.data,
                )
        except DomainError as err:
            show_refusal(form, err, agreement)
        else:
            flash("Agreement terminated. The public record shows the day it ends.", "success")
            return redirect(url_for(".show", agreement_id=agreement.id))
    return render_template("agreements/terminate.html", form=form, agreement=agreement), _status(form)


@bp.get("/agreements/<int:agreement_id>/document")
def document(agreement_id: int):
    """The signed PDF, for staff, whether or not it is published."""
    agreement = queries.get_agreement_or_404(agreement_id)
    if agreement.document is None:
        abort(404)
    return send_stored_file(agreement.document, fallback=f"agreement-{agreement.id}")
