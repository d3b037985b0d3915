"""Requesters' pages (/tools): ask for a tool (checking first what the district already knows),
their own requests, joining a request for the same tool, withdrawing. Every request is loaded
within the signed-in requester's own (intake.queries.get_own_request_or_404)."""

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from clearinghouse.directory.models import DEFAULT_KIND
from clearinghouse.errors import DomainError, show_domain_error
from clearinghouse.extensions import unit_of_work
from clearinghouse.intake import queries, services, state
from clearinghouse.intake.blueprint import bp
from clearinghouse.intake.forms import JoinForm, RequestForm, WithdrawForm
from clearinghouse.text import visible_text
from clearinghouse.urls import id_args, page_arg


def _user():
    return current_user._get_current_object()


@bp.get("/")
def mine():
    page = queries.list_own_requests(current_user.id, page=page_arg(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("intake/mine.html", page=page)


def _request_form() -> RequestForm:
    form = RequestForm(kind=DEFAULT_KIND)
    form.school_ids.choices = queries.school_choices()
    form.kind.choices = queries.kind_choices()
    return form


def _findings(form: RequestForm) -> queries.Findings:
    school_ids = [sid for sid in (form.school_ids.data or []) if isinstance(sid, int)]
    name = form.name.data if not form.name.errors else ""
    kind = form.kind.data if not form.kind.errors else None
    return queries.lookup(name or "", kind=kind, school_ids=school_ids)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """The request form. "Check" (the way without JavaScript) shows what the district already knows
    about the tool and writes nothing; "Send" asks."""
    form = _request_form()
    findings = None
    status = 200
    if form.is_submitted():
        valid = form.validate()
        findings = _findings(form)
        if "check" in request.form:
            return render_template("intake/new.html", form=form, findings=findings, checked=True)
        if valid:
            draft = services.RequestDraft(
                name=form.name.data or "",
                purpose=form.purpose.data or "",
                school_ids=form.school_ids.data or [],
                website=form.website.data or "",
                kind=form.kind.data,
                grades=form.grades.data or "",
                student_count=form.student_count.data,
                cost_kind=form.cost_kind.data,
                cost=form.cost.data or "",
                data_needed=form.data_needed.data or "",
                needed_by=form.needed_by.data,
            )
            try:
                with unit_of_work():
                    tr, joined = services.submit_request(draft, actor=_user())
                    tool_request_id, name = tr.id, tr.name
            except DomainError as err:
                show_domain_error(form, err)
            else:
                if joined:
                    flash(
                        f"Someone already asked for {name}: you were added to that request, and the privacy office "
                        "will tell you both its decision.",
                        "success",
                    )
                else:
                    flash("Your request was sent to the privacy office.", "success")
                return redirect(url_for(".show", tool_request_id=tool_request_id), 303)
        status = 422
    return render_template("intake/new.html", form=form, findings=findings, checked=False), status


@bp.get("/lookup")
def lookup():
    """What the district already knows about a tool, as JSON, for the form's check while typing."""
    name = visible_text(request.args.get("name"), 200)
    kind = visible_text(request.args.get("kind"), 40) or None
    findings = queries.lookup(name, kind=kind, school_ids=id_args("school_ids"))
    return jsonify(
        {
            "known": [
                {
                    "name": product.name,
                    "vendor": product.vendor.name,
                    "status": product.status.value,
                    "status_label": str(product.status.label),
                    "note": product.status_note or "",
                    "url": url_for("directory.product", slug=product.slug),
                }
                for product in findings.known
            ],
            "open_requests": [
                {
                    "id": tr.id,
                    "name": tr.name,
                    "state": tr.state.label,
                    "join_url": url_for(".join", tool_request_id=tr.id),
                }
                for tr in findings.open_requests
            ],
            "overlap": [
                {
                    "name": product.name,
                    "vendor": product.vendor.name,
                    "url": url_for("directory.product", slug=product.slug),
                    "schools": [school.name for school in product.schools],
                }
                for product in findings.overlap
            ],
        }
    )


@bp.get("/<int:tool_request_id>")
def show(tool_request_id: int):
    tr = queries.get_own_request_or_404(tool_request_id, current_user.id)
    return render_template(
        "intake/show.html",
        tr=tr,
        timeline=queries.timeline(tr, for_staff=False),
        withdraw_form=WithdrawForm(version=tr.version),
        can_withdraw=state.can(tr, "withdraw"),
        others=len(tr.requesters) - 1,
    )


@bp.post("/<int:tool_request_id>/join")
def join(tool_request_id: int):
    """Join an open request for the same tool (the check step and the lookup offer it)."""
    form = JoinForm()
    tr = queries.get_request_or_404(tool_request_id)
    if not form.validate():
        flash("This form has expired. Please try again.", "error")
        return redirect(url_for(".new"), 303)
    try:
        with unit_of_work():
            services.join_request(tr, actor=_user())
    except DomainError as err:
        flash(err.message, "error")
        if tr.has_requester(current_user.id):
            return redirect(url_for(".show", tool_request_id=tool_request_id), 303)
        return redirect(url_for(".new"), 303)
    flash(f"You were added to the request for {tr.name}. You will be told its decision.", "success")
    return redirect(url_for(".show", tool_request_id=tool_request_id), 303)


@bp.post("/<int:tool_request_id>/withdraw")
def withdraw(tool_request_id: int):
    tr = queries.get_own_request_or_404(tool_request_id, current_user.id)
    form = WithdrawForm()
    if form.validate():
        try:
            with unit_of_work():
                services.withdraw_request(tr, form.reason.data or "", actor=_user(), version=form.version.data)
        except DomainError as err:
            show_domain_error(form, err)
        else:
            flash("You withdrew your request.", "success")
            return redirect(url_for(".mine"), 303)
    tr = queries.get_own_request_or_404(tool_request_id, current_user.id)
    return (
        render_template(
            "intake/show.html",
            tr=tr,
            timeline=queries.timeline(tr, for_staff=False),
            withdraw_form=form,
            can_withdraw=state.can(tr, "withdraw"),
            others=len(tr.requesters) - 1,
        ),
        422,
    )
