"""agreements: what the agreement says happens to the student data when it ends

`agreement.disposal_method`: "destroy" (destroyed or deleted) or "return" (returned to the
district, then deleted); NULL while the agreement does not say (every existing agreement).
Families read it on the product's page before the agreement ends. The agreement's triggers of
the data version are made again after each step (SQLite's batch mode may copy the table).

Revision ID: 5e8b2c71d9a4
Revises: 4f2a7d9c1e86
Create Date: 2026-11-26 02:00:00

"""

import sqlalchemy as sa
from alembic import op

from clearinghouse import data_version

# revision identifiers, used by Alembic.
revision = "5e8b2c71d9a4"
down_revision = "4f2a7d9c1e86"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agreement") as batch:
        batch.add_column(
            sa.Column(
                "disposal_method",
                sa.Enum("destroy", "return", name="datadisposal", native_enum=False, length=32),
                nullable=True,
            )
        )
    data_version.watch(op, "agreement")  # made again, should SQLite's batch mode have copied the table


def downgrade() -> None:
    with op.batch_alter_table("agreement") as batch:
        batch.drop_column("disposal_method")
    data_version.watch(op, "agreement")  # SQLite's batch mode copies the table to drop a column
