"""Migration 20261123_district_sign_in with rows in place: nothing pointing at users is lost on the way up
(SQLite rebuilds the table), "no password" becomes NULL and back, and a downgrade that would strand
provider accounts is refused."""

from datetime import UTC, datetime

import flask_migrate
import pytest
import sqlalchemy as sa

from clearinghouse.extensions import db
from tests.conftest import in_app

BEFORE = "7c1e4b9a2d63"
THIS = "7c1e5a9b3d24"
WHEN = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _insert_user(conn, email: str, password_hash: str) -> int:
    conn.execute(
        sa.text(
            "INSERT INTO user_account (email, name, title, password_hash, role, is_active_account, session_version,"
            " created_at, updated_at) VALUES (:email, 'N', '', :hash, 'vendor', :yes, 1, :at, :at)"
        ),
        {"email": email, "hash": password_hash, "yes": True, "at": WHEN},
    )
    return conn.execute(sa.text("SELECT id FROM user_account WHERE email = :email"), {"email": email}).scalar_one()


def _rows(conn, sql: str) -> list[tuple]:
    return [tuple(row) for row in conn.execute(sa.text(sql))]


def test_the_upgrade_keeps_what_points_at_users_and_turns_empty_hashes_into_null(app):
    with in_app(app):
        flask_migrate.downgrade(revision=BEFORE)
        try:
            with db.engine.begin() as conn:
                invited = _insert_user(conn, "invited@vendor.example", "")
                member = _insert_user(conn, "member@vendor.example", "scrypt:stored")
                conn.execute(
                    sa.text(
                        "INSERT INTO invitation (user_id, token_hash, invited_by_id, created_at, expires_at)"
                        " VALUES (:user, 'a-token-hash', :by, :at, :at)"
                    ),
                    {"user": invited, "by": member, "at": WHEN},
                )
                conn.execute(
                    sa.text(
                        "INSERT INTO audit_event (occurred_at, actor_id, actor_label, ip_address, action, record_type,"
                        " record_id, record_label, changes) VALUES (:at, :actor, 'm', '', 'user.invited',"
                        " 'user_account', :user, 'invited', '{}')"
                    ),
                    {"at": WHEN, "actor": member, "user": invited},
                )
        finally:
            flask_migrate.upgrade()
        with db.engine.connect() as conn:
            assert _rows(conn, "SELECT email, password_hash FROM user_account ORDER BY id") == [
                ("invited@vendor.example", None),
                ("member@vendor.example", "scrypt:stored"),
            ]
            assert _rows(conn, "SELECT user_id, invited_by_id FROM invitation") == [(invited, member)]
            assert _rows(conn, "SELECT actor_id, record_id FROM audit_event") == [(member, invited)]
        flask_migrate.downgrade(revision=BEFORE)  # with no connection of ours open: PostgreSQL would wait for it
        try:
            with db.engine.connect() as conn:
                assert _rows(conn, "SELECT password_hash FROM user_account ORDER BY id") == [("",), ("scrypt:stored",)]
                assert _rows(conn, "SELECT user_id FROM invitation") == [(invited,)]
        finally:
            flask_migrate.upgrade()


def test_the_downgrade_refuses_to_strand_accounts_of_the_provider(app, requester_id, capfd):
    with in_app(app):
        flask_migrate.downgrade(revision=THIS)  # the later migrations first, so that only this one is refused
        try:
            with pytest.raises(SystemExit):  # flask_migrate logs the migration's error and exits
                flask_migrate.downgrade(revision=BEFORE)
            assert "1 accounts sign in with the district's identity provider" in capfd.readouterr().err
            with db.engine.connect() as conn:
                assert _rows(conn, "SELECT version_num FROM alembic_version") == [(THIS,)]
                assert _rows(conn, "SELECT oidc_subject FROM user_account") == [("teacher-subject",)]
        finally:
            flask_migrate.upgrade()


def test_the_database_refuses_a_provider_account_with_a_password(app, requester_id):
    with in_app(app), pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE user_account SET password_hash = 'scrypt:x' WHERE id = :id"), {"id": requester_id})
