"""data version: bump once per transaction on PostgreSQL, not once per statement

A bulk load runs many statements in one transaction (bench/directory.py inserts 150,000 data
uses one by one); each bump of the one counter row added a version of it that the next bump
walked past, so the load slowed with every statement. The trigger function now remembers the
bump in a transaction-local setting (clearinghouse/data_version.py, `function_statement`).
SQLite's row triggers update the row in place and stay as they are.

Revision ID: 9a4c2e8d5b17
Revises: 8d2f6a1c4e90
Create Date: 2026-11-26 02:00:00

"""

from alembic import op

from clearinghouse import data_version

# revision identifiers, used by Alembic.
revision = "9a4c2e8d5b17"
down_revision = "8d2f6a1c4e90"
branch_labels = None
depends_on = None

PER_STATEMENT = (
    f"CREATE OR REPLACE FUNCTION {data_version.FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "  # noqa: S608
    f"UPDATE {data_version.TABLE} SET value = value + 1 WHERE id = {data_version.ROW_ID}; RETURN NULL; END $$"
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(data_version.function_statement())


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PER_STATEMENT)
