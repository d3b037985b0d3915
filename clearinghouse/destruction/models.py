"""Destruction requests (the district's directive) and the vendors' disposal certificates."""

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clearinghouse.extensions import db
from clearinghouse.locking import VersionedMixin
from clearinghouse.models_base import TimestampMixin, str_enum
from clearinghouse.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:
    from clearinghouse.accounts.models import User
    from clearinghouse.agreements.models import Agreement
    from clearinghouse.directory.models import DataCategory, Vendor
    from clearinghouse.storage import StoredFile


class RequestStatus(StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"  # a certificate waits for review
    ACCEPTED = "accepted"  # closed: destruction certified
    WITHDRAWN = "withdrawn"  # closed: opened in error

    @property
    def label(self) -> str:
        """What the district's staff read."""
        return REQUEST_STATUS_LABELS[self]

    @property
    def vendor_label(self) -> str:
        """What the vendor reads in its portal: what the state asks of it."""
        return REQUEST_STATUS_VENDOR_LABELS[self]


REQUEST_STATUS_LABELS = {
    RequestStatus.OPEN: "Open",
    RequestStatus.SUBMITTED: "Certificate submitted",
    RequestStatus.ACCEPTED: "Destruction certified",
    RequestStatus.WITHDRAWN: "Withdrawn",
}
REQUEST_STATUS_VENDOR_LABELS = {
    RequestStatus.OPEN: "Waiting for your certificate",
    RequestStatus.SUBMITTED: "Certificate under review by the district",
    RequestStatus.ACCEPTED: "Closed: destruction certified",
    RequestStatus.WITHDRAWN: "Withdrawn by the district",
}
# Requests that still wait on someone: the vendor's certificate, or the district's review of it.
WAITING_STATUSES = (RequestStatus.OPEN, RequestStatus.SUBMITTED)
WAITING_SQL = f"status IN ({', '.join(repr(status.value) for status in WAITING_STATUSES)})"


class RequestScope(StrEnum):
    ALL = "all"
    CATEGORIES = "categories"

    @property
    def label(self) -> str:
        return REQUEST_SCOPE_LABELS[self]


REQUEST_SCOPE_LABELS = {
    RequestScope.ALL: "Complete: all data received from the district",
    RequestScope.CATEGORIES: "Partial: only some categories of data",
}


class DispositionNature(StrEnum):
    DESTROY = "destroy"
    TRANSFER = "transfer"

    @property
    def label(self) -> str:
        return DISPOSITION_NATURE_LABELS[self]


DISPOSITION_NATURE_LABELS = {
    DispositionNature.DESTROY: "Destroy or delete the data",
    DispositionNature.TRANSFER: "Transfer the data to the district or a named site, then delete it",
}


class DispositionSchedule(StrEnum):
    ASAP = "asap"  # as soon as commercially practicable
    BY_DATE = "by_date"

    @property
    def label(self) -> str:
        return DISPOSITION_SCHEDULE_LABELS[self]


DISPOSITION_SCHEDULE_LABELS = {
    DispositionSchedule.ASAP: "As soon as commercially practicable",
    DispositionSchedule.BY_DATE: "By the due date",
}


class RequestOrigin(StrEnum):
    AGREEMENT_ENDED = "agreement_ended"  # opened by the sweep
    DISTRICT_REQUEST = "district_request"  # opened by an officer


# The outbox's `subject_type` of the notices about a request (its timeline lists them).
SUBJECT_TYPE = "destruction_request"

destruction_request_category = Table(
    "destruction_request_category",
    db.metadata,
    Column("request_id", ForeignKey("destruction_request.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("data_category.id"), primary_key=True),
)


class DestructionRequest(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "destruction_request"
    record_phrase = "this request"
    __table_args__ = (
        # One request per agreement (destruction.services): two requests of an agreement cannot
        # both wait, so the second of two writers racing to open one is refused.
        Index(
            "uq_destruction_request_agreement_waiting",
            "agreement_id",
            unique=True,
            sqlite_where=text(WAITING_SQL),
            postgresql_where=text(WAITING_SQL),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendor.id"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id"), index=True)
    # Set for requests the sweep opens ("agreement:<id>:ended"), so two sweeps cannot open two.
    origin_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    origin: Mapped[RequestOrigin] = mapped_column(str_enum(RequestOrigin))
    reason: Mapped[str] = mapped_column(Text)
    scope: Mapped[RequestScope] = mapped_column(str_enum(RequestScope), default=RequestScope.ALL)
    nature: Mapped[DispositionNature] = mapped_column(str_enum(DispositionNature), default=DispositionNature.DESTROY)
    transfer_to: Mapped[str] = mapped_column(String(300), default="")
    instructions: Mapped[str] = mapped_column(Text, default="")
    schedule: Mapped[DispositionSchedule] = mapped_column(
        str_enum(DispositionSchedule), default=DispositionSchedule.BY_DATE
    )
    issued_on: Mapped[date] = mapped_column(index=True)
    due_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[RequestStatus] = mapped_column(str_enum(RequestStatus), default=RequestStatus.OPEN, index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")  # last rejection or withdrawal reason
    closed_on: Mapped[date | None]
    district_signer_name: Mapped[str] = mapped_column(String(200), default="")
    district_signer_title: Mapped[str] = mapped_column(String(200), default="")
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    vendor: Mapped["Vendor"] = relationship()
    agreement: Mapped["Agreement | None"] = relationship()
    categories: Mapped[list["DataCategory"]] = relationship(secondary=destruction_request_category)
    certificates: Mapped[list["DisposalCertificate"]] = relationship(
        back_populates="request", order_by="DisposalCertificate.submitted_at"
    )
    opened_by: Mapped["User | None"] = relationship()

    def is_overdue_on(self, today: date) -> bool:
        """Derived: still waiting on the vendor after the due date."""
        return self.status == RequestStatus.OPEN and self.due_on < today


class DisposalMethod(StrEnum):
    RETURNED = "returned"
    OVERWRITE = "overwrite"
    CRYPTOGRAPHIC_ERASE = "cryptographic_erase"
    PHYSICAL = "physical"
    OTHER = "other"

    @property
    def label(self) -> str:
        return DISPOSAL_METHOD_LABELS[self]


DISPOSAL_METHOD_LABELS = {
    DisposalMethod.RETURNED: "Returned to the district",
    DisposalMethod.OVERWRITE: "Securely erased by overwriting",
    DisposalMethod.CRYPTOGRAPHIC_ERASE: "Cryptographic erase (keys destroyed)",
    DisposalMethod.PHYSICAL: "Physically destroyed (media shredded, degaussed or incinerated)",
    DisposalMethod.OTHER: "Other method (described below)",
}


class CertificateStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return CERTIFICATE_STATUS_LABELS[self]


CERTIFICATE_STATUS_LABELS = {
    CertificateStatus.SUBMITTED: "Waiting for review",
    CertificateStatus.ACCEPTED: "Accepted",
    CertificateStatus.REJECTED: "Rejected",
}


class DisposalCertificate(db.Model):
    __tablename__ = "disposal_certificate"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("destruction_request.id"), index=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendor.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    signer_name: Mapped[str] = mapped_column(String(200))
    signer_title: Mapped[str] = mapped_column(String(200))
    disposed_on: Mapped[date]
    method: Mapped[DisposalMethod] = mapped_column(str_enum(DisposalMethod))
    method_other: Mapped[str] = mapped_column(Text, default="")
    attests_all_copies: Mapped[bool] = mapped_column(default=False)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[CertificateStatus] = mapped_column(
        str_enum(CertificateStatus), default=CertificateStatus.SUBMITTED, index=True
    )
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_reason: Mapped[str] = mapped_column(Text, default="")
    # What pyHanko found: {"signed": bool, "signatures": [{"signer", "intact", "trusted", ...}]}
    signature_report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    request: Mapped[DestructionRequest] = relationship(back_populates="certificates")
    file: Mapped["StoredFile"] = relationship()
    submitted_by: Mapped["User | None"] = relationship(foreign_keys=[submitted_by_id])
    reviewed_by: Mapped["User | None"] = relationship(foreign_keys=[reviewed_by_id])
