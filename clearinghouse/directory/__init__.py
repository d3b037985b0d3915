"""Public directory: vendors, products, data elements and who receives them.

`bp` is public (no login on any route). `staff_bp` is where officers keep the directory true.
"""

from flask import Blueprint

from clearinghouse.directory import models  # noqa: F401 - registers the tables
from clearinghouse.security import deny_unless

bp = Blueprint("directory", __name__, cli_group=None)
staff_bp = Blueprint("directory_staff", __name__, url_prefix="/staff")
deny_unless(staff_bp, "admin", "officer")
blueprints: list[Blueprint] = [bp, staff_bp]

from clearinghouse.directory import staff_views, views  # noqa: E402,F401 - registers the routes
