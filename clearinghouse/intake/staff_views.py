"""The privacy office's tool requests (/staff/tool-requests): the queue by state, a request's page
(its product, the vendor's invitation, the declaration's review, the decision, the timeline)."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from clearinghouse.declarations import queries as declaration_queries
from clearinghouse.errors import DomainError, show_domain_error
from clearinghouse.extensions import unit_of_work
from clearinghouse.intake import queries, services, state
from clearinghouse.intake.blueprint import staff_bp as bp
from clearinghouse.intake.forms import DecideForm, FindProductForm, InviteForm, LinkForm
from clearinghouse.intake.models import Decision, ToolRequest
from clearinghouse.timeutil import district_today
from clearinghouse.urls import page_arg

NEW_PRODUCT_CHOICE = "None of these: a new product, named below"


@bp.get("/")
def queue():
    current = request.args.get("state", "new")
    current = current if current in queries.FILTERS else "new"
    counts = queries.queue_counts()
    page = queries.list_queue(current, page=page_arg(), per_page=current_app.config["PAGE_SIZE"], total=counts[current])
    return render_template(
        "intake_staff/queue.html",
        page=page,
        current=current,
        counts=counts,
        labels=queries.FILTER_LABELS,
        overlap=queries.overlap_for(page.items),
        today=district_today(),
        age=queries.age_in_days,
    )


def _forms(tr: ToolRequest) -> dict:
    link = LinkForm(prefix="link")
    find = FindProductForm(request.args)
    typed_well = find.validate()  # words that cannot be searched for stay in the box, with what to fix
    if not link.is_submitted():
        link.find.data = (find.find.data if typed_well else "") or tr.name
        link.product_id.data = tr.product_id or 0
    candidates = queries.link_choices(tr, "" if link.find.process_errors else link.find.data or "")
    link.product_id.choices = [*candidates.choices(), SelectChoice(0, NEW_PRODUCT_CHOICE)]
    invite = InviteForm(prefix="invite")
    decide = DecideForm(prefix="decide", version=tr.version)
    return {
        "find_form": find if not typed_well else FindProductForm(formdata=None, find=candidates.words),
        "link_form": link,
        "found_none": candidates.found_none and typed_well,
        "invite_form": invite,
        "decide_form": decide,
    }


def _page(tr: ToolRequest, forms: dict, status: int = 200):
    declaration = declaration_queries.declaration_for_product(tr.product_id)
    return (
        render_template(
            "intake_staff/show.html",
            tr=tr,
            declaration=declaration,
            review=declaration_queries.review(declaration),
            overlap=queries.overlap(tr.kind.slug, [s.id for s in tr.schools], exclude_product_id=tr.product_id)
            if tr.schools
            else [],
            timeline=queries.timeline(tr),
            can_invite=state.can(tr, "invite_vendor"),
            can_decide=state.can(tr, "decide"),
            age=queries.age_in_days(tr),
            kind_label=tr.kind.name,
            **forms,
        ),
        status,
    )


@bp.get("/<int:tool_request_id>")
def show(tool_request_id: int):
    tr = queries.get_request_or_404(tool_request_id)
    return _page(tr, _forms(tr))


def _act(tool_request_id: int, form_name: str, work, done: str):
    tr = queries.get_request_or_404(tool_request_id)
    forms = _forms(tr)
    form = forms[form_name]
    if form.validate_on_submit():
        try:
            with unit_of_work():
                work(tr, form)
        except DomainError as err:
            show_domain_error(form, err)
        else:
            flash(done, "success")
            return redirect(url_for(".show", tool_request_id=tool_request_id), 303)
    tr = queries.get_request_or_404(tool_request_id)
    return _page(tr, forms, 422)


@bp.post("/<int:tool_request_id>/link")
def link(tool_request_id: int):
    return _act(
        tool_request_id,
        "link_form",
        lambda tr, form: services.link_product(
            tr,
            actor=current_user._get_current_object(),
            product_id=form.product_id.data or None,
            vendor_name=form.vendor_name.data or "",
            product_name=form.product_name.data or "",
        ),
        "The request is linked to the product.",
    )


@bp.post("/<int:tool_request_id>/invite")
def invite(tool_request_id: int):
    return _act(
        tool_request_id,
        "invite_form",
        lambda tr, form: services.invite_vendor(
            tr, actor=current_user._get_current_object(), email=form.email.data or "", name=form.name.data or ""
        ),
        "The vendor's contact was invited to declare the product's data.",
    )


@bp.post("/<int:tool_request_id>/decide")
def decide(tool_request_id: int):
    def work(tr, form):
        if form.decision.data not in {decision.value for decision in Decision}:
            raise DomainError("Choose a decision.", field="decision")
        services.decide(
            tr,
            form.decision.data,
            form.note.data or "",
            actor=current_user._get_current_object(),
            accept_declaration=form.accept_declaration.data,
            version=form.version.data,
        )

    return _act(tool_request_id, "decide_form", work, "Decided. The requesters are being e-mailed the decision.")
