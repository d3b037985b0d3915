"""Fixtures shared by the whole suite: one app on a real database, emptied after each test.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set. On
PostgreSQL each test session creates its own database next to the one named, so several
runs can share a server, and drops it at the end.
"""

import os
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from werkzeug.serving import WSGIRequestHandler, make_server

from clearinghouse import data_version
from clearinghouse.accounts.models import User
from clearinghouse.app import create_app
from clearinghouse.directory.queries import forget_seen_counts
from clearinghouse.extensions import db
from clearinghouse.page_cache import page_cache_of
from tests import factories

SHARED_DIR = Path(__file__).resolve().parent.parent.parent / "shared"
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the translation catalogues that changed, as `make translations-compile` does, so that
    a plain `pytest` finds them (the app refuses to start without them; .mo files are not committed)."""
    for source in TRANSLATIONS_DIR.glob("*/LC_MESSAGES/*.po"):
        compiled = source.with_suffix(".mo")
        if not compiled.exists() or compiled.stat().st_mtime < source.stat().st_mtime:
            with source.open("rb") as po:
                catalog = read_po(po)
            with compiled.open("wb") as mo:
                write_mo(mo, catalog)


def _server_database(base_url: str) -> tuple[str, Callable[[], None]]:
    """Create a fresh database on the server of base_url; return its URL and a dropper."""
    url = make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"ch_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        return
    url, drop = _server_database(base)
    try:
        yield url
    finally:
        drop()


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("run")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_DIR": str(tmp / "files"),
            "WTF_CSRF_ENABLED": False,  # turned on by the `csrf` fixture for the tests that prove it
            "BASE_URL": "http://localhost",
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        _remember_seeded_rows()
    yield app
    with app.app_context():
        db.engine.dispose()


# Rows the migrations seed that a district starts with (the kinds of product): put back after every
# test empties the tables, as a fresh install has them.
SEEDED_TABLES = ("product_kind",)
_seeded: dict[str, list[dict]] = {}


def _remember_seeded_rows() -> None:
    with db.engine.connect() as conn:
        for name in SEEDED_TABLES:
            table = db.metadata.tables[name]
            rows = conn.execute(sa.select(table).order_by(table.c.id)).mappings().all()
            _seeded[name] = [{key: value for key, value in row.items() if key != "id"} for row in rows]


# Tables outside the models that PostgreSQL's triggers fill from the product rows: the search index
# and its vocabulary. Emptied with the models' tables when triggers are off (see below).
DERIVED_TABLES = ("product_search", "product_search_vocab")


def empty_all_tables() -> None:
    """Empty every table and put back the seeded rows, as a fresh install has them.

    On PostgreSQL a TRUNCATE of all 38 tables costs about a second (each table gets new files),
    once per test. As a superuser the suite instead deletes the rows of the few tables a test
    filled, with triggers and foreign-key checks off for that transaction
    (`session_replication_role`), restarts the sequences it moved, and bumps the data version
    itself, since the triggers that would have are off."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            if conn.execute(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
                _delete_filled_tables(conn, [*tables, *DERIVED_TABLES])
            else:
                conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(sa.text(f'DELETE FROM "{table}"'))
        for name, rows in _seeded.items():
            if rows:
                conn.execute(sa.insert(db.metadata.tables[name]), rows)


def _delete_filled_tables(conn: sa.Connection, tables: list[str]) -> None:
    conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
    probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
    for table in conn.execute(sa.text(probe)).scalars():
        conn.execute(sa.text(f'DELETE FROM "{table}"'))
    moved = conn.execute(
        sa.text("SELECT schemaname || '.' || sequencename FROM pg_sequences WHERE last_value IS NOT NULL")
    ).scalars()
    for sequence in moved:
        conn.execute(sa.text("SELECT setval(CAST(:sequence AS regclass), 1, false)"), {"sequence": sequence})
    conn.execute(sa.text(f"UPDATE {data_version.TABLE} SET value = value + 1 WHERE id = {data_version.ROW_ID}"))


@pytest.fixture(autouse=True)
def _empty_tables(app) -> Iterator[None]:
    yield
    with app.app_context():
        db.session.remove()
        empty_all_tables()
    forget_seen_counts()  # what the directory's pages read of the emptied tables' matches


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def csrf(app) -> Iterator[None]:
    """Turn CSRF protection on for one test (it is on everywhere outside the test suite)."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@contextmanager
def in_app(app: Flask) -> Iterator[None]:
    """An app context for setting up or checking rows; never keep one open around client calls."""
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()


def client_as(app: Flask, user_id: int) -> FlaskClient:
    """A test client signed in as the user (the real login form is tested in tests/accounts)."""
    with in_app(app):
        session_id = db.session.get(User, user_id).get_id()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = session_id
        sess["_fresh"] = True
    return client


def _user(app: Flask, **kwargs) -> int:
    with in_app(app):
        return factories.make_user(**kwargs).id


@pytest.fixture
def admin_id(app) -> int:
    return _user(app, role="admin", email="admin@district.example")


@pytest.fixture
def officer_id(app) -> int:
    return _user(app, role="officer", email="officer@district.example")


@pytest.fixture
def requester_id(app) -> int:
    """A teacher whose account the district's identity provider created (no password)."""
    return _user(
        app,
        role="requester",
        email="teacher@district.example",
        password=None,
        oidc_issuer="https://sign-in.district.example",
        oidc_subject="teacher-subject",
    )


@pytest.fixture
def vendor_user_id(app) -> int:
    with in_app(app):
        vendor = factories.make_vendor(name="Own Vendor Inc.")
        return factories.make_user(role="vendor", email="contact@ownvendor.example", vendor=vendor).id


@pytest.fixture
def other_vendor_user_id(app) -> int:
    with in_app(app):
        vendor = factories.make_vendor(name="Other Vendor LLC")
        return factories.make_user(role="vendor", email="contact@othervendor.example", vendor=vendor).id


def forget_kept_answers(app: Flask) -> None:
    """Empty the page cache's store, answers and kept cards alike, forget what the directory's pages read
    of their matches (`forget_seen_counts`), and close the data version's connection, so that the statements
    `extensions.constant_rows` PREPAREd on it go too: the next page draws everything on a new connection, as
    the first reader after a change does (query counts that must not depend on what came before)."""
    cache = page_cache_of(app)
    cache.store.clear()
    cache.reader.dispose()
    forget_seen_counts()


@contextmanager
def count_queries(app: Flask) -> Iterator[list[str]]:
    """Collect every SQL statement run inside the block (from any request of this app)."""
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engines = statement_engines(app)
    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        for engine in engines:
            sa.event.remove(engine, "before_cursor_execute", before_cursor_execute)


def statement_engines(app: Flask) -> tuple[sa.Engine, ...]:
    """Where a request's statements run: the app's engine, and on PostgreSQL the data version's reader's,
    whose connection an anonymous public answer reads on (page_cache.VersionReader)."""
    with app.app_context():
        engine = db.engine
    reader = page_cache_of(app).reader
    return (engine, reader.engine) if reader.lends else (engine,)


class QuietRequestHandler(WSGIRequestHandler):
    """No access log: a request thread still logging after pytest closed its captured stderr
    printed "--- Logging error ---" tracebacks into the run's output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LiveServer:
    def __init__(self, app: Flask):
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[LiveServer]:
    """The app served over real HTTP on loopback, for the browser tests."""
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()
