"""Data-privacy agreements: their dates, state, renewal and termination; the staff dashboard."""

from flask import Blueprint

from clearinghouse.agreements import models  # noqa: F401 - registers the tables
from clearinghouse.security import deny_unless

bp = Blueprint("agreements", __name__, url_prefix="/staff")
deny_unless(bp, "admin", "officer")
blueprints: list[Blueprint] = [bp]

from clearinghouse.agreements import views  # noqa: E402,F401 - registers the routes
