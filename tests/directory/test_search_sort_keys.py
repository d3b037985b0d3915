"""On PostgreSQL the search index keeps each product's name, its vendor's name and whether it is listed
(migration 20261126_search_sort_keys), so that a search's page is picked from the index alone
(`queries._keyed_hits`). Those columns must equal what product and vendor say after every kind of
write (services, ORM changes, raw SQL, multi-row statements), and a search's pages, in every sort,
with and without filters, of the listed products or of every one ("all"), must be exactly those of the general
query (hits joined to product). On SQLite the index keeps none (the pages are the general query's): the pages
are checked all the same.
"""

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse.directory import queries, services
from clearinghouse.directory.models import DataElement, DataUse, Product, ProductStatus, School, Vendor
from clearinghouse.directory.queries import DirectoryFilters, Sort, StatusFilter, search_products
from clearinghouse.directory.search import hits_keep_sort_keys
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.text import name_key
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app
from tests.directory.every_page import every_page
from tests.directory.plans import plan_of, statements_of

PER_PAGE = 4
SEARCHES = ("app", "tool", "app tool", "zeta", "alpha")


def _catalog() -> None:
    """Four vendors (one retired), products whose names repeat across vendors and share words, some
    retired, with data and schools spread unevenly."""
    category = factories.make_category(name="Category")
    elements = [factories.make_element(category, name=f"Element {n}") for n in range(3)]
    schools = [factories.make_school(name=f"School {s}") for s in "XY"]
    vendors = [factories.make_vendor(name=name) for name in ("Zeta", "Alpha", "Mid")]
    vendors.append(factories.make_vendor(name="Gone", is_retired=True))
    for n in range(20):
        factories.make_product(
            vendors[n % 4],
            name=f"App {n // 4}" if n % 5 else f"Tool app {n // 4}",  # the same names at each vendor
            purpose_md="A reading tool." if n % 2 else "Math practice.",
            elements=[e for k, e in enumerate(elements) if (n + k) % 2 == 0],
            schools=[s for k, s in enumerate(schools) if (n + k) % 3 == 0],
            status=ProductStatus.RETIRED if n % 6 == 4 else ProductStatus.APPROVED,
        )
    db.session.commit()


def _kept_columns_are_exact() -> None:
    """The kept columns of every row of the index against product and vendor read now (PostgreSQL)."""
    if not hits_keep_sort_keys():
        return
    kept = db.session.execute(
        sa.text("SELECT product_id, name, vendor_name, listed FROM product_search ORDER BY product_id")
    ).all()
    fresh = db.session.execute(
        select(Product.id, Product.name, Vendor.name, (Product.status != ProductStatus.RETIRED) & ~Vendor.is_retired)
        .join(Product.vendor)
        .order_by(Product.id)
    ).all()
    assert [tuple(row) for row in kept] == [tuple(row) for row in fresh]


def _every_search() -> list[DirectoryFilters]:
    element = db.session.scalar(select(DataElement.id).order_by(DataElement.id))
    school = db.session.scalar(select(School.id).order_by(School.id))
    return [
        DirectoryFilters(text=text, sort=sort, status=status, **chosen)
        for text in SEARCHES
        for sort in (None, Sort.RELEVANCE, Sort.NAME, Sort.VENDOR, Sort.UPDATED)
        for status in (None, StatusFilter.ALL)  # the listed hits, or every one (retired ones too)
        for chosen in ({}, {"element_id": element}, {"school_id": school, "element_id": element})
    ]


def _check(monkeypatch) -> int:
    """The kept columns, then each search's pages against the general query's; how many found something."""
    db.session.commit()
    db.session.expire_all()
    _kept_columns_are_exact()
    searches = _every_search()
    kept = {filters: every_page(filters, PER_PAGE) for filters in searches}
    with monkeypatch.context() as patched:
        patched.setattr(queries, "hits_keep_sort_keys", lambda: False)
        patched.setattr(queries, "_SEARCH_PICKS", {})
        patched.setattr(queries, "_SEARCH_PAGES", {})
        general = {filters: every_page(filters, PER_PAGE) for filters in searches}
    assert kept == general
    for filters, (ids, total, past_total) in kept.items():
        assert total == past_total == len(ids), filters
    return sum(1 for ids, _, _ in kept.values() if ids)


