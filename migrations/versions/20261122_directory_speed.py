"""directory speed: an index of the retired products' ids, and no parallel workers for search (PostgreSQL)

The directory counts listed products as "the ids a filter gives, less the unlisted ones"
(`clearinghouse.directory.queries.unlisted_ids`). On PostgreSQL the retired products' ids then
come from a small partial index alone (an index-only scan) instead of one heap page per product.
SQLite's index on product (status) already holds the rowid, so it needs nothing.

A search reads a few hundred rows of product_search; PostgreSQL would start a parallel worker
for them, which costs more than it saves on a small server, so that table opts out.

The partial index is not in the models (SQLite does not get it); `search_index.include_object` skips
it when migrations are compared with the models.

Revision ID: 8e4b7c2d9f15
Revises: 5d3c9a1e7b42
Create Date: 2026-11-22 21:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '8e4b7c2d9f15'
down_revision = '5d3c9a1e7b42'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_product_retired_id ON product (id) WHERE status = 'retired'")
    op.execute("ALTER TABLE product_search SET (parallel_workers = 0)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE product_search RESET (parallel_workers)")
    op.execute("DROP INDEX IF EXISTS ix_product_retired_id")
