"""The directory sorted by company, unfiltered (`queries.seek_vendor_page`): its pages are found walking the listed
vendors by name and summing the products each lists (`Vendor.product_count`, kept by triggers), not by sorting
every listed product with its vendor's name. On both databases every page, from either end, must hold what the
sort gives; on PostgreSQL a deep page must sort no more than a page's vendors' products (main's statement sorted
every listed product with its vendor's name from about page 40 on: 30 ms for page 180 of the bench catalogue).
"""

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clearinghouse.directory.models import Product, ProductStatus, Vendor
from clearinghouse.directory.queries import DirectoryFilters, Sort, listed_clause, search_products
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app
from tests.directory.plans import compact_and_analyze, plan_of, statements_of

BY_VENDOR = DirectoryFilters(sort=Sort.VENDOR)


def _catalog() -> None:
    """Vendors made in an order their names do not sort in, one retired with listed-looking products, one whose
    every product is retired, one without products; products of the same name at several vendors, some retired."""
    names = ["Mango Learning", "alpha kids", "Zeta", "Beta Books", "Ágora", "Mango", "Delta 10", "Delta 9", "Quiet"]
    vendors = {name: factories.make_vendor(name=name) for name in names}
    vendors["Gone"] = factories.make_vendor(name="Gone", is_retired=True)
    for n, vendor in enumerate(vendors.values()):
        if vendor.name == "Quiet":
            continue
        for k in range(n % 4 + 1):
            retired = vendor.name == "Beta Books" or (n + k) % 5 == 2
            factories.make_product(
                vendor,
                name=["Reader", "Math Lab", "App", "reader plus"][(n + k) % 4],
                status=ProductStatus.RETIRED if retired else ProductStatus.APPROVED,
            )
    db.session.commit()  # PostgreSQL applies the kept counts' changes at commit


def _sorted_ids() -> list[int]:
    """Every listed product in the sort's order, as the database sorts them."""
    return list(
        db.session.scalars(
            select(Product.id)
            .join(Product.vendor)
            .where(listed_clause())
            .order_by(Vendor.name, Product.name, Product.id)
        )
    )


def _page(page: int, per_page: int) -> tuple[list[int], int]:
    result = search_products(BY_VENDOR, page, per_page, district_today())
    return [product.id for product in result.items], result.total


@pytest.mark.parametrize("per_page", [1, 2, 3, 7])
def test_every_page_by_company_holds_what_the_sort_gives(app, per_page):
    """First, middle, last and past-last pages, each walked forward or (past the middle) back from the last vendor."""
    with in_app(app):
        _catalog()
        expected = _sorted_ids()
        assert len(expected) >= 10
        last = -(-len(expected) // per_page)
        for page in range(1, last + 3):
            ids, total = _page(page, per_page)
            assert ids == expected[(page - 1) * per_page : page * per_page], (per_page, page)
            assert total == len(expected), (per_page, page)


def test_pages_by_company_follow_renames_retirements_and_moves(app):
    with in_app(app):
        _catalog()
        products = list(db.session.scalars(select(Product).order_by(Product.id)))
        vendor = {v.name: v for v in db.session.scalars(select(Vendor))}
        writes = [
            lambda: setattr(vendor["Zeta"], "name", "Aardvark"),  # renamed to sort first
            lambda: setattr(vendor["Mango"], "is_retired", True),  # a vendor retired, another brought back
            lambda: setattr(vendor["Gone"], "is_retired", False),
            lambda: setattr(products[0], "status", ProductStatus.RETIRED),  # a product retired, another back
            lambda: setattr(products[-1], "status", ProductStatus.UNDER_REVIEW),
            lambda: setattr(products[2], "vendor_id", vendor["Quiet"].id),  # moved to the vendor without products
            lambda: db.session.execute(sa.update(Product).where(Product.id < products[4].id).values(status="retired")),
            lambda: db.session.delete(products[6]),
        ]
        for write in writes:
            write()
            db.session.commit()
            db.session.expire_all()
            expected = _sorted_ids()
            for page in range(1, len(expected) // 2 + 3):
                assert _page(page, 2) == (expected[(page - 1) * 2 : page * 2], len(expected)), page


def test_the_walk_relies_on_vendor_names_being_unique(app):
    """Two vendors never share a name (the walk places each vendor's products after the one before by name)."""
    with in_app(app):
        factories.make_vendor(name="Acme")
        with pytest.raises(IntegrityError):
            factories.make_vendor(name="Acme", slug="acme-2")
        db.session.rollback()


def _every_node(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _every_node(child))]


def test_a_deep_page_by_company_sorts_no_more_than_its_vendors_products(app):
    """On PostgreSQL, with 3,000 products of 1,501 vendors ("Vendor 1" … "Vendor 1500", one in a hundred retired,
    one product in forty retired), pages 1, a fifth in, the middle, past it and the last: no sort reads more than
    the page's vendors' products (main's statement sorted every listed product with its vendor's name from the fifth
    on), and the walk reads no more vendors than there are products between the page and the nearer end.
    (Whether the page's vendors' products are then read by vendor or by hashing them is the planner's choice: on
    this small table it reads the table, on the bench catalogue it probes ix_product_vendor_id.)"""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        vendor = factories.make_vendor(name="Vendor")
        template = factories.make_product(vendor, name="Product 0")
        factories.copy_vendor(vendor, 1500, retired_every=100)
        db.session.execute(
            sa.text(
                """INSERT INTO product (vendor_id, name, slug, status, website, purpose_md, grade_bands,
                       internal_notes, created_at, updated_at, translations, name_key, status_note,
                       agreement_status, agreement_note, category_text, kind_id)
                   SELECT (SELECT min(id) FROM vendor) + n % 1501, 'Product ' || (n / 2), 'product-' || n,
                       CASE WHEN n % 40 = 7 THEN 'retired' ELSE status END, website, purpose_md, grade_bands,
                       internal_notes, created_at, updated_at, translations, 'product ' || n, status_note,
                       agreement_status, agreement_note, category_text, kind_id
                   FROM product, generate_series(1, 2999) AS n WHERE product.id = :template"""
            ),
            {"template": template.id},
        )
        compact_and_analyze("vendor", "product")
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM vendor"))  # the visibility map, as autovacuum keeps it
        expected = _sorted_ids()
        per_page = 25
        last = -(-len(expected) // per_page)

        def nearer(page: int) -> int:
            """How many listed products lie between the page and the nearer end of the list."""
            return max(min((page - 1) * per_page, len(expected) - page * per_page), 0)

        for page in (1, last // 5, last // 2, last // 2 + 2, last):
            result, statements = statements_of(
                lambda page=page: search_products(BY_VENDOR, page, per_page, district_today())
            )
            assert [p.id for p in result.items] == expected[(page - 1) * per_page : page * per_page], page
            (statement, parameters), *_ = (found for found in statements if "product.slug" in found[0])
            plan = plan_of(statement, parameters, analyze=True)
            sorted_rows = [node["Actual Rows"] for node in _every_node(plan) if node["Node Type"] == "Sort"]
            assert max(sorted_rows) <= 3 * per_page, (page, sorted_rows)
            walked = [node for node in _every_node(plan) if node.get("Index Name") == "ix_vendor_name_listed"]
            assert walked, page
            # the page's vendors (at most a page's), and one the window reads ahead
            assert sum(node["Actual Rows"] for node in walked) <= nearer(page) + per_page + 1, (page, walked)
