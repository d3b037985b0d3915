"""data version: a counter bumped by triggers with every write of a table that reaches public answers

The public answers' cache keys each answer on this number (clearinghouse/data_version.py), so a
change made by any path (a service, the importer, the sweep, a later migration, raw SQL) reaches
the next public answer at once. The tables are those with a public column in
clearinghouse/visibility.py when this migration was written; a later table that feeds public
answers calls `data_version.watch` in its own migration.

Revision ID: 4d2b9e7a1c63
Revises: 6c1d8e5a2b47
Create Date: 2026-11-26 01:30:00

"""

from alembic import op

from clearinghouse import data_version

# revision identifiers, used by Alembic.
revision = "4d2b9e7a1c63"
down_revision = "6c1d8e5a2b47"
branch_labels = None
depends_on = None

PUBLIC_TABLES = (
    "vendor",
    "product",
    "data_category",
    "data_element",
    "data_use",
    "school",
    "product_school",
    "agreement",
    "agreement_product",
    "destruction_request",
    "stored_file",
    "disclosure_revision",
    "district_settings",
)


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in data_version.create_statements(dialect, data_version.new_epoch()):
        op.execute(statement)
    for table in PUBLIC_TABLES:
        data_version.watch(op, table)


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in PUBLIC_TABLES:
        data_version.unwatch(op, table)
    for statement in data_version.drop_statements(dialect):
        op.execute(statement)
