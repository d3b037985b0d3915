"""The schema comes from the migrations: head matches the models, and the last step goes down and up."""

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from clearinghouse.directory.search_index import include_object
from clearinghouse.extensions import db
from tests.conftest import in_app


def test_migrations_head_matches_the_models(app):
    with in_app(app), db.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object}), db.metadata
        )
    assert diff == []


def test_last_migration_goes_down_and_up_again(app):
    with in_app(app):
        flask_migrate.downgrade(revision="-1")
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            head = MigrationContext.configure(conn).get_current_heads()
    assert len(head) == 1
