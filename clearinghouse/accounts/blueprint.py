"""The accounts blueprints and their guards; create_app registers them after importing the views."""

from flask import Blueprint

from clearinghouse.accounts import models
from clearinghouse.extensions import db, login_manager
from clearinghouse.i18n import LocalizedBlueprint
from clearinghouse.security import deny_unless

# Sign-in pages: public. Sign-in is in every language; the rest (localized=False) serves staff and vendors.
# They are about people, not public facts: never kept by the public answers' cache.
bp = LocalizedBlueprint("accounts", __name__, cli_group=None, cached=False)
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
