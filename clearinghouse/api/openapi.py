"""The OpenAPI 3.1 description of the open data API, written as Python data.

Every object schema lists all its fields and forbids others, so a field added to serializers.py
without being described here fails the tests that check each response against this document.
"""

import re
from copy import deepcopy
from functools import cache
from typing import Any

from clearinghouse.agreements.models import AgreementKind, AgreementState, DataDisposal
from clearinghouse.agreements.status import ProductAgreementStatus
from clearinghouse.api.filters import AGREEMENT_VALUES, STATUS_VALUES
from clearinghouse.directory.models import ProductStatus
from clearinghouse.i18n import N_
from clearinghouse.urls import MAX_PAGE

# 1.1.0: agreements no longer carry `reference`, the district's staff-only filing label.
# 1.2.0: /schools and /schools/{slug}; agreements carry `renews_on`, `disposal_window_days`, `disposal_method`.
# 1.3.0: products carry `status_note` and where their agreement stands (`agreement_status`, its label,
#        `agreement_state`, `agreement_note`); agreements carry `dates_recorded`; the `agreement` filter
#        takes every agreement status.
# 1.4.0: `Cache-Control: no-cache` (was `public, max-age=60`): caches keep answers but revalidate each
#        time, so nobody sees data older than the last change; only a matching If-None-Match earns a 304.
# 1.5.0: /schools/{slug} is paged like the lists (`page`, `per_page`; `meta`, `links`): `products` holds
#        one page, `product_count` and `sensitive_product_count` count them all.
# 1.6.0: kinds of product are the district's own: `kind` is any kind's key (the fourteen first ones,
#        learning_platform… other, keep theirs), no longer a fixed list; /products takes a `kind` filter.
API_VERSION = "1.6.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    return {**schema, "type": [schema["type"], "null"]}


