"""listed products: an index of the retired vendors' ids (PostgreSQL)

Every list of listed products keeps out those of retired vendors with an anti-join that probes
the vendor by key (`clearinghouse.directory.queries._vendor_not_retired`). A page far down a long
list (a data element's page 100, the directory's page 40) probes one vendor per product it walks:
thousands of heap pages of the vendor table. A small partial index of the retired vendors' ids
answers each probe from the index alone (16 ms instead of 39 ms for the most shared data element's
page 100 on the bench catalogue), as ix_product_retired_id does for the retired products.

The partial index is not in the models (SQLite does not get it); `search_index.include_object` skips
it when migrations are compared with the models.

Revision ID: 3a6d9e2c7f41
Revises: 2c8e4f6a9b13
Create Date: 2026-11-26 15:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '3a6d9e2c7f41'
down_revision = '2c8e4f6a9b13'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # An earlier migration of the same upgrade may have written vendor rows, whose deferred triggers (the
    # data version's) wait for the commit: PostgreSQL refuses to index the table until they have run.
    op.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # The predicate is written as the queries write it (`is_retired IS true`), so that the planner uses it.
    op.execute("CREATE INDEX ix_vendor_retired_id ON vendor (id) WHERE is_retired IS true")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_vendor_retired_id")
