"""Audit log (staff) and public change history (disclosure revisions, Atom feed)."""

from flask import Blueprint

from clearinghouse.audit import models  # noqa: F401 - registers the tables

bp = Blueprint("audit", __name__)
blueprints: list[Blueprint] = [bp]
