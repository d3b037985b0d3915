"""Accounts: sign-in, roles, passwords, login throttling and invitations.

`bp` (sign in, sign out, accept an invitation) is public; `admin_bp` manages users.
"""

from flask import Blueprint

from clearinghouse.accounts import models
from clearinghouse.extensions import db, login_manager
from clearinghouse.security import deny_unless

bp = Blueprint("accounts", __name__, cli_group=None)  # sign-in pages: public
admin_bp = Blueprint("accounts_admin", __name__, url_prefix="/staff/users")
deny_unless(admin_bp, "admin", "officer")
blueprints: list[Blueprint] = [bp, admin_bp]


@login_manager.user_loader
def load_user(session_id: str) -> "models.User | None":
    """Session ids are "<user id>:<session version>": a bumped version ends every older session."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(models.User, int(user_id))
    if user is None or user.session_version != int(version) or not user.is_active:
        return None
    return user


from clearinghouse.accounts import admin_views, cli, views  # noqa: E402,F401 - registers the routes and commands
