"""The e-mail outbox: queued notices, SMTP delivery and retries."""

from flask import Blueprint

from clearinghouse.notices import models  # noqa: F401 - registers the tables
from clearinghouse.security import deny_unless

bp = Blueprint("notices", __name__, url_prefix="/staff/outbox")
deny_unless(bp, "admin", "officer")
blueprints: list[Blueprint] = [bp]

from clearinghouse.notices import views  # noqa: E402,F401 - registers the routes
