"""imports: imports in progress (every step's choices) and the district's remembered value meanings

Revision ID: 8d2f6a1c4e90
Revises: 4d2b9e7a1c63
Create Date: 2026-11-26 01:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8d2f6a1c4e90"
down_revision = "4d2b9e7a1c63"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_value_choice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("value_key", sa.String(length=400), nullable=False),
        sa.Column("meaning", sa.String(length=1000), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_value_choice")),
        sa.UniqueConstraint("field", "value_key", name=op.f("uq_import_value_choice_field_value_key")),
    )
    op.create_table(
        "import_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_import_draft_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_draft")),
    )
    with op.batch_alter_table("import_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_draft_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("import_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_draft_user_id"))
    op.drop_table("import_draft")
    op.drop_table("import_value_choice")
