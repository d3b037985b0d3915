"""tool requests: an accent-folded lookup key, so "elan" finds an open request for "Élan Math"

The "already known" lookup folds accents for products (the directory's search index) but compared
open requests by their `name_key`, which keeps them. `tool_request.lookup_key` is the name as
`search.lookup_key` folds it (the same fold as the index); existing requests are refilled here.

Revision ID: 3f8a2c6d1b95
Revises: e4ed6bb32a39
Create Date: 2026-11-26 06:00:00

"""

import sqlalchemy as sa
from alembic import op

from clearinghouse.directory.search import lookup_key

# revision identifiers, used by Alembic.
revision = "3f8a2c6d1b95"
down_revision = "e4ed6bb32a39"
branch_labels = None
depends_on = None

tool_request = sa.table(
    "tool_request", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("lookup_key", sa.String)
)


def upgrade():
    op.add_column("tool_request", sa.Column("lookup_key", sa.String(400), nullable=False, server_default=""))
    conn = op.get_bind()
    rows = conn.execute(sa.select(tool_request.c.id, tool_request.c.name)).all()
    updates = [{"row_id": row_id, "key": lookup_key(name)} for row_id, name in rows]
    if updates:
        conn.execute(
            tool_request.update()
            .where(tool_request.c.id == sa.bindparam("row_id"))
            .values(lookup_key=sa.bindparam("key")),
            updates,
        )


def downgrade():
    op.drop_column("tool_request", "lookup_key")
