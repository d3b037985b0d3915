"""Staff pages for importing an inventory, one step per page, and the public CSV.

upload or paste → columns → values → preview (set rows aside) → confirm. Every step saves its
choices in the import in progress (`ImportDraft`), so a refresh or the back button loses nothing;
nothing reaches the directory before the confirmation, which imports in one unit of work.
"""

import csv
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from clearinghouse.directory import queries as directory_queries
from clearinghouse.directory import staff_queries as directory_staff_queries
from clearinghouse.directory.forms import DirectoryForm
from clearinghouse.downloads import send_download, stream_download
from clearinghouse.errors import DomainError, NotFound, show_domain_error
from clearinghouse.extensions import unit_of_work
from clearinghouse.forms import BaseForm
from clearinghouse.imports import files, queries, services
from clearinghouse.imports.blueprint import bp, public_bp
from clearinghouse.imports.choices import STEP_NAMES, STEPS, PlanChoices
from clearinghouse.imports.exhibit_b import read_schedule
from clearinghouse.imports.forms import (
    KEEP_PREFIX,
    PASTE_MAX,
    ConfirmForm,
    DestructionForm,
    DuplicatesForm,
    ExhibitBForm,
    MappingForm,
    ProposalsForm,
    SetAsideForm,
    SheetForm,
    UploadForm,
    ValuesForm,
    VendorsForm,
)
from clearinghouse.imports.mapping import FIELDS, date_hints, guess_mapping, mapping_problems
from clearinghouse.imports.models import ImportDraft
from clearinghouse.imports.prepare import cells_by_field, value_readings
from clearinghouse.imports.readers import Table, UnreadableFile, decode
from clearinghouse.imports.values import VALUE_FIELDS, describe
from clearinghouse.timeutil import district_today
from clearinghouse.urls import page_arg

SAMPLES = 3
PER_PAGE = 100
VENDOR_ROWS = 200  # rows without a vendor shown at once on the vendors step
GROUPS_PER_PAGE = 50


@bp.route("", methods=["GET", "POST"])
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        if form.file.data:
            data, filename = form.file.data.stream.read(files.max_bytes() + 1), form.file.data.filename or ""
        else:
            data, filename = (form.pasted.data or "")[:PASTE_MAX].encode(), "pasted.txt"
        try:
            file_id = files.accept(data, filename=filename)
            with unit_of_work():
                draft = services.start_draft(current_user, file_id=file_id, filename=filename, sheet=None)
        except DomainError as err:
            show_domain_error(form, err)
        else:
            return redirect(url_for(".columns", draft_id=draft.id))
    max_size = files.describe_size(files.max_bytes())
    return render_template("imports/upload.html", form=form, max_size=max_size), 422 if form.is_submitted() else 200


@dataclass
class Step:
    draft: ImportDraft
    choices: PlanChoices
    _table: Table | None = None

    @property
    def table(self) -> Table:
        """The kept file, read when a page needs it (DomainError once it is gone)."""
        if self._table is None:
            data = files.load_upload(self.draft.file_id)
            self._table = files.read_table(data, filename=self.draft.filename, sheet=self.choices.sheet)
        return self._table


def _open(draft_id: int, step: str) -> Step:
    draft = queries.get_draft(draft_id, current_user.id)
    if draft is None:
        raise NotFound("That import is not in progress any more. Upload the file again.")
    step_ = Step(draft, PlanChoices.from_dict(draft.choices))
    if step != "done" and not step_.choices.imported:
        step_.table  # noqa: B018 - read now, so a file that is gone sends the officer back to the upload
    return step_


def _steps(step: Step, current: str) -> list[dict]:
    return [
        {"name": name, "title": title, "current": name == current, "link": step.choices.reached(name)}
        for name, title in STEPS
    ]


def _next(step_name: str) -> str:
    return STEP_NAMES[STEP_NAMES.index(step_name) + 1]


def _guard(draft_id: int, name: str):
    """The step, or a redirect to the first step not saved yet."""
    try:
        step = _open(draft_id, name)
    except DomainError as err:
        flash(err.message, "error")
        return None, redirect(url_for(".upload"))
    if step.choices.imported and name != "done":
        return None, redirect(url_for(".done", draft_id=draft_id))
    if name != "done" and not step.choices.reached(name):
        first = next(n for n in STEP_NAMES if n not in step.choices.done)
        return None, redirect(url_for(f".{first}", draft_id=draft_id))
    return step, None


def _save(step: Step) -> None:
    with unit_of_work():
        services.save_choices(step.draft, step.choices)


