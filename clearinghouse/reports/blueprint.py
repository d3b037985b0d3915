"""The reports blueprints and their guards; create_app registers them after importing the views."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")
blueprints: list[Blueprint] = [bp]
