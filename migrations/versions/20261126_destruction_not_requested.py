"""agreements: the officer's decision that an agreement recorded after its end asks for no destruction request

An inventory import may record agreements that had already ended. The sweep opened a destruction
request for each of them the next night, sending directives about apps in daily use; now the
officer decides per agreement at the import, and the sweep leaves alone those marked here.

Revision ID: 2b7e9c4d1f08
Revises: 2b7e9c4a6d18
Create Date: 2026-11-26 02:30:00

"""

import sqlalchemy as sa
from alembic import op

from clearinghouse import data_version

# revision identifiers, used by Alembic.
revision = "2b7e9c4d1f08"
down_revision = "2b7e9c4a6d18"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("destruction_not_requested", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    data_version.watch(op, "agreement")  # made again, should SQLite's batch mode have copied the table


def downgrade():
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.drop_column("destruction_not_requested")
    data_version.watch(op, "agreement")  # SQLite's batch mode copies the table to drop a column
