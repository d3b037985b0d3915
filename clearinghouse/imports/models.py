"""What the importer keeps: remembered column mappings and value meanings, and the imports in progress."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.extensions import db
from clearinghouse.timeutil import UTCDateTime, utcnow


class ImportMapping(db.Model):
    """How a file's own headers map to our fields, remembered by the set of headers."""

    __tablename__ = "import_mapping"
    id: Mapped[int] = mapped_column(primary_key=True)
    header_signature: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the headers
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # header: field
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ImportValueChoice(db.Model):
    """What one value of a status, kind, grade or school column means in this district ("DPA Pending" …).

    Chosen by an officer on the values step and offered again for the next file.
    """

    __tablename__ = "import_value_choice"
    __table_args__ = (UniqueConstraint("field", "value_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    field: Mapped[str] = mapped_column(String(40))  # the import field: status, kind, grade_bands, schools…
    value_key: Mapped[str] = mapped_column(String(400))  # the value as written, case and spacing folded
    meaning: Mapped[str] = mapped_column(String(1000))  # what it means, as the values step writes it
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ImportDraft(db.Model):
    """An import in progress: the kept file and every choice made on its steps, so nothing is lost on the way."""

    __tablename__ = "import_draft"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[str] = mapped_column(String(32))  # the kept upload (imports.files)
    filename: Mapped[str] = mapped_column(String(200), default="")
    choices: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # imports.choices.PlanChoices
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
