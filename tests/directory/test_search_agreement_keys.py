"""On PostgreSQL the search index keeps each product's agreement key and stated agreement status (migration
20261128_search_agreement_keys), so that a search with an agreement filter asks the filter's rule of its hits
alone (`DirectoryFilters.hit_clauses`), reading no product for it. Those columns must equal product's after every
write that changes a product's agreements or stated status (the services, the importer, the ORM, raw SQL and
multi-row statements), and every such search's pages must be exactly those of one plain statement built for it.
On SQLite the index keeps none (FTS5; its searches join product): the pages are checked all the same.
"""

from datetime import timedelta
from functools import partial

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse import kept_counts_check
from clearinghouse.agreements import services as agreements
from clearinghouse.agreements.models import Agreement
from clearinghouse.directory import queries, services
from clearinghouse.directory.models import Product, StatedAgreementStatus, Vendor
from clearinghouse.directory.queries import AgreementFilter, DirectoryFilters, Sort, StatusFilter, search_products
from clearinghouse.directory.search import hits_keep_sort_keys
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.imports import files
from clearinghouse.imports import services as imports
from clearinghouse.imports.mapping import guess_mapping
from clearinghouse.timeutil import district_today
from tests.conftest import in_app
from tests.directory.every_page import every_page, searched
from tests.directory.plans import plan_of, statements_of
from tests.directory.test_agreement_filter_kept import agreement_catalog, agreement_writes

PER_PAGE = 3
# agreement_catalog's product names are its cases' ("active", "expired renewed", …): words several share.
SEARCHES = ("active", "expired", "agreement")


def _kept_columns_are_exact() -> None:
    """The kept columns of every row of the index against product's, read now, and `kept_counts_check`'s
    reading of them (PostgreSQL)."""
    if not hits_keep_sort_keys():
        return
    kept = db.session.execute(
        sa.text("SELECT product_id, agreement_key, agreement_status FROM product_search ORDER BY product_id")
    ).all()
    fresh = db.session.execute(select(Product.id, Product.agreement_key, Product.agreement_status).order_by(Product.id))
    assert [tuple(row) for row in kept] == [tuple(row) for row in fresh]
    assert kept_counts_check.check(["product_search"]) == []


def _check(monkeypatch) -> int:
    """The kept columns, then each search with each agreement filter (asked by its rule, of the hits where the
    index keeps their columns) against the plain statement; how many found something."""
    db.session.commit()
    db.session.expire_all()
    _kept_columns_are_exact()
    searches = [
        DirectoryFilters(text=text, agreement=value, sort=sort, status=status)
        for text in SEARCHES
        for value in AgreementFilter
        for sort in (None, Sort.NAME, Sort.VENDOR)
        for status in (None, StatusFilter.ALL)
    ]
    with monkeypatch.context() as patched:
        patched.setattr(DirectoryFilters, "agreement_by_rule", lambda filters, today, **_: True)
        read = {filters: every_page(filters, PER_PAGE) for filters in searches}
    assert read == {filters: searched(filters) for filters in searches}
    return sum(1 for ids, _, _ in read.values() if ids)


def test_kept_agreement_columns_and_searches_after_every_write(app, monkeypatch):
    with in_app(app):
        agreement_catalog()
        assert _check(monkeypatch) > 40
        today = district_today()
        zeta, alpha = (db.session.scalar(select(Vendor).where(Vendor.name == name)) for name in ("Zeta", "Alpha"))
        products = list(db.session.scalars(select(Product).where(Product.vendor_id == zeta.id).order_by(Product.id)))
        check = partial(_check, monkeypatch)

        # The services: agreements created (a sole one, or a second), a term changed, terminated; the ORM: links
        # added and taken away; a product deleted.
        agreement_writes(products, alpha, today, check, signed=slice(0, 4))
        check()

        with unit_of_work():  # a stated status, through the service
            services.update_product(products[4], None, version=products[4].version, agreement_status="requested")
            services.update_product(products[5], None, version=products[5].version, agreement_status="not_required")
        check()

        renewed = db.session.scalar(  # renewed: its products now under two agreements
            select(Agreement).where(Agreement.reference == "NDPA 90", Agreement.vendor_id == zeta.id)
        )
        renewal = agreements.AgreementInput.of(renewed)
        renewal.reference, renewal.effective_on = "NDPA 90 bis", renewed.effective_on + timedelta(days=1)
        renewal.signed_on, renewal.expires_on = today, today + timedelta(days=400)
        with unit_of_work():
            agreements.renew_agreement(renewed, None, renewal, version=renewed.version, today=today)
        check()

        with unit_of_work():  # an agreement's products changed through the service
            changed = agreements.AgreementInput.of(renewed)
            changed.product_ids = [p.id for p in products[13:15]]
            agreements.update_agreement(renewed, None, changed, version=renewed.version, today=today)
        check()

        began, ends = today - timedelta(days=3), today + timedelta(days=9)
        csv = (  # the importer: stated statuses, and an agreement with its dates
            b"Vendor,Product,Agreement status (DPA),Agreement signed on,Agreement effective on,Agreement expires on\n"
            b"Zeta,active,Declined by vendor,,,\n"
            + f"Zeta,Imported,,{began},{began},{ends}\n".encode()
            + b"Zeta,none,Requested,,,\n"
        )
        table = files.read_table(csv)
        with unit_of_work():
            plan = imports.apply_import(table, guess_mapping(table.headers), actor=None)
        assert plan.errors == []
        check()

        # Raw SQL and multi-row statements, as a script writes them.
        ids = [p.id for p in products if db.session.get(Product, p.id) is not None]
        db.session.execute(
            sa.update(Product).where(Product.id.in_(ids[6:12])).values(agreement_status=StatedAgreementStatus.REQUESTED)
        )
        db.session.execute(
            sa.text("DELETE FROM agreement_product WHERE product_id IN (:a, :b)"), dict(a=ids[0], b=ids[1])
        )
        db.session.execute(
            sa.text("INSERT INTO agreement_product (agreement_id, product_id) SELECT min(id), :p FROM agreement"),
            {"p": ids[2]},
        )
        db.session.execute(sa.text("DELETE FROM agreement WHERE id = (SELECT max(id) FROM agreement)"))
        assert check() > 40