def test_kept_sort_keys_and_search_pages_after_varied_writes(app, monkeypatch):
    with in_app(app):
        _catalog()
        assert _check(monkeypatch) > 30
        products = list(db.session.scalars(select(Product).order_by(Product.id)))
        elements = list(db.session.scalars(select(DataElement).order_by(DataElement.id)))
        vendors = {vendor.name: vendor for vendor in db.session.scalars(select(Vendor))}

        with unit_of_work():  # services
            services.retire_product(products[0], None, version=products[0].version)
            services.set_vendor_retired(vendors["Alpha"], None, retired=True, version=vendors["Alpha"].version)
            services.update_vendor(vendors["Mid"], None, version=vendors["Mid"].version, name="Aardvark")
        _check(monkeypatch)
        with unit_of_work():
            services.set_vendor_retired(vendors["Gone"], None, retired=False, version=vendors["Gone"].version)
            services.update_product(products[2], None, version=products[2].version, name="Aardvark app")
        _check(monkeypatch)
        products[1].status = ProductStatus.UNDER_REVIEW  # ORM writes
        products[3].name = "Tool app 9"
        products[5].vendor_id = vendors["Alpha"].id  # moved to a retired vendor
        products[6].data_uses.append(DataUse(data_element_id=elements[1].id, purpose="More."))
        db.session.delete(products[7])
        _check(monkeypatch)
        # Raw SQL and multi-row statements, as an import or a script writes them.
        ids = [p.id for p in products[8:14]]
        db.session.execute(sa.update(Product).where(Product.id.in_(ids)).values(status="retired"))
        db.session.execute(
            sa.update(Product).where(Product.id.in_(ids[:3])).values(status="approved", name=Product.name + " x")
        )
        db.session.execute(sa.text("UPDATE vendor SET is_retired = NOT is_retired"))
        _check(monkeypatch)
        db.session.execute(sa.text("UPDATE vendor SET name = name || ' Co', is_retired = false"))
        db.session.execute(
            sa.insert(Product),
            [
                {
                    "vendor_id": vendors["Zeta"].id,
                    "name": f"Tool app bulk {n}",
                    "name_key": name_key(f"Tool app bulk {n}"),
                    "slug": f"tool-app-bulk-{n}",
                    "status": "retired" if n % 2 else "approved",
                    "kind_id": products[0].kind_id,
                    **_required(products[0]),
                }
                for n in range(3)
            ],
        )
        assert _check(monkeypatch) > 30


def _required(like: Product) -> dict:
    """The product's columns a bulk INSERT must give (those without a default), copied from `like`."""
    return {
        column.key: getattr(like, column.key)
        for column in Product.__table__.columns
        if not column.nullable
        and column.default is None
        and column.server_default is None
        and column.key not in {"id", "vendor_id", "name", "name_key", "slug", "status", "kind_id"}
    }


def _nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]


def test_a_search_of_every_status_picks_its_page_from_the_index_alone(app):
    """On PostgreSQL, a search with `status=all` picks its page from the hits' kept sort keys (`_keyed_hits`, with
    the retired products' too) and reads product only for the page's cards: main joined every hit to product
    (hashing every product's entry: 25,000 on the bench for the 2,254 hits of "reading")."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        _catalog()
        today = district_today()
        for sort in (None, Sort.NAME, Sort.VENDOR):
            filters = DirectoryFilters(text="app", status=StatusFilter.ALL, sort=sort)
            result, statements = statements_of(lambda filters=filters: search_products(filters, 1, 2, today))
            assert len(result.items) == 2
            (page,) = statements
            counted = [node for node in _nodes(plan_of(*page)) if node["Node Type"] == "WindowAgg"]  # the matches
            assert counted, sort
            read = {node.get("Relation Name") for window in counted for node in _nodes(window)}
            assert read == {None, "product_search"}, (sort, read)
