"""The imports blueprints and their guards; create_app registers them after importing the views."""

from flask import Blueprint

from clearinghouse import page_cache
from clearinghouse.security import deny_unless

bp = Blueprint("imports", __name__, url_prefix="/staff/import", cli_group=None)
deny_unless(bp, "admin", "officer")
public_bp = Blueprint("imports_public", __name__)  # the directory as CSV
page_cache.serve_public(public_bp)
blueprints: list[Blueprint] = [bp, public_bp]
