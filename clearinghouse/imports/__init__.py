"""Importing (and exporting) a district's existing inventory spreadsheet."""

from flask import Blueprint

from clearinghouse.imports import models  # noqa: F401 - registers the tables
from clearinghouse.security import deny_unless

bp = Blueprint("imports", __name__, url_prefix="/staff/import")
deny_unless(bp, "admin", "officer")
blueprints: list[Blueprint] = [bp]

from clearinghouse.imports import views  # noqa: E402,F401 - registers the routes
