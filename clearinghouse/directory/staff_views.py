"""Staff pages that keep the directory true: vendors, products, data elements, schools (/staff/…)."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from clearinghouse.agreements import status as agreement_status
from clearinghouse.directory import services, staff_queries
from clearinghouse.directory.blueprint import staff_bp as bp
from clearinghouse.directory.models import ProductStatus
from clearinghouse.directory.staff_forms import (
    ConfirmForm,
    CopyUsesForm,
    LinkForm,
    MoveForm,
    NoteForm,
    SchoolForm,
    TagsForm,
    VersionForm,
    choices,
    element_form,
    kind_form,
    product_form,
    product_translations,
    vendor_form,
)
from clearinghouse.errors import DomainError, show_domain_error
from clearinghouse.extensions import unit_of_work
from clearinghouse.locking import show_refusal
from clearinghouse.text import visible_text
from clearinghouse.timeutil import district_today
from clearinghouse.translation_fields import language_label, other_languages
from clearinghouse.urls import id_arg, page_arg

SEARCH_MAX = 200  # a staff list's name search


def _per_page() -> int:
    return current_app.config["PAGE_SIZE"]


def _status(form: FlaskForm) -> int:
    """A form shown again after a POST is a refusal: 422, with everything that was typed."""
    return 422 if form.is_submitted() else 200


# --- vendors ------------------------------------------------------------------------------


@bp.get("/vendors")
def vendors():
    q = visible_text(request.args.get("q"), SEARCH_MAX)
    show = request.args.get("show", "current")
    show = show if show in ("current", "retired", "all") else "current"
    page, product_counts = staff_queries.list_vendors(q=q, show=show, page=page_arg(), per_page=_per_page())
    params = {key: value for key, value in (("q", q), ("show", show)) if value}
    return render_template(
        "directory_staff/vendors.html", page=page, product_counts=product_counts, q=q, show=show, params=params
    )


@bp.route("/vendors/new", methods=["GET", "POST"])
def new_vendor():
    form = vendor_form()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                vendor = services.create_vendor(current_user, **form.values())
        except DomainError as err:
            show_domain_error(form, err)
        else:
            flash(f"{vendor.name} added.", "success")
            return redirect(url_for(".edit_vendor", vendor_id=vendor.id))
    return render_template("directory_staff/vendor_form.html", form=form, vendor=None), _status(form)


@bp.route("/vendors/<int:vendor_id>/edit", methods=["GET", "POST"])
def edit_vendor(vendor_id: int):
    vendor = staff_queries.get_vendor_or_404(vendor_id)
    form = vendor_form(vendor)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_vendor(vendor, current_user, version=form.version.data, **form.values())
        except DomainError as err:
            show_refusal(form, err, vendor)
        else:
            flash(f"{vendor.name} saved.", "success")
            return redirect(url_for(".edit_vendor", vendor_id=vendor.id))
    return render_template(
        "directory_staff/vendor_form.html",
        form=form,
        vendor=vendor,
        retire_form=VersionForm(formdata=None, version=vendor.version),
    ), _status(form)


@bp.post("/vendors/<int:vendor_id>/retire")
def retire_vendor(vendor_id: int):
    return _set_vendor_retired(vendor_id, retired=True)


@bp.post("/vendors/<int:vendor_id>/unretire")
def unretire_vendor(vendor_id: int):
    return _set_vendor_retired(vendor_id, retired=False)


def _set_vendor_retired(vendor_id: int, *, retired: bool):
    vendor = staff_queries.get_vendor_or_404(vendor_id)
    form = VersionForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.set_vendor_retired(vendor, current_user, retired=retired, version=form.version.data)
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(f"{vendor.name} {'retired' if retired else 'is current again'}.", "success")
    return redirect(url_for(".edit_vendor", vendor_id=vendor.id))


# --- products -----------------------------------------------------------------------------


@bp.get("/products")
def products():
    vendor_id = id_arg("vendor_id")
    status_value = request.args.get("status", "")
    status = ProductStatus(status_value) if status_value in set(ProductStatus) else None
    q = visible_text(request.args.get("q"), SEARCH_MAX)
    page, use_counts = staff_queries.list_products(
        vendor_id=vendor_id, status=status, q=q, page=page_arg(), per_page=_per_page()
    )
    params = {
        key: value for key, value in (("vendor_id", vendor_id), ("status", status and status.value), ("q", q)) if value
    }
    return render_template(
        "directory_staff/products.html",
        page=page,
        use_counts=use_counts,
        params=params,
        vendors=staff_queries.vendor_choices(include_id=vendor_id),
        vendor_id=vendor_id,
        status=status,
        statuses=list(ProductStatus),
        q=q,
    )


@bp.route("/products/new", methods=["GET", "POST"])
def new_product():
    form = product_form(staff_queries.offered_elements(), vendor_id=id_arg("vendor_id"), kind=_default_kind())
    form.vendor_id.choices = choices([("", "Choose a vendor…"), *staff_queries.vendor_choices()])
    form.kind.choices = _kind_choices()
    form.school_ids.choices = choices((s.id, s.name) for s in staff_queries.offered_schools())
    if form.validate_on_submit():
        try:
            with unit_of_work():
                product = services.create_product(
                    current_user,
                    vendor=staff_queries.get_vendor_or_404(form.vendor_id.data),
                    school_ids=form.school_ids.data or [],
                    data_uses=form.data_uses(),
                    use_translations=form.use_translations(),
                    **form.values(),
                )
        except DomainError as err:
            show_domain_error(form, err)
        else:
            flash(f"{product.name} added.", "success")
            return redirect(url_for(".edit_product", product_id=product.id))
    return render_template("directory_staff/product_form.html", form=form, product=None, standing=None), _status(form)


def _edit_form(product, **kwargs):
    """The product's form, filled from the product (and from the request, when it was posted)."""
    initial = {"school_ids": [s.id for s in product.schools], **product_translations(product)}
    for use in product.data_uses:
        initial[f"use_{use.data_element_id}"] = True
        initial[f"purpose_{use.data_element_id}"] = use.purpose
    form = product_form(staff_queries.offered_elements(product), obj=product, data=initial, **kwargs)
    del form.vendor_id  # a product stays with its vendor (its agreements are that vendor's)
    form.school_ids.choices = choices((s.id, s.name) for s in staff_queries.offered_schools(product))
    form.kind.choices = _kind_choices(product.kind_id)
    return form


