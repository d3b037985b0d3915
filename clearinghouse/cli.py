"""Command-line commands that span domains (set-up and demo data)."""

from flask import Blueprint

bp = Blueprint("cli", __name__, cli_group=None)
blueprints: list[Blueprint] = [bp]
