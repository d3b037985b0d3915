"""On PostgreSQL an anonymous public answer made afresh reads on the connection its data version was
read on (page_cache.VersionReader): in autocommit, read-only, with no pool checkout, pre-ping, BEGIN or
ROLLBACK; every other request takes the engine's pool as before. A connection the server closed costs
no answer, and a write made there fails instead of committing."""

import pytest
import sqlalchemy as sa

from clearinghouse import data_version
from clearinghouse.extensions import REQUEST_CONNECTION, db
from clearinghouse.page_cache import page_cache_of
from tests import factories
from tests.conftest import client_as, count_queries, in_app


@pytest.fixture(autouse=True)
def _on_postgresql(app):
    if not page_cache_of(app).reader.lends:
        pytest.skip("SQLite reads in a transaction from the engine's pool, as before")


def statements_by_engine(app, call) -> tuple[list[str], list[str]]:
    """The statements `call` sent through the engine's pool, and through the version reader's connection."""
    pooled: list[str] = []
    lent: list[str] = []

    def on(statements):
        return lambda conn, cursor, statement, *_: statements.append(statement)

    with app.app_context():
        engine = db.engine
    reader = page_cache_of(app).reader.engine
    listeners = ((engine, on(pooled)), (reader, on(lent)))
    for target, listener in listeners:
        sa.event.listen(target, "before_cursor_execute", listener)
    try:
        call()
    finally:
        for target, listener in listeners:
            sa.event.remove(target, "before_cursor_execute", listener)
    return pooled, lent


def test_an_anonymous_miss_reads_on_the_version_readers_connection_and_a_signed_in_page_on_the_pool(
    app, client, officer_id
):
    with in_app(app):
        factories.make_product(name="Lent Reader")
    pooled, lent = statements_by_engine(app, lambda: client.get("/directory?q=lent"))
    assert pooled == []
    assert lent, "the anonymous miss ran no statement on the lent connection"
    signed_in = client_as(app, officer_id)
    pooled, lent = statements_by_engine(app, lambda: signed_in.get("/directory?q=lent"))
    assert pooled
    assert lent == []


def test_the_lent_connection_runs_in_autocommit_and_read_only(app):
    client = app.test_client()
    client.get("/")
    connection = page_cache_of(app).reader.lent()
    assert connection.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "on"
    assert connection.connection.dbapi_connection.autocommit


def test_on_the_lent_connection_only_the_data_versions_read_is_prepared(app):
    """psycopg would prepare a statement run five times; here only the version's read, which asks, is prepared,
    so no search is ever planned without its words."""
    with in_app(app):
        factories.make_product(name="Prepared Reader")
    client = app.test_client()
    cache = page_cache_of(app)
    for _ in range(8):  # the same misses, each statement run more than psycopg's default threshold
        cache.store.clear()
        assert client.get("/directory?q=prepared").status_code == 200
    connection = cache.reader.lent()
    prepared = connection.exec_driver_sql("SELECT statement FROM pg_prepared_statements").scalars().all()
    # besides what extensions.constant_rows prepared by name on this thread's connection, if a test did before
    assert [statement for statement in prepared if not statement.startswith("PREPARE ")] == [data_version.READ_SQL]


def test_a_write_during_an_anonymous_public_answer_fails_and_changes_nothing(app):
    client = app.test_client()
    client.get("/")
    with app.test_request_context(environ_overrides={REQUEST_CONNECTION: page_cache_of(app).reader.lent()}):
        with pytest.raises(sa.exc.InternalError, match="read-only transaction"):
            db.session.execute(sa.text("UPDATE data_version SET value = value + 1"))
        db.session.rollback()
        db.session.remove()


def terminate(app, connection: sa.Connection) -> None:
    """End the connection's server process, as an administrator or a restart would, and wait until it is gone."""
    pid = connection.connection.dbapi_connection.info.backend_pid
    with app.app_context(), db.engine.connect() as admin:
        assert admin.scalar(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})


def test_a_connection_the_server_closed_costs_no_public_answer(app):
    with in_app(app):
        factories.make_product(name="Survivor Widget")
    client = app.test_client()
    assert client.get("/directory").status_code == 200
    reader = page_cache_of(app).reader
    misses = page_cache_of(app).misses
    for round_ in range(3):
        closed = reader.lent()
        terminate(app, closed)
        response = client.get(f"/directory?q=survivor&round={round_}")
        assert response.status_code == 200
        assert "Survivor Widget" in response.get_data(as_text=True)
        assert reader.lent() is not closed
    assert page_cache_of(app).misses - misses == 3  # each made through the cache, on a new connection


def test_a_connection_a_request_lost_is_replaced_at_the_next_read(app):
    client = app.test_client()
    client.get("/")
    page_cache_of(app).reader.lent().invalidate()  # what SQLAlchemy does when a statement finds it gone
    response = client.get("/directory?q=replaced")
    assert response.status_code == 200
    assert not page_cache_of(app).reader.lent().invalidated


def test_counted_statements_include_the_lent_connections(app, client):
    with count_queries(app) as statements:
        client.get("/directory?q=counted")
    assert statements
