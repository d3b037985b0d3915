"""intake: tool requests, their requesters and schools; vendors' data declarations and their versions

A requester asks for a tool (tool_request, with tool_requester and tool_request_school); a
partial unique index keeps one open request per tool name, so a second request joins the first.
A vendor declares a product's data practices (declaration, one per product) in versions
(declaration_version, with declared_element and subprocessor). New tables only: the downgrade
drops them.

Revision ID: 9d0ba2e8c643
Revises: 9a4c2e8d5b17
Create Date: 2026-11-26 01:17:00.375989

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "9d0ba2e8c643"
down_revision = "9a4c2e8d5b17"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "declaration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "state",
            sa.Enum("invited", "submitted", "accepted", name="declarationstate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["user_account.id"], name=op.f("fk_declaration_contact_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["user_account.id"], name=op.f("fk_declaration_invited_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_declaration_product_id_product")),
        sa.ForeignKeyConstraint(["vendor_id"], ["vendor.id"], name=op.f("fk_declaration_vendor_id_vendor")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declaration")),
        sa.UniqueConstraint("product_id", name=op.f("uq_declaration_product_id")),
    )
    with op.batch_alter_table("declaration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_declaration_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_declaration_vendor_id"), ["vendor_id"], unique=False)

    op.create_table(
        "tool_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("website", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("grades", sa.String(length=100), nullable=False),
        sa.Column("student_count", sa.Integer(), nullable=True),
        sa.Column(
            "cost_kind",
            sa.Enum("free", "paid", "unknown", name="costkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("cost", sa.String(length=200), nullable=False),
        sa.Column("data_needed", sa.Text(), nullable=False),
        sa.Column("needed_by", sa.Date(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "new",
                "waiting_for_vendor",
                "ready_to_decide",
                "decided",
                "withdrawn",
                name="requeststate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("state_reason", sa.Text(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column(
            "decision",
            sa.Enum(
                "approved",
                "approved_with_conditions",
                "not_approved",
                "approved_no_student_data",
                name="decision",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("name_key", sa.String(length=400), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user_account.id"], name=op.f("fk_tool_request_decided_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["user_account.id"], name=op.f("fk_tool_request_opened_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_tool_request_product_id_product")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tool_request")),
    )
    with op.batch_alter_table("tool_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tool_request_product_id"), ["product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tool_request_state"), ["state"], unique=False)
        batch_op.create_index(
            "uq_tool_request_open_name_key",
            ["name_key"],
            unique=True,
            sqlite_where=sa.text("state IN ('new', 'waiting_for_vendor', 'ready_to_decide')"),
            postgresql_where=sa.text("state IN ('new', 'waiting_for_vendor', 'ready_to_decide')"),
        )

    op.create_table(
        "declaration_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "submitted", "accepted", "superseded", name="versionstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("no_student_data", sa.Boolean(), nullable=False),
        sa.Column("storage_location", sa.String(length=300), nullable=False),
        sa.Column("retention", sa.Text(), nullable=False),
        sa.Column("disposal_method", sa.String(length=300), nullable=False),
        sa.Column("disposal_window_days", sa.Integer(), nullable=True),
        sa.Column("breach_notice_hours", sa.Integer(), nullable=True),
        sa.Column("sells_data", sa.Boolean(), nullable=True),
        sa.Column("targeted_ads", sa.Boolean(), nullable=True),
        sa.Column("cross_site_tracking", sa.Boolean(), nullable=True),
        sa.Column(
            "terms",
            sa.Enum("ndpa", "state_template", "own_terms", name="terms", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declaration.id"],
            name=op.f("fk_declaration_version_declaration_id_declaration"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["user_account.id"], name=op.f("fk_declaration_version_reviewed_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["user_account.id"], name=op.f("fk_declaration_version_submitted_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declaration_version")),
        sa.UniqueConstraint("declaration_id", "number", name=op.f("uq_declaration_version_declaration_id_number")),
    )
    with op.batch_alter_table("declaration_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_declaration_version_declaration_id"), ["declaration_id"], unique=False)

    op.create_table(
        "tool_request_school",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["tool_request.id"],
            name=op.f("fk_tool_request_school_request_id_tool_request"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_tool_request_school_school_id_school")),
        sa.PrimaryKeyConstraint("request_id", "school_id", name=op.f("pk_tool_request_school")),
    )
    with op.batch_alter_table("tool_request_school", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tool_request_school_school_id"), ["school_id"], unique=False)

    op.create_table(
        "tool_requester",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_opener", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["tool_request.id"],
            name=op.f("fk_tool_requester_request_id_tool_request"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_tool_requester_user_id_user_account")),
        sa.PrimaryKeyConstraint("request_id", "user_id", name=op.f("pk_tool_requester")),
    )
    with op.batch_alter_table("tool_requester", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tool_requester_user_id"), ["user_id"], unique=False)

    op.create_table(
        "declared_element",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("data_element_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_element_id"], ["data_element.id"], name=op.f("fk_declared_element_data_element_id_data_element")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["declaration_version.id"],
            name=op.f("fk_declared_element_version_id_declaration_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declared_element")),
        sa.UniqueConstraint(
            "version_id", "data_element_id", name=op.f("uq_declared_element_version_id_data_element_id")
        ),
    )
    with op.batch_alter_table("declared_element", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_declared_element_version_id"), ["version_id"], unique=False)

    op.create_table(
        "subprocessor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("service", sa.String(length=300), nullable=False),
        sa.Column("receives_student_data", sa.Boolean(), nullable=False),
        sa.Column("data_location", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["declaration_version.id"],
            name=op.f("fk_subprocessor_version_id_declaration_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subprocessor")),
    )
    with op.batch_alter_table("subprocessor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subprocessor_version_id"), ["version_id"], unique=False)


def downgrade():
    with op.batch_alter_table("subprocessor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subprocessor_version_id"))

    op.drop_table("subprocessor")
    with op.batch_alter_table("declared_element", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declared_element_version_id"))

    op.drop_table("declared_element")
    with op.batch_alter_table("tool_requester", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tool_requester_user_id"))

    op.drop_table("tool_requester")
    with op.batch_alter_table("tool_request_school", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tool_request_school_school_id"))

    op.drop_table("tool_request_school")
    with op.batch_alter_table("declaration_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declaration_version_declaration_id"))

    op.drop_table("declaration_version")
    with op.batch_alter_table("tool_request", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_tool_request_open_name_key",
            sqlite_where=sa.text("state IN ('new', 'waiting_for_vendor', 'ready_to_decide')"),
            postgresql_where=sa.text("state IN ('new', 'waiting_for_vendor', 'ready_to_decide')"),
        )
        batch_op.drop_index(batch_op.f("ix_tool_request_state"))
        batch_op.drop_index(batch_op.f("ix_tool_request_product_id"))

    op.drop_table("tool_request")
    with op.batch_alter_table("declaration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declaration_vendor_id"))
        batch_op.drop_index(batch_op.f("ix_declaration_state"))

    op.drop_table("declaration")
