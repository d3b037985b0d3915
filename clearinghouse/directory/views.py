"""Public directory pages. Public: no login is needed for any route here.

Each page runs a constant number of SQL queries whatever the number of rows (tests/directory).
"""

from flask import abort, current_app, render_template, request
from werkzeug.wrappers import Response

from clearinghouse.agreements.models import AgreementState
from clearinghouse.directory import glossary, queries, school_queries
from clearinghouse.directory.blueprint import bp
from clearinghouse.directory.cards import (
    STATUS_BADGES,
    element_index,
    listing_cards,
    product_cards,
    result_words,
    school_cards,
    school_summary,
    use_cards,
)
from clearinghouse.directory.forms import DirectoryForm, SearchForm
from clearinghouse.directory.use_tables import use_tables
from clearinghouse.downloads import send_stored_file
from clearinghouse.settings.queries import get_settings
from clearinghouse.timeutil import district_today
from clearinghouse.urls import page_arg

# Badge kinds for the _macros/ui.html badge(): words always say the state; colour only repeats it.
STATE_BADGES = {
    AgreementState.ACTIVE: "ok",
    AgreementState.EXPIRING: "warn",
    AgreementState.UPCOMING: "neutral",
    AgreementState.DRAFT: "neutral",
    AgreementState.ON_FILE: "neutral",
    AgreementState.EXPIRED: "bad",
    AgreementState.TERMINATED: "bad",
    AgreementState.RENEWED: "neutral",
}


def web_url(url: str | None) -> str | None:
    """The address when it is an ordinary web link (never javascript: or data:), else None."""
    return url if url and url.strip().lower().startswith(("https://", "http://")) else None


@bp.context_processor
def page_helpers() -> dict:
    return {"state_badges": STATE_BADGES, "status_badges": STATUS_BADGES, "web_url": web_url}


def _per_page() -> int:
    return current_app.config["PAGE_SIZE"]


@bp.get("/")
def home():
    today = district_today()
    return render_template(
        "directory/home.html",
        form=SearchForm(),
        counts=queries.headline_counts(today),
        recent=queries.recently_updated(),
    )


@bp.get("/directory")
def directory():
    today = district_today()
    form = DirectoryForm(request.args, queries.filter_options())
    ignored = form.ignored_fields()
    filters = form.filters()
    results = queries.search_products(filters, page_arg(), _per_page(), today)
    params = form.params()
    suggestion = queries.search_suggestion(filters, results.total)
    return render_template(
        "directory/directory.html",
        form=form,
        filters=filters,
        ignored=ignored,
        results=results,
        cards=product_cards(results.items, today),
        words=result_words(form.q.data, bool(filters.terms), results, params),
        params=params,
        suggestion=suggestion,
        suggestion_params={**params, "q": suggestion},
    )


@bp.get("/products/<slug>")
def product(slug: str):
    page = queries.product_page(slug, district_today())
    if page is None:
        abort(404)
    return render_template(
        "directory/product.html", page=page, product=page.product, use_tables=use_tables(page.uses_by_category)
    )


@bp.get("/vendors/<slug>")
def vendor(slug: str):
    page = queries.vendor_page(slug, district_today(), page_arg(), _per_page())
    if page is None:
        abort(404)
    return render_template("directory/vendor.html", page=page, vendor=page.vendor, cards=listing_cards(page.products))


@bp.get("/schools")
def schools():
    return render_template("directory/schools.html", schools=school_queries.list_schools())


@bp.get("/schools/<slug>")
def school(slug: str):
    page = school_queries.school_page(slug, district_today(), page_arg(), _per_page())
    if page is None:
        abort(404)
    return render_template(
        "directory/school.html",
        page=page,
        school=page.school,
        cards=school_cards(page.products),
        summary=school_summary(page.sensitive_elements),
    )


@bp.get("/data")
def data_elements():
    return render_template("directory/data_elements.html", groups=element_index(queries.data_element_index()))


@bp.get("/data/<slug>")
def data_element(slug: str):
    element = queries.get_data_element(slug)
    if element is None:
        abort(404)
    today = district_today()
    results = queries.element_receivers(element, page_arg(), _per_page())
    listings = queries.listings([use.product for use in results.items], today)
    by_product = {listing.product.id: listing for listing in listings}
    return render_template(
        "directory/data_element.html", element=element, results=results, cards=use_cards(results.items, by_product)
    )


@bp.get("/about")
def about():
    return render_template("directory/about.html", notice=queries.privacy_notice_source())


@bp.get("/your-rights")
def rights():
    """Families' rights over student data, whom to ask, what the district does, and a glossary."""
    settings = get_settings()
    return render_template(
        "directory/rights.html",
        glossary=glossary.glossary(queries.sensitive_examples(), settings.default_destruction_window_days),
    )


@bp.get("/agreements/<int:agreement_id>/document", localized=False)
def agreement_document(agreement_id: int) -> Response:
    """The signed agreement, only when the district chose to publish it.

    Its file name on the uploader's computer is not public (clearinghouse/visibility.py), so it is
    downloaded under a name built from the agreement's number.
    """
    document = queries.get_published_document(agreement_id)
    if document is None:
        abort(404)
    return send_stored_file(document, name=f"agreement-{agreement_id}.pdf")
