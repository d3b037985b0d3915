"""The notices blueprints and their guards; create_app registers them after importing the views."""

from flask import Blueprint

from clearinghouse.security import deny_unless

bp = Blueprint("notices", __name__, url_prefix="/staff/outbox")
deny_unless(bp, "admin", "officer")
blueprints: list[Blueprint] = [bp]
