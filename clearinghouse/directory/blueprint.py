"""The directory blueprints and their guards; create_app registers them after importing the views."""

from flask import Blueprint

from clearinghouse.i18n import LocalizedBlueprint
from clearinghouse.security import deny_unless

bp = LocalizedBlueprint("directory", __name__, cli_group=None)  # public, in every language
staff_bp = Blueprint("directory_staff", __name__, url_prefix="/staff")
deny_unless(staff_bp, "admin", "officer")
blueprints: list[Blueprint] = [bp, staff_bp]
