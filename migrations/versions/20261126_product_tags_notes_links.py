"""directory: what a file knows beyond the fields: product tags, staff notes, evidence links, category text

Tags (public chips, one name per `name_key`) and evidence links (public when staff say so) feed
public answers, so they bump the data version; notes are for staff only. `product.category_text`
keeps a file's category that matches no kind, for staff, until an officer chooses the kind.

Revision ID: 7b3e9c2a5d14
Revises: 5e8a1d3c7b92
Create Date: 2026-11-26 03:15:00

"""

import sqlalchemy as sa
from alembic import op

from clearinghouse import data_version

# revision identifiers, used by Alembic.
revision = "7b3e9c2a5d14"
down_revision = "5e8a1d3c7b92"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=400), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag")),
        sa.UniqueConstraint("slug", name=op.f("uq_tag_slug")),
    )
    op.create_index("uq_tag_name_key", "tag", ["name_key"], unique=True)
    op.create_table(
        "product_tag",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_product_tag_product_id_product"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["tag_id"], ["tag.id"], name=op.f("fk_product_tag_tag_id_tag"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("product_id", "tag_id", name=op.f("pk_product_tag")),
    )
    op.create_index(op.f("ix_product_tag_tag_id"), "product_tag", ["tag_id"], unique=False)
    op.create_table(
        "product_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_product_note_product_id_product"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_note")),
    )
    op.create_index(op.f("ix_product_note_product_id"), "product_note", ["product_id"], unique=False)
    op.create_table(
        "evidence_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("is_public", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_evidence_link_product_id_product"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_link")),
    )
    op.create_index(op.f("ix_evidence_link_product_id"), "evidence_link", ["product_id"], unique=False)
    # Plain ADD COLUMN on both databases, not a batch rebuild, so the triggers on product stay.
    op.add_column("product", sa.Column("category_text", sa.String(length=200), server_default="", nullable=False))
    for table in ("tag", "product_tag", "evidence_link"):
        data_version.watch(op, table)


def downgrade():
    for table in ("tag", "product_tag", "evidence_link"):
        data_version.unwatch(op, table)
    op.drop_column("product", "category_text")  # a plain DROP COLUMN (SQLite 3.35+), as the upgrade
    op.drop_index(op.f("ix_evidence_link_product_id"), table_name="evidence_link")
    op.drop_table("evidence_link")
    op.drop_index(op.f("ix_product_note_product_id"), table_name="product_note")
    op.drop_table("product_note")
    op.drop_index(op.f("ix_product_tag_tag_id"), table_name="product_tag")
    op.drop_table("product_tag")
    op.drop_index("uq_tag_name_key", table_name="tag")
    op.drop_table("tag")
