"""Importing (and exporting) a district's existing inventory spreadsheet."""

from flask import Blueprint

from clearinghouse.imports import models  # noqa: F401 - registers the tables

bp = Blueprint("imports", __name__, url_prefix="/staff/import")
blueprints: list[Blueprint] = [bp]
