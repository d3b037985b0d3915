"""The vendor portal: a vendor's own agreements, destruction requests and certificates."""

from flask import Blueprint

from clearinghouse.security import deny_unless

bp = Blueprint("portal", __name__, url_prefix="/vendor")
deny_unless(bp, "vendor")
blueprints: list[Blueprint] = [bp]

from clearinghouse.portal import views  # noqa: E402,F401 - registers the routes
