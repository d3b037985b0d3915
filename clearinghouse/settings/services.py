"""Reading and changing district settings."""

from typing import TYPE_CHECKING, Any
from zoneinfo import available_timezones

from flask import g, has_request_context
from sqlalchemy import update

from clearinghouse.errors import DomainError
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.settings.models import EDITABLE_FIELDS, SETTINGS_ID, DistrictSettings

if TYPE_CHECKING:
    from clearinghouse.accounts.models import User

# The columns, and the privacy notice in other languages ({language: {"privacy_notice_md": text}}, merged).
EDITABLE = frozenset(EDITABLE_FIELDS) | {"translations"}
STALE = (
    "Someone else saved the settings while you were editing. Your changes were not saved: "
    "reload the page to see the current settings, then make your changes again."
)


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


def update_settings(values: dict[str, Any], *, version: int, actor: "User") -> DistrictSettings:
    """Save the district settings drawn at `version`; the first save creates the row.

    Refuses a stale form (someone saved since) and an unknown time zone with DomainError; audited
    with each changed field before and after.
    """
    # Imported here: this module is read by the audit pages themselves, and by timeutil at any moment.
    from clearinghouse.audit import services as audit

    unknown = set(values) - EDITABLE
    if unknown:
        raise ValueError(f"Not district settings: {', '.join(sorted(unknown))}")
    if "time_zone" in values and values["time_zone"] not in available_timezones():
        raise DomainError("Choose a time zone from the list.", field="time_zone")
    current = get_settings()
    if current.version != version:
        raise DomainError(STALE)
    with unit_of_work():
        settings = ensure_settings()
        # Claim the version atomically: of two saves drawn from the same version, one wins.
        claimed = db.session.execute(
            update(DistrictSettings)
            .where(DistrictSettings.id == SETTINGS_ID, DistrictSettings.version == version)
            .values(version=version + 1)
            .execution_options(synchronize_session="fetch")
        ).rowcount
        if claimed != 1:
            raise DomainError(STALE)
        for name, value in values.items():
            if name == "translations":
                settings.set_translations(value)
            else:
                setattr(settings, name, value)
        changes = audit.pending_changes(settings)
        audit.record(actor, "settings.updated", settings, changes, label="District settings")
    if has_request_context():
        g.pop("district_settings", None)
    return settings
