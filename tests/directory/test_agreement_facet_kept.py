"""An agreement filter with a data category, a school or a kind reads its number of matches from the kept groups
of listed products by that facet, agreement term and stated status (`agreement_term_category_count`,
`_school_count`, `_kind_count`; `queries.agreement_facet_kept`) and checks each product while it walks them in
order: its total and its products must be exactly those of the general query (the matches read from the
filters' ids, counted and all sorted), and every kept count what the rows count (`kept_counts_check`), after
writes through the services, the ORM, raw SQL and multi-row statements: data uses added, removed and moved, an
element moved to another category, school links added, removed and moved, a school deleted, kinds changed,
products' status, stated status and agreements, agreements' terms, vendors retired and back, products and
agreements deleted.
"""

from datetime import timedelta
from functools import partial

import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse import kept_counts_check
from clearinghouse.directory import services
from clearinghouse.directory.models import DataUse, Product, ProductStatus, School, StatedAgreementStatus, Vendor
from clearinghouse.directory.queries import AgreementFilter, DirectoryFilters, Sort
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app
from tests.directory.every_page import kept_pages_as_general
from tests.directory.test_agreement_filter_kept import (
    UNKEPT_WITH_ELEMENT,
    _kept_both_ways,
    agreement_catalog,
    agreement_writes,
)

PER_PAGE = 7
FACET_TABLES = ["agreement_term_category_count", "agreement_term_school_count", "agreement_term_kind_count"]


def _facets() -> dict[str, list[int]]:
    """Two categories (three elements), two schools and two kinds, spread unevenly over the agreement catalogue:
    some products in none, some in several. Returns each facet's ids, by `DirectoryFilters` field."""
    health, grades = factories.make_category(name="Health"), factories.make_category(name="Grades")
    elements = [factories.make_element(health), factories.make_element(health), factories.make_element(grades)]
    schools = [factories.make_school(name="Adams"), factories.make_school(name="Lincoln")]
    kinds = [factories.make_kind(name="Quiz maker"), factories.make_kind(name="Tutor")]
    for n, product in enumerate(db.session.scalars(select(Product).order_by(Product.id))):
        product.data_uses = [
            DataUse(data_element_id=element.id, purpose="Teaching.")
            for k, element in enumerate(elements)
            if (n + k) % 3
        ]
        product.schools = [school for k, school in enumerate(schools) if (n + k) % 4]
        if n % 5:
            product.kind_id = kinds[n % 2].id
    db.session.commit()
    return {
        "category_id": [health.id, grades.id],
        "school_id": [school.id for school in schools],
        "kind_id": [kind.id for kind in kinds],
    }


def _check(monkeypatch, facets: dict[str, list[int]], *, sorts: tuple = (None,)) -> int:
    """The kept counts against the rows; each agreement filter (that a term group answers) with each facet, in each
    of `sorts`: its kept page against the general one (with more than one sort, each page also as
    `_kept_both_ways` reads it). Returns how many pairs matched something."""
    db.session.commit()  # PostgreSQL applies the kept counts' changes at commit
    db.session.expire_all()
    assert kept_counts_check.check(FACET_TABLES) == []
    every = [
        DirectoryFilters(agreement=value, sort=sort, **{name: facet_id})
        for value in AgreementFilter
        if value not in UNKEPT_WITH_ELEMENT
        for name, ids in facets.items()
        for facet_id in ids
        for sort in sorts
    ]
    if len(sorts) > 1:
        kept = _kept_both_ways(every, monkeypatch)
    else:
        kept = kept_pages_as_general(every, PER_PAGE, monkeypatch)
    return len({filters for filters, (ids, _, _) in kept.items() if ids})