STRING = {"type": "string"}
KIND = {
    "type": "string",
    "pattern": "^[a-z0-9][a-z0-9_-]*$",
    "description": "The key of the product's kind, one of the district's kinds: e.g. 'learning_platform', "
    "'reading', 'math', 'assessment', 'other', or one the district added ('career-readiness'). "
    "Its name is in `kind_label`.",
}
BOOLEAN = {"type": "boolean"}
DAY = {"type": "string", "format": "date"}
INSTANT = {"type": "string", "format": "date-time"}
URL = {"type": "string", "format": "uri"}
SLUG = {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"}
COUNT = {"type": "integer", "minimum": 0}

AGREEMENT_FACTS: dict[str, Any] = {
    "id": {"type": "integer"},
    "kind": {"enum": [k.value for k in AgreementKind]},
    "kind_label": STRING,
    "signed_on": _nullable(DAY),
    "effective_on": _nullable(DAY),
    "expires_on": {**_nullable(DAY), "description": "Null: open-ended (or dates not recorded)."},
    "dates_recorded": {
        **BOOLEAN,
        "description": "False: the district holds the agreement but has not recorded its dates (state `on_file`); "
        "its dates are then all null.",
    },
    "auto_renews": BOOLEAN,
    "renews_on": {
        **_nullable(DAY),
        "description": "The day an auto-renewing agreement next renews (the last day of its current term); "
        "null when it does not renew.",
    },
    "terminated_on": _nullable(DAY),
    "disposal_window_days": {
        **COUNT,
        "description": "Days the vendor has, once the agreement has ended, to dispose of the data: the "
        "agreement's, else the district's default.",
    },
    "disposal_method": {
        "enum": [*(d.value for d in DataDisposal), None],
        "description": "What the agreement says happens to the data when it ends: `destroy` (destroyed or "
        "deleted) or `return` (returned to the district, then deleted); null when it does not say.",
    },
    "state": {
        "enum": [s.value for s in AgreementState],
        "description": "Derived from the dates on the district's calendar today.",
    },
    "state_label": STRING,
    "renewed_by": {"type": ["integer", "null"], "description": "Id of the agreement that renewed this one."},
    "destruction": _nullable(_ref("DestructionStatus")),
    "document_url": {**_nullable(URL), "description": "The signed agreement, when the district publishes it."},
}

VENDOR: dict[str, Any] = {
    "slug": SLUG,
    "name": STRING,
    "website": STRING,
    "privacy_policy_url": STRING,
    "contact_email": {**STRING, "description": "The vendor's public privacy contact."},
    "description": {**STRING, "description": "Markdown."},
    "is_retired": BOOLEAN,
    "products": {"type": "array", "items": _ref("ProductRef")},
    "updated_at": INSTANT,
    "url": URL,
    "html_url": _nullable(URL),
}

SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {
            "error": _object(
                {"status": {"type": "integer"}, "title": STRING, "message": {**STRING, "description": "What to fix."}}
            )
        }
    ),
    "Meta": _object(
        {
            "total": {**COUNT, "description": "Rows in the whole list."},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "pages": COUNT,
        }
    ),
    "Links": _object(
        {
            "self": URL,
            "first": URL,
            "last": URL,
            "next": _nullable(URL),
            "prev": _nullable(URL),
        },
        "Links to pages of the same list, with the same filters.",
    ),
    "VendorRef": _object({"slug": SLUG, "name": STRING, "url": URL}),
    "ProductRef": _object(
        {
            "slug": SLUG,
            "name": STRING,
            "kind": KIND,
            "status": {"enum": [s.value for s in ProductStatus]},
            "url": URL,
        }
    ),
    "DestructionStatus": _object(
        {
            "label": {**STRING, "description": "A whole phrase, e.g. 'Data destruction certified on May 3, 2027'."},
            "badge": {"enum": ["ok", "warn", "bad"]},
        },
        "Whether the vendor has destroyed the district's data after an agreement ended.",
    ),
    "AgreementFacts": _object(AGREEMENT_FACTS, "The public facts of a data-privacy agreement."),
    "DataUse": _object(
        {
            "element": SLUG,
            "element_name": STRING,
            "category": SLUG,
            "category_name": STRING,
            "is_sensitive": BOOLEAN,
            "purpose": {**STRING, "description": "Why the product receives this data."},
        }
    ),
    "School": _object({"slug": SLUG, "name": STRING, "grade_band": STRING}),
    "Product": _object(
        {
            "slug": SLUG,
            "name": STRING,
            "vendor": _ref("VendorRef"),
            "kind": KIND,
            "kind_label": STRING,
            "status": {
                "enum": [s.value for s in ProductStatus],
                "description": "The district's approval for use.",
            },
            "status_label": STRING,
            "status_note": {
                **_nullable(STRING),
                "description": "The conditions of an approval with conditions, or why it is not approved.",
            },
            "agreement_status": {
                "enum": [s.value for s in ProductAgreementStatus],
                "description": "Where the product's data-privacy agreement stands: `signed` (its state in "
                "`agreement_state`), `on_file` (dates not recorded), `requested`, `none_on_file`, "
                "`declined_by_vendor`, `not_required` (no student data collected). An agreement in force "
                "outranks what the district stated.",
            },
            "agreement_status_label": {**STRING, "description": "The same in plain words, with its day."},
            "agreement_state": {
                "enum": [*(s.value for s in AgreementState), None],
                "description": "The state of the agreement the status comes from; null when none does.",
            },
            "agreement_note": {
                **_nullable(STRING),
                "description": "The vendor's reason for declining, when `agreement_status` is `declined_by_vendor`.",
            },
            "website": STRING,
            "purpose": {**STRING, "description": "Markdown."},
            "grade_bands": STRING,
            "schools": {"type": "array", "items": _ref("School")},
            "data_uses": {"type": "array", "items": _ref("DataUse")},
            "agreements": {"type": "array", "items": _ref("AgreementFacts"), "description": "Newest first."},
            "updated_at": INSTANT,
            "url": URL,
            "html_url": _nullable(URL),
        },
        "An app or service, the student data it receives and why, and its agreements.",
    ),
    "Vendor": _object(VENDOR, "A company that receives student data."),
    "Agreement": _object(
        {
            **AGREEMENT_FACTS,
            "vendor": _ref("VendorRef"),
            "products": {"type": "array", "items": _ref("ProductRef")},
            "updated_at": INSTANT,
        },
        "An agreement's public facts, with its vendor and the products it covers.",
    ),
    "VendorAgreement": _object(
        {**AGREEMENT_FACTS, "products": {"type": "array", "items": _ref("ProductRef")}},
        "An agreement of the vendor, with the products it covers.",
    ),
    "VendorDetail": _object(
        {**VENDOR, "agreements": {"type": "array", "items": _ref("VendorAgreement")}},
        "A vendor with its agreements.",
    ),
    "SchoolSummary": _object(
        {
            "slug": SLUG,
            "name": STRING,
            "grade_band": STRING,
            "is_retired": BOOLEAN,
            "product_count": {**COUNT, "description": "How many products in use (not retired) the school uses."},
            "sensitive_product_count": {**COUNT, "description": "How many of them receive sensitive data."},
            "products_url": URL,
            "url": URL,
            "html_url": _nullable(URL),
        },
        "A school and how many products in use it uses.",
    ),
    "SchoolDetail": _object(
        {
            "slug": SLUG,
            "name": STRING,
            "grade_band": STRING,
            "is_retired": BOOLEAN,
            "product_count": {**COUNT, "description": "How many products in use (not retired) the school uses."},
            "sensitive_product_count": {**COUNT, "description": "How many of them receive sensitive data."},
            "products_url": URL,
            "url": URL,
            "html_url": _nullable(URL),
            "products": {
                "type": "array",
                "items": _ref("Product"),
                "description": "One page of them (`page`, `per_page`), by name; retired ones left out.",
            },
        },
        "A school with a page of the products in use there: the data each receives, and its agreements.",
    ),
    "DataElement": _object(
        {
            "slug": SLUG,
            "name": STRING,
            "category": SLUG,
            "category_name": STRING,
            "description": STRING,
            "is_sensitive": BOOLEAN,
            "is_retired": BOOLEAN,
            "product_count": {**COUNT, "description": "How many products receive it."},
            "products_url": URL,
            "html_url": _nullable(URL),
        }
    ),
}


