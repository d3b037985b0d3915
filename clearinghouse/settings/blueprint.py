"""The settings blueprints and their guards; create_app registers them after importing the views."""

from flask import Blueprint

from clearinghouse.security import deny_unless

bp = Blueprint("settings", __name__, url_prefix="/staff/settings")
deny_unless(bp, "admin")
blueprints: list[Blueprint] = [bp]
