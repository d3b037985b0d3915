"""Every staff route of the directory and agreements screens: anonymous → sign in, vendor → 403,
officer and admin → allowed; every POST needs a CSRF token."""

import pytest

from clearinghouse.directory.models import EvidenceLink, ProductNote
from clearinghouse.extensions import db
from tests import factories
from tests.conftest import client_as, in_app

BLUEPRINTS = ("directory_staff", "agreements")


def staff_routes(app, ids: dict[str, int]) -> list[tuple[str, str]]:
    """(method, path) for every route of these blueprints, URL parameters filled with real ids."""
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.split(".")[0] not in BLUEPRINTS:
                continue
            values = {arg: ids[arg] for arg in rule.arguments}
            path = app.url_map.bind("localhost").build(rule.endpoint, values)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, path))
    return routes


@pytest.fixture
def ids(app) -> dict[str, int]:
    with in_app(app):
        vendor = factories.make_vendor()
        category = factories.make_category()
        element = factories.make_element(category)
        school = factories.make_school()
        product = factories.make_product(vendor, elements=[element], schools=[school])
        agreement = factories.make_agreement(vendor, [product])
        product.notes.append(ProductNote(body="Licences: 450"))
        product.links.append(EvidenceLink(url="https://registry.example/kite"))
        db.session.commit()
        return {
            "note_id": product.notes[0].id,
            "link_id": product.links[0].id,
            "vendor_id": vendor.id,
            "product_id": product.id,
            "element_id": element.id,
            "school_id": school.id,
            "kind_id": product.kind_id,
            "agreement_id": agreement.id,
        }


def test_the_screens_cover_the_expected_routes(app, ids):
    routes = staff_routes(app, ids)
    paths = {path for _, path in routes}
    assert {
        "/staff/",
        "/staff/agreements",
        "/staff/vendors",
        "/staff/products",
        "/staff/data-elements",
        "/staff/schools",
        "/staff/kinds",
    } <= paths
    assert len(routes) >= 30


def test_anonymous_visitors_are_sent_to_sign_in(app, client, ids):
    for method, path in staff_routes(app, ids):
        response = client.open(path, method=method)
        assert response.status_code == 302, (method, path)
        assert "/login" in response.headers["Location"], (method, path)


def test_vendor_users_are_refused(app, ids, vendor_user_id):
    client = client_as(app, vendor_user_id)
    for method, path in staff_routes(app, ids):
        assert client.open(path, method=method).status_code == 403, (method, path)


@pytest.mark.parametrize("role", ["officer", "admin"])
def test_staff_can_open_every_page(app, ids, role, officer_id, admin_id):
    client = client_as(app, officer_id if role == "officer" else admin_id)
    for method, path in staff_routes(app, ids):
        if method == "GET" and not path.endswith("/document"):
            assert client.get(path).status_code == 200, path


def test_every_post_needs_a_csrf_token(app, ids, officer_id, csrf):
    client = client_as(app, officer_id)
    for method, path in staff_routes(app, ids):
        if method == "POST":
            response = client.post(path, data={"name": "No token"})
            assert response.status_code == 400, path
            assert "Form expired" in response.get_data(as_text=True)
