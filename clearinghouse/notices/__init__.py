"""The e-mail outbox: queued notices, SMTP delivery and retries."""

from flask import Blueprint

from clearinghouse.notices import models  # noqa: F401 - registers the tables

bp = Blueprint("notices", __name__, url_prefix="/staff/outbox")
blueprints: list[Blueprint] = [bp]
