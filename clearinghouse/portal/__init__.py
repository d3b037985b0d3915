"""The vendor portal: a vendor's own agreements, destruction requests and certificates."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/vendor")
blueprints: list[Blueprint] = [bp]
