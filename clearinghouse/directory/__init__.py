"""Public directory: vendors, products, data elements and who receives them."""

from flask import Blueprint

from clearinghouse.directory import models  # noqa: F401 - registers the tables

bp = Blueprint("directory", __name__, cli_group=None)
blueprints: list[Blueprint] = [bp]

from clearinghouse.directory import views  # noqa: E402,F401 - registers the routes
