"""/healthz: 200 when the database and the file storage answer, 503 naming the part that does not."""

import pytest
from sqlalchemy import create_engine

from clearinghouse.extensions import db
from clearinghouse.storage import LocalStorage


def test_healthz_is_public_and_ok_when_everything_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "storage": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def broken_storage(app, tmp_path):
    """A storage root that cannot be a directory (a regular file stands in its way)."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    working = app.extensions["clearinghouse_storage"]
    app.extensions["clearinghouse_storage"] = LocalStorage(blocker / "files")
    yield
    app.extensions["clearinghouse_storage"] = working


def test_healthz_is_503_and_names_the_storage_when_files_cannot_be_written(client, broken_storage):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "failed", "checks": {"database": "ok", "storage": "failed"}}
    assert "not-a-directory" not in response.get_data(as_text=True)  # no paths or other internals


@pytest.fixture
def unreachable_database(app, tmp_path):
    """Point the app's engine at a database that cannot be opened (a directory that does not exist)."""
    with app.app_context():
        engines = db._app_engines[app]
        working = engines[None]
        engines[None] = create_engine(f"sqlite:///{tmp_path}/missing/dir/db.sqlite")
    yield
    with app.app_context():
        engines[None].dispose()
        engines[None] = working


def test_healthz_is_503_and_names_the_database_when_it_cannot_be_reached(client, unreachable_database):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "failed", "storage": "ok"}
    assert "sqlite" not in response.get_data(as_text=True)
