"""listed products by name: a covering index of the columns that walk them in name order

A data element's page lists the listed products that receive it by name, a page at a time: the
database walks the products in name order and keeps those that receive the element, are not
retired and whose vendor is not retired. Walking `ix_product_name` read each product's row for its
status and vendor (3,100 rows for the most shared element's page 100). This index carries them, so
the walk reads the index alone; with the page's products picked without their uses' ids (found in
the unique index on product and element), that page's statement reads no table row until its 25
(15,271 buffers and 26–34 ms before, 12,157 and 11 ms after, on the bench catalogue at load
average 4–5). A school's page walks it too. PostgreSQL keys it on name and id and carries the rest (INCLUDE);
SQLite, which has no INCLUDE, keys it on all four.

The index differs between the databases, so it is not in the models; `search_index.include_object`
skips it when migrations are compared with the models.

Revision ID: 7c3f9b2e5a16
Revises: 5e1c7a9d2b84
Create Date: 2026-11-26 18:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "7c3f9b2e5a16"
down_revision = "5e1c7a9d2b84"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # An earlier migration of the same upgrade may have written product rows, whose deferred triggers
        # (the data version's) wait for the commit: PostgreSQL refuses to index the table until they have run.
        op.execute("SET CONSTRAINTS ALL IMMEDIATE")
        op.execute("CREATE INDEX ix_product_name_listing ON product (name, id) INCLUDE (status, vendor_id)")
    else:
        op.execute("CREATE INDEX ix_product_name_listing ON product (name, id, status, vendor_id)")


def downgrade():
    op.execute("DROP INDEX IF EXISTS ix_product_name_listing")
