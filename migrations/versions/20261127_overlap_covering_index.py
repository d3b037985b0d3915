"""overlap covering index: the first products of each kind read from the index alone (PostgreSQL)

The reports' overlap lists the first OVERLAP_LISTED products in use of each kind by name
(`reports.queries._overlap_statement`): a walk of `ix_product_kind_name` per kind that read each
product's row for its slug, vendor and status (776 buffers of the statement's 6,339 on the bench's
25,000 products). PostgreSQL now carries those columns in the index (INCLUDE), so the walk reads the
index alone (index-only scan; 5,607 buffers in all) and the statement runs about 1.1 ms faster
(9.1 → 8.0 and 6.1 → 4.9 ms at load 4: docs/performance-log.md). SQLite has no INCLUDE: its index keeps
its three keys (`postgresql_include` is PostgreSQL's alone); the model declares the same.

Revision ID: 3c8e1f5a7d20
Revises: 7b3e5f1a9c24
Create Date: 2026-11-27 03:10:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "3c8e1f5a7d20"
down_revision = "7b3e5f1a9c24"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_product_kind_name", table_name="product")
    op.create_index(
        "ix_product_kind_name", "product", ["kind_id", "name", "id"], postgresql_include=["slug", "vendor_id", "status"]
    )


def downgrade():
    op.drop_index("ix_product_kind_name", table_name="product")
    op.create_index("ix_product_kind_name", "product", ["kind_id", "name", "id"])