def _samples(table: Table) -> dict[str, list[str]]:
    """A few values of each column, so the officer sees what a header means."""
    samples: dict[str, list[str]] = {header: [] for header in table.headers}
    for _, cells in table.rows:
        for header, cell in zip(table.headers, cells, strict=True):
            if cell and len(samples[header]) < SAMPLES and cell not in samples[header]:
                samples[header].append(cell[:80])
    return samples


@bp.route("/<int:draft_id>/columns", methods=["GET", "POST"])
def columns(draft_id: int):
    step, redirected = _guard(draft_id, "columns")
    if redirected:
        return redirected
    table, choices = step.table, step.choices
    sheet_form = None
    if len(table.choices) > 1:
        sheet_form = SheetForm(prefix="sheet")
        sheet_form.sheet.choices = list(table.choices)
        if sheet_form.choose.data and sheet_form.validate_on_submit():
            if sheet_form.sheet.data in table.choices and sheet_form.sheet.data != table.name:
                choices.sheet = sheet_form.sheet.data
                choices.mapping = None
                choices.done = []
                _save(step)
            return redirect(url_for(".columns", draft_id=draft_id))
        sheet_form.sheet.data = table.name
    remembered = queries.remembered_mapping(table.headers)
    initial = choices.mapping if choices.mapping is not None else guess_mapping(table.headers, remembered)
    initial = {**initial, **{header: f"{KEEP_PREFIX}{how}" for header, how in choices.keep.items()}}
    form = MappingForm.for_headers(table.headers, initial)
    if request.method == "POST" and not (sheet_form and sheet_form.choose.data) and form.validate_on_submit():
        chosen = form.mapping()
        general = form.show_problems(mapping_problems(chosen))
        if general:
            flash(general, "error")
        if not form.errors and not general:
            choices.mapping = chosen
            choices.keep = form.keep()
            choices.mark_done("columns")
            _save(step)
            return redirect(url_for(".values", draft_id=draft_id))
    return render_template(
        "imports/columns.html",
        form=form,
        sheet_form=sheet_form,
        table=table,
        draft=step.draft,
        steps=_steps(step, "columns"),
        samples=_samples(table),
        hints=date_hints(table.headers),
        fields=FIELDS,
        remembered=bool(remembered),
    ), 422 if form.is_submitted() else 200


@bp.route("/<int:draft_id>/values", methods=["GET", "POST"])
def values(draft_id: int):
    step, redirected = _guard(draft_id, "values")
    if redirected:
        return redirected
    choices, table = step.choices, step.table
    mapping = choices.mapping or {}
    rows = [cells for number, _, cells in cells_by_field(table, mapping) if number not in choices.set_aside_rows]
    kinds = queries.kind_names()
    readings = value_readings(
        rows, mapping, schools=services.district_school_names(), kinds=kinds, remembered=queries.remembered_values()
    )
    form = ValuesForm.for_values(readings, choices.values, kinds)
    if form.validate_on_submit():
        chosen = form.meanings()
        if not form.errors:
            try:
                with unit_of_work():
                    services.remember_values(chosen, current_user)
                    choices.values = chosen
                    choices.mark_done("values")
                    services.save_choices(step.draft, choices)
            except DomainError as err:
                flash(err.message, "error")
            else:
                return redirect(url_for(f".{_next('values')}", draft_id=draft_id))
    headers = {name: header for header, name in mapping.items() if name in VALUE_FIELDS}
    return render_template(
        "imports/values.html",
        form=form,
        readings=readings,
        headers=headers,
        paired="agreement_status" in headers and "status" in headers,
        fields=FIELDS,
        describe=describe,
        kinds=kinds,
        draft=step.draft,
        steps=_steps(step, "values"),
    ), 422 if form.is_submitted() else 200


def _plan_of(step: Step) -> services.ImportPlan:
    return services.plan_import(step.table, step.choices.mapping or {}, step.choices)


def _segments(facts) -> list[tuple[str, bool]]:
    """The text in pieces, each marked whether a fact was read from it (to highlight next to the proposal)."""
    text, marks = facts.text, [False] * len(facts.text)
    for fact in facts.facts:
        for position in range(fact.start, min(fact.end, len(text))):
            marks[position] = True
    pieces: list[tuple[str, bool]] = []
    for char, marked in zip(text, marks, strict=True):
        if pieces and pieces[-1][1] == marked:
            pieces[-1] = (pieces[-1][0] + char, marked)
        else:
            pieces.append((char, marked))
    return pieces


