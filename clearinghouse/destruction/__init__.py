"""Destruction requests, disposal certificates, review, and the daily sweep."""

from flask import Blueprint

from clearinghouse.destruction import models  # noqa: F401 - registers the tables

bp = Blueprint("destruction", __name__, url_prefix="/staff/requests")
blueprints: list[Blueprint] = [bp]
