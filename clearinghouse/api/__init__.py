"""Open data: a read-only JSON API with its OpenAPI description, and CSV downloads. Public."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
blueprints: list[Blueprint] = [bp]

from clearinghouse.api import views  # noqa: E402,F401 - registers the routes