def _kind_choices(current_id: int | None = None) -> list:
    return choices(
        [("", "Choose a kind…")]
        + [
            (kind.slug, f"{kind.name} (retired)" if kind.is_retired else kind.name)
            for kind in staff_queries.offered_kinds(current_id)
        ]
    )


def _default_kind() -> str:
    try:
        return services.default_kind().slug
    except DomainError:
        return ""


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
def edit_product(product_id: int):
    product = staff_queries.get_product_or_404(product_id)
    form = _edit_form(product)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_product(
                    product,
                    current_user,
                    version=form.version.data,
                    school_ids=form.school_ids.data or [],
                    data_uses=form.data_uses(),
                    use_translations=form.use_translations(),
                    **form.values(),
                )
        except DomainError as err:
            show_refusal(form, err, product)
        else:
            flash(f"{product.name} saved.", "success")
            return redirect(url_for(".edit_product", product_id=product.id))
    return _edit_page(product, form, _status(form))


def _edit_page(product, form, status: int, copy_form: CopyUsesForm | None = None, **submitted):
    if copy_form is None:
        copy_form = CopyUsesForm(formdata=None, version=product.version)
    copy_form.source_id.choices = choices(
        [("", "Choose a product…"), *staff_queries.products_to_copy_from(exclude_id=product.id)]
    )
    return render_template(
        "directory_staff/product_form.html",
        form=form,
        product=product,
        standing=agreement_status.standing(product, district_today()),
        copy_form=copy_form,
        retire_form=VersionForm(formdata=None, version=product.version),
        **_kept_forms(product, **submitted),
    ), status


