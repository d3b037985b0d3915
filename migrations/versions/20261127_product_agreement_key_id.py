"""products by agreement key, with their ids: the products of a few agreements read from the index alone

A directory page filtered by an agreement state and something else (`/directory?agreement=expiring&element=…`)
reads the ids of the products whose sole agreement is in that state (`agreements.status.record_agreement_in`:
`product.agreement_key IN (the agreements in that state)`). `ix_product_agreement_key` held the key alone, so
PostgreSQL read the whole of `ix_product_name_listing` (25,000 entries on the bench) and hashed it against the
606 expiring agreements rather than fetch each product's row for its id. Keyed on the agreement key and the
id, the index gives the ids of each agreement's products alone: that page's statement ran in 6.8–7.0 ms instead
of 9.1–9.4 (EXPLAIN ANALYZE minima, index created and dropped in turn, load average 3: docs/performance-log.md).
The same index on both databases; it replaces the one on the key alone, which served the same lookups.

Revision ID: 5e2a9c7d3b61
Revises: 9d4b2f7e1a38
Create Date: 2026-11-27 06:05:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "5e2a9c7d3b61"
down_revision = "9d4b2f7e1a38"
branch_labels = None
depends_on = None


def _create(*columns: str) -> None:
    op.drop_index("ix_product_agreement_key", table_name="product")
    if op.get_bind().dialect.name == "postgresql":
        # An earlier migration of the same upgrade may have written product rows, whose deferred triggers
        # (the data version's) wait for the commit: PostgreSQL refuses to index the table until they have run.
        op.execute("SET CONSTRAINTS ALL IMMEDIATE")
    op.create_index("ix_product_agreement_key", "product", list(columns))


def upgrade():
    _create("agreement_key", "id")


def downgrade():
    _create("agreement_key")
