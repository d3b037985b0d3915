"""The district settings screen (admins only, like the whole blueprint)."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from clearinghouse.errors import DomainError
from clearinghouse.extensions import unit_of_work
from clearinghouse.locking import show_refusal
from clearinghouse.settings import queries, services
from clearinghouse.settings.blueprint import bp
from clearinghouse.settings.forms import settings_form
from clearinghouse.text import render_markdown


@bp.route("/", methods=["GET", "POST"])
def edit():
    settings = queries.get_settings()
    form = settings_form(settings)
    preview = render_markdown(form.privacy_notice_md.data)
    if form.validate_on_submit():
        if form.preview.data:  # show the typed notice as the public page would, without saving
            return render_template("settings/edit.html", form=form, preview=preview, previewing=True)
        try:
            with unit_of_work():
                services.update_settings(
                    form.values(), version=form.version.data, actor=current_user._get_current_object()
                )
        except DomainError as err:
            show_refusal(form, err, queries.get_settings())
        else:
            flash("District settings saved.", "success")
            return redirect(url_for(".edit"))
    return render_template(
        "settings/edit.html", form=form, preview=preview, previewing=False
    ), 422 if form.is_submitted() else 200