@bp.post("/products/<int:product_id>/copy-data-uses")
def copy_data_uses(product_id: int):
    """Add another product's data uses and purposes to this one; its own stay as they are."""
    product = staff_queries.get_product_or_404(product_id)
    copy_form = CopyUsesForm()
    copy_form.source_id.choices = choices(staff_queries.products_to_copy_from(exclude_id=product.id))
    if copy_form.validate_on_submit():
        try:
            with unit_of_work():
                source = staff_queries.get_product_or_404(copy_form.source_id.data)
                added = services.copy_data_uses(product, current_user, version=copy_form.version.data, source=source)
        except DomainError as err:
            show_refusal(copy_form, err, product)
        else:
            if added:
                flash(f"Copied from {source.name}: {', '.join(added)}. Check each purpose below.", "success")
            else:
                flash(f"{product.name} already has every data use of {source.name}.", "success")
            return redirect(url_for(".edit_product", product_id=product.id, _anchor="data-uses"))
    return _edit_page(product, _edit_form(product, formdata=None), 422, copy_form)


def _kept_forms(product, **submitted) -> dict:
    """The forms of the product's tags, notes and evidence links (a refused one as it was typed)."""
    return {
        "tags_form": submitted.get("tags_form")
        or TagsForm(formdata=None, tags=", ".join(tag.name for tag in product.tags), version=product.version),
        "note_form": submitted.get("note_form") or NoteForm(formdata=None),
        "link_form": submitted.get("link_form") or LinkForm(formdata=None),
        "delete_form": ConfirmForm(formdata=None),
    }


@bp.post("/products/<int:product_id>/tags")
def product_tags(product_id: int):
    product = staff_queries.get_product_or_404(product_id)
    form = TagsForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.set_product_tags(product, current_user, names=form.tags.data or "", version=form.version.data)
        except DomainError as err:
            show_refusal(form, err, product)
        else:
            flash(f"{product.name}'s tags saved.", "success")
            return redirect(url_for(".edit_product", product_id=product.id) + "#tags")
    return _edit_page(product, _edit_form(product, formdata=None), 422, tags_form=form)


