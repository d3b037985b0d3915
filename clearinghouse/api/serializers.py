"""The public shape of each record in the open data: an explicit list of public fields, nothing else.

Every field is named here on purpose, and only fields that clearinghouse/visibility.py shows to
the public: internal notes, the agreement's reference, termination reasons, vendor users,
unpublished documents and audit details never leave the database through the API. A new column
stays private until someone adds it here (and to openapi.py).
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from flask import current_app, g, has_request_context
from flask_babel import gettext
from sqlalchemy import Row

from clearinghouse.agreements.models import Agreement, AgreementState
from clearinghouse.agreements.status import AgreementStanding, ProductAgreementStatus, standing
from clearinghouse.api.queries import AgreementRow, ProductData
from clearinghouse.directory.models import DataElement, Product, School, Vendor
from clearinghouse.settings.queries import get_settings
from clearinghouse.slugs import PLAIN_SLUG
from clearinghouse.timeutil import long_date, reader_locale
from clearinghouse.urls import external_url

# Public HTML pages that the directory offers for each record, when they exist.
HTML_ENDPOINTS = {
    "vendor": ("directory.vendor", "slug"),
    "product": ("directory.product", "slug"),
    "data_element": ("directory.data_element", "slug"),
    "school": ("directory.school", "slug"),
    "document": ("directory.agreement_document", "agreement_id"),
}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _instant(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _kept_values() -> dict:
    """The values made once per request (a list's 25 products say the same words and share address
    prefixes), by key; a new, empty dict outside a request. A serializer looks it up once (each lookup
    of `g` goes through Werkzeug's proxies) and hands it to the helpers below."""
    if not has_request_context():
        return {}
    return g.setdefault("api_kept", {})


def _kept_in(kept: dict, key: Any, make: Callable[[], Any]) -> Any:
    try:
        return kept[key]
    except KeyError:
        made = kept[key] = make()
        return made


def _kept(key: Any, make: Callable[[], Any]) -> Any:
    """A value made once per request; made each time outside a request."""
    return _kept_in(_kept_values(), key, make)


def _label_in(kept: dict, member: Any) -> str:
    return _kept_in(kept, ("label", member), lambda: str(member.label))


def _label(member: Any) -> str:
    """An enum member's label (a lazy string, looked up through Flask-Babel once per request)."""
    return _label_in(_kept_values(), member)


def _slug_url_in(kept: dict, endpoint: str, slug: str) -> str:
    if not PLAIN_SLUG.match(slug):
        return external_url(endpoint, slug=slug)
    return _kept_in(kept, ("url", endpoint), lambda: external_url(endpoint, slug="x")[:-1]) + slug


def slug_url(endpoint: str, slug: str) -> str:
    """`external_url(endpoint, slug=slug)`, from the address of a stand-in slug made once per request:
    `url_for` costs about 50 µs, three a product. A slug `url_for` would quote goes through it."""
    return _slug_url_in(_kept_values(), endpoint, slug)


def _html_url_in(kept: dict, kind: str, value: Any) -> str | None:
    endpoint, arg = HTML_ENDPOINTS[kind]
    if not _kept_in(kept, ("page", endpoint), lambda: endpoint in current_app.view_functions):
        return None
    if arg == "slug":
        return _slug_url_in(kept, endpoint, value)
    return external_url(endpoint, **{arg: value})


def html_url(kind: str, value: Any) -> str | None:
    """The public web page of a record, or None when the site has no such page."""
    return _html_url_in(_kept_values(), kind, value)


def vendor_ref(vendor: Vendor) -> dict[str, Any]:
    return {"slug": vendor.slug, "name": vendor.name, "url": slug_url("api.vendor", vendor.slug)}


def product_ref(product: Product) -> dict[str, Any]:
    return {
        "slug": product.slug,
        "name": product.name,
        "kind": product.kind.slug,
        "status": product.status.value,
        "url": slug_url("api.product", product.slug),
    }


def destruction_fact(status: Any) -> dict[str, str] | None:
    """The public destruction status of an ended agreement (label and badge kind), if any."""
    if status is None:
        return None
    return {"label": status.label, "badge": status.badge}


def _state_in(kept: dict, agreement: Agreement | AgreementRow, today: date) -> AgreementState:
    """`agreement.state_on(today)`, derived once per agreement and request (a product's standing and
    its agreements' facts both ask)."""
    return _kept_in(kept, ("state", agreement.id, today), lambda: agreement.state_on(today))


def _facts_in(kept: dict, agreement: Agreement | AgreementRow, today: date, destruction: Any) -> dict[str, Any]:
    state = _state_in(kept, agreement, today)
    window = _kept_in(kept, ("window",), lambda: get_settings().default_destruction_window_days)
    return {
        "id": agreement.id,
        "kind": agreement.kind.value,
        "kind_label": _label_in(kept, agreement.kind),
        "signed_on": _day(agreement.signed_on),
        "effective_on": _day(agreement.effective_on),
        "expires_on": _day(agreement.expires_on),
        "dates_recorded": agreement.dates_recorded is not False,
        "auto_renews": agreement.auto_renews,
        "renews_on": _day(agreement.renews_on(today)),
        "disposal_window_days": agreement.destruction_window(window),
        "disposal_method": agreement.disposal_method.value if agreement.disposal_method else None,
        "terminated_on": _day(agreement.terminated_on),
        "state": state.value,
        "state_label": _label_in(kept, state),
        "renewed_by": agreement.renewed_by_id,
        "destruction": destruction_fact(destruction),
        "document_url": _html_url_in(kept, "document", agreement.id)
        if agreement.is_document_published and agreement.document_id
        else None,
    }


def agreement_facts(agreement: Agreement, today: date, destruction: Any = None) -> dict[str, Any]:
    """What the public may know of an agreement: its kind, dates, state and destruction status."""
    return _facts_in(_kept_values(), agreement, today, destruction)


def product_row_ref(product: Row) -> dict[str, Any]:
    """`product_ref` of a plain row (`queries.AGREEMENT_DATA`)."""
    return {
        "slug": product.slug,
        "name": product.name,
        "kind": product.kind,
        "status": product.status.value,
        "url": slug_url("api.product", product.slug),
    }


def agreement(agreement: Agreement, today: date, products: list[Row], destruction: Any = None) -> dict[str, Any]:
    """An agreement in /agreements: its public facts, its vendor and the products it covers (plain rows,
    `queries.agreement_data`)."""
    return {
        **agreement_facts(agreement, today, destruction),
        "vendor": vendor_ref(agreement.vendor),
        "products": [product_row_ref(p) for p in sorted(products, key=lambda p: (p.name, p.id))],
        "updated_at": _instant(agreement.updated_at),
    }


def _standing_label_in(kept: dict, where: AgreementStanding) -> str:
    """`where.label`, worded once per phrase and request (a fixed label is a lazy string, whose hash
    would translate it: it is known by its identity, as `directory.cards.Wording.agreement` does)."""
    phrase = where.phrase
    if not phrase.names_day:
        return _kept_in(kept, ("standing", id(phrase.text)), lambda: str(phrase.text))
    locale = _kept_in(kept, ("locale",), reader_locale)
    return phrase.worded(
        lambda text: _kept_in(kept, ("text", text), lambda: gettext(text)),
        lambda day: long_date(day, locale) if day is not None else "",
    )


def _agreement_status_in(kept: dict, product: Row, today: date, agreements: list[AgreementRow]) -> dict[str, Any]:
    where = standing(product, today, agreements, state_of=lambda agreement: _state_in(kept, agreement, today))
    declined = where.status is ProductAgreementStatus.DECLINED_BY_VENDOR
    return {
        "agreement_status": where.status.value,
        "agreement_status_label": _standing_label_in(kept, where),
        "agreement_state": where.state.value if where.state else None,
        "agreement_note": (product.agreement_note or None) if declined else None,
    }


def agreement_status(product: Row, today: date, agreements: list[AgreementRow]) -> dict[str, Any]:
    """Where the product's agreement stands (`agreements.status`), in the words the pages use."""
    return _agreement_status_in(_kept_values(), product, today, agreements)


def _newest_first(agreement: AgreementRow) -> tuple[date, int]:
    return (agreement.effective_on or date.min, agreement.id)


def product(product: Row, today: date, data: ProductData) -> dict[str, Any]:
    """A product (a row of `queries.product_rows`) with everything the API shows of it; `data` holds its
    agreements (with their destruction statuses), data uses and schools. The rows are read by place, in the
    order of their statements' columns (`queries.PRODUCT_ROW_COLUMNS`, `_product_data_statements`): a Row's
    attribute costs about 0.3 µs, and a page of 25 products reads about 1,500 of them."""
    kept = _kept_values()
    (
        product_id,
        slug,
        name,
        kind,
        kind_name,
        status,
        status_note,
        _stated,
        _note,
        website,
        purpose_md,
        grade_bands,
        updated_at,
        vendor_slug,
        vendor_name,
        _vendor_updated_at,
        *_counted,  # the list's count, on a row of the whole list (`queries._listing_page`)
    ) = product
    agreements = data.agreements.get(product_id, [])
    return {
        "slug": slug,
        "name": name,
        "vendor": {"slug": vendor_slug, "name": vendor_name, "url": _slug_url_in(kept, "api.vendor", vendor_slug)},
        "kind": kind,
        "kind_label": kind_name,
        "status": status.value,
        "status_label": _label_in(kept, status),
        "status_note": status_note or None,
        **_agreement_status_in(kept, product, today, agreements),
        "website": website,
        "purpose": purpose_md,
        "grade_bands": grade_bands,
        "schools": [
            {"slug": school_slug, "name": school_name, "grade_band": grade_band}
            for _, school_slug, school_name, grade_band in data.schools.get(product_id, ())
        ],
        "data_uses": [
            {
                "element": element,
                "element_name": element_name,
                "category": category,
                "category_name": category_name,
                "is_sensitive": is_sensitive,
                "purpose": purpose,
            }
            for _, element, element_name, category, category_name, is_sensitive, purpose in data.uses.get(
                product_id, ()
            )
        ],
        "agreements": [
            _facts_in(kept, a, today, data.destruction.get(a.id))
            for a in sorted(agreements, key=_newest_first, reverse=True)
        ],
        "updated_at": _instant(updated_at),
        "url": _slug_url_in(kept, "api.product", slug),
        "html_url": _html_url_in(kept, "product", slug),
    }


def vendor(vendor: Vendor) -> dict[str, Any]:
    return {
        "slug": vendor.slug,
        "name": vendor.name,
        "website": vendor.website,
        "privacy_policy_url": vendor.privacy_policy_url,
        "contact_email": vendor.contact_email,
        "description": vendor.description_md,
        "is_retired": vendor.is_retired,
        "products": [product_ref(p) for p in vendor.products],
        "updated_at": _instant(vendor.updated_at),
        "url": slug_url("api.vendor", vendor.slug),
        "html_url": html_url("vendor", vendor.slug),
    }


def vendor_detail(row: Vendor, today: date, destruction: dict[int, Any]) -> dict[str, Any]:
    """A vendor with its agreements' public facts (the list leaves agreements out to stay small)."""
    agreements = sorted(row.agreements, key=lambda a: (a.effective_on or date.min, a.id), reverse=True)
    return {
        **vendor(row),
        "agreements": [
            {
                **agreement_facts(a, today, destruction.get(a.id)),
                "products": [product_ref(p) for p in sorted(a.products, key=lambda p: (p.name, p.id))],
            }
            for a in agreements
        ],
    }


def data_element(element: DataElement, product_count: int) -> dict[str, Any]:
    return {
        "slug": element.slug,
        "name": element.name,
        "category": element.category.slug,
        "category_name": element.category.name,
        "description": element.description,
        "is_sensitive": element.is_sensitive,
        "is_retired": element.is_retired,
        "product_count": product_count,
        "products_url": external_url("api.products", element=element.slug),
        "html_url": html_url("data_element", element.slug),
    }


def school(row: School) -> dict[str, Any]:
    """A school in /schools: how many listed products it uses, and how many of them receive sensitive data
    (kept on the school by triggers)."""
    return {
        "slug": row.slug,
        "name": row.name,
        "grade_band": row.grade_band,
        "is_retired": row.is_retired,
        "product_count": row.product_count,
        "sensitive_product_count": row.sensitive_product_count,
        "products_url": external_url("api.products", school=row.slug),
        "url": slug_url("api.school", row.slug),
        "html_url": html_url("school", row.slug),
    }


def school_detail(row: School, products: list[Row], today: date, data: ProductData) -> dict[str, Any]:
    """A school, its counts (of all its products), and a page of the listed products used there, each
    as in /products."""
    return {
        **school(row),
        "products": [product(p, today, data) for p in products],
    }
