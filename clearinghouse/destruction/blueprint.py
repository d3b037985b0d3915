"""The destruction blueprints and their guards; create_app registers them after importing the views."""

from flask import Blueprint

from clearinghouse.security import deny_unless

bp = Blueprint("destruction", __name__, url_prefix="/staff/requests", cli_group=None)
deny_unless(bp, "admin", "officer")
blueprints: list[Blueprint] = [bp]
