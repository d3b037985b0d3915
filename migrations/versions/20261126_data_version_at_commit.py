"""data version: bump at commit on PostgreSQL (deferred constraint triggers), so writers cannot deadlock

The triggers fired at each statement, so a writer held the counter row from its first public
write until it committed: one that then waited for a product row held by a second writer, itself
waiting for the counter, deadlocked. Deferred triggers take the counter only when committing
(clearinghouse/data_version.py). SQLite, with one writer at a time, keeps its triggers.

Revision ID: 5e8a1d3c7b92
Revises: 3f7a2c9e5d11
Create Date: 2026-11-26 03:00:00

"""

from alembic import op

from clearinghouse import data_version

# revision identifiers, used by Alembic.
revision = "5e8a1d3c7b92"
down_revision = "3f7a2c9e5d11"
branch_labels = None
depends_on = None


def _tables_with_the_trigger() -> list[str]:
    rows = op.get_bind().exec_driver_sql(
        "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "  # noqa: S608 - constants
        f"WHERE t.tgname = '{data_version.TRIGGER}' ORDER BY c.relname"
    )
    return [name for (name,) in rows]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _tables_with_the_trigger():
        data_version.watch(op, table)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _tables_with_the_trigger():
        data_version.unwatch(op, table)
        op.execute(
            f'CREATE TRIGGER {data_version.TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
            f"FOR EACH STATEMENT EXECUTE FUNCTION {data_version.FUNCTION}()"
        )
