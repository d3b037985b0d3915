"""Parents who follow changes by e-mail: a subscriber (one address) and what it follows.

The address is the only thing a subscriber gives. It is used for these e-mails alone, never shown
to staff (they see counts), and deleted with the subscriber (`services.delete_subscriber`).
Ids are never reused (SQLite AUTOINCREMENT), so the purpose keys of a deleted subscriber's
e-mails can never be taken by a later one.
"""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clearinghouse.extensions import db
from clearinghouse.models_base import str_enum
from clearinghouse.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:
    from clearinghouse.directory.models import Product, School

EMAIL_MAX = 254


class Scope(StrEnum):
    DISTRICT = "district"
    PRODUCT = "product"
    SCHOOL = "school"

    @property
    def label(self) -> str:
        return str(SCOPE_LABELS[self])


SCOPE_LABELS = {
    Scope.DISTRICT: _l("Every change in the district"),
    Scope.PRODUCT: _l("A product"),
    Scope.SCHOOL: _l("A school"),
}


class Subscriber(db.Model):
    """An e-mail address that asked for the digest of public changes, in its language."""

    __tablename__ = "subscriber"
    __table_args__ = ({"sqlite_autoincrement": True},)
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)  # lower-cased
    language: Mapped[str] = mapped_column(String(16))
    # Signed into every link, so a link stops working once its subscriber is deleted.
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last disclosure revision reported to (or before) this subscriber: digests report the later ones.
    reported_through: Mapped[int] = mapped_column(default=0)

    subscriptions: Mapped[list["Subscription"]] = relationship(
        back_populates="subscriber", cascade="all, delete-orphan", passive_deletes=True, order_by="Subscription.id"
    )

    @property
    def confirmed(self) -> list["Subscription"]:
        return [subscription for subscription in self.subscriptions if subscription.confirmed_at is not None]


class Subscription(db.Model):
    """What a subscriber follows: the whole district, a product or a school (confirmed by e-mail)."""

    __tablename__ = "subscription"
    __table_args__ = (UniqueConstraint("subscriber_id", "target_key"), {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscriber.id", ondelete="CASCADE"), index=True)
    scope: Mapped[Scope] = mapped_column(str_enum(Scope))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    # "district", "product:<id>" or "school:<id>": one subscription per thing followed.
    target_key: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    subscriber: Mapped[Subscriber] = relationship(back_populates="subscriptions")
    product: Mapped["Product | None"] = relationship("Product")
    school: Mapped["School | None"] = relationship("School")


def target_key(scope: Scope, target_id: int | None) -> str:
    return scope.value if scope == Scope.DISTRICT else f"{scope.value}:{target_id}"
