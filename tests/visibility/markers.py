"""A unique marker for each field of clearinghouse/visibility.py, to find where a field's value ends up.

`marker("agreement", "reference")` is `zzagreementreferencezz`: lower-case letters only, so it
survives HTML, JSON, XML, CSV, Markdown, e-mail encodings and file names unchanged. A row outside
the vendor's own records gets the tag "other" (`zzotheragreementreferencezz`). Rows that need a
second distinct value (unique columns) append a suffix after the closing `zz`, which still
contains the marker.
"""

from typing import Any

from sqlalchemy import JSON, Enum, String

from clearinghouse.extensions import db

OTHER = "other"

# Text columns that cannot hold a marker, and why; every other text column gets one.
UNMARKABLE = {
    ("district_settings", "time_zone"): "an IANA zone name, parsed on every page",
    ("district_settings", "sweep_time"): "HH:MM, parsed by the scheduler",
    ("district_settings", "expiry_warning_days"): "a list of day counts, parsed by the sweep",
    ("district_settings", "reminder_days_before_due"): "a list of day counts, parsed by the sweep",
    ("stored_file", "content_type"): "the MIME type every download is served with",
    ("subscriber", "language"): "a language code, one of LANGUAGES",
    ("agreement_standing_count", "stated"): "a product's stated agreement status (an enum's value), copied by triggers",
    ("product_status_count", "status"): "a product's approval status (an enum's value), copied by triggers",
    ("agreement_term_count", "term_key"): "an agreement's dates and flags in one text, made by triggers",
    ("product", "school_names"): "its schools' names joined, made by triggers from the schools'",
    ("product", "received_element_ids"): "its data elements' ids joined, made by triggers from its data uses",
    ("agreement_term_standing_count", "term_key"): "an agreement's dates and flags in one text, made by triggers",
    (
        "agreement_term_standing_count",
        "stated",
    ): "a product's stated agreement status (an enum's value), copied by triggers",
    ("agreement_term_element_count", "term_key"): "an agreement's dates and flags in one text, made by triggers",
    (
        "agreement_term_element_count",
        "stated",
    ): "a product's stated agreement status (an enum's value), copied by triggers",
    ("agreement_term_category_count", "term_key"): "an agreement's dates and flags in one text, made by triggers",
    (
        "agreement_term_category_count",
        "stated",
    ): "a product's stated agreement status (an enum's value), copied by triggers",
    ("agreement_term_school_count", "term_key"): "an agreement's dates and flags in one text, made by triggers",
    (
        "agreement_term_school_count",
        "stated",
    ): "a product's stated agreement status (an enum's value), copied by triggers",
    ("agreement_term_kind_count", "term_key"): "an agreement's dates and flags in one text, made by triggers",
    (
        "agreement_term_kind_count",
        "stated",
    ): "a product's stated agreement status (an enum's value), copied by triggers",
}

EMAIL_COLUMNS = {
    ("vendor", "contact_email"),
    ("user_account", "email"),
    ("district_settings", "privacy_office_email"),
    ("district_settings", "sender_email"),
    ("subscriber", "email"),
}
URL_COLUMNS = {
    ("vendor", "website"),
    ("vendor", "privacy_policy_url"),
    ("product", "website"),
    ("tool_request", "website"),
    ("evidence_link", "url"),
}


def marker(table: str, column: str, tag: str = "") -> str:
    return f"zz{tag}{table}{column}zz".replace("_", "")


def marked_value(table: str, column: str, tag: str = "", suffix: str = "") -> str:
    """The marker in the shape the column needs (an e-mail address, a web address, plain text)."""
    text = marker(table, column, tag) + suffix
    if (table, column) in EMAIL_COLUMNS:
        return f"{text}@example.org"
    if (table, column) in URL_COLUMNS:
        return f"https://{text}.example/"
    return text


def text_columns(table: str) -> list[str]:
    """The table's String and Text columns (not enums), markable or not."""
    columns = db.metadata.tables[table].columns
    return [c.key for c in columns if isinstance(c.type, String) and not isinstance(c.type, Enum)]


def json_columns(table: str) -> list[str]:
    return [c.key for c in db.metadata.tables[table].columns if isinstance(c.type, JSON)]


def marks(table: str, tag: str = "", suffix: str = "", **overrides: Any) -> dict[str, Any]:
    """A value for each markable text column of `table` (for a factory or a model), then `overrides`."""
    values: dict[str, Any] = {
        column: marked_value(table, column, tag, suffix)
        for column in text_columns(table)
        if (table, column) not in UNMARKABLE
    }
    return {**values, **overrides}


def json_mark(table: str, column: str, tag: str = "") -> dict[str, Any]:
    """A JSON value that holds the marker as a key and as a value."""
    text = marker(table, column, tag)
    return {text: [text, text]}