@bp.route("/<int:draft_id>/proposals", methods=["GET", "POST"])
def proposals(draft_id: int):
    step, redirected = _guard(draft_id, "proposals")
    if redirected:
        return redirected
    choices = step.choices
    form = ProposalsForm(data=choices.proposals if request.method == "GET" else None)
    if form.validate_on_submit():
        choices.proposals = {field.name: bool(field.data) for field in form.kinds()}
        choices.mark_done("proposals")
        _save(step)
        return redirect(url_for(".vendors", draft_id=draft_id))
    plan = _plan_of(step)
    rows = ListPage.of(plan.prepared.facts if plan.prepared else [], page_arg())
    return render_template(
        "imports/proposals.html",
        form=form,
        rows=rows,
        segments=_segments,
        draft=step.draft,
        steps=_steps(step, "proposals"),
    ), 422 if form.is_submitted() else 200


@bp.route("/<int:draft_id>/vendors", methods=["GET", "POST"])
def vendors(draft_id: int):
    step, redirected = _guard(draft_id, "vendors")
    if redirected:
        return redirected
    choices = step.choices
    plan = _plan_of(step)
    prepared = plan.prepared
    missing = [row.ident for row in prepared.without_vendor][:VENDOR_ROWS] if prepared else []
    idents = sorted({*missing, *choices.vendors.vendor_of_row}, key=_ident_order)
    form = VendorsForm.with_vendor_fields(idents, choices.vendors.vendor_of_row)
    flagged = [row for row in prepared.names if row.not_a_product] if prepared else []
    form.keep_rows.choices = [(row.number, str(row.number)) for row in flagged]
    if request.method == "GET":
        picks = choices.vendors
        form.split.data, form.parent.data, form.groups.data, form.infer.data = (
            picks.split,
            picks.parent,
            picks.groups,
            picks.infer,
        )
        form.keep_rows.data = list(picks.keep_rows)
    elif form.validate_on_submit():
        picks = choices.vendors
        picks.split, picks.parent, picks.groups, picks.infer = (
            bool(form.split.data),
            bool(form.parent.data),
            bool(form.groups.data),
            bool(form.infer.data),
        )
        picks.keep_rows = sorted(set(form.keep_rows.data or []))
        picks.vendor_of_row = {ident: name for ident, name in form.written().items() if name}
        choices.mark_done("vendors")
        _save(step)
        return redirect(url_for(".duplicates", draft_id=draft_id))
    return render_template(
        "imports/vendors.html",
        form=form,
        prepared=prepared,
        flagged=flagged,
        missing=[row for row in prepared.without_vendor][:VENDOR_ROWS] if prepared else [],
        has_vendor_column="vendor" in (choices.mapping or {}).values(),
        draft=step.draft,
        steps=_steps(step, "vendors"),
    ), 422 if form.is_submitted() else 200


def _ident_order(ident: str) -> tuple[int, int]:
    number, _, part = ident.partition(".")
    return int(number), int(part or 0)


@bp.route("/<int:draft_id>/duplicates", methods=["GET", "POST"])
def duplicates(draft_id: int):
    step, redirected = _guard(draft_id, "duplicates")
    if redirected:
        return redirected
    choices = step.choices
    plan = _plan_of(step)
    groups = plan.prepared.duplicates if plan.prepared else []
    page = ListPage.of(groups, page_arg(), per_page=GROUPS_PER_PAGE)
    form = DuplicatesForm.for_groups(page.items, choices.duplicate_groups)
    if request.method == "GET":
        form.policy.data = choices.duplicates
    elif form.validate_on_submit():
        choices.duplicates = form.policy.data
        for index, group in enumerate(page.items):
            value = form.group_field(index).data
            default = services.default_duplicate_choice(group, choices.duplicates)
            if value == default:
                choices.duplicate_groups.pop(group.key, None)
            else:
                choices.duplicate_groups[group.key] = value
        choices.mark_done("duplicates")
        _save(step)
        if page.has_next and "next_page" in request.form:
            return redirect(url_for(".duplicates", draft_id=draft_id, page=page.next_num))
        return redirect(url_for(".preview", draft_id=draft_id))
    return render_template(
        "imports/duplicates.html",
        form=form,
        page=page,
        fields=FIELDS,
        draft=step.draft,
        steps=_steps(step, "duplicates"),
    ), 422 if form.is_submitted() else 200


