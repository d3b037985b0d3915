"""The driver settings an operator gives every database connection (`connect_args` in
SQLALCHEMY_ENGINE_OPTIONS: TLS files, timeouts, an application name) reach the app's own engines too:
the page cache's version reader, whose connection anonymous public answers read on, and the
scheduler's lock."""

import pytest
import sqlalchemy as sa
from flask import Flask

from clearinghouse.app import create_app
from clearinghouse.config import database_connect_args
from clearinghouse.extensions import db
from clearinghouse.page_cache import NEVER_BY_COUNT, page_cache_of
from clearinghouse.scheduler import Leadership

# Server settings a client can ask for when it connects: what an operator's `options` would carry.
OPERATOR_ARGS = {"application_name": "district-register", "options": "-c lock_timeout=4321"}


@pytest.fixture
def configured(app, database_url, tmp_path) -> Flask:
    """A second app on the test database (migrated by `app`), with the operator's connect_args."""
    if sa.make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("SQLite connections take no server settings; the reader lends no connection there")
    configured = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "connect_args": OPERATOR_ARGS},
            "UPLOAD_DIR": str(tmp_path / "files"),
            "BASE_URL": "http://localhost",
        }
    )
    yield configured
    page_cache_of(configured).reader.engine.dispose()
    with configured.app_context():
        db.engine.dispose()


def settings_of(connection: sa.Connection) -> tuple[str, str]:
    return (
        connection.exec_driver_sql("SHOW application_name").scalar(),
        connection.exec_driver_sql("SHOW lock_timeout").scalar(),
    )


def test_the_connect_args_are_read_from_the_engine_options(configured):
    assert database_connect_args(configured.config) == OPERATOR_ARGS
    assert database_connect_args({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True}}) == {}


def test_an_anonymous_answer_reads_on_a_connection_made_with_them(configured):
    assert configured.test_client().get("/directory").status_code == 200
    lent = page_cache_of(configured).reader.lent()
    assert settings_of(lent) == ("district-register", "4321ms")
    assert lent.connection.dbapi_connection.prepare_threshold == NEVER_BY_COUNT  # the reader's own setting kept
    with configured.app_context(), db.engine.connect() as pooled:  # Flask-SQLAlchemy's engine, for comparison
        assert settings_of(pooled) == ("district-register", "4321ms")


def test_the_schedulers_lock_connection_is_made_with_them_and_its_keepalives(configured):
    leadership = Leadership(db_url(configured), 15, database_connect_args(configured.config))
    try:
        assert leadership.check()
        name, lock_timeout = settings_of(leadership.connection)
        assert lock_timeout == "4321ms"
        assert name == "clearinghouse-scheduler"  # the lock's own name wins: an operator sees which it is
        assert leadership.connection.exec_driver_sql("SHOW tcp_keepalives_idle").scalar() == "10"
    finally:
        leadership.release()


def db_url(app: Flask) -> sa.URL:
    with app.app_context():
        return db.engine.url
