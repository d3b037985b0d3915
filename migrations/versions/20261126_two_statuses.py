"""two statuses: a product's approval apart from where its data-privacy agreement stands

A product keeps its approval for use (`status`, which gains "approved_no_student_data"; statuses
are plain strings, so that needs no DDL) and now says, with a public note for each, what the
approval's conditions or refusal's reason are (`status_note`) and where its agreement stands when
no agreement is recorded (`agreement_status`: none on file, requested, declined by the vendor with
its reason in `agreement_note`, or not required). Existing products have no agreement on file
stated: their agreements, if any, speak for them.

An agreement may now be on file with its dates not recorded (`dates_recorded` false): existing
agreements all have theirs.

Revision ID: 3f7a2c9e5d11
Revises: 2b7e9c4d1f08
Create Date: 2026-11-26 01:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3f7a2c9e5d11"
down_revision = "2b7e9c4d1f08"
branch_labels = None
depends_on = None

STATED = ("none_on_file", "requested", "declined_by_vendor", "not_required")


def _new_columns() -> dict[str, tuple[sa.Column, ...]]:
    """Fresh Column objects each call (a Column belongs to one table once added)."""
    return {
        "product": (
            sa.Column("status_note", sa.Text(), nullable=False, server_default=""),
            sa.Column(
                "agreement_status",
                sa.Enum(*STATED, name="statedagreementstatus", native_enum=False, length=32),
                nullable=False,
                server_default="none_on_file",
            ),
            sa.Column("agreement_note", sa.Text(), nullable=False, server_default=""),
        ),
        "agreement": (sa.Column("dates_recorded", sa.Boolean(), nullable=False, server_default=sa.true()),),
    }


def upgrade():
    # Plain ADD COLUMN on both databases, not a batch rebuild, so the search triggers on product stay.
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, columns in _new_columns().items():
        for column in columns:
            op.add_column(table, column)
            if postgresql:  # the models give their defaults themselves
                op.alter_column(table, column.name, server_default=None)
    op.create_index("ix_product_agreement_status", "product", ["agreement_status"], unique=False)


def downgrade():
    bind = op.get_bind()
    undated = bind.scalar(sa.text("SELECT count(*) FROM agreement WHERE NOT dates_recorded"))
    no_data = bind.scalar(sa.text("SELECT count(*) FROM product WHERE status = 'approved_no_student_data'"))
    if undated or no_data:
        raise RuntimeError(
            f"{undated} agreements are on file without their dates and {no_data} products are approved as "
            "collecting no student data; the previous version cannot hold them. Record those dates and "
            "choose another status first, or restore the backup taken before the upgrade."
        )
    # A plain DROP COLUMN (SQLite 3.35+), as the upgrade.
    op.drop_index("ix_product_agreement_status", table_name="product")
    for table, columns in reversed(_new_columns().items()):
        for column in reversed(columns):
            op.drop_column(table, column.name)
