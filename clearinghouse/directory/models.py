"""The public directory's records: vendors, products, data elements, data uses, schools."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clearinghouse.directory.approval import ProductStatus
from clearinghouse.extensions import db
from clearinghouse.locking import VersionedMixin
from clearinghouse.models_base import NamedMixin, TimestampMixin, TranslatedMixin, str_enum
from clearinghouse.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:
    from clearinghouse.agreements.models import Agreement

NAME_MAX = 200
URL_MAX = 500
PURPOSE_MAX = 2000
NOTE_MAX = 2000  # a status's conditions or reason, the vendor's reason for declining an agreement
MARKDOWN_MAX = 20000
KIND_NAME_MAX = 80  # a kind's name, in every language: it sits on every listing card
KIND_SLUG_MAX = 100
DEFAULT_KIND = "other"  # the kind of a product nobody said the kind of (seeded; see directory.kinds)


class StatedAgreementStatus(StrEnum):
    """Where a product's data-privacy agreement stands when no agreement is recorded for it.

    A signed agreement, or one on file whose dates are not recorded, is an `Agreement` row; this
    says what the district knows otherwise. A product with an agreement in force ignores it
    (`agreements.status` derives the one status the public sees).
    """

    NONE_ON_FILE = "none_on_file"
    REQUESTED = "requested"  # the district has asked the vendor to sign
    DECLINED_BY_VENDOR = "declined_by_vendor"  # the vendor's reason in Product.agreement_note
    NOT_REQUIRED = "not_required"  # no student data is collected

    @property
    def label(self) -> str:
        return STATED_AGREEMENT_STATUS_LABELS[self]


STATED_AGREEMENT_STATUS_LABELS = {
    StatedAgreementStatus.NONE_ON_FILE: _l("No agreement on file"),
    StatedAgreementStatus.REQUESTED: _l("Agreement requested"),
    StatedAgreementStatus.DECLINED_BY_VENDOR: _l("Declined by the vendor"),
    StatedAgreementStatus.NOT_REQUIRED: _l("Not required: no student data collected"),
}


product_school = Table(
    "product_school",
    db.metadata,
    Column("product_id", ForeignKey("product.id", ondelete="CASCADE"), primary_key=True),
    Column("school_id", ForeignKey("school.id", ondelete="CASCADE"), primary_key=True, index=True),
)


# Kept by database triggers (migration 20261126_school_element_counts), never written here: how many
# listed products used at each school receive each data element (a school page's sensitive data).
school_element_count = Table(
    "school_element_count",
    db.metadata,
    Column("school_id", ForeignKey("school.id", ondelete="CASCADE"), primary_key=True),
    Column("data_element_id", ForeignKey("data_element.id", ondelete="CASCADE"), primary_key=True),
    Column("product_count", Integer, nullable=False, server_default="0"),
)


# Kept by database triggers (migration 20261126_headline_counts), never written here: the listed
# products per approval status (the reports show them; the home page adds them up).
product_status_count = Table(
    "product_status_count",
    db.metadata,
    Column("status", String(40), primary_key=True),
    Column("product_count", Integer, nullable=False, server_default="0"),
)

# Kept the same way, in one row: the vendors that are not retired and have a product that is not
# retired (the home page's companies), from `Vendor.product_count`; the data elements some listed
# product receives, from `DataElement.receiver_count` (migration 20261126_headline_element_count).
headline_count = Table(
    "headline_count",
    db.metadata,
    Column("id", Integer, primary_key=True),
    Column("vendor_count", Integer, nullable=False, server_default="0"),
    Column("element_count", Integer, nullable=False, server_default="0"),
    CheckConstraint("id = 1", name="one_row"),
)


product_tag = Table(
    "product_tag",
    db.metadata,
    Column("product_id", ForeignKey("product.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class ProductKind(NamedMixin, TranslatedMixin, db.Model):
    """A kind of product the district files its products under (Math, Assessment…): district data.

    Seeded with the kinds the app first had (migration 20261126_product_kinds); staff add, rename,
    reorder and retire them (`directory.kinds`). A retired kind stays on the products that have it
    but is not offered for new ones; a kind in use is never deleted. The slug is its key in
    addresses, filters and the API, and never changes.
    """

    __tablename__ = "product_kind"
    TRANSLATED_FIELDS = ("name",)
    __table_args__ = (Index("uq_product_kind_name_key", "name_key", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(KIND_SLUG_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(KIND_NAME_MAX))
    position: Mapped[int] = mapped_column(default=0)
    is_retired: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Kept by database triggers (migration 20261126_report_counts), never written here: the listed
    # products of the kind used at some school, and the schools that use them (the reports' overlap).
    placed_product_count: Mapped[int] = mapped_column(default=0, server_default="0")
    school_count: Mapped[int] = mapped_column(default=0, server_default="0")


class Tag(NamedMixin, db.Model):
    """A word the district files products under ("Rostering: Clever", "Subscription"): public, as chips."""

    __tablename__ = "tag"
    __table_args__ = (Index("uq_tag_name_key", "name_key", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    slug: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)

    products: Mapped[list["Product"]] = relationship(secondary=product_tag, back_populates="tags")


class School(NamedMixin, db.Model):
    __tablename__ = "school"
    __table_args__ = (Index("uq_school_name_key", "name_key", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    slug: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    grade_band: Mapped[str] = mapped_column(String(40), default="")
    is_retired: Mapped[bool] = mapped_column(default=False)
    # Kept by database triggers (migration 20261126_school_product_counts), never written here:
    # the listed products used at the school, and those of them that receive sensitive data.
    product_count: Mapped[int] = mapped_column(default=0, server_default="0")
    sensitive_product_count: Mapped[int] = mapped_column(default=0, server_default="0")

    products: Mapped[list["Product"]] = relationship(secondary=product_school, back_populates="schools")


class DataCategory(NamedMixin, TranslatedMixin, db.Model):
    """A group of data elements, as in NDPA Exhibit B (Demographics, Student Identifiers…)."""

    __tablename__ = "data_category"
    TRANSLATED_FIELDS = ("name",)
    __table_args__ = (Index("uq_data_category_name_key", "name_key", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    slug: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    # How many listed products receive at least one of its elements: kept by database triggers
    # (migration 20261126_report_counts), never written here.
    product_count: Mapped[int] = mapped_column(default=0, server_default="0")

    elements: Mapped[list["DataElement"]] = relationship(back_populates="category", order_by="DataElement.position")


class DataElement(NamedMixin, TranslatedMixin, db.Model):
    """One kind of student data (date of birth, local student ID…)."""

    __tablename__ = "data_element"
    TRANSLATED_FIELDS = ("name", "description")
    __table_args__ = (
        UniqueConstraint("category_id", "name"),
        Index("uq_data_element_category_id_name_key", "category_id", "name_key", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("data_category.id"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    slug: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    is_sensitive: Mapped[bool] = mapped_column(default=False, index=True)
    is_retired: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    # How many listed products receive it: kept by triggers in the same transaction as every write
    # that changes it (migration 20261126_data_element_receivers); never written by the app.
    receiver_count: Mapped[int] = mapped_column(default=0, server_default="0")

    category: Mapped[DataCategory] = relationship(back_populates="elements")
    data_uses: Mapped[list["DataUse"]] = relationship(back_populates="element")


class Vendor(NamedMixin, TimestampMixin, VersionedMixin, TranslatedMixin, db.Model):
    """The company that provides products and signs agreements."""

    __tablename__ = "vendor"
    TRANSLATED_FIELDS = ("description_md",)
    record_phrase = "this vendor"
    __table_args__ = (Index("uq_vendor_name_key", "name_key", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    slug: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    website: Mapped[str] = mapped_column(String(URL_MAX), default="")
    privacy_policy_url: Mapped[str] = mapped_column(String(URL_MAX), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")  # public privacy contact
    description_md: Mapped[str] = mapped_column(Text, default="")
    internal_notes: Mapped[str] = mapped_column(Text, default="")  # staff only, never public
    is_retired: Mapped[bool] = mapped_column(default=False, index=True)
    # Kept by database triggers (migration 20261126_headline_counts), never written here: its
    # products that are not retired (whether or not the vendor is), so that the home page's count of
    # vendors with a listed product changes only with a vendor's first product or its last.
    product_count: Mapped[int] = mapped_column(default=0, server_default="0")

    products: Mapped[list["Product"]] = relationship(back_populates="vendor", order_by="Product.name")
    agreements: Mapped[list["Agreement"]] = relationship(back_populates="vendor")


class Product(NamedMixin, TimestampMixin, VersionedMixin, TranslatedMixin, db.Model):
    """An app or service of a vendor: the unit a parent looks up."""

    __tablename__ = "product"
    TRANSLATED_FIELDS = ("purpose_md", "status_note", "agreement_note")
    __table_args__ = (
        UniqueConstraint("vendor_id", "name"),
        Index("uq_product_vendor_id_name_key", "vendor_id", "name_key", unique=True),
        # The directory counts listed products from this index alone, and sorts by last update.
        Index("ix_product_status_vendor_id", "status", "vendor_id"),
        Index("ix_product_updated_at", "updated_at"),
        # The reports' overlap lists the first products of each kind by name (migrations 20261126_report_counts,
        # 20261127_overlap_covering_index: PostgreSQL reads them from the index alone).
        Index("ix_product_kind_name", "kind_id", "name", "id", postgresql_include=["slug", "vendor_id", "status"]),
        # A product's sole agreement (`agreement_key`): the products of the agreements in a state, read from
        # the index alone (migration 20261127_product_agreement_key_id).
        Index("ix_product_agreement_key", "agreement_key", "id"),
        # The API's whole product list walks the products by name and id to a deep page, reading this narrow
        # index alone (migration 20261127_product_name_id); a look-up by name reads it too.
        Index("ix_product_name", "name", "id"),
    )
    record_phrase = "this product"
    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendor.id"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    slug: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    kind_id: Mapped[int] = mapped_column(ForeignKey("product_kind.id"), index=True)
    status: Mapped[ProductStatus] = mapped_column(
        str_enum(ProductStatus), default=ProductStatus.UNDER_REVIEW, index=True
    )
    # The conditions of an approval with conditions ("Guardian release required"), or the reason
    # it is not approved; public.
    status_note: Mapped[str] = mapped_column(Text, default="")
    agreement_status: Mapped[StatedAgreementStatus] = mapped_column(
        str_enum(StatedAgreementStatus), default=StatedAgreementStatus.NONE_ON_FILE, index=True
    )
    agreement_note: Mapped[str] = mapped_column(Text, default="")  # the vendor's reason for declining; public
    # Kept by database triggers (migration 20261126_agreement_standing_counts), never written here:
    # 0 when no agreement covers the product, the agreement's id when one does, -1 when several do.
    agreement_key: Mapped[int] = mapped_column(default=0, server_default="0")
    # Kept by database triggers (migration 20261127_product_school_names), never written here: the names of
    # the schools that use the product, by name, joined by ", "; None when no school does.
    school_names: Mapped[str | None] = mapped_column(Text)
    # Kept by database triggers (migration 20261127_product_received_elements), never written here: the ids of
    # the data elements the product receives, by id, each between commas (",3,7,12,"); None when it receives none.
    # ix_product_name_listing carries it, so a walk in name order asks it of each product from the index.
    received_element_ids: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str] = mapped_column(String(URL_MAX), default="")
    purpose_md: Mapped[str] = mapped_column(Text, default="")
    grade_bands: Mapped[str] = mapped_column(String(100), default="")  # e.g. "K-5, 6-8"
    internal_notes: Mapped[str] = mapped_column(Text, default="")
    # A category from an imported file that matches no kind, kept verbatim for staff until an
    # officer chooses the kind; the public reads the kind only (the file's word is unchecked).
    category_text: Mapped[str] = mapped_column(String(NAME_MAX), default="", server_default="")

    vendor: Mapped[Vendor] = relationship(back_populates="products")
    # Read with the product, in the same query: every list names each product's kind.
    kind: Mapped[ProductKind] = relationship(lazy="joined", innerjoin=True)
    data_uses: Mapped[list["DataUse"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="DataUse.id"
    )
    schools: Mapped[list[School]] = relationship(
        secondary=product_school, back_populates="products", order_by=School.name
    )
    agreements: Mapped[list["Agreement"]] = relationship(secondary="agreement_product", back_populates="products")
    tags: Mapped[list[Tag]] = relationship(secondary=product_tag, back_populates="products", order_by=Tag.name)
    notes: Mapped[list["ProductNote"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductNote.id"
    )
    links: Mapped[list["EvidenceLink"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="EvidenceLink.id"
    )


class ProductNote(db.Model):
    """A staff-only note on a product ("Licences: 450", "District id: 1234"), often a column of an
    imported file that has no field of its own."""

    __tablename__ = "product_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped["Product"] = relationship(back_populates="notes")


class EvidenceLink(db.Model):
    """A link that backs what the district says of a product (a state registry entry, the signed
    agreement's listing): public only when staff say so, since some sources are internal."""

    __tablename__ = "evidence_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    url: Mapped[str] = mapped_column(String(URL_MAX))
    is_public: Mapped[bool] = mapped_column(default=False, server_default=false())

    product: Mapped["Product"] = relationship(back_populates="links")


class DataUse(TranslatedMixin, db.Model):
    """A product receives a data element, for a purpose (empty while nobody has stated it)."""

    __tablename__ = "data_use"
    TRANSLATED_FIELDS = ("purpose",)
    __table_args__ = (
        UniqueConstraint("product_id", "data_element_id"),
        # Who receives an element, read from the index alone (data element filter and pages).
        Index("ix_data_use_element_product", "data_element_id", "product_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    data_element_id: Mapped[int] = mapped_column(ForeignKey("data_element.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(PURPOSE_MAX), default="")

    product: Mapped[Product] = relationship(back_populates="data_uses")
    element: Mapped[DataElement] = relationship(back_populates="data_uses")
