"""Remembered column mappings for inventory imports."""

from datetime import datetime

from sqlalchemy import JSON, String
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