@dataclass
class ListPage:
    """A page of a list, with what the pagination macro reads."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    def iter_pages(self, left_edge=1, right_edge=1, left_current=2, right_current=2):
        last = 0
        for num in range(1, self.pages + 1):
            if (
                num <= left_edge
                or self.page - left_current - 1 < num < self.page + right_current + 1
                or num > self.pages - right_edge
            ):
                if last + 1 != num:
                    yield None
                yield num
                last = num

    @classmethod
    def of(cls, items: list, page: int, per_page: int = PER_PAGE) -> "ListPage":
        pages = max(1, -(-len(items) // per_page))
        page = min(max(page, 1), pages)
        return cls(items[(page - 1) * per_page : page * per_page], page, per_page, len(items))


def _digest(draft: ImportDraft) -> str:
    """What the preview was drawn from: the file and every choice (a confirmation of another preview is refused)."""
    raw = json.dumps({"file": draft.file_id, "choices": draft.choices}, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


@bp.get("/<int:draft_id>/preview")
def preview(draft_id: int):
    step, redirected = _guard(draft_id, "preview")
    if redirected:
        return redirected
    try:
        plan = services.plan_import(step.table, step.choices.mapping or {}, step.choices)
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for(".columns", draft_id=draft_id))
    return _preview_page(step, plan, ConfirmForm(plan=_digest(step.draft)))


def _preview_page(step: Step, plan: services.ImportPlan, form: ConfirmForm, status: int | None = None):
    changed = [row for row in plan.rows if row.action != "unchanged"]
    page = ListPage.of(changed, page_arg())
    error_page = ListPage.of(plan.errors, page_arg("problems_page"))
    agreements = services.new_agreements(plan)
    return render_template(
        "imports/preview.html",
        plan=plan,
        page=page,
        error_page=error_page,
        agreements=agreements,
        agreement_page=ListPage.of(agreements, page_arg("agreements_page")),
        form=form,
        set_aside_form=SetAsideForm(),
        destruction_form=DestructionForm(),
        decisions=step.choices.destruction,
        draft=step.draft,
        steps=_steps(step, "preview"),
        fields=FIELDS,
        today=district_today(),
    ), status or (422 if plan.errors else 200)


def _choose_on_preview(draft_id: int, form_class: type[BaseForm], choose: Callable[[Step, Any], None]):
    """A choice made on the preview step (rows set aside, destruction directives): the step's guard,
    the form's check, `choose` changes the draft's choices, they are saved, and back to the preview."""
    step, redirected = _guard(draft_id, "preview")
    if redirected:
        return redirected
    form = form_class()
    if form.validate_on_submit():
        choose(step, form)
        _save(step)
    return redirect(url_for(".preview", draft_id=draft_id))


def _set_rows_aside(step: Step, form: SetAsideForm) -> None:
    """Put rows back, or set aside the chosen rows (or all) that have errors, with their reasons."""
    choices = step.choices
    if form.put_back.data:
        for row in form.rows.data or []:
            choices.set_aside.pop(str(row), None)
        return
    plan = services.plan_import(step.table, choices.mapping or {}, choices)
    reasons: dict[int, list[str]] = {}
    for error in plan.errors:
        reasons.setdefault(error.row, []).append(error.message)
    wanted = set(reasons) if form.set_aside_all.data else set(form.rows.data or []) & set(reasons)
    for row in sorted(wanted):
        choices.set_aside[str(row)] = " ".join(reasons[row])


def _direct_destruction(step: Step, form: DestructionForm) -> None:
    """Whether to open a destruction request for each new agreement that ended before today."""
    plan = _plan_of(step)
    wanted = set(form.open.data or [])
    shown = set(form.shown.data or [])  # the agreements of the page the form was on (the list is paged)
    today = district_today()
    for _vendor, target, _products in services.new_agreements(plan):
        if target.ended_before(today) and (not shown or target.decision_key in shown):
            step.choices.destruction[target.decision_key] = target.decision_key in wanted


@bp.post("/<int:draft_id>/set-aside")
def set_aside(draft_id: int):
    return _choose_on_preview(draft_id, SetAsideForm, _set_rows_aside)


@bp.post("/<int:draft_id>/destruction")
def destruction(draft_id: int):
    return _choose_on_preview(draft_id, DestructionForm, _direct_destruction)


@bp.get("/<int:draft_id>/set-aside.csv")
def set_aside_csv(draft_id: int):
    step, redirected = _guard(draft_id, "done")
    if redirected:
        return redirected
    if step.choices.imported:
        reasons = step.choices.set_aside  # what was set aside when the import was confirmed
    else:
        plan = services.plan_import(step.table, step.choices.mapping or {}, step.choices)
        reasons = {str(entry.number): entry.reason for entry in plan.set_aside}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*step.table.headers, "reason"])
    for number, raw in step.table.rows:
        if str(number) in reasons:
            writer.writerow([*(queries.guard_cell(cell) for cell in raw), queries.guard_cell(reasons[str(number)])])
    return send_download(
        out.getvalue(), name="set-aside-rows.csv", content_type="text/csv; charset=utf-8", extension=".csv"
    )


@bp.post("/<int:draft_id>/confirm")
def confirm(draft_id: int):
    step, redirected = _guard(draft_id, "preview")
    if redirected:
        return redirected
    form = ConfirmForm()
    if not form.validate_on_submit() or form.plan.data != _digest(step.draft):
        flash("The import changed since that preview (in another tab?). Check this preview and confirm again.", "error")
        return redirect(url_for(".preview", draft_id=draft_id))
    try:
        with unit_of_work():
            plan = services.apply_import(step.table, step.choices.mapping or {}, step.choices, actor=current_user)
            step.choices.imported = services.outcome(plan)
            step.choices.set_aside = {str(entry.number): entry.reason for entry in plan.set_aside}
            services.save_choices(step.draft, step.choices)
    except DomainError as err:
        flash(err.message, "error")
        plan = services.plan_import(step.table, step.choices.mapping or {}, step.choices)
        return _preview_page(step, plan, ConfirmForm(plan=_digest(step.draft)), 422)
    if not step.choices.set_aside:
        files.discard_upload(step.draft.file_id)  # kept only while its set-aside rows may be downloaded
    flash(f"Imported. {step.choices.imported}", "success")
    return redirect(url_for(".done", draft_id=draft_id))


@bp.get("/<int:draft_id>/done")
def done(draft_id: int):
    step, redirected = _guard(draft_id, "done")
    if redirected:
        return redirected
    if not step.choices.imported:
        return redirect(url_for(".preview", draft_id=draft_id))
    return render_template("imports/done.html", draft=step.draft, choices=step.choices)


EXHIBIT_MAX = 512 * 1024


@bp.route("/exhibit-b/<int:product_id>", methods=["GET", "POST"])
def exhibit_b(product_id: int):
    """Read a vendor's Exhibit B for a product: review the matches, then add the accepted ones to its data uses."""
    product = directory_staff_queries.get_product_or_404(product_id)
    form = ExhibitBForm()
    reading = None
    if form.validate_on_submit():
        text = form.text.data or ""
        if form.file.data and not text.strip():
            raw = form.file.data.stream.read(EXHIBIT_MAX + 1)
            try:
                text = decode(raw[:EXHIBIT_MAX])
            except UnreadableFile as err:
                form.file.errors = [err.message]
            form.text.data = text
        if text.strip():
            reading = read_schedule(text)
            if not reading.rows:
                form.text.errors = ["No table or checklist of data was found in it. Paste the Exhibit B table itself."]
                reading = None
        elif not form.errors:
            form.text.errors = ["Paste the schedule, or choose the packet's file."]
        if reading is not None and form.apply.data:
            chosen = [reading.matches[index] for index in form.accept.data or [] if 0 <= index < len(reading.matches)]
            try:
                with unit_of_work():
                    added = services.apply_exhibit_b(
                        product, current_user, chosen, version=record_version(form.version.data)
                    )
            except DomainError as err:
                flash(err.message, "error")
            else:
                flash(
                    f"Added to {product.name}: {', '.join(added)}. Their purposes are not stated yet."
                    if added
                    else f"{product.name} already receives all of that.",
                    "success",
                )
                return redirect(url_for("directory_staff.edit_product", product_id=product.id))
        if reading is not None and form.read.data:
            form.accept.data = [index for index, match in enumerate(reading.matches) if not match.is_new]
    if not form.is_submitted():
        form.version.data = str(product.version)
    current = {use.data_element_id for use in product.data_uses}
    return render_template(
        "imports/exhibit_b.html",
        form=form,
        product=product,
        reading=reading,
        current_names={use.element.name for use in product.data_uses if use.data_element_id in current},
    ), 422 if form.errors else 200


def record_version(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


@public_bp.get("/directory.csv")
def export_csv():
    today = district_today()
    form = DirectoryForm(request.args, directory_queries.filter_options())
    form.ignored_fields()
    return stream_download(
        queries.export_csv(form.filters(), today),
        name=f"directory-{today.isoformat()}.csv",
        content_type="text/csv; charset=utf-8",
        extension=".csv",
    )
