"""Data-privacy agreements and their state, which is derived from their dates and never stored."""

from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clearinghouse.extensions import db
from clearinghouse.locking import VersionedMixin
from clearinghouse.models_base import TimestampMixin, str_enum

if TYPE_CHECKING:
    from clearinghouse.directory.models import Product, Vendor
    from clearinghouse.storage import StoredFile

EXPIRING_HORIZON = timedelta(days=90)


class AgreementKind(StrEnum):
    NDPA = "ndpa"
    STATE_TEMPLATE = "state_template"
    VENDOR_TERMS = "vendor_terms"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        return AGREEMENT_KIND_LABELS[self]


AGREEMENT_KIND_LABELS = {
    AgreementKind.NDPA: _l("National Data Privacy Agreement (NDPA)"),
    AgreementKind.STATE_TEMPLATE: _l("State template agreement"),
    AgreementKind.VENDOR_TERMS: _l("Vendor's own terms"),
    AgreementKind.CUSTOM: _l("Custom agreement"),
}


class AgreementState(StrEnum):
    ON_FILE = "on_file"  # the district holds it, but its dates are not recorded (dates_recorded False)
    DRAFT = "draft"  # not signed yet
    UPCOMING = "upcoming"  # signed, not yet in effect
    ACTIVE = "active"
    EXPIRING = "expiring"  # active, ends inside the warning horizon
    EXPIRED = "expired"
    TERMINATED = "terminated"
    RENEWED = "renewed"  # superseded by its successor

    @property
    def label(self) -> str:
        return AGREEMENT_STATE_LABELS[self]

    @property
    def has_ended(self) -> bool:
        return self in (AgreementState.EXPIRED, AgreementState.TERMINATED, AgreementState.RENEWED)


AGREEMENT_STATE_LABELS = {
    AgreementState.ON_FILE: _l("On file, dates not recorded"),
    AgreementState.DRAFT: _l("Draft (not signed)"),
    AgreementState.UPCOMING: _l("Signed, not yet in effect"),
    AgreementState.ACTIVE: _l("Active"),
    AgreementState.EXPIRING: _l("Expiring soon"),
    AgreementState.EXPIRED: _l("Expired"),
    AgreementState.TERMINATED: _l("Terminated"),
    AgreementState.RENEWED: _l("Renewed"),
}


class DataDisposal(StrEnum):
    """What the agreement says the company does with the student data when it ends."""

    DESTROY = "destroy"
    RETURN = "return"

    @property
    def label(self) -> str:
        return DATA_DISPOSAL_LABELS[self]


DATA_DISPOSAL_LABELS = {
    DataDisposal.DESTROY: _l("Destroyed or deleted"),
    DataDisposal.RETURN: _l("Returned to the district, then deleted"),
}

# In effect today (the public "agreements in force").
IN_FORCE_STATES = (AgreementState.ACTIVE, AgreementState.EXPIRING)
# Signed and not ended: it covers its products now, or from the day it takes effect.
COVERING_STATES = (AgreementState.UPCOMING, *IN_FORCE_STATES)


