"""The agreements blueprints and their guards; create_app registers them after importing the views."""

from flask import Blueprint

from clearinghouse.security import deny_unless

bp = Blueprint("agreements", __name__, url_prefix="/staff")
deny_unless(bp, "admin", "officer")
blueprints: list[Blueprint] = [bp]
