"""Staff pages for importing an inventory (upload → match columns → preview → confirm), and the public CSV."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from clearinghouse.directory import queries as directory_queries
from clearinghouse.directory.forms import DirectoryForm
from clearinghouse.downloads import send_download
from clearinghouse.errors import DomainError, show_domain_error
from clearinghouse.extensions import unit_of_work
from clearinghouse.imports import files, queries, services
from clearinghouse.imports.blueprint import bp, public_bp
from clearinghouse.imports.forms import ConfirmForm, MappingForm, UploadForm
from clearinghouse.imports.mapping import FIELDS, guess_mapping, mapping_problems
from clearinghouse.timeutil import district_today

SAMPLES = 3


@bp.route("", methods=["GET", "POST"])
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        try:
            token = files.accept_upload(form.file.data.stream, current_user.id)
        except DomainError as err:
            show_domain_error(form, err)
        else:
            return redirect(url_for(".mapping", token=token))
    max_size = files.describe_size(files.max_bytes())
    return render_template("imports/upload.html", form=form, max_size=max_size), 422 if form.is_submitted() else 200


def _samples(table: files.Table) -> dict[str, list[str]]:
    """A few values of each column, so the officer sees what a header means."""
    samples: dict[str, list[str]] = {header: [] for header in table.headers}
    for _, cells in table.rows:
        for header, cell in zip(table.headers, cells, strict=True):
            if cell and len(samples[header]) < SAMPLES and cell not in samples[header]:
                samples[header].append(cell[:80])
    return samples


@bp.route("/<token>/columns", methods=["GET", "POST"])
def mapping(token: str):
    try:
        file_id, table = files.open_upload(token, current_user.id)
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for(".upload"))
    remembered = queries.remembered_mapping(table.headers)
    form = MappingForm.for_headers(table.headers, guess_mapping(table.headers, remembered))
    if form.validate_on_submit():
        chosen = form.mapping()
        general = form.show_problems(mapping_problems(chosen))
        if general:
            flash(general, "error")
        if not form.errors and not general:
            plan = services.plan_import(table, chosen)
            confirm = ConfirmForm(plan=files.make_token(file_id, current_user.id, chosen))
            return render_template("imports/preview.html", plan=plan, form=confirm, token=token, fields=FIELDS), (
                422 if plan.errors else 200
            )
    return render_template(
        "imports/mapping.html", form=form, table=table, samples=_samples(table), remembered=bool(remembered)
    ), 422 if form.is_submitted() else 200


@bp.post("/<token>/confirm")
def confirm(token: str):
    form = ConfirmForm()
    try:
        file_id, chosen = files.read_token(form.plan.data or "", current_user.id)
        upload_id, table = files.open_upload(token, current_user.id)
        if not form.validate_on_submit() or chosen is None or upload_id != file_id:
            raise DomainError("That preview could not be confirmed. Match the columns and preview again.")
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for(".upload"))
    try:
        with unit_of_work():
            plan = services.apply_import(table, chosen, actor=current_user)
    except DomainError as err:
        flash(err.message, "error")
        plan = services.plan_import(table, chosen)
        return render_template("imports/preview.html", plan=plan, form=form, token=token, fields=FIELDS), 422
    files.discard_upload(file_id)
    flash(f"Imported. {services.outcome(plan)}", "success")
    return redirect(url_for(".upload"))


@public_bp.get("/directory.csv")
def export_csv():
    today = district_today()
    form = DirectoryForm(request.args, directory_queries.filter_options())
    form.ignored_fields()
    products = queries.export_products(form.filters(), today)
    return send_download(
        queries.export_csv(products),
        name=f"directory-{today.isoformat()}.csv",
        content_type="text/csv; charset=utf-8",
        extension=".csv",
    )
