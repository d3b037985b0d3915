"""The directory blueprints and their guards; create_app registers them after importing the views."""

from flask import Blueprint

from clearinghouse.security import deny_unless

bp = Blueprint("directory", __name__, cli_group=None)
staff_bp = Blueprint("directory_staff", __name__, url_prefix="/staff")
deny_unless(staff_bp, "admin", "officer")
blueprints: list[Blueprint] = [bp, staff_bp]
