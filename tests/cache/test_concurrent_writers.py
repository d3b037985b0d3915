"""Two writers of public rows on PostgreSQL: the data version never makes them deadlock.

With triggers that bumped the version at a writer's first public statement, a writer held the
counter row until it committed; a second writer holding a product row the first needed then
waited for the counter, and PostgreSQL killed one of them as a deadlock. The bump now happens
when a writer commits (deferred constraint triggers), and only then is the new version seen.
"""

import threading

import pytest
import sqlalchemy as sa

from clearinghouse import data_version
from clearinghouse.extensions import db
from tests import factories
from tests.conftest import in_app


def _version(conn) -> int:
    return data_version.read(conn)[0]


@pytest.mark.postgres_only
def test_two_writers_of_the_same_products_both_commit_and_each_bumps_the_version_once(app):
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL's concurrent writers")
        vendor = factories.make_vendor(name="Shared Rows Learning")
        first = factories.make_product(vendor, name="First Shared")
        second = factories.make_product(vendor, name="Second Shared")
        first_id, second_id = first.id, second.id
        engine = db.engine
        with engine.connect() as reader:
            before = _version(reader)

        rename = sa.text("UPDATE product SET name = :name WHERE id = :id")
        second_locked = threading.Event()
        errors: list[BaseException] = []

        def other_writer():
            try:
                with engine.begin() as conn:
                    conn.execute(rename, {"name": "Shared Second", "id": second_id})
                    second_locked.set()
                    conn.execute(sa.text("SELECT pg_sleep(0.5)"))
            except BaseException as err:  # surfaced by the assertion below
                errors.append(err)
                second_locked.set()

        with engine.begin() as conn:
            conn.execute(rename, {"name": "Shared First", "id": first_id})
            with engine.connect() as reader:
                assert _version(reader) == before, "the version moved before the writer committed"
            thread = threading.Thread(target=other_writer)
            thread.start()
            assert second_locked.wait(10)
            # This waits for the other writer's row; it used to wait while holding the counter. (The names
            # reuse indexed words: a new word is a new row of the search vocabulary, which waits too.)
            conn.execute(rename, {"name": "Second Shared Second", "id": second_id})
        thread.join(10)

        assert errors == []
        with engine.connect() as reader:
            assert _version(reader) == before + 2
            names = dict(
                reader.execute(
                    sa.text("SELECT id, name FROM product WHERE id IN (:a, :b)"), {"a": first_id, "b": second_id}
                ).all()
            )
        assert names == {first_id: "Shared First", second_id: "Second Shared Second"}


@pytest.mark.postgres_only
def test_a_rolled_back_write_leaves_the_version_alone_and_truncate_bumps_it(app):
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's triggers")
        factories.make_vendor(name="Rolled Back Learning")
        engine = db.engine
        with engine.connect() as reader:
            before = _version(reader)
        with engine.connect() as conn:
            transaction = conn.begin()
            conn.execute(sa.text("UPDATE vendor SET name = 'Never Seen' WHERE name = 'Rolled Back Learning'"))
            transaction.rollback()
        with engine.connect() as reader:
            assert _version(reader) == before
        with engine.begin() as conn:
            conn.execute(sa.text("TRUNCATE product_school"))
        with engine.connect() as reader:
            assert _version(reader) == before + 1
