"""The API's product list asked with filters and no search builds its statements once per filters, data
version and day (`api.queries._filtered_page`, `_walked_page`, `_filtered_count`, kept by
`memoized_on_version`): an agreement filter's rule is a clause of some forty terms, whose cache key SQLAlchemy
made afresh on every request. A kept statement holds no data, and a change is a new data version: each change
is on the next answer."""

from clearinghouse.api import queries
from clearinghouse.directory.models import DataElement, ProductStatus, Vendor
from clearinghouse.extensions import db
from clearinghouse.page_cache import page_cache_of
from tests import factories
from tests.conftest import in_app

FILTERED = (
    "/api/v1/products?status=approved&per_page=2",
    "/api/v1/products?agreement=none&per_page=2",
    "/api/v1/products?element=birth-date&agreement=none&per_page=2",
)


def names(client, url: str) -> tuple[list[str], int]:
    response = client.get(url)
    assert response.status_code == 200, url
    return [product["name"] for product in response.json["data"]], response.json["meta"]["total"]


def test_a_filtered_list_keeps_its_statements_and_shows_each_change_at_once(app, client, monkeypatch):
    built = []  # every page statement, walked (`_walked_page`) or sorted (`_products_page`), ends in `_rows_of`
    build = queries._rows_of
    monkeypatch.setattr(queries, "_rows_of", lambda *args: built.append(args) or build(*args))
    with in_app(app):
        demographics = factories.make_category(name="Demographics")
        birth = factories.make_element(demographics, name="Birth date", slug="birth-date")
        vendor = factories.make_vendor(name="Harbor Learning")
        for name in ("Atlas", "Compass"):
            factories.make_product(vendor, name=name, status=ProductStatus.APPROVED, elements=[birth])
        vendor_id, birth_id = vendor.id, birth.id
    assert [names(client, url) for url in FILTERED] == [(["Atlas", "Compass"], 2)] * 3
    assert len(built) == 3
    page_cache_of(app).store.clear()  # the same answers made again, as misses: from the kept statements
    assert [names(client, url) for url in FILTERED] == [(["Atlas", "Compass"], 2)] * 3
    assert len(built) == 3
    with in_app(app):
        vendor, birth = db.session.get(Vendor, vendor_id), db.session.get(DataElement, birth_id)
        factories.make_product(vendor, name="Anchor", status=ProductStatus.APPROVED, elements=[birth])
    assert [names(client, url) for url in FILTERED] == [(["Anchor", "Atlas"], 3)] * 3  # a new data version
    assert [names(client, f"{url}&page=2") for url in FILTERED] == [(["Compass"], 3)] * 3
    # The three lists walked (`_walked_page`: a status's, an agreement filter's) walk their last page from the end:
    # a statement more each.
    assert len(built) == 6 + 3
