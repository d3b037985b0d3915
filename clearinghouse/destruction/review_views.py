"""Officers' review of disposal certificates: download the file, accept it, or reject it with a reason."""

from flask import flash, redirect, url_for
from flask_login import current_user
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from clearinghouse.destruction import certificates, queries, services
from clearinghouse.destruction.blueprint import bp
from clearinghouse.errors import DomainError
from clearinghouse.extensions import unit_of_work
from clearinghouse.forms import BaseForm

REVIEW_REASON_MAX = 2000


class AcceptCertificateForm(BaseForm):
    """Nothing to fill in: the form carries the CSRF token."""


class RejectCertificateForm(BaseForm):
    reason = TextAreaField(
        "Why is it rejected?",
        validators=[
            DataRequired("Say why the certificate is rejected, so the vendor can correct it."),
            Length(max=REVIEW_REASON_MAX),
        ],
    )


@bp.context_processor
def certificate_review_context() -> dict:
    """What templates/destruction/_certificate_review.html needs on the request page."""
    return {
        "certificate_attestation": certificates.ATTESTATION,
        "review_reason_max": REVIEW_REASON_MAX,
    }


def _back_to(cert) -> str:
    return url_for(".show", request_id=cert.request_id)


@bp.get("/certificates/<int:certificate_id>/file")
def download_certificate(certificate_id: int):
    return certificates.file_response(queries.get_certificate_or_404(certificate_id))


@bp.post("/certificates/<int:certificate_id>/accept")
def accept_certificate(certificate_id: int):
    cert = queries.get_certificate_or_404(certificate_id)
    if AcceptCertificateForm().validate_on_submit():
        try:
            with unit_of_work():
                services.accept_certificate(cert, actor=current_user._get_current_object())
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(
                "Certificate accepted. The request is closed and the public pages show the destruction as certified.",
                "success",
            )
    return redirect(_back_to(cert), 303)


@bp.post("/certificates/<int:certificate_id>/reject")
def reject_certificate(certificate_id: int):
    """A missing reason is flashed on the request page; the textarea's maxlength keeps out the other error."""
    cert = queries.get_certificate_or_404(certificate_id)
    form = RejectCertificateForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.reject_certificate(cert, form.reason.data, actor=current_user._get_current_object())
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash("Certificate rejected. The vendor has been e-mailed the reason and can upload a new one.", "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return redirect(_back_to(cert), 303)
