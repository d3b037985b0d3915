"""Public aggregate reports with accessible charts. Public."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")
blueprints: list[Blueprint] = [bp]

from clearinghouse.reports import views  # noqa: E402,F401 - registers the routes
