"""Column helpers shared by every domain's models."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum
from sqlalchemy.orm import Mapped, mapped_column

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
