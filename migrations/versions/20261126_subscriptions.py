"""subscriptions: families follow changes by e-mail; throttled public forms; a digest's headers

New tables: `subscriber` (an e-mail address, its language and the digest's progress) and
`subscription` (what it follows: the district, a product or a school), both with ids that are
never reused on SQLite (AUTOINCREMENT); `throttle_hit`, the counted requests of throttled public
forms under hashed keys. New columns: `district_settings.digest_business_days` (5: the business
days a change may wait before the digest reports it) and `notice.headers` (extra message headers,
such as List-Unsubscribe). The downgrade drops them, and every subscriber with them.

Revision ID: 64f739c44a63
Revises: 5e8b2c71d9a4
Create Date: 2026-11-26 01:22:12

"""

import sqlalchemy as sa
from alembic import op

import clearinghouse.timeutil

# revision identifiers, used by Alembic.
revision = "64f739c44a63"
down_revision = "5e8b2c71d9a4"
branch_labels = None
depends_on = None

UTC_DATETIME = clearinghouse.timeutil.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        "subscriber",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("confirmed_at", UTC_DATETIME, nullable=True),
        sa.Column("reported_through", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriber")),
        sa.UniqueConstraint("email", name=op.f("uq_subscriber_email")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "throttle_hit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("attempted_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_throttle_hit")),
    )
    with op.batch_alter_table("throttle_hit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_throttle_hit_attempted_at"), ["attempted_at"], unique=False)
        batch_op.create_index("ix_throttle_hit_key_at", ["key", "attempted_at"], unique=False)
    op.create_table(
        "subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column(
            "scope",
            sa.Enum("district", "product", "school", name="scope", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("target_key", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("confirmed_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_subscription_product_id_product"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_subscription_school_id_school"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscriber.id"],
            name=op.f("fk_subscription_subscriber_id_subscriber"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription")),
        sa.UniqueConstraint("subscriber_id", "target_key", name=op.f("uq_subscription_subscriber_id_target_key")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subscription_product_id"), ["product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_subscription_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_subscription_subscriber_id"), ["subscriber_id"], unique=False)
    with op.batch_alter_table("district_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_business_days", sa.Integer(), server_default="5", nullable=False))
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("headers", sa.JSON(), server_default=sa.text("'{}'"), nullable=False))


def downgrade():
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_column("headers")
    with op.batch_alter_table("district_settings", schema=None) as batch_op:
        batch_op.drop_column("digest_business_days")
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_subscriber_id"))
        batch_op.drop_index(batch_op.f("ix_subscription_school_id"))
        batch_op.drop_index(batch_op.f("ix_subscription_product_id"))
    op.drop_table("subscription")
    with op.batch_alter_table("throttle_hit", schema=None) as batch_op:
        batch_op.drop_index("ix_throttle_hit_key_at")
        batch_op.drop_index(batch_op.f("ix_throttle_hit_attempted_at"))
    op.drop_table("throttle_hit")
    op.drop_table("subscriber")
