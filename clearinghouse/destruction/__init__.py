"""Destruction requests, disposal certificates, review, and the daily sweep."""

from flask import Blueprint

from clearinghouse.destruction import models  # noqa: F401 - registers the tables
from clearinghouse.security import deny_unless

bp = Blueprint("destruction", __name__, url_prefix="/staff/requests", cli_group=None)
deny_unless(bp, "admin", "officer")
blueprints: list[Blueprint] = [bp]

from clearinghouse.destruction import (  # noqa: E402,F401 - registers the routes
    cli,
    review_views,
    views,
)
