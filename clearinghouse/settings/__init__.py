"""District settings, edited by admins."""

from flask import Blueprint

from clearinghouse.settings import models  # noqa: F401 - registers the tables

bp = Blueprint("settings", __name__, url_prefix="/staff/settings")
blueprints: list[Blueprint] = [bp]
