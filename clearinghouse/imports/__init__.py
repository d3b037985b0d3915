"""Importing (and exporting) a district's existing inventory spreadsheet.

`bp` is the officers' import (admin and officer only). `public_bp` is public: the directory as CSV.
"""

from flask import Blueprint

from clearinghouse.imports import models  # noqa: F401 - registers the tables
from clearinghouse.security import deny_unless

bp = Blueprint("imports", __name__, url_prefix="/staff/import", cli_group=None)
deny_unless(bp, "admin", "officer")
public_bp = Blueprint("imports_public", __name__)
blueprints: list[Blueprint] = [bp, public_bp]

from clearinghouse.imports import cli, views  # noqa: E402,F401 - registers the routes and commands
