"""The vendor portal's pages: every object is loaded within the signed-in user's vendor. The portal
owns no writes: a certificate goes through destruction.certificates, a questionnaire's answers
through declarations.services."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clearinghouse.declarations import queries as declaration_queries
from clearinghouse.declarations import services as declarations
from clearinghouse.declarations.forms import questionnaire_form
from clearinghouse.destruction import certificates
from clearinghouse.destruction.models import DisposalMethod
from clearinghouse.errors import DomainError, show_domain_error
from clearinghouse.extensions import unit_of_work
from clearinghouse.locking import show_refusal
from clearinghouse.portal import queries
from clearinghouse.portal.blueprint import bp
from clearinghouse.portal.forms import CertificateForm
from clearinghouse.timeutil import district_today
from clearinghouse.urls import page_arg


@bp.context_processor
def portal_today() -> dict:
    return {"today": district_today()}


@bp.errorhandler(413)
def upload_too_large(err):
    """The request body passed MAX_CONTENT_LENGTH: the form cannot be re-rendered, so say how to go back."""
    return render_template("portal/too_large.html", back_url=request.path), 413


@bp.get("/")
def home():
    vendor_id = current_user.vendor_id
    return render_template(
        "portal/home.html",
        vendor=queries.get_vendor(vendor_id),
        waiting=queries.list_waiting_requests(vendor_id),
        agreements=queries.list_agreements(vendor_id),
        recent_certificates=queries.recent_certificates(vendor_id),
    )


@bp.get("/requests")
def requests():
    page = queries.paginate_requests(current_user.vendor_id, page_arg(), current_app.config["PAGE_SIZE"])
    return render_template("portal/requests.html", page=page)


@bp.get("/requests/<int:request_id>")
def show_request(request_id: int):
    dr = queries.get_request_or_404(request_id, current_user.vendor_id)
    return render_template("portal/request.html", dr=dr)


@bp.route("/requests/<int:request_id>/certificate", methods=["GET", "POST"])
def upload_certificate(request_id: int):
    dr = queries.get_request_or_404(request_id, current_user.vendor_id)
    form = CertificateForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                certificates.submit_certificate_upload(
                    dr,
                    actor=current_user._get_current_object(),
                    upload=form.document.data.stream,
                    filename=form.document.data.filename,
                    signer_name=form.signer_name.data,
                    signer_title=form.signer_title.data,
                    disposed_on=form.disposed_on.data,
                    method=DisposalMethod(form.method.data),
                    method_other=form.method_other.data or "",
                    attests_all_copies=form.attests_all_copies.data,
                )
        except DomainError as err:
            show_domain_error(form, err)
        else:
            flash("Certificate submitted. The district's privacy office has been told and will review it.", "success")
            return redirect(url_for(".show_request", request_id=dr.id), 303)
    form.ask_for_file_again()
    status = 422 if form.is_submitted() else 200
    return render_template("portal/upload.html", dr=dr, form=form), status


@bp.get("/certificates")
def certificate_history():
    page = queries.paginate_certificates(current_user.vendor_id, page_arg(), current_app.config["PAGE_SIZE"])
    return render_template("portal/certificates.html", page=page)


@bp.get("/certificates/<int:certificate_id>/file")
def download_certificate(certificate_id: int):
    return certificates.file_response(queries.get_certificate_or_404(certificate_id, current_user.vendor_id))


@bp.get("/agreements/<int:agreement_id>")
def show_agreement(agreement_id: int):
    agreement = queries.get_agreement_or_404(agreement_id, current_user.vendor_id)
    return render_template(
        "portal/agreement.html", agreement=agreement, requests=queries.list_agreement_requests(agreement)
    )


# --- data questionnaires (written through declarations.services) ----------------------------


@bp.get("/questionnaires")
def questionnaires():
    return render_template(
        "portal/questionnaires.html", declarations=declaration_queries.list_own_declarations(current_user.vendor_id)
    )


def _fill_from_exhibit(form, pasted) -> None:
    """Tick what the pasted Exhibit B names (and its notes as purposes); nothing is saved yet."""
    for element_id in form.element_ids:
        ticked, purpose = form.element(element_id)
        if element_id in pasted.elements:
            ticked.data = True
            ticked.raw_data = None
            if pasted.elements[element_id] and not purpose.data:
                purpose.data = pasted.elements[element_id]
                purpose.raw_data = None
    if pasted.no_student_data:
        form.no_student_data.data = True


@bp.route("/questionnaires/<int:declaration_id>", methods=["GET", "POST"])
def questionnaire(declaration_id: int):
    declaration = declaration_queries.get_own_declaration_or_404(declaration_id, current_user.vendor_id)
    categories = declaration_queries.element_choices()
    answered = declarations.draft_of(declaration) or declarations.latest(declaration)
    form = questionnaire_form([e for _, elements in categories for e in elements], answered, declaration.version)
    pasted = None
    status = 200
    if form.is_submitted():
        if not form.validate():
            status = 422
        elif "read_exhibit" in request.form:
            pasted = declaration_queries.read_exhibit_b(form.exhibit_b.data or "")
            _fill_from_exhibit(form, pasted)
        else:
            submitting = "submit_answers" in request.form
            write = declarations.submit if submitting else declarations.save_draft
            try:
                with unit_of_work():
                    write(
                        declaration, form.answers(), actor=current_user._get_current_object(), version=form.version.data
                    )
            except DomainError as err:
                show_refusal(form, err, declaration)
                status = 422
            else:
                flash(
                    "Your answers were submitted. The district's privacy office has been told and will review them."
                    if submitting
                    else "Your draft was saved. Submit it when it is complete.",
                    "success",
                )
                return redirect(url_for(".questionnaire", declaration_id=declaration_id), 303)
    return (
        render_template(
            "portal/questionnaire.html",
            declaration=declaration,
            form=form,
            categories=categories,
            pasted=pasted,
            draft=declarations.draft_of(declaration),
            last=declarations.latest(declaration),
        ),
        status,
    )
