"""The api blueprints and their guards; create_app registers them after importing the views."""

from flask import Blueprint

from clearinghouse.i18n import LocalizedBlueprint

# Public. The page that describes the API is in every language; the JSON routes opt out (localized=False).
bp = LocalizedBlueprint("api", __name__, url_prefix="/api/v1")
blueprints: list[Blueprint] = [bp]
