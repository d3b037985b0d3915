"""Officers' destruction requests (/staff/requests): the list, a new directive, a request's page, withdrawing."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from clearinghouse.agreements.models import Agreement
from clearinghouse.destruction import queries, services
from clearinghouse.destruction.blueprint import bp
from clearinghouse.destruction.forms import FilterForm, NewRequestForm, WithdrawForm
from clearinghouse.destruction.models import DispositionNature, DispositionSchedule, RequestScope
from clearinghouse.directory.models import DataCategory, Vendor
from clearinghouse.errors import DomainError, show_domain_error
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.locking import show_refusal
from clearinghouse.settings.queries import get_settings
from clearinghouse.timeutil import district_today, format_date
from clearinghouse.urls import id_arg, page_arg


@bp.app_template_filter("request_status")
def request_status_filter(dr) -> tuple[str, str]:
    """(label, badge kind) of a request today, overdue included."""
    if dr.is_overdue_on(district_today()):
        return "Overdue", "bad"
    kind = {"open": "warn", "submitted": "warn", "accepted": "ok", "withdrawn": "neutral"}[dr.status.value]
    return dr.status.label, kind


def _vendor_choices() -> list[SelectChoice]:
    return [
        SelectChoice(v.id, v.name) for v in db.session.execute(select(Vendor.id, Vendor.name).order_by(Vendor.name))
    ]


@bp.get("/")
def index():
    form = FilterForm(formdata=request.args)
    form.vendor_id.choices = [SelectChoice(0, "All vendors"), *_vendor_choices()]
    state = form.state.data if form.state.data in {choice.value for choice in form.state.choices} else "all"
    vendor_id = form.vendor_id.data if form.vendor_id.validate(form) else 0
    page = queries.list_requests(
        state=state,
        vendor_id=vendor_id or None,
        page=page_arg(),
        per_page=current_app.config["PAGE_SIZE"],
    )
    params = {"state": state, **({"vendor_id": vendor_id} if vendor_id else {})}
    return render_template(
        "destruction/index.html", form=form, page=page, params=params, counts=queries.request_counts(), state=state
    )


def _new_form() -> NewRequestForm:
    settings = get_settings()
    form = NewRequestForm(
        district_signer_name=settings.district_signer_name, district_signer_title=settings.district_signer_title
    )
    form.vendor_id.choices = [SelectChoice(0, "Choose a vendor"), *_vendor_choices()]
    agreements = db.session.scalars(
        select(Agreement)
        .join(Agreement.vendor)
        .options(joinedload(Agreement.vendor))
        .order_by(Vendor.name, Agreement.expires_on)
    ).all()
    form.agreement_id.choices = [SelectChoice(0, "None: the district's own request")] + [
        SelectChoice(
            a.id,
            f"{a.vendor.name}: {a.reference or 'agreement ' + str(a.id)}"
            + (f" (ends {format_date(a.expires_on)})" if a.expires_on else " (open-ended)"),
        )
        for a in agreements
    ]
    form.category_ids.choices = [
        SelectChoice(c.id, c.name)
        for c in db.session.execute(
            select(DataCategory.id, DataCategory.name).order_by(DataCategory.position, DataCategory.name)
        )
    ]
    if request.method == "GET" and id_arg("vendor_id"):
        form.vendor_id.data = id_arg("vendor_id")
    return form


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = _new_form()
    if form.validate_on_submit():
        draft = services.RequestDraft(
            vendor_id=form.vendor_id.data,
            agreement_id=form.agreement_id.data or None,
            reason=form.reason.data,
            scope=RequestScope(form.scope.data),
            category_ids=list(form.category_ids.data or []),
            nature=DispositionNature(form.nature.data),
            transfer_to=form.transfer_to.data or "",
            instructions=form.instructions.data or "",
            schedule=DispositionSchedule(form.schedule.data),
            due_on=form.due_on.data,
            district_signer_name=form.district_signer_name.data or "",
            district_signer_title=form.district_signer_title.data or "",
        )
        try:
            with unit_of_work():
                dr = services.open_destruction_request(draft, actor=current_user)
        except DomainError as err:
            show_domain_error(form, err)
        else:
            flash(
                f"Destruction request issued to {dr.vendor.name}. Their contacts will be e-mailed the directive.",
                "success",
            )
            return redirect(url_for(".show", request_id=dr.id), 303)
    return render_template(
        "destruction/new.html", form=form, default_days=get_settings().default_destruction_window_days
    ), 422 if form.is_submitted() else 200


def _show(dr, withdraw_form: WithdrawForm | None = None, status: int = 200):
    withdraw_form = withdraw_form or WithdrawForm(version=dr.version)
    return render_template(
        "destruction/show.html",
        dr=dr,
        certificates=dr.certificates,
        timeline=queries.timeline(dr),
        withdraw_form=withdraw_form,
        today=district_today(),
    ), status


@bp.get("/<int:request_id>")
def show(request_id: int):
    return _show(queries.get_request_or_404(request_id))


@bp.post("/<int:request_id>/withdraw")
def withdraw(request_id: int):
    dr = queries.get_request_or_404(request_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.withdraw_request(dr, form.reason.data, actor=current_user, expected_version=form.version.data)
        except DomainError as err:
            show_refusal(form, err, dr)
        else:
            flash("Request withdrawn. The vendor has been told no certificate is needed.", "success")
            return redirect(url_for(".show", request_id=dr.id), 303)
    return _show(queries.get_request_or_404(request_id), form, 422)
