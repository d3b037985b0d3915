"""Reading the district settings, and the district's time zone that timeutil asks the app for."""

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


def district_zone_name() -> str:
    """The district's time zone name; `create_app` hands this to timeutil as its zone provider."""
    return get_settings().time_zone
