"""The portal blueprints and their guards; create_app registers them after importing the views."""

from flask import Blueprint

from clearinghouse.security import deny_unless

bp = Blueprint("portal", __name__, url_prefix="/vendor")
deny_unless(bp, "vendor")
blueprints: list[Blueprint] = [bp]
