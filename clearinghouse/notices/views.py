"""The outbox page (/staff/outbox): what was sent, what waits, what failed and why; retry a failed notice."""

from flask import current_app, flash, redirect, render_template, request, url_for

from clearinghouse.errors import DomainError
from clearinghouse.notices import queries, services
from clearinghouse.notices.blueprint import bp
from clearinghouse.notices.forms import FILTERS, OutboxFilterForm, RetryForm
from clearinghouse.urls import page_arg


@bp.get("/")
def outbox():
    form = OutboxFilterForm(formdata=request.args)
    status = form.status.data if form.status.data in {choice.value for choice in FILTERS} else "queued"
    page = queries.list_notices(status, page=page_arg(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("notices/outbox.html", form=form, page=page, status=status)


@bp.post("/<int:notice_id>/retry")
def retry(notice_id: int):
    notice = queries.get_notice_or_404(notice_id)
    if RetryForm().validate_on_submit():
        try:
            report = services.retry_now(notice)
        except DomainError as err:
            flash(err.message, "error")
        else:
            if report.sent:
                flash("The notice was sent.", "success")
            else:
                error = next(iter(report.failed.values()), "it was not due")
                flash(f"The notice could not be sent: {error}. It stays in the outbox and will be retried.", "error")
    return redirect(url_for(".outbox", status=request.args.get("status", "failed")), 303)
