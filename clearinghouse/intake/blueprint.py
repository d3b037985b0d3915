"""The intake blueprints and their guards: requesters' own pages (/tools) and the privacy office's
queue (/staff/tool-requests); create_app registers them after importing the views."""

from flask import Blueprint

from clearinghouse.security import deny_unless

bp = Blueprint("intake", __name__, url_prefix="/tools")
deny_unless(bp, "requester")
staff_bp = Blueprint("intake_staff", __name__, url_prefix="/staff/tool-requests")
deny_unless(staff_bp, "admin", "officer")
blueprints: list[Blueprint] = [bp, staff_bp]
