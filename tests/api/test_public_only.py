"""Open data shows public fields only: walk every API page (and the directory CSV) looking for secrets.

The sample directory holds a vendor user's e-mail and name, internal notes on a vendor, a
product and an agreement, an agreement's staff-only reference, a private termination reason, and
an unpublished signed document. tests/visibility/ walks every field of every table the same way.
"""

from urllib.parse import urlsplit

from clearinghouse.api.openapi import document
from tests.api.sample import SECRETS, build_directory
from tests.conftest import in_app

STARTS = [
    "/api/v1/",
    "/api/v1/openapi.json",
    "/api/v1/vendors?per_page=1",
    "/api/v1/products?per_page=1&status=all",
    "/api/v1/products?per_page=1",
    "/api/v1/data-elements?per_page=1",
    "/api/v1/agreements?per_page=1",
]


def _links(node) -> list[str]:
    """Every URL inside a JSON body."""
    if isinstance(node, dict):
        return [link for value in node.values() for link in _links(value)]
    if isinstance(node, list):
        return [link for value in node for link in _links(value)]
    if isinstance(node, str) and node.startswith("http://localhost/"):
        return [node]
    return []


def crawl(client) -> dict[str, str]:
    """Fetch every API page reachable from the lists through their links; {url: body}."""
    bodies: dict[str, str] = {}
    queue = list(STARTS)
    while queue:
        url = queue.pop()
        if url in bodies:
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        bodies[url] = response.get_data(as_text=True)
        if response.mimetype == "application/json":
            for link in _links(response.json):
                parts = urlsplit(link)
                if parts.path.startswith("/api/v1/"):
                    queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return bodies


def test_no_api_page_or_csv_shows_anything_private(app, client):
    with in_app(app):
        ids = build_directory()
    bodies = crawl(client)
    # Every documented endpoint was reached, including each product and vendor page and every list page.
    paths = {urlsplit(url).path for url in bodies}
    assert {"/api/v1/products/acme-math", "/api/v1/products/old-phonics", "/api/v1/vendors/beta-reading-co"} <= paths
    assert any("page=3" in url and "products" in url for url in bodies)
    assert len(document()["paths"]) <= len(paths)

    if any(rule.rule == "/directory.csv" for rule in app.url_map.iter_rules()):
        csv_url = "/directory.csv"
        assert 'href="/directory.csv"' in bodies["/api/v1/"]
        for query in ("", "?status=all"):
            response = client.get(csv_url + query)
            assert response.status_code == 200
            bodies[csv_url + query] = response.get_data(as_text=True)
            assert "Acme Math" in bodies[csv_url + query]

    for url, body in bodies.items():
        for label, secret in SECRETS.items():
            assert secret not in body, f"{label} appears in {url}"
        assert f"/agreements/{ids['active_agreement_id']}/document" not in body  # unpublished: no link
