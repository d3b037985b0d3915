"""Column helpers shared by every domain's models."""

import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, Enum, String, inspect, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, validates

from clearinghouse.text import NAME_KEY_MAX, name_key
from clearinghouse.timeutil import UTCDateTime, utcnow


def str_enum(enum_cls: type[StrEnum]) -> Enum:
    """Store an enum by its value as a plain string, so SQLite and PostgreSQL agree."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TranslatedMixin:
    """Staff-written public text in the site's other languages, beside the default language's columns.

    `translations` is {"es": {"purpose_md": "…"}}: any configured language, any of the model's
    TRANSLATED_FIELDS, read with the row (no extra query). A missing or blank translation means
    the page shows the default language's text, marked (clearinghouse.i18n.translated).
    """

    TRANSLATED_FIELDS: ClassVar[tuple[str, ...]] = ()
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql"), default=dict, server_default=text("'{}'")
    )

    def translation(self, language: str, field: str) -> str:
        """The field's text in `language`, or "" when there is none."""
        return ((self.translations or {}).get(language) or {}).get(field, "").strip()

    def set_translations(self, updates: dict[str, dict[str, str]]) -> None:
        """Merge translations: each given language's given fields are replaced (a blank text removes
        one); the rest are kept. Assigns a new dict, so the change is saved and audited."""
        merged = {code: dict(fields) for code, fields in (self.translations or {}).items()}
        for code, fields in updates.items():
            for field, typed in fields.items():
                if field not in self.TRANSLATED_FIELDS:
                    raise ValueError(f"{type(self).__name__}.{field} is not translated.")
                stripped = (typed or "").strip()
                if stripped:
                    merged.setdefault(code, {})[field] = stripped
                else:
                    merged.get(code, {}).pop(field, None)
        merged = {code: fields for code, fields in merged.items() if fields}
        if merged != (self.translations or {}):
            self.translations = merged


def _name_key_on_insert(context: Any) -> str:
    """The key of a row inserted without the ORM (a bulk INSERT of dicts)."""
    return name_key(context.get_current_parameters().get("name"))


class NamedMixin:
    """A record with a `name` people read, compared by `name_key` (see `text.name_key`).

    The key follows the name whoever writes it (services, importer, demo loader, a bulk INSERT), so
    a unique index on the key refuses "ÉMILE" next to "Émile". The name itself is kept in NFC, the
    form a keyboard makes; services refuse control and direction characters before they get here.
    """

    name_key: Mapped[str] = mapped_column(String(NAME_KEY_MAX), default=_name_key_on_insert)

    @validates("name")
    def _keep_name_key(self, _attribute: str, value: str) -> str:
        value = unicodedata.normalize("NFC", value) if isinstance(value, str) else value
        self.name_key = name_key(value)
        return value


def same_columns(records: list[Any]) -> None:
    """Give new records of one class, about to be flushed together, the same columns: where one sets a
    column another left unset, the other gets the column's default (a scalar default only: the value the
    INSERT would have written anyway). The ORM writes rows in one multi-row INSERT only while they set the
    same columns, so a bulk write of products whose notes some rows give and others not stays one
    statement per thousand rows instead of one per row. Call it after recording their audit changes."""
    if len(records) < 2:
        return
    mapper = inspect(records[0]).mapper
    columns = {attr.key: attr.columns[0] for attr in mapper.column_attrs}
    states = [inspect(record) for record in records]
    keys = set().union(*(state.dict.keys() for state in states)) & columns.keys()
    for state in states:
        for key in keys - state.dict.keys():
            default = columns[key].default
            if default is not None and default.is_scalar:
                setattr(state.obj(), key, default.arg)
