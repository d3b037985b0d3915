"""directory ranking: a covering index of the columns that pick and sort a page of products

The directory and the data element pages pick a page's products on their id, status, vendor and
name before they load the 25 rows they show (`clearinghouse.directory.queries`). This index
holds those columns, so both databases read them without reading product rows: PostgreSQL would
otherwise read the whole product table (about 8 MB at 25,000 products) to rank ~1,400 search hits.
PostgreSQL keys it on id and carries the rest (INCLUDE); SQLite, which has no INCLUDE, keys it on all four.

The index differs between the databases, so it is not in the models; `search_index.include_object`
skips it when migrations are compared with the models.

Revision ID: 2f6a9d41c8b3
Revises: 8e4b7c2d9f15
Create Date: 2026-11-22 19:50:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "2f6a9d41c8b3"
down_revision = "8e4b7c2d9f15"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_product_listing ON product (id) INCLUDE (status, vendor_id, name)")
    else:
        op.execute("CREATE INDEX ix_product_listing ON product (id, status, vendor_id, name)")


def downgrade():
    op.execute("DROP INDEX IF EXISTS ix_product_listing")
