"""The reports blueprints and their guards; create_app registers them after importing the views."""

from flask import Blueprint

from clearinghouse.i18n import LocalizedBlueprint

bp = LocalizedBlueprint("reports", __name__, url_prefix="/reports")  # public, in every language
blueprints: list[Blueprint] = [bp]
