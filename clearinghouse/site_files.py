"""Files that browsers ask for at the site's root whatever the page says: /favicon.ico. Public."""

from flask import Blueprint, Response, current_app, send_from_directory

site_files_bp = Blueprint("site_files", __name__)

# A day: the icon's address carries no version, so a new icon reaches every browser within a day,
# and a browser asks for it at most once a day meanwhile (and then gets a 304 while it is the same).
ICON_MAX_AGE = 86_400


@site_files_bp.get("/favicon.ico")
def favicon() -> Response:
    """The site's icon, the one the layout links to in static/, where browsers look for it first."""
    return send_from_directory(
        str(current_app.static_folder), "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=ICON_MAX_AGE
    )
