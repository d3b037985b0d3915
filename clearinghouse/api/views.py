"""Open data views: read-only JSON with validators for caches, and the page that describes it. Public."""

import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from flask import Response, abort, current_app, render_template, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Row

from clearinghouse import page_cache
from clearinghouse.api import openapi, queries, serializers
from clearinghouse.api.blueprint import bp
from clearinghouse.api.filters import parse_product_query
from clearinghouse.errors import DomainError
from clearinghouse.timeutil import district_today, district_zone
from clearinghouse.urls import MAX_PAGE, external_url

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 25


class BadParameter(DomainError):
    """A query parameter has a value the API cannot use; the message says which and why."""


@bp.errorhandler(BadParameter)
def bad_parameter(err: BadParameter):
    return _json_error(400, err.message)


def _json_error(status: int, message: str) -> Response:
    body = {"error": {"status": status, "title": "Bad request", "message": message}}
    return current_app.response_class(json.dumps(body), status=status, mimetype="application/json")


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.strip().isascii() or not raw.strip().isdigit():
        raise BadParameter(f"'{name}' must be a whole number between {low} and {high}.", field=name)
    value = int(raw.strip())
    if not low <= value <= high:
        raise BadParameter(f"'{name}' must be a whole number between {low} and {high}.", field=name)
    return value


def _page_args() -> tuple[int, int]:
    return _int_arg("page", 1, 1, MAX_PAGE), _int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)


def _fresh_as_of(stamps: Iterable[datetime | None], today: date | None = None) -> datetime | None:
    """The latest change among the rows shown; with `today`, no earlier than the district's midnight,
    because states derived from dates (agreement state, overdue) change when the day does."""
    values = [s for s in stamps if s is not None]
    if today is not None:
        values.append(datetime.combine(today, time.min, tzinfo=district_zone()))
    return max(values) if values else None


def _json(body: dict[str, Any], last_modified: datetime | None = None) -> Response:
    """A JSON response to revalidate: strong ETag from the body's hash, Last-Modified, 304 for a matching
    If-None-Match. Cache-Control (`no-cache`: keep it, but ask again) is the public cache's (page_cache)."""
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    response = current_app.response_class(data, mimetype="application/json")
    response.set_etag(hashlib.sha256(data).hexdigest()[:40])
    if last_modified is not None:
        response.last_modified = last_modified
    return page_cache.revalidated(response, request.environ)


def _list_body(pagination: Pagination, data: list[dict], endpoint: str, params: dict[str, str]) -> dict:
    return {"data": data, **_paging(pagination, endpoint, params)}


def _paging(pagination: Pagination, endpoint: str, params: dict[str, str]) -> dict:
    """`meta` (total, page, per_page, pages) and `links` (self, first, last, next, prev) of a page,
    absolute from BASE_URL."""

    def link(page: int | None) -> str | None:
        if page is None:
            return None
        return external_url(endpoint, **params, page=page, per_page=pagination.per_page)

    return {
        "meta": {
            "total": pagination.total,
            "page": pagination.page,
            "per_page": pagination.per_page,
            "pages": pagination.pages,
        },
        "links": {
            "self": link(pagination.page),
            "first": link(1),
            "last": link(max(pagination.pages, 1)),
            "next": link(pagination.next_num if pagination.has_next else None),
            "prev": link(pagination.prev_num if pagination.has_prev else None),
        },
    }


CSV_PATH = "/directory.csv"  # the directory as CSV, served by the imports domain


@bp.get("/")
def index():
    has_csv = any(rule.rule == CSV_PATH for rule in current_app.url_map.iter_rules())
    return render_template(
        "api/index.html",
        endpoints=openapi.endpoint_summaries(),
        max_per_page=MAX_PER_PAGE,
        csv_url=CSV_PATH if has_csv else None,
    )


@bp.get("/openapi.json", localized=False)
def openapi_document():
    return _json(openapi.document())


