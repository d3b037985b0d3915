"""The API's product list with an agreement filter asks the filter's rule of each product
(`DirectoryFilters.clauses`: `_agreement_rule`'s clause, not the UNION of `agreement_filter_ids`) and reads
its count from the kept groups when triggers keep it (`DirectoryFilters.listed_count`): the same products and
totals as the ids and the counting give, for every filter value alone and with each other filter."""

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse.directory import queries
from clearinghouse.directory.models import DataElement, Product, School
from clearinghouse.directory.queries import AgreementFilter, DirectoryFilters
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app
from tests.directory.plans import compact_and_analyze, plan_of
from tests.directory.test_agreement_filter_kept import _receiving, agreement_catalog
from tests.directory.test_deep_pages import broadly_signed_catalog


def _nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]


def _sent(call) -> tuple:
    """What `call` returns, and the statements any engine sent meanwhile (a request may read on the connection
    that read the data version)."""
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", before)
    try:
        return call(), statements
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", before)


def _ids(clauses: list) -> list[int]:
    return list(db.session.scalars(select(Product.id).where(*clauses).order_by(Product.id)))


def test_every_agreement_filter_finds_and_counts_what_its_ids_do(app, client):
    """Both databases: each filter value, alone and with a data element, a school, a kind or a search word: the
    clauses find the products the ids find, the count equals the counted one, and the API says the same."""
    with in_app(app):
        agreement_catalog()
        element = factories.make_element(name="Marks")
        school = factories.make_school(name="Hill School")
        _receiving([db.session.get(DataElement, element.id)])
        for n, product in enumerate(db.session.scalars(select(Product).order_by(Product.id))):
            if n % 2:
                product.schools.append(db.session.get(School, school.id))
        db.session.commit()
        kind_id = db.session.scalar(select(Product.kind_id).where(Product.kind_id.is_not(None)).limit(1))
        kind_slug = db.session.scalar(sa.text("SELECT slug FROM product_kind WHERE id = :k"), {"k": kind_id})
        today = district_today()
        others = {
            "": {},
            f"&element={element.slug}": {"element_id": element.id},
            f"&school={school.slug}": {"school_id": school.id},
            f"&kind={kind_slug}": {"kind_id": kind_id},
            "&q=active": {"text": "active"},
        }
        asked = []
        for value in AgreementFilter:
            for param, chosen in others.items():
                filters = DirectoryFilters(agreement=value, **chosen)
                ids = _ids(filters.clauses(today, agreement_ids=True))
                if not filters.terms:
                    assert _ids(filters.clauses(today, agreement_ids=False)) == ids, (value, param)
                    assert _ids(filters.clauses(today)) == ids, (value, param)
                total = db.session.scalar(filters.listed_count(today, kept=False))
                assert db.session.scalar(filters.listed_count(today)) == total, (value, param)
                asked.append((f"/api/v1/products?agreement={value.value}{param}&per_page=5", total))
    for path, total in asked:
        answer = client.get(path).get_json()
        assert answer["meta"]["total"] == total, path


def _unions_of_ids(plan: dict) -> list[dict]:
    """The plan's UNIONs (Appends) but a walk's own: the page's products and those tied with its first or last name
    (`seek_name_page`'s edge)."""
    return [
        node
        for node in _nodes(plan)
        if node["Node Type"] == "Append" and not any(child.get("CTE Name") == "edge" for child in node["Plans"])
    ]


def test_the_apis_agreement_filter_reads_no_union_of_ids_and_counts_the_kept_groups(app, client):
    """On PostgreSQL, `agreement=active` (three products in four) alone and with a data element received by one
    product in five (and in the directory with a school): the page's statement asks the rule of each product,
    reading no UNION of the ids
    (an Append: main's, which PostgreSQL took for about 200 rows where the bench has 16,377, and joined to
    product one id at a time, 50,300 buffers), and the count (read with the page, as it walks) reads the kept
    term groups."""
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the plans are PostgreSQL's")
        element = broadly_signed_catalog()
        assert queries._agreement_is_broad(AgreementFilter.ACTIVE, district_today())  # read and noted: not asked again
        for path, kept in (
            ("/api/v1/products?agreement=active", "agreement_term_standing_count"),
            (f"/api/v1/products?agreement=active&element={element.slug}", "agreement_term_element_count"),
        ):
            answer, statements = _sent(lambda path=path: client.get(path))
            assert answer.status_code == 200, [s[:60] for s, _ in statements]
            (page,) = [found for found in statements if "product.slug" in found[0]]
            # The only UNION the page may read is its walk's own: the page's products and those tied with its first
            # or last name (`seek_name_page`'s edge).
            assert not _unions_of_ids(plan_of(*page)), path
            # The count: read with a walked page (`api.queries._walked_page`), or on its own.
            counts = [
                found
                for found in statements
                if found[0].lstrip().startswith(("SELECT count", "WITH")) and "product.slug" not in found[0]
            ]
            read = {node.get("Relation Name") for found in [page, *counts] for node in _nodes(plan_of(*found))}
            assert kept in read, (path, read)
        # The directory's page of "active" with a school (`_filtered_page`): the rule asked of each product too.
        school = factories.make_school(name="Hill School")
        db.session.execute(
            sa.text("INSERT INTO product_school (product_id, school_id) SELECT id, :s FROM product WHERE id % 3 = 0"),
            {"s": school.id},
        )
        compact_and_analyze("product_school")
        answer, statements = _sent(lambda: client.get(f"/directory?agreement=active&school={school.slug}"))
        assert answer.status_code == 200
        (page,) = [found for found in statements if "product.slug" in found[0]]
        assert not _unions_of_ids(plan_of(*page))
