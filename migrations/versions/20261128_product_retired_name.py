"""retired products by name: the pages of `status=retired` read them in name order (PostgreSQL)

The directory's and the API's pages of the retired products (a product retired, or its vendor: 1,510 on the
bench catalogue) walked every product's name, asking each whether it is among the unlisted ids (the API:
25,000 index entries for page 1), or sorted every match read row by row (the directory: 6,138 buffers). This
partial index holds the retired products' names and ids, so a page reads them in name order from it, merged
with the few products of retired vendors that are not retired themselves (`directory.queries.unlisted_by_name`).

The index is not in the models (SQLite, with its few rows a test makes, does not get it);
`search_index.include_object` skips it when migrations are compared with the models.

Revision ID: 1102edbe85a9
Revises: b7d334992287
Create Date: 2026-11-28 08:40:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "1102edbe85a9"
down_revision = "b7d334992287"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # An earlier migration of the same upgrade may have written product rows, whose deferred triggers (the
    # data version's) wait for the commit: PostgreSQL refuses to index the table until they have run.
    op.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # The predicate is written as the queries write it (`status = 'retired'`), so that the planner uses it.
    op.execute("CREATE INDEX ix_product_retired_name ON product (name, id) WHERE status = 'retired'")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_product_retired_name")
