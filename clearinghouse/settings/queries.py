"""Reading the district settings, and the district's time zone that timeutil asks the app for."""

import sqlalchemy as sa
from flask import g, has_request_context

from clearinghouse import page_cache
from clearinghouse.extensions import db
from clearinghouse.settings.models import SETTINGS_ID, DistrictSettings


def get_settings() -> DistrictSettings:
    """The district's settings (defaults until an admin saves them); one query per request, and
    none for an anonymous page whose data version another page already read them for."""
    if has_request_context() and "district_settings" in g:
        return g.district_settings
    settings = _shared_settings() if page_cache.reads_shared() else _read_settings()
    if has_request_context():
        g.district_settings = settings
    return settings


def _read_settings() -> DistrictSettings:
    return db.session.get(DistrictSettings, SETTINGS_ID) or DistrictSettings.with_defaults()


@page_cache.memoized_on_version
def _shared_settings() -> DistrictSettings:
    """The settings for the anonymous pages of a data version: a copy that no session holds, so no
    rollback expires it (a change of the settings changes the data version). Never change it."""
    settings = _read_settings()
    columns = sa.inspect(DistrictSettings).column_attrs
    return DistrictSettings(**{column.key: getattr(settings, column.key) for column in columns})


def district_zone_name() -> str:
    """The district's time zone name; `create_app` hands this to timeutil as its zone provider."""
    return get_settings().time_zone
