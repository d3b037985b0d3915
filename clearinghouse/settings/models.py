"""District settings: one row that admins edit."""

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.extensions import db
from clearinghouse.locking import VersionedMixin
from clearinghouse.models_base import TimestampMixin, TranslatedMixin

SETTINGS_ID = 1
DIGEST_BUSINESS_DAYS = 5  # Connecticut: a district posts a new contract within five business days
# The columns an administrator edits on the settings screen (the rest are bookkeeping).
EDITABLE_FIELDS = (
    "district_name",
    "time_zone",
    "privacy_office_email",
    "sender_email",
    "default_destruction_window_days",
    "expiry_warning_days",
    "reminder_days_before_due",
    "overdue_reminder_interval_days",
    "sweep_time",
    "digest_business_days",
    "district_signer_name",
    "district_signer_title",
    "privacy_notice_md",
)
# The one editable setting that may span lines; every other one is a single line, and the district's
# name and addresses go into e-mail headers.
MULTI_LINE_FIELDS = frozenset({"privacy_notice_md"})


class DistrictSettings(TimestampMixin, VersionedMixin, TranslatedMixin, db.Model):
    __tablename__ = "district_settings"
    TRANSLATED_FIELDS = ("privacy_notice_md",)
    record_phrase = "the district settings"
    id: Mapped[int] = mapped_column(primary_key=True, default=SETTINGS_ID)
    district_name: Mapped[str] = mapped_column(String(200), default="Our School District")
    time_zone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    privacy_office_email: Mapped[str] = mapped_column(String(254), default="privacy@district.example")
    sender_email: Mapped[str] = mapped_column(String(254), default="no-reply@district.example")
    default_destruction_window_days: Mapped[int] = mapped_column(default=60)
    # Comma-separated day counts, read through the services' parsed properties.
    expiry_warning_days: Mapped[str] = mapped_column(String(100), default="90,60,30,7")
    reminder_days_before_due: Mapped[str] = mapped_column(String(100), default="14,3")
    overdue_reminder_interval_days: Mapped[int] = mapped_column(default=7)
    sweep_time: Mapped[str] = mapped_column(String(5), default="06:00")  # HH:MM, district time
    # A change reaches the parents who follow it within this many business days (subscriptions.digest).
    digest_business_days: Mapped[int] = mapped_column(default=DIGEST_BUSINESS_DAYS, server_default="5")
    privacy_notice_md: Mapped[str] = mapped_column(Text, default="")
    district_signer_name: Mapped[str] = mapped_column(String(200), default="")
    district_signer_title: Mapped[str] = mapped_column(String(200), default="")

    @staticmethod
    def parse_days(value: str) -> list[int]:
        return sorted({int(part) for part in value.replace(" ", "").split(",") if part.isdigit()}, reverse=True)

    @property
    def expiry_warning_list(self) -> list[int]:
        return self.parse_days(self.expiry_warning_days)

    @property
    def reminder_before_due_list(self) -> list[int]:
        return self.parse_days(self.reminder_days_before_due)

    @classmethod
    def with_defaults(cls) -> "DistrictSettings":
        """A new row with every column at its default (column defaults otherwise apply only at INSERT)."""
        values = {
            column.key: column.default.arg
            for column in cls.__table__.columns
            if column.default is not None and not callable(column.default.arg)
        }
        return cls(**values)