@bp.post("/products/<int:product_id>/notes")
def add_product_note(product_id: int):
    product = staff_queries.get_product_or_404(product_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.add_product_note(product, current_user, label=form.note_label.data, body=form.note_body.data)
        except DomainError as err:
            show_domain_error(form, err)
        else:
            flash("Note kept.", "success")
            return redirect(url_for(".edit_product", product_id=product.id) + "#notes")
    return _edit_page(product, _edit_form(product, formdata=None), 422, note_form=form)


@bp.post("/products/<int:product_id>/notes/<int:note_id>/delete")
def delete_product_note(product_id: int, note_id: int):
    product = staff_queries.get_product_or_404(product_id)
    note = next((note for note in product.notes if note.id == note_id), None)
    if ConfirmForm().validate_on_submit() and note is not None:
        with unit_of_work():
            services.delete_product_note(note, current_user)
        flash("Note deleted.", "success")
    return redirect(url_for(".edit_product", product_id=product.id) + "#notes")


@bp.post("/products/<int:product_id>/links")
def add_evidence_link(product_id: int):
    product = staff_queries.get_product_or_404(product_id)
    form = LinkForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.add_evidence_link(
                    product,
                    current_user,
                    url=form.link_url.data,
                    label=form.link_label.data,
                    is_public=form.is_public.data,
                )
        except DomainError as err:
            show_domain_error(form, err)
        else:
            flash("Link kept.", "success")
            return redirect(url_for(".edit_product", product_id=product.id) + "#links")
    return _edit_page(product, _edit_form(product, formdata=None), 422, link_form=form)


@bp.post("/products/<int:product_id>/links/<int:link_id>/delete")
def delete_evidence_link(product_id: int, link_id: int):
    product = staff_queries.get_product_or_404(product_id)
    link = next((link for link in product.links if link.id == link_id), None)
    if ConfirmForm().validate_on_submit() and link is not None:
        with unit_of_work():
            services.delete_evidence_link(link, current_user)
        flash("Link deleted.", "success")
    return redirect(url_for(".edit_product", product_id=product.id) + "#links")


@bp.post("/products/<int:product_id>/retire")
def retire_product(product_id: int):
    product = staff_queries.get_product_or_404(product_id)
    form = VersionForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.retire_product(product, current_user, version=form.version.data)
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(f"{product.name} retired. It stays on the public record with that status.", "success")
    return redirect(url_for(".edit_product", product_id=product.id))


# --- data elements ------------------------------------------------------------------------


@bp.get("/data-elements")
def elements():
    page, use_counts = staff_queries.list_elements(page=page_arg(), per_page=100)
    return render_template(
        "directory_staff/elements.html", page=page, use_counts=use_counts, confirm=ConfirmForm(formdata=None)
    )


@bp.route("/data-elements/new", methods=["GET", "POST"])
def new_element():
    form = element_form()
    form.category_id.choices = choices([("", "Choose a category…"), *staff_queries.category_choices()])
    if form.validate_on_submit():
        try:
            with unit_of_work():
                element = services.create_element(current_user, **form.values())
        except DomainError as err:
            show_domain_error(form, err)
        else:
            flash(f"{element.name} added.", "success")
            return redirect(url_for(".elements"))
    return render_template("directory_staff/element_form.html", form=form, element=None), _status(form)


@bp.route("/data-elements/<int:element_id>/edit", methods=["GET", "POST"])
def edit_element(element_id: int):
    element = staff_queries.get_element_or_404(element_id)
    form = element_form(element)
    form.category_id.choices = choices([("", "Choose a category…"), *staff_queries.category_choices()])
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_element(element, current_user, **form.values())
        except DomainError as err:
            show_domain_error(form, err)
        else:
            flash(f"{element.name} saved.", "success")
            return redirect(url_for(".elements"))
    return render_template(
        "directory_staff/element_form.html", form=form, element=element, confirm=ConfirmForm(formdata=None)
    ), _status(form)


@bp.post("/data-elements/<int:element_id>/retire")
def retire_element(element_id: int):
    return _set_element_retired(element_id, retired=True)


@bp.post("/data-elements/<int:element_id>/unretire")
def unretire_element(element_id: int):
    return _set_element_retired(element_id, retired=False)


def _set_element_retired(element_id: int, *, retired: bool):
    element = staff_queries.get_element_or_404(element_id)
    if ConfirmForm().validate_on_submit():
        with unit_of_work():
            services.set_element_retired(element, current_user, retired=retired)
        flash(
            f"{element.name} {'retired: no longer offered for new data uses' if retired else 'offered again'}.",
            "success",
        )
    return redirect(url_for(".elements"))


# --- schools ------------------------------------------------------------------------------


@bp.get("/schools")
def schools():
    page, product_counts = staff_queries.list_schools(page=page_arg(), per_page=_per_page())
    return render_template(
        "directory_staff/schools.html", page=page, product_counts=product_counts, confirm=ConfirmForm(formdata=None)
    )


@bp.route("/schools/new", methods=["GET", "POST"])
def new_school():
    form = SchoolForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                school = services.create_school(
                    current_user, name=form.name.data, grade_band=form.grade_band.data or ""
                )
        except DomainError as err:
            show_domain_error(form, err)
        else:
            flash(f"{school.name} added.", "success")
            return redirect(url_for(".schools"))
    return render_template("directory_staff/school_form.html", form=form, school=None), _status(form)


@bp.route("/schools/<int:school_id>/edit", methods=["GET", "POST"])
def edit_school(school_id: int):
    school = staff_queries.get_school_or_404(school_id)
    form = SchoolForm(obj=school)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_school(school, current_user, name=form.name.data, grade_band=form.grade_band.data or "")
        except DomainError as err:
            show_domain_error(form, err)
        else:
            flash(f"{school.name} saved.", "success")
            return redirect(url_for(".schools"))
    return render_template("directory_staff/school_form.html", form=form, school=school), _status(form)


@bp.post("/schools/<int:school_id>/retire")
def retire_school(school_id: int):
    return _set_school_retired(school_id, retired=True)


@bp.post("/schools/<int:school_id>/unretire")
def unretire_school(school_id: int):
    return _set_school_retired(school_id, retired=False)


def _set_school_retired(school_id: int, *, retired: bool):
    school = staff_queries.get_school_or_404(school_id)
    if ConfirmForm().validate_on_submit():
        with unit_of_work():
            services.set_school_retired(school, current_user, retired=retired)
        flash(f"{school.name} {'retired' if retired else 'is current again'}.", "success")
    return redirect(url_for(".schools"))


# --- kinds of product ---------------------------------------------------------------------


@bp.route("/kinds", methods=["GET", "POST"])
def kinds():
    """The district's kinds of product, in their order, with a form to add one."""
    form = kind_form()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                kind = services.create_kind(current_user, name=form.name.data, translations=form.translations())
        except DomainError as err:
            show_domain_error(form, err)
        else:
            flash(f"{kind.name} added: it is offered last; move it where it belongs.", "success")
            return redirect(url_for(".kinds"))
    return _kinds_page(form, _status(form))


def _kinds_page(form, status: int):
    kinds, product_counts = staff_queries.list_kinds()
    return render_template(
        "directory_staff/kinds.html",
        form=form,
        kinds=kinds,
        product_counts=product_counts,
        languages=[(code, language_label(code)) for code in other_languages()],
        confirm=ConfirmForm(formdata=None),
        move=MoveForm(formdata=None),
    ), status


@bp.route("/kinds/<int:kind_id>/edit", methods=["GET", "POST"])
def edit_kind(kind_id: int):
    kind = staff_queries.get_kind_or_404(kind_id)
    form = kind_form(kind)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_kind(kind, current_user, name=form.name.data, translations=form.translations())
        except DomainError as err:
            show_domain_error(form, err)
        else:
            flash(f"{kind.name} saved.", "success")
            return redirect(url_for(".kinds"))
    return render_template("directory_staff/kind_form.html", form=form, kind=kind), _status(form)


@bp.post("/kinds/<int:kind_id>/move")
def move_kind(kind_id: int):
    kind = staff_queries.get_kind_or_404(kind_id)
    form = MoveForm()
    if form.validate_on_submit():
        with unit_of_work():
            services.move_kind(kind, current_user, offset=-1 if form.direction.data == "up" else 1)
        flash(f"{kind.name} moved {form.direction.data}.", "success")
    return redirect(url_for(".kinds", _anchor=f"kind-{kind.id}"))


@bp.post("/kinds/<int:kind_id>/retire")
def retire_kind(kind_id: int):
    return _set_kind_retired(kind_id, retired=True)


@bp.post("/kinds/<int:kind_id>/unretire")
def unretire_kind(kind_id: int):
    return _set_kind_retired(kind_id, retired=False)


def _set_kind_retired(kind_id: int, *, retired: bool):
    kind = staff_queries.get_kind_or_404(kind_id)
    if ConfirmForm().validate_on_submit():
        try:
            with unit_of_work():
                services.set_kind_retired(kind, current_user, retired=retired)
        except DomainError as err:
            flash(err.message, "error")
        else:
            done = "retired: its products keep it, new ones cannot have it" if retired else "offered again"
            flash(f"{kind.name} {done}.", "success")
    return redirect(url_for(".kinds"))


@bp.post("/kinds/<int:kind_id>/delete")
def delete_kind(kind_id: int):
    kind = staff_queries.get_kind_or_404(kind_id)
    name = kind.name
    if ConfirmForm().validate_on_submit():
        try:
            with unit_of_work():
                services.delete_kind(kind, current_user)
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(f"{name} deleted.", "success")
    return redirect(url_for(".kinds"))
