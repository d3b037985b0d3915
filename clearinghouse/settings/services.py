"""Reading and changing district settings."""

from flask import g, has_request_context

from clearinghouse.extensions import db
from clearinghouse.settings.models import SETTINGS_ID, DistrictSettings


def get_settings() -> DistrictSettings:
    """The district's settings (defaults until an admin saves them); one query per request."""
    if has_request_context() and "district_settings" in g:
        return g.district_settings
    settings = db.session.get(DistrictSettings, SETTINGS_ID) or DistrictSettings.with_defaults()
    if has_request_context():
        g.district_settings = settings
    return settings


def ensure_settings() -> DistrictSettings:
    """Create the settings row when it is missing (set-up and demo data); returns it, flushed."""
    settings = db.session.get(DistrictSettings, SETTINGS_ID)
    if settings is None:
        settings = DistrictSettings.with_defaults()
        settings.id = SETTINGS_ID
        db.session.add(settings)
        db.session.flush()
    return settings
