"""district sign-in: the provider's identity on user accounts, a nullable password hash, requesters

Accounts created by the district's OpenID Connect provider are linked to it by the provider's
`iss` and `sub` (unique together, both or neither), and never have a password. "No password" is
now NULL instead of an empty string. The new role "requester" needs no DDL (roles are stored as
plain strings).

On SQLite the table is rebuilt (batch mode); migrations/env.py turns foreign keys off around the
migrations so that the rebuild neither refuses nor cascades through the rows that point at users.

Revision ID: 7c1e5a9b3d24
Revises: 7c1e4b9a2d63
Create Date: 2026-11-23 09:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7c1e5a9b3d24'
down_revision = '7c1e4b9a2d63'
branch_labels = None
depends_on = None

CHECKS = {
    "ck_user_account_oidc_identity_whole": "(oidc_issuer IS NULL) = (oidc_subject IS NULL)",
    "ck_user_account_oidc_account_has_no_password": "oidc_subject IS NULL OR password_hash IS NULL",
}


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oidc_issuer', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('oidc_subject', sa.String(length=255), nullable=True))
        batch_op.alter_column('password_hash', existing_type=sa.String(length=255), nullable=True)
        batch_op.create_unique_constraint(
            batch_op.f('uq_user_account_oidc_issuer_oidc_subject'), ['oidc_issuer', 'oidc_subject']
        )
        for name, condition in CHECKS.items():
            batch_op.create_check_constraint(batch_op.f(name), condition)
    op.execute("UPDATE user_account SET password_hash = NULL WHERE password_hash = ''")


def downgrade():
    provider_accounts = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM user_account WHERE oidc_subject IS NOT NULL OR role = 'requester'")
    )
    if provider_accounts:
        raise RuntimeError(
            f"{provider_accounts} accounts sign in with the district's identity provider; the previous version "
            "cannot hold them. Keep this version, or restore the backup taken before the upgrade."
        )
    op.execute("UPDATE user_account SET password_hash = '' WHERE password_hash IS NULL")
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        for name in CHECKS:
            batch_op.drop_constraint(batch_op.f(name), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_user_account_oidc_issuer_oidc_subject'), type_='unique')
        batch_op.alter_column('password_hash', existing_type=sa.String(length=255), nullable=False)
        batch_op.drop_column('oidc_subject')
        batch_op.drop_column('oidc_issuer')
