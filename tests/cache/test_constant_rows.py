"""A statement that takes nothing from its reader (`extensions.constant_rows`: the reports' figures and overlap)
is prepared once on the page cache's connection in autocommit and executed by name (PostgreSQL plans it once
per connection); it reads what the statement reads, fresh on each run; elsewhere it runs as any statement."""

from datetime import date

import sqlalchemy as sa

from clearinghouse.destruction.models import RequestStatus
from clearinghouse.directory.models import Product
from clearinghouse.extensions import PREPARED_KEPT, REQUEST_CONNECTION, constant_rows, db
from clearinghouse.page_cache import page_cache_of
from clearinghouse.reports.queries import destruction_compliance, overlapping_products, read_figures
from clearinghouse.timeutil import district_today
from tests import factories
from tests.api.sample import make_certificate, make_request
from tests.cache.test_lent_connection import statements_by_engine
from tests.conftest import in_app

# Values written in, a percent sign and a quote among them: the SQL's escapes must read as the values.
WRITTEN_IN = sa.select(sa.literal("50% off, it's"), sa.literal(7), sa.func.count(Product.id))


def prepared_on(connection: sa.Connection) -> list[str]:
    """The statements `constant_rows` prepared on the connection (the data version's read is prepared there too)."""
    statements = connection.exec_driver_sql("SELECT statement FROM pg_prepared_statements").scalars().all()
    return [statement for statement in statements if statement.startswith("PREPARE constant_")]


def lent_context(app):
    """A request reading on the version reader's connection, as an anonymous miss does (PostgreSQL)."""
    app.test_client().get("/")  # the version read: this thread's connection held
    return app.test_request_context(environ_overrides={REQUEST_CONNECTION: page_cache_of(app).reader.lent()})


def test_it_reads_what_the_statement_reads_on_the_pool_and_prepares_nothing(app):
    with in_app(app):
        factories.make_product(name="Counted")
        assert constant_rows(WRITTEN_IN) == [("50% off, it's", 7, 1)]
        if db.engine.dialect.name == "postgresql":
            assert not any("50% off" in statement for statement in prepared_on(db.session.connection()))


def test_on_the_lent_connection_it_is_prepared_once_and_reads_fresh_rows(app):
    if not page_cache_of(app).reader.lends:
        return  # SQLite has no lent connection
    with in_app(app):
        factories.make_product(name="Counted")
    with lent_context(app):
        assert constant_rows(WRITTEN_IN) == [("50% off, it's", 7, 1)]
        assert constant_rows(WRITTEN_IN) == [("50% off, it's", 7, 1)]
        (prepared,) = [statement for statement in prepared_on(db.session.connection()) if "50% off" in statement]
        assert prepared.startswith("PREPARE constant_")
        db.session.remove()
    with in_app(app):
        factories.make_product(name="Counted too")
    with lent_context(app):
        assert constant_rows(WRITTEN_IN) == [("50% off, it's", 7, 2)]  # the plan kept, the rows read afresh
        db.session.remove()


def test_a_connection_keeps_the_latest_statements_prepared(app):
    if not page_cache_of(app).reader.lends:
        return
    with lent_context(app):
        for value in range(PREPARED_KEPT + 3):
            assert constant_rows(sa.select(sa.literal(value))) == [(value,)]
        assert len(prepared_on(db.session.connection())) == PREPARED_KEPT
        assert constant_rows(sa.select(sa.literal(0))) == [(0,)]  # let go, prepared again
        db.session.remove()


def test_a_reports_miss_prepares_its_statements_once_and_reads_what_the_pool_reads(app, client):
    """The figures, the destruction requests and the overlap: each prepared on the first miss, executed by name
    after, and read as the pool reads them (the requests' statuses as the driver gives them)."""
    if not page_cache_of(app).reader.lends:
        return
    with in_app(app):
        kind = factories.make_kind(name="Shared Readers")
        school, other = factories.make_school(name="North"), factories.make_school(name="South")
        for name, at in (("Alpha", school), ("Beta", other)):
            factories.make_product(name=name, kind=kind, schools=[at])
        vendor = factories.make_vendor()
        answered = make_request(vendor, status=RequestStatus.ACCEPTED, due_on=date(2026, 3, 1))
        make_certificate(answered, submitted_on=date(2026, 3, 2))
        make_request(vendor, status=RequestStatus.OPEN, due_on=date(2026, 1, 1))
        make_request(vendor, status=RequestStatus.WITHDRAWN, due_on=date(2026, 1, 1))
    store = page_cache_of(app).store

    def miss():
        store.clear()
        return client.get("/reports/")

    _, first = statements_by_engine(app, miss)
    _, again = statements_by_engine(app, miss)
    assert sum(statement.startswith("PREPARE constant_") for statement in first) == 3
    assert not any(statement.startswith("PREPARE") for statement in again)
    assert sum(statement.startswith("EXECUTE constant_") for statement in again) == 3
    today = district_today()
    with lent_context(app):
        on_the_lent = (read_figures(today), overlapping_products(), destruction_compliance(today))
        db.session.remove()
    with in_app(app):
        assert (read_figures(today), overlapping_products(), destruction_compliance(today)) == on_the_lent
        assert on_the_lent[1]
        assert on_the_lent[0]["schools"]
        assert [bar.value for bar in on_the_lent[2].bars] == [0, 1, 1, 0]  # late, overdue
