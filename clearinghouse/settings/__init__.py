"""District settings, edited by admins."""

from flask import Blueprint

from clearinghouse.security import deny_unless
from clearinghouse.settings import models  # noqa: F401 - registers the tables

bp = Blueprint("settings", __name__, url_prefix="/staff/settings")
deny_unless(bp, "admin")
blueprints: list[Blueprint] = [bp]

from clearinghouse.settings import views  # noqa: E402,F401 - registers the routes
