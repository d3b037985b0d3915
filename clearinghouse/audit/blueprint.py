"""The audit blueprints and their guards; create_app registers them after importing the views."""

from flask import Blueprint

from clearinghouse.i18n import LocalizedBlueprint
from clearinghouse.security import deny_unless

bp = LocalizedBlueprint("audit", __name__)  # public, in every language
staff_bp = Blueprint("audit_staff", __name__, url_prefix="/staff/audit")
deny_unless(staff_bp, "admin", "officer")
blueprints: list[Blueprint] = [bp, staff_bp]
