"""The api blueprints and their guards; create_app registers them after importing the views."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
blueprints: list[Blueprint] = [bp]
