"""A vendor's declaration of a product's data practices: one per product, every version kept."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clearinghouse.extensions import db
from clearinghouse.locking import VersionedMixin
from clearinghouse.models_base import TimestampMixin, str_enum
from clearinghouse.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:
    from clearinghouse.accounts.models import User
    from clearinghouse.directory.models import DataElement, Product, Vendor

SHORT_MAX = 300
PURPOSE_MAX = 2000  # as directory.models.PURPOSE_MAX: a declared purpose becomes a data use's purpose
SUBPROCESSORS_MAX = 30


class DeclarationState(StrEnum):
    INVITED = "invited"  # the vendor has not submitted yet (a draft may be saved)
    SUBMITTED = "submitted"  # a submitted version waits for the privacy office
    ACCEPTED = "accepted"  # the last submitted version is the product's data uses

    @property
    def label(self) -> str:
        return STATE_LABELS[self]

    @property
    def vendor_label(self) -> str:
        return VENDOR_STATE_LABELS[self]


STATE_LABELS = {
    DeclarationState.INVITED: "Waiting for the vendor's answers",
    DeclarationState.SUBMITTED: "Submitted: waits for review",
    DeclarationState.ACCEPTED: "Accepted as the product's data uses",
}
VENDOR_STATE_LABELS = {
    DeclarationState.INVITED: "Waiting for your answers",
    DeclarationState.SUBMITTED: "Submitted: the district is reviewing it",
    DeclarationState.ACCEPTED: "Accepted by the district",
}


class VersionStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    SUPERSEDED = "superseded"  # a later version was submitted before this one was reviewed


class Terms(StrEnum):
    NDPA = "ndpa"
    STATE_TEMPLATE = "state_template"
    OWN_TERMS = "own_terms"

    @property
    def label(self) -> str:
        return TERMS_LABELS[self]


TERMS_LABELS = {
    Terms.NDPA: "We sign the National Data Privacy Agreement (NDPA)",
    Terms.STATE_TEMPLATE: "We sign the state's template agreement",
    Terms.OWN_TERMS: "We only offer our own terms",
}

# The outbox's `subject_type` of the notices about a declaration.
SUBJECT_TYPE = "declaration"


class Declaration(TimestampMixin, VersionedMixin, db.Model):
    """The questionnaire of one product: who was invited to answer it, and where it stands."""

    __tablename__ = "declaration"
    record_phrase = "this questionnaire"
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), unique=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendor.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[DeclarationState] = mapped_column(
        str_enum(DeclarationState), default=DeclarationState.INVITED, index=True
    )

    product: Mapped["Product"] = relationship()
    vendor: Mapped["Vendor"] = relationship()
    contact: Mapped["User | None"] = relationship(foreign_keys=[contact_id])
    invited_by: Mapped["User | None"] = relationship(foreign_keys=[invited_by_id])
    versions: Mapped[list["DeclarationVersion"]] = relationship(
        back_populates="declaration", order_by="DeclarationVersion.number", cascade="all, delete-orphan"
    )


class DeclarationVersion(TimestampMixin, db.Model):
    """One version of the vendor's answers: a draft, then submitted, then accepted (or superseded)."""

    __tablename__ = "declaration_version"
    __table_args__ = (UniqueConstraint("declaration_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    status: Mapped[VersionStatus] = mapped_column(str_enum(VersionStatus), default=VersionStatus.DRAFT)
    no_student_data: Mapped[bool] = mapped_column(default=False)
    storage_location: Mapped[str] = mapped_column(String(SHORT_MAX), default="")
    retention: Mapped[str] = mapped_column(Text, default="")
    disposal_method: Mapped[str] = mapped_column(String(SHORT_MAX), default="")
    disposal_window_days: Mapped[int | None]
    breach_notice_hours: Mapped[int | None]
    sells_data: Mapped[bool | None]
    targeted_ads: Mapped[bool | None]
    cross_site_tracking: Mapped[bool | None]
    terms: Mapped[Terms | None] = mapped_column(str_enum(Terms))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    declaration: Mapped[Declaration] = relationship(back_populates="versions")
    elements: Mapped[list["DeclaredElement"]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="DeclaredElement.id"
    )
    subprocessors: Mapped[list["Subprocessor"]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="Subprocessor.position"
    )
    submitted_by: Mapped["User | None"] = relationship(foreign_keys=[submitted_by_id])
    reviewed_by: Mapped["User | None"] = relationship(foreign_keys=[reviewed_by_id])


class DeclaredElement(db.Model):
    """A data element the product would receive, with the vendor's purpose for it."""

    __tablename__ = "declared_element"
    __table_args__ = (UniqueConstraint("version_id", "data_element_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("declaration_version.id", ondelete="CASCADE"), index=True)
    data_element_id: Mapped[int] = mapped_column(ForeignKey("data_element.id"))
    purpose: Mapped[str] = mapped_column(String(PURPOSE_MAX), default="")

    version: Mapped[DeclarationVersion] = relationship(back_populates="elements")
    element: Mapped["DataElement"] = relationship()


class Subprocessor(db.Model):
    """A company the vendor passes work (and perhaps student data) to."""

    __tablename__ = "subprocessor"
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("declaration_version.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(SHORT_MAX))
    service: Mapped[str] = mapped_column(String(SHORT_MAX), default="")  # what they do
    receives_student_data: Mapped[bool] = mapped_column(default=False)
    data_location: Mapped[str] = mapped_column(String(SHORT_MAX), default="")

    version: Mapped[DeclarationVersion] = relationship(back_populates="subprocessors")
