"""A search with an agreement filter: its page statement is made once per sort, filters chosen, agreement
filter, day and form (`queries._SearchShape`), its words and the other filters' values bound when it runs, as a
search's without one; a broad filter is asked of each hit's product by its rule (`DirectoryFilters.hit_clauses`)
rather than read as the UNION of its ids. Every page must be exactly the general query's, built for the request,
in either form. Run on PostgreSQL with TEST_DATABASE_URL as well.
"""

import pytest
import sqlalchemy as sa

from clearinghouse.directory import queries
from clearinghouse.directory.models import DataElement
from clearinghouse.directory.queries import AgreementFilter, DirectoryFilters, Sort, search_products
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app
from tests.directory.every_page import every_page, forget_search_statements, refuse_building, searched
from tests.directory.plans import plan_of, statements_of
from tests.directory.test_agreement_filter_kept import agreement_catalog
from tests.directory.test_deep_pages import broadly_signed_catalog

PER_PAGE = 3
# agreement_catalog's product names are its cases' ("active", "expired renewed", …): words several share.
SEARCHES = ("active", "expired", "agreement", "nothing-like-it")


def _receive(element: DataElement, remainder: int, modulus: int = 2) -> None:
    """`element` received by the products whose id leaves `remainder` divided by `modulus`."""
    db.session.execute(
        sa.text(
            """INSERT INTO data_use (product_id, data_element_id, purpose, translations)
               SELECT id, :element, 'Teaching.', '{}' FROM product WHERE id % :modulus = :remainder"""
        ),
        {"element": element.id, "remainder": remainder, "modulus": modulus},
    )
    db.session.commit()


def _every_search(element_id: int) -> list[DirectoryFilters]:
    return [
        DirectoryFilters(text=text, agreement=value, sort=sort, **chosen)
        for text in SEARCHES
        for value in AgreementFilter
        for sort in (None, Sort.NAME, Sort.VENDOR)
        for chosen in ({}, {"element_id": element_id})
    ]


@pytest.mark.parametrize("by_rule", [False, True], ids=["ids", "rule"])
def test_agreement_searches_made_once_read_the_general_querys_pages(app, monkeypatch, by_rule):
    with in_app(app):
        agreement_catalog()
        element = factories.make_element(name="Marks")
        _receive(element, 1)
        searches = _every_search(element.id)
        monkeypatch.setattr(DirectoryFilters, "agreement_by_rule", lambda filters, today, **_: by_rule)
        made_once = {filters: every_page(filters, PER_PAGE) for filters in searches}
        assert made_once == {filters: searched(filters) for filters in searches}
        for filters, (ids, total, past_total) in made_once.items():
            assert total == past_total == len(ids), filters
        # Most filters find something with a word, on several pages for some.
        assert len({filters.agreement for filters, (ids, _, _) in made_once.items() if ids}) >= 6
        assert sum(1 for ids, _, _ in made_once.values() if len(ids) > PER_PAGE) > 10


def test_an_agreement_search_with_other_words_and_values_builds_no_statement(app, monkeypatch):
    with in_app(app):
        agreement_catalog()
        elements = [factories.make_element(name=name) for name in ("Marks", "Grades")]
        _receive(elements[0], 0)
        _receive(elements[1], 0, modulus=1)  # every product
        today = district_today()
        forget_search_statements(monkeypatch)
        first_filters = DirectoryFilters(text="active", agreement=AgreementFilter.ACTIVE, element_id=elements[0].id)
        first = search_products(first_filters, 1, 5, today)
        assert first.items
        assert search_products(first_filters, 9, 5, today).total == first.total  # past the last page: counted

        refuse_building(monkeypatch)
        other_filters = DirectoryFilters(text="file", agreement=AgreementFilter.ACTIVE, element_id=elements[1].id)
        other = search_products(other_filters, 1, 5, today)
        assert other.items
        assert {product.id for product in other.items} != {product.id for product in first.items}
        assert search_products(other_filters, 9, 5, today).total == other.total
        with pytest.raises(AssertionError, match="built"):  # another agreement filter: its own statement
            search_products(DirectoryFilters(text="active", agreement=AgreementFilter.EXPIRED), 1, 5, today)


def _nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]


def test_a_search_with_a_broad_agreement_filter_reads_no_union_of_its_ids(app):
    """On PostgreSQL, a search with `active` (three products in four): the page asks the rule of each hit's
    product, reading no UNION of the filter's ids (an Append: main's, which hashed every matching product's id,
    16,377 on the bench, before joining the hits), alone and with a data element."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        element = broadly_signed_catalog()
        today = district_today()
        assert queries._agreement_is_broad(AgreementFilter.ACTIVE, today)
        for chosen in ({}, {"element_id": element.id}):
            filters = DirectoryFilters(text="product", agreement=AgreementFilter.ACTIVE, **chosen)
            assert filters.agreement_by_rule(today)
            result, statements = statements_of(lambda filters=filters: search_products(filters, 2, 20, today))
            assert len(result.items) == 20
            (page,) = statements
            types = {node["Node Type"] for node in _nodes(plan_of(*page))}
            assert "Append" not in types, (chosen, types)
            # the same products as the ids give
            with pytest.MonkeyPatch.context() as patched:
                patched.setattr(DirectoryFilters, "agreement_by_rule", lambda filters, today, **_: False)
                by_ids = search_products(filters, 2, 20, today)
            assert [p.id for p in by_ids.items] == [p.id for p in result.items]
            assert by_ids.total == result.total
