"""Public directory pages. Public: no login is needed for any route here."""

from flask import render_template

from clearinghouse.directory import bp


@bp.get("/")
def home():
    return render_template("directory/home.html")
