"""Data-privacy agreements: their dates, state, renewal and termination."""

from flask import Blueprint

from clearinghouse.agreements import models  # noqa: F401 - registers the tables

bp = Blueprint("agreements", __name__, url_prefix="/staff/agreements")
blueprints: list[Blueprint] = [bp]
