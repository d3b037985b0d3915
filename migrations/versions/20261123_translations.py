"""translations: staff-written public text in the site's other languages

One JSON column per table that holds public text staff write (JSONB on PostgreSQL, so rows that
carry it can still be grouped and compared): {"es": {"purpose_md": "…"}}. Any configured
language and any of the model's TRANSLATED_FIELDS fit without a schema change; the default
language stays in the existing columns. Read with the row, so pages run no extra query.

Plain ADD/DROP COLUMN (no batch rebuild), so SQLite keeps the search triggers on product and vendor.

Revision ID: 6a1f0c3e9b27
Revises: 7c1e5a9b3d24
Create Date: 2026-11-23 09:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "6a1f0c3e9b27"
down_revision = "7c1e5a9b3d24"
branch_labels = None
depends_on = None

TABLES = ("vendor", "product", "data_use", "data_element", "data_category", "district_settings")


def upgrade():
    for table in TABLES:
        op.add_column(
            table,
            sa.Column(
                "translations",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                server_default=sa.text("'{}'"),
                nullable=False,
            ),
        )


def downgrade():
    for table in reversed(TABLES):
        op.drop_column(table, "translations")