@bp.get("/vendors", localized=False)
def vendors():
    page, per_page = _page_args()
    pagination = queries.list_vendors(page, per_page)
    rows = pagination.items
    body = _list_body(pagination, [serializers.vendor(v) for v in rows], "api.vendors", {})
    stamps = [v.updated_at for v in rows] + [p.updated_at for v in rows for p in v.products]
    return _json(body, _fresh_as_of(stamps))


@bp.get("/vendors/<slug>", localized=False)
def vendor(slug: str):
    row = queries.get_vendor(slug)
    if row is None:
        abort(404)
    today = district_today()
    destruction = queries.destruction_statuses(row.agreements, today)
    stamps = [row.updated_at] + [p.updated_at for p in row.products] + [a.updated_at for a in row.agreements]
    return _json({"data": serializers.vendor_detail(row, today, destruction)}, _fresh_as_of(stamps, today))


def _product_stamps(rows: list[Row], details: queries.ProductData) -> list[datetime]:
    """When the products shown, their vendors and their agreements last changed."""
    stamps = [p.updated_at for p in rows] + [p.vendor_updated_at for p in rows]
    return stamps + [a.updated_at for a in details.all_agreements()]


@bp.get("/products", localized=False)
def products():
    try:
        query = parse_product_query(request.args)
    except DomainError as err:
        raise BadParameter(err.message, field=err.field) from None
    page, per_page = _page_args()
    today = district_today()
    pagination = queries.list_products(query, page, per_page, today)
    rows = pagination.items
    details = queries.product_data(rows, today)
    data = [serializers.product(p, today, details) for p in rows]
    body = _list_body(pagination, data, "api.products", query.params)
    return _json(body, _fresh_as_of(_product_stamps(rows, details), today))


@bp.get("/products/<slug>", localized=False)
def product(slug: str):
    row = queries.get_product(slug)
    if row is None:
        abort(404)
    today = district_today()
    details = queries.product_data([row], today)
    body = {"data": serializers.product(row, today, details)}
    return _json(body, _fresh_as_of(_product_stamps([row], details), today))


@bp.get("/schools", localized=False)
def schools():
    page, per_page = _page_args()
    pagination = queries.list_schools(page, per_page)
    data = [serializers.school(s) for s in pagination.items]
    # Schools carry no timestamps, so this list has an ETag but no Last-Modified.
    return _json(_list_body(pagination, data, "api.schools", {}))


@bp.get("/schools/<slug>", localized=False)
def school(slug: str):
    page, per_page = _page_args()
    found = queries.get_school(slug, page, per_page)
    if found is None:
        abort(404)
    row, pagination = found
    products = pagination.items
    today = district_today()
    details = queries.product_data(products, today)
    body = {
        "data": serializers.school_detail(row, products, today, details),
        **_paging(pagination, "api.school", {"slug": row.slug}),
    }
    return _json(body, _fresh_as_of(_product_stamps(products, details), today))


@bp.get("/data-elements", localized=False)
def data_elements():
    page, per_page = _page_args()
    pagination, counts = queries.list_data_elements(page, per_page)
    data = [serializers.data_element(e, counts.get(e.id, 0)) for e in pagination.items]
    # Data elements carry no timestamps, so this list has an ETag but no Last-Modified.
    return _json(_list_body(pagination, data, "api.data_elements", {}))


@bp.get("/agreements", localized=False)
def agreements():
    page, per_page = _page_args()
    pagination = queries.list_agreements(page, per_page)
    rows = pagination.items
    today = district_today()
    details = queries.agreement_data(rows, today)
    data = [serializers.agreement(a, today, details.products[a.id], details.destruction.get(a.id)) for a in rows]
    stamps = [a.updated_at for a in rows] + [a.vendor.updated_at for a in rows]
    stamps += [p.updated_at for a in rows for p in details.products[a.id]]
    return _json(_list_body(pagination, data, "api.agreements", {}), _fresh_as_of(stamps, today))
