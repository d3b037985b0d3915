"""The outbox: every e-mail the system sends, keyed by its purpose so it is sent once."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.extensions import db
from clearinghouse.models_base import str_enum
from clearinghouse.timeutil import UTCDateTime, utcnow


class NoticeStatus(StrEnum):
    QUEUED = "queued"  # waiting for its first try, or for a retry after a failure
    SENT = "sent"
    CANCELLED = "cancelled"  # no longer relevant (e.g. the request was closed before it went)

    @property
    def label(self) -> str:
        return NOTICE_STATUS_LABELS[self]


NOTICE_STATUS_LABELS = {
    NoticeStatus.QUEUED: "Waiting to be sent",
    NoticeStatus.SENT: "Sent",
    NoticeStatus.CANCELLED: "Cancelled",
}


# Notices to members of the public (a subscriber's digest): the outbox never shows staff their address.
PRIVATE_SUBJECT_TYPES = frozenset({"subscriber"})
HIDDEN_ADDRESS = "a subscriber (address not shown)"


class Notice(db.Model):
    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_status_next", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    purpose_key: Mapped[str] = mapped_column(String(200), unique=True)  # e.g. request:42:due-in-3
    recipients: Mapped[str] = mapped_column(Text)  # comma-separated addresses
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[NoticeStatus] = mapped_column(str_enum(NoticeStatus), default=NoticeStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the notice is about, for timelines: "destruction_request" / "agreement" and its id.
    subject_type: Mapped[str] = mapped_column(String(50), default="")
    subject_id: Mapped[int | None] = mapped_column(index=True)
    # Extra message headers, e.g. List-Unsubscribe on a subscriber's digest.
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))

    @property
    def hides_recipients(self) -> bool:
        return self.subject_type in PRIVATE_SUBJECT_TYPES

    @property
    def recipients_for_staff(self) -> str:
        return HIDDEN_ADDRESS if self.hides_recipients else self.recipients

    @property
    def error_for_staff(self) -> str:
        """The last error, with a subscriber's address replaced."""
        error = self.last_error
        if self.hides_recipients:
            for address in filter(None, (part.strip() for part in self.recipients.split(","))):
                error = error.replace(address, HIDDEN_ADDRESS)
        return error
