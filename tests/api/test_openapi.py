"""The OpenAPI document is valid, covers every route, and every response matches its schema."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from schemathesis import GenerationMode

from tests.api.sample import build_directory
from tests.conftest import in_app

DOC_URI = "urn:clearinghouse:openapi"


@pytest.fixture
def document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def response_validator(document: dict, path: str, status: int) -> Draft202012Validator:
    """A JSON Schema validator for one documented response, with the document's $refs resolvable."""
    registry = Registry().with_resource(DOC_URI, Resource.from_contents(document, default_specification=DRAFT202012))
    operation = document["paths"][path]["get"]
    response = operation["responses"][str(status)]
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = {"$id": "urn:clearinghouse:response", **response["content"]["application/json"]["schema"]}
    schema = _absolute_refs(schema)
    return Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())


def _absolute_refs(node):
    if isinstance(node, dict):
        return {k: (DOC_URI + v if k == "$ref" and v.startswith("#") else _absolute_refs(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_absolute_refs(v) for v in node]
    return node


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_the_document_describes_every_api_route_and_nothing_else(app, document):
    routes = {
        rule.rule.removeprefix("/api/v1").replace("<slug>", "{slug}")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.index"
    }
    assert routes == set(document["paths"])


def test_every_parameter_the_views_read_is_documented(document):
    names = {p["name"] for p in document["paths"]["/products"]["get"]["parameters"] if "name" in p}
    names |= {"page", "per_page"}
    assert {"q", "element", "category", "school", "status", "page", "per_page"} <= names


CASES = [
    ("/vendors", "/api/v1/vendors", 200),
    ("/vendors", "/api/v1/vendors?per_page=1&page=2", 200),
    ("/vendors", "/api/v1/vendors?page=0", 400),
    ("/vendors/{slug}", "/api/v1/vendors/acme-learning", 200),
    ("/vendors/{slug}", "/api/v1/vendors/beta-reading-co", 200),
    ("/vendors/{slug}", "/api/v1/vendors/nobody", 404),
    ("/products", "/api/v1/products", 200),
    ("/products", "/api/v1/products?status=retired", 200),
    ("/products", "/api/v1/products?element=allergies&school=north-elementary", 200),
    ("/products", "/api/v1/products?status=nope", 400),
    ("/products/{slug}", "/api/v1/products/acme-math", 200),
    ("/products/{slug}", "/api/v1/products/beta-reader", 200),
    ("/products/{slug}", "/api/v1/products/nothing", 404),
    ("/data-elements", "/api/v1/data-elements", 200),
    ("/data-elements", "/api/v1/data-elements?per_page=500", 400),
    ("/agreements", "/api/v1/agreements", 200),
    ("/agreements", "/api/v1/agreements?page=x", 400),
]


@pytest.mark.parametrize(("path", "url", "status"), CASES)
def test_every_response_matches_its_schema(app, client, document, path, url, status):
    with in_app(app):
        build_directory()
    response = client.get(url)
    assert response.status_code == status
    validator = response_validator(document, path, status)
    errors = sorted(validator.iter_errors(response.json), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_an_extra_field_would_break_the_schema(app, client, document):
    # The schemas forbid undocumented fields, so a field leaking into the output fails the tests above.
    with in_app(app):
        build_directory()
    body = client.get("/api/v1/products/acme-math").json
    body["data"]["internal_notes"] = "leak"
    body["data"]["agreements"][0]["termination_reason"] = "leak"
    messages = [e.message for e in response_validator(document, "/products/{slug}", 200).iter_errors(body)]
    assert any("internal_notes" in m for m in messages)
    assert any("termination_reason" in m for m in messages)


OPERATIONS = ["/vendors", "/vendors/{slug}", "/products", "/products/{slug}", "/data-elements", "/agreements"]


@pytest.mark.parametrize(
    ("path", "mode"),
    [(path, GenerationMode.POSITIVE) for path in OPERATIONS]
    # A slug may be any string, so only the lists have parameters that can be invalid.
    + [(path, GenerationMode.NEGATIVE) for path in OPERATIONS if "{" not in path],
)
def test_generated_requests_get_documented_answers(app, path, mode):
    """Schemathesis sends generated parameters, valid and invalid; every answer must match the document
    (status, headers, schema) and invalid input must be refused with a 4xx, never a 500."""
    with in_app(app):
        build_directory()
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)[path]["GET"]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(case) -> None:
        case.call_and_validate()

    check()


ACCEPTED = [
    ("category", " ", 200),
    ("category", " date-of-birth ", 200),
    ("status", " all ", 200),
    ("agreement", " ", 200),
]
REFUSED = [("category", "a b", 400), ("status", "al l", 400), ("agreement", " expiring x", 400)]


@pytest.mark.parametrize(("name", "value", "status"), [*ACCEPTED, *REFUSED])
def test_spaces_around_a_filter_are_ignored_as_the_document_says(client, document, name, value, status):
    """The API reads a filter without the spaces around it (a blank one is no filter); the document's
    parameter schemas say so, so that no client is told a request is invalid that the API answers."""
    parameters = document["paths"]["/products"]["get"]["parameters"]
    schemas = {parameter["name"]: parameter["schema"] for parameter in parameters if "name" in parameter}
    assert client.get("/api/v1/products", query_string={name: value}).status_code == status
    assert Draft202012Validator(schemas[name]).is_valid(value) == (status == 200)
