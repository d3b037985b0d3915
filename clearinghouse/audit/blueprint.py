"""The audit blueprints and their guards; create_app registers them after importing the views."""

from flask import Blueprint

from clearinghouse.security import deny_unless

bp = Blueprint("audit", __name__)
staff_bp = Blueprint("audit_staff", __name__, url_prefix="/staff/audit")
deny_unless(staff_bp, "admin", "officer")
blueprints: list[Blueprint] = [bp, staff_bp]