def test_agreement_filter_with_a_category_school_or_kind_pages_equal_the_general_query_after_varied_writes(
    app, monkeypatch
):
    with in_app(app):
        agreement_catalog()
        facets = _facets()
        assert _check(monkeypatch, facets, sorts=(None, Sort.VENDOR)) >= 60
        today = district_today()
        zeta, alpha = (db.session.scalar(select(Vendor).where(Vendor.name == name)) for name in ("Zeta", "Alpha"))
        products = list(db.session.scalars(select(Product).where(Product.vendor_id == zeta.id).order_by(Product.id)))
        health, grades = facets["category_id"]
        adams, lincoln = facets["school_id"]
        reading, maths = facets["kind_id"]

        # The ORM: data uses added and removed, school links, a kind, a status and a stated status.
        products[0].data_uses = []
        products[1].data_uses = products[1].data_uses[:1]
        products[2].schools = []
        products[3].schools = [db.session.get(School, adams)]
        products[3].kind_id = maths
        products[4].status = ProductStatus.RETIRED
        with unit_of_work():
            services.update_product(products[5], None, version=products[5].version, agreement_status="requested")
        _check(monkeypatch, facets)

        added = agreement_writes(products, alpha, today, partial(_check, monkeypatch, facets), signed=slice(6, 9))

        # Raw SQL and multi-row statements, as an import writes them: a vendor back, stated statuses, terms.
        ids = [p.id for p in products]
        db.session.execute(sa.text("UPDATE vendor SET is_retired = false"))
        db.session.execute(
            sa.update(Product)
            .where(Product.id.in_(ids[13:18]))
            .values(agreement_status=StatedAgreementStatus.NOT_REQUIRED)
        )
        db.session.execute(
            sa.text("UPDATE agreement SET expires_on = :day WHERE expires_on IS NULL"), {"day": today + timedelta(1)}
        )
        db.session.execute(sa.text("UPDATE product SET kind_id = :k WHERE id % 3 = 0"), {"k": reading})
        _check(monkeypatch, facets)

        # Data uses: every use of one element deleted, another inserted where missing, uses moved between elements
        # and products, an element moved to the other category, uses of two elements of one category in one statement.
        elements = list(db.session.scalars(sa.text("SELECT id FROM data_element WHERE category_id IN (:h, :g) "
                                                   "ORDER BY id"), {"h": health, "g": grades}))  # fmt: skip
        db.session.execute(sa.delete(DataUse).where(DataUse.data_element_id == elements[0]))
        db.session.execute(
            sa.text("INSERT INTO data_use (product_id, data_element_id, purpose, translations) "
                    "SELECT id, :e, 'Teaching.', '{}' FROM product WHERE id NOT IN "
                    "(SELECT product_id FROM data_use WHERE data_element_id = :e)"),
            {"e": elements[2]},
        )  # fmt: skip
        _check(monkeypatch, facets)
        db.session.execute(
            sa.text("UPDATE data_use SET data_element_id = :to WHERE data_element_id = :e AND product_id % 2 = 0 "
                    "AND product_id NOT IN (SELECT product_id FROM data_use WHERE data_element_id = :to)"),
            {"e": elements[2], "to": elements[0]},
        )  # fmt: skip
        db.session.execute(
            sa.text("UPDATE data_use SET product_id = :p WHERE data_element_id = :e AND product_id = :q"),
            {"p": ids[0], "q": ids[1], "e": elements[2]},
        )
        moved = {"g": grades, "e": elements[1]}
        db.session.execute(sa.text("UPDATE data_element SET category_id = :g WHERE id = :e"), moved)
        _check(monkeypatch, facets)
        db.session.execute(sa.text("UPDATE data_element SET category_id = :h"), {"h": health})
        db.session.execute(sa.text("DELETE FROM data_use WHERE product_id % 4 = 1"))
        _check(monkeypatch, facets)

        # School links: moved between schools and products, inserted in bulk, a school deleted; an agreement deleted.
        db.session.execute(
            sa.text("UPDATE product_school SET school_id = :to WHERE school_id = :s AND product_id % 2 = 0 "
                    "AND product_id NOT IN (SELECT product_id FROM product_school WHERE school_id = :to)"),
            {"s": adams, "to": lincoln},
        )  # fmt: skip
        db.session.execute(
            sa.text("INSERT INTO product_school (product_id, school_id) SELECT id, :s FROM product WHERE id NOT IN "
                    "(SELECT product_id FROM product_school WHERE school_id = :s)"),
            {"s": adams},
        )  # fmt: skip
        db.session.execute(sa.text("DELETE FROM agreement WHERE id = :a"), {"a": added.id})
        _check(monkeypatch, facets)
        db.session.execute(sa.text("DELETE FROM school WHERE id = :s"), {"s": lincoln})
        facets["school_id"] = [adams]
        _check(monkeypatch, facets)


def test_a_kind_alone_or_with_another_filter_is_counted(app):
    today = district_today()
    assert DirectoryFilters(kind_id=1).kept(today) is None
    for chosen in ({"school_id": 1}, {"element_id": 1}, {"tag_id": 1}):
        assert DirectoryFilters(agreement=AgreementFilter.ACTIVE, kind_id=1, **chosen).kept(today) is None
    assert DirectoryFilters(agreement=AgreementFilter.ACTIVE, category_id=1).kept() is None  # no day asked about
    for value in UNKEPT_WITH_ELEMENT:
        for chosen in ({"category_id": 1}, {"school_id": 1}, {"kind_id": 1}):
            assert DirectoryFilters(agreement=value, **chosen).kept(today) is None