def _list_of(item: str) -> dict[str, Any]:
    return _object({"data": {"type": "array", "items": _ref(item)}, "meta": _ref("Meta"), "links": _ref("Links")})


def _one(item: str) -> dict[str, Any]:
    return _object({"data": _ref(item)})


def _paged_one(item: str) -> dict[str, Any]:
    """One record holding a paged list (a school's products), with the lists' `meta` and `links`."""
    return _object({"data": _ref(item), "meta": _ref("Meta"), "links": _ref("Links")})


PAGE_PARAMETERS = [
    {"$ref": "#/components/parameters/page"},
    {"$ref": "#/components/parameters/per_page"},
]

# The filters' values as the API reads them: spaces around a value are ignored, and a blank one is no filter.
SLUG_FILTER = {"type": "string", "pattern": "^ *[A-Za-z0-9-]{0,200} *$"}


def one_of_values(values: list[str]) -> dict[str, Any]:
    """A filter that takes one of `values`, or nothing: listed as they are, and also with spaces around."""
    padded = "^ *(" + "|".join(re.escape(value) for value in values) + ")? *$"
    return {"anyOf": [{"enum": ["", *values]}, {"type": "string", "pattern": padded}]}


PRODUCT_FILTERS = [
    {
        "name": "q",
        "in": "query",
        "description": "Words to find in product and vendor names and purposes; each word matches as a prefix.",
        "schema": {"type": "string", "maxLength": 200},
    },
    {
        "name": "element",
        "in": "query",
        "description": "Only products that receive this data element (its slug).",
        "schema": SLUG_FILTER,
    },
    {
        "name": "category",
        "in": "query",
        "description": "Only products that receive data of this category (slug).",
        "schema": SLUG_FILTER,
    },
    {
        "name": "school",
        "in": "query",
        "description": "Only products used at this school (slug).",
        "schema": SLUG_FILTER,
    },
    {
        "name": "kind",
        "in": "query",
        "description": "Only products of this kind (its key, as in `kind`).",
        "schema": {"type": "string", "pattern": "^ *[A-Za-z0-9_-]{0,100} *$"},
    },
    {
        "name": "status",
        "in": "query",
        "description": "Only products with this status; `all` for every product. "
        "Without it, retired products and those of retired vendors are left out.",
        "schema": one_of_values(STATUS_VALUES),
    },
    {
        "name": "agreement",
        "in": "query",
        "description": "Only products whose agreement status (`agreement_status`) is this: a signed "
        "agreement by its state (`active`, `open_ended`: active with no end date, `expiring`, `upcoming`, "
        "`expired`, `terminated`, `renewed`), `on_file` (dates not recorded), `requested`, `declined_by_vendor`, "
        "`not_required`, or `none` (no agreement on file).",
        "schema": one_of_values(AGREEMENT_VALUES),
    },
]

CACHE_HEADERS = {
    "ETag": {"description": "A hash of the body; send it back in If-None-Match (a match is a 304).", "schema": STRING},
    "Cache-Control": {
        "description": "no-cache: a browser or shared cache may keep the answer but must revalidate it with the "
        "ETag before each use, so it never shows data older than the last change.",
        "schema": STRING,
    },
}
LAST_MODIFIED = {
    "Last-Modified": {
        "description": "The latest change to the rows shown (for lists whose states follow the date, no earlier "
        "than the district's last midnight). For information: If-Modified-Since alone never earns a 304, "
        "since a row that left a list changes no date shown; revalidate with the ETag.",
        "schema": STRING,
    }
}


