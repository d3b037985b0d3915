"""listed vendors by name, with their ids and products' counts: the directory by company walks it (PostgreSQL)

The directory sorted by company (`/directory?sort=vendor`) joined every listed product to its vendor and, past
its first pages, sorted all of them by the vendor's name, then the product's (no index holds both names): page
180 of the bench catalogue took 30 ms of PostgreSQL. A page is now found walking the listed vendors by name and
summing the products each lists (`directory.queries.seek_vendor_page`, from `vendor.product_count`, kept by the
triggers of migration 20261126_headline_counts); this partial index holds those vendors' names, ids and counts,
so the walk reads it alone (about 70 pages for 10,000 vendors). Without it PostgreSQL read the whole vendor table
and sorted it by name (10 ms), as walking `uq_vendor_name` probes the table for every vendor.

The index is not in the models (SQLite, with its few rows a test makes, does not get it);
`search_index.include_object` skips it when migrations are compared with the models.

Revision ID: 565d66ba5609
Revises: e77d6d7315a1
Create Date: 2026-11-28 02:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "565d66ba5609"
down_revision = "e77d6d7315a1"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # An earlier migration of the same upgrade may have written vendor rows, whose deferred triggers (the
    # data version's) wait for the commit: PostgreSQL refuses to index the table until they have run.
    op.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # The predicate is written as the queries write it (`is_retired IS false`), so that the planner uses it.
    op.execute(
        "CREATE INDEX ix_vendor_name_listed ON vendor (name) INCLUDE (id, product_count) WHERE is_retired IS false"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_vendor_name_listed")
