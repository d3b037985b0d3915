"""Open data: a read-only JSON API with its OpenAPI description, and CSV downloads. Public.

The /healthz blueprint rides along here so that it is registered without touching create_app.
"""

from flask import Blueprint

from clearinghouse.health import health_bp

bp = Blueprint("api", __name__, url_prefix="/api/v1")
blueprints: list[Blueprint] = [bp, health_bp]

from clearinghouse.api import views  # noqa: E402,F401 - registers the routes
