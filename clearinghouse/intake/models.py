"""Tool requests: what a requester asks for, who asked, and where the request stands."""

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from clearinghouse.directory.approval import ProductStatus
from clearinghouse.directory.search import lookup_key
from clearinghouse.extensions import db
from clearinghouse.locking import VersionedMixin
from clearinghouse.models_base import NamedMixin, TimestampMixin, str_enum
from clearinghouse.text import NAME_KEY_MAX
from clearinghouse.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:
    from clearinghouse.accounts.models import User
    from clearinghouse.directory.models import Product, ProductKind, School

NAME_MAX = 200
URL_MAX = 500
TEXT_MAX = 5000
GRADES_MAX = 100
COST_MAX = 200
STUDENTS_MAX = 1_000_000


class RequestState(StrEnum):
    NEW = "new"  # waits on the privacy office
    WAITING_FOR_VENDOR = "waiting_for_vendor"  # the vendor was invited to declare its data
    READY_TO_DECIDE = "ready_to_decide"  # the vendor declared; the privacy office decides
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    RequestState.NEW: "New",
    RequestState.WAITING_FOR_VENDOR: "Waiting for the vendor",
    RequestState.READY_TO_DECIDE: "Ready to decide",
    RequestState.DECIDED: "Decided",
    RequestState.WITHDRAWN: "Withdrawn by the requester",
}
OPEN_STATES = (RequestState.NEW, RequestState.WAITING_FOR_VENDOR, RequestState.READY_TO_DECIDE)
OPEN_SQL = f"state IN ({', '.join(repr(state.value) for state in OPEN_STATES)})"


class Decision(StrEnum):
    """The privacy office's decision on a request: each sets the product's approval status of the
    same name, and is said in that status's words (one label, on `ProductStatus`)."""

    APPROVED = ProductStatus.APPROVED.value
    APPROVED_WITH_CONDITIONS = ProductStatus.APPROVED_WITH_CONDITIONS.value
    NOT_APPROVED = ProductStatus.NOT_APPROVED.value
    APPROVED_NO_STUDENT_DATA = ProductStatus.APPROVED_NO_STUDENT_DATA.value

    @property
    def status(self) -> ProductStatus:
        """The product's public status this decision sets."""
        return ProductStatus(self.value)

    @property
    def label(self) -> str:
        return self.status.label


class CostKind(StrEnum):
    FREE = "free"
    PAID = "paid"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return COST_KIND_LABELS[self]


COST_KIND_LABELS = {
    CostKind.FREE: "Free",
    CostKind.PAID: "Paid",
    CostKind.UNKNOWN: "I don't know",
}

# The outbox's `subject_type` of the notices about a request (its timeline lists them).
SUBJECT_TYPE = "tool_request"

tool_request_school = Table(
    "tool_request_school",
    db.metadata,
    Column("request_id", ForeignKey("tool_request.id", ondelete="CASCADE"), primary_key=True),
    Column("school_id", ForeignKey("school.id"), primary_key=True, index=True),
)


def _lookup_key_on_insert(context: Any) -> str:
    """The lookup key of a request inserted without the ORM (a bulk INSERT of dicts)."""
    return lookup_key(context.get_current_parameters().get("name"))


class ToolRequest(NamedMixin, TimestampMixin, VersionedMixin, db.Model):
    """A request for a tool; a second request for the same tool joins this one (intake.services)."""

    __tablename__ = "tool_request"
    record_phrase = "this request"
    __table_args__ = (
        # One open request per tool: the second of two requesters racing to open one joins the first.
        Index(
            "uq_tool_request_open_name_key",
            "name_key",
            unique=True,
            sqlite_where=text(OPEN_SQL),
            postgresql_where=text(OPEN_SQL),
        ),
        # The queue's pages: one state's requests, the longest waiting first (and its counts by state),
        # and the decided ones, the latest first; each read in index order, stopping at the page's end.
        Index("ix_tool_request_state_created_at", "state", "created_at", "id"),
        Index("ix_tool_request_updated_at", "updated_at", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    # The name as the "already known" lookup compares it (`search.lookup_key`: accents folded, as the
    # directory's index folds product names); follows the name like `name_key`.
    lookup_key: Mapped[str] = mapped_column(String(NAME_KEY_MAX), default=_lookup_key_on_insert, server_default="")
    website: Mapped[str] = mapped_column(String(URL_MAX), default="")
    kind_id: Mapped[int] = mapped_column(ForeignKey("product_kind.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text, default="")
    grades: Mapped[str] = mapped_column(String(GRADES_MAX), default="")
    student_count: Mapped[int | None]
    cost_kind: Mapped[CostKind] = mapped_column(str_enum(CostKind), default=CostKind.UNKNOWN)
    cost: Mapped[str] = mapped_column(String(COST_MAX), default="")
    data_needed: Mapped[str] = mapped_column(Text, default="")
    needed_by: Mapped[date | None]
    state: Mapped[RequestState] = mapped_column(str_enum(RequestState), default=RequestState.NEW)
    state_reason: Mapped[str] = mapped_column(Text, default="")  # why it was withdrawn
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), index=True)
    decision: Mapped[Decision | None] = mapped_column(str_enum(Decision))
    decision_note: Mapped[str] = mapped_column(Text, default="")  # the conditions, or why not
    decided_on: Mapped[date | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    schools: Mapped[list["School"]] = relationship(secondary=tool_request_school, order_by="School.name")
    requesters: Mapped[list["ToolRequester"]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="ToolRequester.joined_at"
    )
    product: Mapped["Product | None"] = relationship()
    kind: Mapped["ProductKind"] = relationship()  # read on the request's own page only

    @validates("name")
    def _keep_name_key(self, attribute: str, value: str) -> str:
        """NamedMixin's key, and the lookup's (one validator per attribute: this one extends it)."""
        value = NamedMixin._keep_name_key(self, attribute, value)
        self.lookup_key = lookup_key(value)
        return value

    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])
    opened_by: Mapped["User | None"] = relationship(foreign_keys=[opened_by_id])

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def has_requester(self, user_id: int) -> bool:
        return any(r.user_id == user_id for r in self.requesters)


class ToolRequester(db.Model):
    """A person on a request: the one who opened it, and each who asked for the same tool since."""

    __tablename__ = "tool_requester"
    request_id: Mapped[int] = mapped_column(ForeignKey("tool_request.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True, index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_opener: Mapped[bool] = mapped_column(default=False)

    request: Mapped[ToolRequest] = relationship(back_populates="requesters")
    user: Mapped["User"] = relationship()
