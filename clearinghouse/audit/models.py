"""Append-only records: the staff audit log and the public disclosure revisions."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clearinghouse.extensions import db
from clearinghouse.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:
    from clearinghouse.accounts.models import User


class AuditEvent(db.Model):
    """Who did what to which record, when, from where, with each changed field before and after."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_record", "record_type", "record_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    actor_label: Mapped[str] = mapped_column(String(300))  # kept even if the user is renamed
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(100), index=True)  # e.g. "agreement.updated"
    record_type: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[int | None]
    record_label: Mapped[str] = mapped_column(String(300), default="")
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # field: [before, after]

    actor: Mapped["User | None"] = relationship("User")


class DisclosureRevision(db.Model):
    """A dated, public record of a change to what a provider's disclosure says."""

    __tablename__ = "disclosure_revision"
    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendor.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(50))  # data_use.added, purpose.changed, agreement.renewed…
    summary: Mapped[str] = mapped_column(Text)  # plain language, shown to the public
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