agreement_product = Table(
    "agreement_product",
    db.metadata,
    Column("agreement_id", ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True),
    Column("product_id", ForeignKey("product.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# Listed products per (agreement_key, stated status): `Product.agreement_key` is 0 (no agreement), the
# sole agreement's id, or -1 (several). Kept by database triggers (migration
# 20261126_agreement_standing_counts), never written here; `agreements.status.kept_status_counts` reads it.
agreement_standing_count = Table(
    "agreement_standing_count",
    db.metadata,
    Column("agreement_key", Integer, primary_key=True),
    Column("stated", String(40), primary_key=True),
    Column("product_count", Integer, nullable=False, server_default="0"),
)

# Agreements per group of the columns their state is derived from (`agreements.state.state_sql`; of
# `signed_on` and `renewed_by_id` the state asks only whether they are set), `term_key` being the
# group's columns in one text. Kept by database triggers (migration 20261126_headline_counts), never
# written here; `agreements.queries.counts_by_state` derives each group's state on the day asked about.
agreement_term_count = Table(
    "agreement_term_count",
    db.metadata,
    Column("term_key", String(80), primary_key=True),
    Column("effective_on", Date),
    Column("expires_on", Date),
    Column("auto_renews", Boolean, nullable=False),
    Column("terminated_on", Date),
    Column("dates_recorded", Boolean, nullable=False),
    Column("is_signed", Boolean, nullable=False),
    Column("is_renewed", Boolean, nullable=False),
    Column("agreement_count", Integer, nullable=False, server_default="0"),
)


# Listed products whose sole agreement is in a term group of `agreement_term_count` (`term_key`), per stated
# status: `agreement_standing_count`'s groups of a sole agreement added up by that agreement's term group, so
# that the reports rank each set of dates once, not each agreement. Kept by database triggers (migration
# 20261127_agreement_term_standing_counts), never written here; `agreements.status.kept_status_counts` reads it.
agreement_term_standing_count = Table(
    "agreement_term_standing_count",
    db.metadata,
    Column("term_key", String(80), primary_key=True),
    Column("stated", String(40), primary_key=True),
    Column("product_count", Integer, nullable=False, server_default="0"),
)

# The term key of the products with no agreement in `agreement_term_element_count` (a term key holds '|').
NO_AGREEMENT_TERM = ""

# Listed products that receive a data element, per (the element, the term group of their sole agreement or
# NO_AGREEMENT_TERM when they have none, stated status): `agreement_term_standing_count` by data element, so
# that the directory counts an agreement filter with a data element from kept rows
# (`directory.queries.agreement_element_kept`). Products with several agreements are not counted. Kept by
# database triggers (migration 20261127_agreement_term_element_counts), never written here.
agreement_term_element_count = Table(
    "agreement_term_element_count",
    db.metadata,
    Column("data_element_id", Integer, ForeignKey("data_element.id", ondelete="CASCADE"), primary_key=True),
    Column("term_key", String(80), primary_key=True),
    Column("stated", String(40), primary_key=True),
    Column("product_count", Integer, nullable=False, server_default="0"),
)


# The same per data category (listed products receiving some element of it, each once), per school (used there)
# and per kind, so that the directory counts an agreement filter with one of those from kept rows
# (`directory.queries.agreement_facet_kept`). Kept by database triggers (migration
# 20261128_agreement_term_facet_counts), never written here.
def _agreement_term_facet_count(name: str, column: str, parent: str) -> Table:
    return Table(
        f"agreement_term_{name}_count",
        db.metadata,
        Column(column, Integer, ForeignKey(f"{parent}.id", ondelete="CASCADE"), primary_key=True),
        Column("term_key", String(80), primary_key=True),
        Column("stated", String(40), primary_key=True),
        Column("product_count", Integer, nullable=False, server_default="0"),
    )


agreement_term_category_count = _agreement_term_facet_count("category", "category_id", "data_category")
agreement_term_school_count = _agreement_term_facet_count("school", "school_id", "school")
agreement_term_kind_count = _agreement_term_facet_count("kind", "kind_id", "product_kind")


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year + years, day=28)


class Agreement(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "agreement"
    record_phrase = "this agreement"
    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendor.id"), index=True)
    kind: Mapped[AgreementKind] = mapped_column(str_enum(AgreementKind), default=AgreementKind.NDPA)
    reference: Mapped[str] = mapped_column(String(200), default="")  # e.g. "NDPA v2.1, 2025"
    signed_on: Mapped[date | None] = mapped_column(index=True)
    effective_on: Mapped[date | None] = mapped_column(index=True)
    expires_on: Mapped[date | None] = mapped_column(index=True)  # None: open-ended
    auto_renews: Mapped[bool] = mapped_column(default=False)
    terminated_on: Mapped[date | None] = mapped_column(index=True)
    termination_reason: Mapped[str] = mapped_column(Text, default="")
    destruction_window_days: Mapped[int | None]  # None: the district's default
    # What the agreement says happens to the data when it ends; None: the agreement does not say.
    disposal_method: Mapped[DataDisposal | None] = mapped_column(str_enum(DataDisposal))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    is_document_published: Mapped[bool] = mapped_column(default=False)
    renewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id"), unique=True)
    # False: an agreement the district holds without its dates (an imported inventory's "DPA on
    # file"). It has no dates, its state is ON_FILE, and the sweep leaves it alone until they are recorded.
    dates_recorded: Mapped[bool] = mapped_column(default=True)
    internal_notes: Mapped[str] = mapped_column(Text, default="")
    # Recorded after it had already ended (an imported inventory), and the officer decided that its
    # end asks for no destruction request: the sweep never opens one for it.
    destruction_not_requested: Mapped[bool] = mapped_column(default=False, server_default=false())

    vendor: Mapped["Vendor"] = relationship(back_populates="agreements")
    products: Mapped[list["Product"]] = relationship(secondary=agreement_product, back_populates="agreements")
    document: Mapped["StoredFile | None"] = relationship()
    renewed_by: Mapped["Agreement | None"] = relationship(
        remote_side=[id], foreign_keys=[renewed_by_id], back_populates="renews"
    )
    renews: Mapped["Agreement | None"] = relationship(
        foreign_keys=[renewed_by_id], back_populates="renewed_by", uselist=False
    )

    @property
    def is_open_ended(self) -> bool:
        return self.expires_on is None

    def term_ends_on(self, today: date) -> date | None:
        """The last day of the current term; an auto-renewing agreement rolls on a year at a time."""
        if self.expires_on is None or not self.auto_renews or self.expires_on >= today:
            return self.expires_on
        years = today.year - self.expires_on.year
        end = _add_years(self.expires_on, years)
        return end if end >= today else _add_years(self.expires_on, years + 1)

    def renews_on(self, today: date) -> date | None:
        """The day an auto-renewing agreement next renews: the last day of its current term, when the
        next term is taken on. None when it does not renew: not auto-renewing, open-ended, not signed,
        replaced by a successor, or terminated (or to be terminated) before that day."""
        if not self.auto_renews or self.expires_on is None or self.signed_on is None or self.renewed_by_id is not None:
            return None
        end = self.term_ends_on(today)
        if end is None or end < today:
            return None
        if self.terminated_on is not None and self.terminated_on <= end:
            return None
        return end

    def ended_on(self, today: date) -> date | None:
        """The day the agreement ended (terminated or lapsed), or None while it runs."""
        if self.terminated_on is not None and self.terminated_on <= today:
            return self.terminated_on
        end = self.term_ends_on(today)
        if end is not None and end < today:
            return end
        return None

    def state_on(self, today: date, horizon: timedelta = EXPIRING_HORIZON) -> AgreementState:
        """Derived from the dates every time; never stored."""
        if self.terminated_on is not None and self.terminated_on <= today:
            return AgreementState.TERMINATED
        if self.dates_recorded is False:
            return AgreementState.ON_FILE
        if self.signed_on is None:
            return AgreementState.DRAFT
        end = self.term_ends_on(today)
        if self.renewed_by_id is not None and (end is None or end < today):
            return AgreementState.RENEWED
        if end is not None and end < today:
            return AgreementState.EXPIRED
        if self.effective_on is not None and self.effective_on > today:
            return AgreementState.UPCOMING
        if end is not None and end - today <= horizon:
            return AgreementState.EXPIRING
        return AgreementState.ACTIVE

    def ended_without_renewal_on(self, today: date) -> bool:
        """Expired or terminated with no successor to carry its data on: the data must be disposed of."""
        state = self.state_on(today)
        ended = state in (AgreementState.EXPIRED, AgreementState.TERMINATED)
        return ended and self.signed_on is not None and self.renewed_by_id is None

    def destruction_window(self, default_days: int) -> int:
        return self.destruction_window_days if self.destruction_window_days is not None else default_days