def _get(
    summary: str,
    description: str,
    schema: dict,
    *,
    parameters: list | None = None,
    dated: bool = True,
    not_found: bool = False,
    bad_request: bool = True,
) -> dict[str, Any]:
    headers = {**CACHE_HEADERS, **(LAST_MODIFIED if dated else {})}
    responses: dict[str, Any] = {
        "200": {"description": "OK", "headers": headers, "content": {"application/json": {"schema": schema}}},
        "304": {"description": "Not modified: the If-None-Match the client sent names this answer's ETag."},
    }
    if bad_request:
        responses["400"] = {"$ref": "#/components/responses/BadRequest"}
    if not_found:
        responses["404"] = {"$ref": "#/components/responses/NotFound"}
    operation = {"summary": summary, "description": description, "responses": responses}
    if parameters:
        operation["parameters"] = parameters
    return {"get": operation}


SLUG_PARAMETER = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}


@cache
def _document() -> dict[str, Any]:
    paths = {
        "/vendors": _get(
            N_("Vendors"),
            N_("Every vendor (company), by name, with its products."),
            _list_of("Vendor"),
            parameters=PAGE_PARAMETERS,
        ),
        "/vendors/{slug}": _get(
            N_("One vendor"),
            N_("A vendor with its products and the public facts of its agreements."),
            _one("VendorDetail"),
            parameters=[SLUG_PARAMETER],
            not_found=True,
            bad_request=False,
        ),
        "/products": _get(
            N_("Products"),
            N_(
                "Products by name, with the student data each receives, why, and its agreements. "
                "The same filters as the directory; they combine."
            ),
            _list_of("Product"),
            parameters=[*PRODUCT_FILTERS, *PAGE_PARAMETERS],
        ),
        "/products/{slug}": _get(
            N_("One product"),
            N_("A product with its data uses, schools and agreements."),
            _one("Product"),
            parameters=[SLUG_PARAMETER],
            not_found=True,
            bad_request=False,
        ),
        "/schools": _get(
            N_("Schools"),
            N_(
                "Every school, by name, with how many products in use it uses. "
                "No Last-Modified: these rows carry no timestamps, so use the ETag."
            ),
            _list_of("SchoolSummary"),
            parameters=PAGE_PARAMETERS,
            dated=False,
        ),
        "/schools/{slug}": _get(
            N_("One school"),
            N_(
                "A school with the products in use there, a page at a time (as the lists are), "
                "the data each receives, and its agreements."
            ),
            _paged_one("SchoolDetail"),
            parameters=[SLUG_PARAMETER, *PAGE_PARAMETERS],
            not_found=True,
        ),
        "/data-elements": _get(
            N_("Data elements"),
            N_(
                "The kinds of student data, in the order of the NDPA taxonomy, with how many products receive each. "
                "No Last-Modified: these rows carry no timestamps, so use the ETag."
            ),
            _list_of("DataElement"),
            parameters=PAGE_PARAMETERS,
            dated=False,
        ),
        "/agreements": _get(
            N_("Agreements"),
            N_("The public facts of every data-privacy agreement: kind, dates, state and data destruction status."),
            _list_of("Agreement"),
            parameters=PAGE_PARAMETERS,
        ),
        "/openapi.json": {
            "get": {
                "summary": N_("This description"),
                "description": N_("The OpenAPI 3.1 description of this API."),
                "responses": {
                    "200": {
                        "description": "OK",
                        "headers": CACHE_HEADERS,
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "304": {"description": "Not modified."},
                },
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Student data privacy: open data",
            "version": API_VERSION,
            "description": "Read-only, public data about which companies receive student data from the district, "
            "what they receive, why, and under which agreement. No account is needed. Lists are paginated "
            "(`page`, `per_page` up to 100) in a stable order; responses carry an ETag and `Cache-Control: no-cache`: "
            "revalidate with If-None-Match before each use.",
            "license": {"name": "Public data", "identifier": "CC0-1.0"},
        },
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "parameters": {
                "page": {
                    "name": "page",
                    "in": "query",
                    "description": "Page number, from 1.",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
                },
                "per_page": {
                    "name": "per_page",
                    "in": "query",
                    "description": "Rows per page.",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
                },
            },
            "responses": {
                "BadRequest": {
                    "description": "A parameter has a value the API cannot use; the message says which.",
                    "content": {"application/json": {"schema": _ref("Error")}},
                },
                "NotFound": {
                    "description": "No such record.",
                    "content": {"application/json": {"schema": _ref("Error")}},
                },
            },
        },
    }


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy, so callers cannot change the cached one)."""
    return deepcopy(_document())


def endpoint_summaries() -> list[dict[str, str]]:
    """(path, summary, description) of each endpoint, for the open data page."""
    return [
        {"path": path, "summary": item["get"]["summary"], "description": item["get"]["description"]}
        for path, item in _document()["paths"].items()
    ]
