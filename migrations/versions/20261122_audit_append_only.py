"""audit: make audit_event append-only in the database

PostgreSQL refuses every UPDATE and DELETE of an audit_event row (a row trigger; TRUNCATE, which
the test suite uses to empty tables and an operator may use on purpose, is not a row operation).
SQLite refuses UPDATE only: the test suite empties tables with DELETE, and SQLite cannot tell that
apart from any other delete. The application offers no route that edits or deletes audit events.
A later SQLite batch migration that rebuilds audit_event drops these triggers; create them again.

Revision ID: 3b8f2c6d1a90
Revises: e27307a4bd7e
Create Date: 2026-11-22 20:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "3b8f2c6d1a90"
down_revision = "e27307a4bd7e"
branch_labels = None
depends_on = None

MESSAGE = "audit_event is append-only: audit events cannot be changed or deleted"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
            END;
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_refuse_change()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