def _nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]


def _product_reads(node: dict) -> list[dict]:
    """The nodes under `node` that read product, but those of the subplans that rank the agreements of the products
    with several (`agreements.status._latest_of_rank`, its subquery `placed`): those products' own part."""
    if "Subplan Name" in node and _ranks_several(node):
        return []
    own = [node] if node.get("Relation Name") == "product" else []
    return own + [read for child in node.get("Plans", []) for read in _product_reads(child)]


def _ranks_several(node: dict) -> bool:
    """Whether `node`'s own plan (not a subplan it holds) reads the ranked agreements (`placed`)."""
    return node.get("Alias") == "placed" or any(
        _ranks_several(child) for child in node.get("Plans", []) if "Subplan Name" not in child
    )


@pytest.mark.parametrize("status", [None, StatusFilter.ALL], ids=["listed", "all"])
def test_a_search_asks_its_agreement_filter_of_its_hits_alone(app, monkeypatch, status):
    """On PostgreSQL, a search with an agreement filter asked by its rule reads, under its count of matches, no
    product but the few with several agreements (found by their key, -1, and ranked): main asked the rule of each
    hit's product, reading every product's entry of `ix_product_agreement_key` on the bench."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        agreement_catalog()
        monkeypatch.setattr(DirectoryFilters, "agreement_by_rule", lambda filters, today, **_: True)
        today = district_today()
        for value in AgreementFilter:
            filters = DirectoryFilters(text="active", agreement=value, status=status)
            _, statements = statements_of(lambda filters=filters: search_products(filters, 1, 2, today))
            (page,) = statements
            counted = next(node for node in _nodes(plan_of(*page)) if node["Node Type"] == "WindowAgg")  # the matches
            assert _product_reads(counted) == [], value


@pytest.mark.parametrize("status", [None, StatusFilter.ALL], ids=["listed", "all"])
def test_a_ranked_search_asks_of_its_hits_a_filter_one_product_in_twenty_matches(app, status):
    """On PostgreSQL, an agreement filter that one listed product in 20 matches (as "expiring" on the bench) is
    asked of the hits of a search ranked by relevance (`HITS_SHARE`: the ranking reads every hit anyway), reading
    no product under the count of matches; by name it stays its ids (the page walks the names), as does the
    count of a page past the last (`search_count`, which joins the products), as a filter that matches none."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        agreement_catalog()
        today = district_today()
        for value in AgreementFilter:
            queries._saw((value, None, today), 5, 100)
        queries._saw((AgreementFilter.UPCOMING, None, today), 0, 100)

        def product_reads(filters: DirectoryFilters) -> list[dict]:
            _, statements = statements_of(lambda: search_products(filters, 1, 2, today))
            page, *_ = statements
            counted = next(node for node in _nodes(plan_of(*page)) if node["Node Type"] == "WindowAgg")
            return _product_reads(counted)

        for value in (AgreementFilter.EXPIRING, AgreementFilter.TERMINATED, AgreementFilter.NONE):
            ranked = DirectoryFilters(text="agreement", agreement=value, status=status)
            assert ranked.agreement_by_rule(today, ranks_keyed_hits=True)
            assert not ranked.agreement_by_rule(today)
            assert product_reads(ranked) == [], value
            assert product_reads(DirectoryFilters(text="agreement", agreement=value, status=status, sort=Sort.NAME))
            shape = queries.search_shape(ranked, (), today)
            assert shape.hits_by_rule
            assert not shape.by_rule
        rare = DirectoryFilters(text="agreement", agreement=AgreementFilter.UPCOMING, status=status)
        assert not rare.agreement_by_rule(today, ranks_keyed_hits=True)
        assert product_reads(rare)
