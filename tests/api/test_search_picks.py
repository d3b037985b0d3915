"""The API's product list asked with a search (and any filter but a status) picks its page with the
directory's made-once search statement, by name (`directory.queries.search_picks`), its words and the filters'
values bound when it runs, and reads its total with its rows: every page, total and row must be what the
general statement built for the request gives (`api.queries._products_page` with the search's hits), on both
databases; and a search with other words and values builds no statement. Run on PostgreSQL with
TEST_DATABASE_URL as well."""

from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from clearinghouse.api import queries
from clearinghouse.api.filters import STATUS_VALUES, parse_product_query
from clearinghouse.directory import queries as directory_queries
from clearinghouse.directory.models import DataUse, Product, ProductKind, School
from clearinghouse.directory.queries import Sort
from clearinghouse.extensions import db
from tests import factories
from tests.api.test_agreement_filter_plans import _sent
from tests.conftest import in_app
from tests.directory.every_page import searched
from tests.directory.test_agreement_filter_kept import agreement_catalog
from tests.directory.test_search_made_once import spread_statuses

SEARCHES = ("active", "expired", "on file", "agreement", "nothing-like-it")
OTHERS = (
    "",
    "&agreement=active",
    "&agreement=expired",
    "&agreement=none",
    "&element={element}",
    "&element={element}&agreement=active",
    "&school={school}",
    "&kind={kind}",
    "&element=no-such-element",
)


def _catalog() -> dict[str, str]:
    """`agreement_catalog`'s products (two vendors with the same product names), one element received by three
    products in four and a school where every third is used; the slugs the searches filter by."""
    agreement_catalog()
    element = factories.make_element(name="Marks")
    school = factories.make_school(name="Hill School")
    for n, product in enumerate(db.session.scalars(select(Product).order_by(Product.id))):
        if n % 4:
            product.data_uses.append(DataUse(data_element_id=element.id, purpose="To mark work."))
        if n % 3 == 0:
            product.schools.append(db.session.get(School, school.id))
    db.session.commit()
    kind = db.session.scalar(select(ProductKind.slug).join(Product, Product.kind_id == ProductKind.id).limit(1))
    return {"element": element.slug, "school": school.slug, "kind": kind}


def _every_page(client, path: str) -> tuple[list[dict], list[int]]:
    """Every product of the list, three a page, and each page's total (a page past the last too)."""
    products, totals, page = [], [], 1
    while True:
        answer = client.get(f"{path}&per_page=3&page={page}")
        assert answer.status_code == 200, path
        products += answer.json["data"]
        totals.append(answer.json["meta"]["total"])
        if not answer.json["data"]:
            return products, totals
        page += 1


def _searched(path: str) -> list[str]:
    """The slugs of the products a search of the API must list, in order (`every_page.searched`, by name)."""
    query = parse_product_query(MultiDict(parse_qsl(urlsplit(path).query)))
    if query.matches_nothing:
        return []
    ids, _, _ = searched(replace(query.filters, sort=Sort.NAME))
    slugs = dict(db.session.execute(select(Product.id, Product.slug).where(Product.id.in_(ids))).tuples().all())
    return [slugs[product_id] for product_id in ids]


def _searches_read_the_general_statements_pages(app, client, paths: list[str]) -> None:
    picked = {path: _every_page(client, path) for path in paths}
    with in_app(app):
        assert {path: [row["slug"] for row in rows] for path, (rows, _) in picked.items()} == {
            path: _searched(path) for path in paths
        }
    for path, (products, totals) in picked.items():
        assert set(totals) == {len(products)}, path
    assert sum(1 for products, _ in picked.values() if len(products) > 3) > 10


def test_searches_read_the_general_statements_pages(app, client):
    with in_app(app):
        slugs = _catalog()
    paths = [f"/api/v1/products?q={text}{other.format(**slugs)}" for text in SEARCHES for other in OTHERS]
    _searches_read_the_general_statements_pages(app, client, paths)


def test_searches_with_a_status_read_the_general_statements_pages(app, client):
    with in_app(app):
        slugs = _catalog()
        spread_statuses()
    paths = [
        f"/api/v1/products?q={text}&status={status}{other.format(**slugs)}"
        for text in SEARCHES
        for status in STATUS_VALUES
        for other in OTHERS
    ]
    _searches_read_the_general_statements_pages(app, client, paths)


def test_a_search_reads_its_total_with_its_rows_and_builds_nothing_again(app, client, monkeypatch):
    with in_app(app):
        slugs = _catalog()
    monkeypatch.setattr(directory_queries, "_SEARCH_PICKS", {})  # none made yet in this worker
    monkeypatch.setattr(directory_queries, "_SEARCH_COUNTS", {})
    monkeypatch.setattr(queries, "_search_page", queries._search_page.__wrapped__)
    built = []
    for name in ("picked_page", "listed_count"):
        owner = directory_queries if name == "picked_page" else directory_queries.DirectoryFilters
        make = getattr(owner, name)
        monkeypatch.setattr(
            owner, name, lambda *args, make=make, name=name, **kwargs: built.append(name) or make(*args, **kwargs)
        )
    first = f"/api/v1/products?q=active&agreement=active&element={slugs['element']}&per_page=2"
    answer, statements = _sent(lambda: client.get(first))
    assert answer.status_code == 200
    assert answer.json["data"]
    assert not [statement for statement, _ in statements if statement.lstrip().startswith("SELECT count")]
    assert client.get(first + "&page=99").json["meta"]["total"] == answer.json["meta"]["total"]  # counted
    assert built == ["picked_page", "listed_count"]
    other = f"/api/v1/products?q=file&agreement=active&element={slugs['element']}&per_page=2"
    assert client.get(other).json["data"]
    assert client.get(other).json["data"] != answer.json["data"]
    assert client.get(other + "&page=99").json["meta"]["total"] == client.get(other).json["meta"]["total"]
    assert built == ["picked_page", "listed_count"]  # other words and values: nothing built
    assert client.get("/api/v1/products?q=expired&agreement=expired").json["data"]
    assert built == ["picked_page", "listed_count", "picked_page"]  # another agreement filter: its own, once
    assert client.get("/api/v1/products?q=active&status=all").json["data"]
    assert client.get("/api/v1/products?q=file&status=all").json["data"]
    assert client.get("/api/v1/products?q=file&status=all&page=99").json["meta"]["total"]
    assert client.get("/api/v1/products?q=expired&status=all&page=99").json["meta"]["total"]
    assert built == ["picked_page", "listed_count", "picked_page", "picked_page"]  # a status: its own, once (main:
    # built for each request)


def test_a_list_that_sorts_its_matches_reads_their_number_with_them(app, client):
    """A list whose page sorts every match rather than walking the names (a data element with a school, a
    school with an agreement filter, a kind with a status, a search with every status): the page counts the
    matches as it reads them (`directory_queries.picked_by_name`), with no count of its own but past the last
    page, and says the same total as that count."""
    with in_app(app):
        slugs = _catalog()
    for query in (
        f"element={slugs['element']}&school={slugs['school']}",
        f"school={slugs['school']}&agreement=active",
        f"kind={slugs['kind']}&status=approved",
        "q=active&status=all",
    ):
        answer, statements = _sent(lambda query=query: client.get(f"/api/v1/products?{query}&per_page=2"))
        assert answer.status_code == 200
        assert answer.json["data"], query
        assert not [statement for statement, _ in statements if statement.lstrip().startswith("SELECT count")], query
        products, totals = _every_page(client, f"/api/v1/products?{query}")
        assert set(totals) == {len(products), answer.json["meta"]["total"]}, query
