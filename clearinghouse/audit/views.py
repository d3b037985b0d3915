"""The officers' audit log, and the public change history with its Atom feed.

`bp` is public (no login); `staff_bp` is guarded by deny_unless in the package. Neither offers
any way to change or delete an audit event: the log is append-only.
"""

from flask import Response, current_app, render_template, request, url_for
from flask_babel import gettext as _

from clearinghouse.audit import public, queries
from clearinghouse.audit.blueprint import bp, staff_bp
from clearinghouse.audit.feed import ATOM_TYPE, build_feed
from clearinghouse.audit.forms import AuditFilterForm, ChangesFilterForm
from clearinghouse.audit.wording import revision_text
from clearinghouse.settings.queries import get_settings
from clearinghouse.timeutil import utcnow
from clearinghouse.urls import page_arg

CHANGES_PER_PAGE = 30

# A revision's sentence in the reader's language, for every page that lists revisions.
bp.add_app_template_filter(revision_text, "revision_text")


@bp.get("/changes")
def changes():
    vendors = public.vendors_with_revisions()
    form = ChangesFilterForm(formdata=request.args, vendors=[(slug, name) for _, name, slug in vendors])
    if not form.validate():
        return render_template("audit/changes.html", form=form, page=None, days=[], params={}), 422
    vendor_id = next((vendor_id for vendor_id, _, slug in vendors if slug == form.vendor.data), None)
    page = public.revisions_page(page_arg(), CHANGES_PER_PAGE, vendor_id)
    days = public.group_by_day(page.items)
    return render_template("audit/changes.html", form=form, page=page, days=days, params=form.filled())


@bp.get("/changes.atom")
def feed():
    document = build_feed(
        public.feed_entries(),
        base_url=current_app.config["BASE_URL"],
        title=_(
            "%(district)s: what changed in the student data privacy directory", district=get_settings().district_name
        ),
        author=get_settings().district_name,
        feed_path=url_for("audit.feed"),
        page_path=url_for("audit.changes"),
        now=utcnow(),
    )
    return Response(document, mimetype=ATOM_TYPE)


@staff_bp.get("")
def log():
    actors, actions, record_types = queries.filter_choices()
    form = AuditFilterForm(formdata=request.args, actors=actors, actions=actions, record_types=record_types)
    if not form.validate():
        return render_template("audit/log.html", form=form, page=None, entries=[], params={}), 422
    filters = queries.LogFilters(
        actor=form.actor.data,
        action=form.action.data,
        record_type=form.record_type.data,
        record_id=form.record_id.data,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )
    page = queries.search_events(filters, page_arg())
    entries = queries.log_entries(page.items)
    return render_template("audit/log.html", form=form, page=page, entries=entries, params=form.filled())
