"""products by name and id: the API's deep pages walk a narrow index, not a sort of every product

The API's whole product list finds a page's names walking the products in (name, id) order and stopping
after the page (`api.queries._seek_page`). The index that held that order, `ix_product_name_listing`,
also carries the status, vendor, agreement key and stated status: each change of one of those (the triggers
write the agreement key as agreements are linked) adds an entry that the old one's removal leaves as a hole,
and on the bench catalogue its 25,000 entries fill 886 pages (248 rebuilt); PostgreSQL priced walking
half of it above reading `ix_product_listing` whole and sorting its 23,500 listed products by name, and
chose the sort for page 500 (37 ms at load 5, against 3 ms for the walk). `ix_product_name`, on the name
alone, becomes (name, id): 120 pages for the same entries, which the walk reads alone, and still what a
look-up by name reads; its keys do not change with those columns. No index is added. SQLite's index on the
name already holds the row's id (its rowid): there the index is the same but for its declared columns.

Revision ID: 6f1d3b8a2c47
Revises: 8b2d6f0c3e71
Create Date: 2026-11-27 09:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "6f1d3b8a2c47"
down_revision = "8b2d6f0c3e71"
branch_labels = None
depends_on = None


def _create(columns: list[str]) -> None:
    op.drop_index("ix_product_name", table_name="product")
    if op.get_bind().dialect.name == "postgresql":
        # An earlier migration of the same upgrade may have written product rows, whose deferred triggers
        # (the data version's) wait for the commit: PostgreSQL refuses to index the table until they have run.
        op.execute("SET CONSTRAINTS ALL IMMEDIATE")
    op.create_index("ix_product_name", "product", columns)


def upgrade():
    _create(["name", "id"])


def downgrade():
    _create(["name"])
