"""Audit log (staff) and public change history (disclosure revisions, Atom feed).

`bp` is public; `staff_bp` (the audit log) needs a staff login.
"""

from flask import Blueprint

from clearinghouse.audit import models  # noqa: F401 - registers the tables
from clearinghouse.security import deny_unless

bp = Blueprint("audit", __name__)
staff_bp = Blueprint("audit_staff", __name__, url_prefix="/staff/audit")
deny_unless(staff_bp, "admin", "officer")
blueprints: list[Blueprint] = [bp, staff_bp]

from clearinghouse.audit import views  # noqa: E402,F401 - registers the routes
