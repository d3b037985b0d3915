"""Changing the district settings (reading them: settings.queries).

`update_settings` is a core: it checks, writes, flushes and audits, and never commits; the caller
wraps it in `unit_of_work()`.
"""

from typing import TYPE_CHECKING, Any
from zoneinfo import available_timezones

from flask import g, has_request_context

from clearinghouse.agreements.disclosure import disclose_district_window_change
from clearinghouse.audit import services as audit
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db
from clearinghouse.locking import check_version, claim_version
from clearinghouse.settings.models import EDITABLE_FIELDS, MULTI_LINE_FIELDS, SETTINGS_ID, DistrictSettings
from clearinghouse.settings.queries import get_settings
from clearinghouse.text import clean_line, clean_text
from clearinghouse.timeutil import district_today

if TYPE_CHECKING:
    from clearinghouse.accounts.models import User

# The columns, and the privacy notice in other languages ({language: {"privacy_notice_md": text}}, merged).
EDITABLE = frozenset(EDITABLE_FIELDS) | {"translations"}


def ensure_settings() -> DistrictSettings:
    """Create the settings row when it is missing (set-up and demo data); returns it, flushed."""
    settings = db.session.get(DistrictSettings, SETTINGS_ID)
    if settings is None:
        settings = DistrictSettings.with_defaults()
        settings.id = SETTINGS_ID
        db.session.add(settings)
        db.session.flush()
    return settings


def _clean(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return clean_text(value, field=name) if name in MULTI_LINE_FIELDS else clean_line(value, field=name)


def update_settings(values: dict[str, Any], *, version: int | None, actor: "User | None") -> DistrictSettings:
    """Save the district settings drawn at `version`; the first save creates the row. A core: the
    caller commits it in `unit_of_work()`.

    Refuses a stale form (someone saved since) with StaleVersion, and an unknown time zone and a line
    break or control character in a one-line setting (they reach e-mail headers) with DomainError;
    audited with each changed field before and after. A new default disposal window is a public
    change of every agreement that sets none (agreements.disclosure).
    """
    unknown = set(values) - EDITABLE
    if unknown:
        raise ValueError(f"Not district settings: {', '.join(sorted(unknown))}")
    values = {name: _clean(name, value) for name, value in values.items()}
    if "time_zone" in values and values["time_zone"] not in available_timezones():
        raise DomainError("Choose a time zone from the list.", field="time_zone")
    current = get_settings()
    check_version(current, version)
    window_before = current.default_destruction_window_days
    settings = ensure_settings()
    claim_version(settings, version)
    for name, value in values.items():
        if name == "translations":
            settings.set_translations(value)
        else:
            setattr(settings, name, value)
    changes = audit.pending_changes(settings)
    audit.record(actor, "settings.updated", settings, changes, label="District settings")
    if has_request_context():
        g.pop("district_settings", None)
    disclose_district_window_change(window_before, settings.default_destruction_window_days, district_today())
    return settings
