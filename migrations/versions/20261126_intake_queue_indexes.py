"""intake queue: read each tab of the privacy office's queue in index order

The queue lists one state's requests, the longest waiting first, or the decided ones, the latest
first, 25 to a page. With only an index on the state, PostgreSQL joined every request of the state
to its product and vendor before sorting them (bench/intake.py: 3,000 open requests among 20,000
joined to 25,000 products). `(state, created_at, id)` gives the open tabs in their order (and
replaces the index on the state alone, which it starts with); `(updated_at, id)` gives the decided
tab, read backwards.

Revision ID: 6c1d8e3a9f47
Revises: 7b3e9c2a5d14
Create Date: 2026-11-26 05:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "6c1d8e3a9f47"
down_revision = "7b3e9c2a5d14"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_tool_request_state_created_at", "tool_request", ["state", "created_at", "id"])
    op.create_index("ix_tool_request_updated_at", "tool_request", ["updated_at", "id"])
    op.drop_index("ix_tool_request_state", table_name="tool_request")


def downgrade():
    op.create_index("ix_tool_request_state", "tool_request", ["state"])
    op.drop_index("ix_tool_request_updated_at", table_name="tool_request")
    op.drop_index("ix_tool_request_state_created_at", table_name="tool_request")
