"""People who sign in: staff (admins, privacy officers, requesters) and vendor users; login throttling."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clearinghouse.extensions import db
from clearinghouse.models_base import TimestampMixin, str_enum
from clearinghouse.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:
    from clearinghouse.directory.models import Vendor

PASSWORD_MIN_LENGTH = 12
EMAIL_MAX = 254
NAME_MAX = 200
OIDC_CLAIM_MAX = 255  # OpenID Connect Core 1.0 §2: `sub` is at most 255 ASCII characters


class Role(StrEnum):
    ADMIN = "admin"
    OFFICER = "officer"
    VENDOR = "vendor"
    # District staff who sign in with the district's provider to ask for tools (teachers, principals,
    # department heads): no access to the staff or vendor areas.
    REQUESTER = "requester"

    @property
    def label(self) -> str:
        return {
            "admin": "Administrator",
            "officer": "Privacy officer",
            "vendor": "Vendor user",
            "requester": "Requester",
        }[self.value]


STAFF_ROLES = (Role.ADMIN, Role.OFFICER)


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL
    __table_args__ = (
        UniqueConstraint("oidc_issuer", "oidc_subject"),
        CheckConstraint("(oidc_issuer IS NULL) = (oidc_subject IS NULL)", name="oidc_identity_whole"),
        # An account made by the district's provider never has a password: it signs in there or not at all.
        CheckConstraint("oidc_subject IS NULL OR password_hash IS NULL", name="oidc_account_has_no_password"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None: not set yet, or a provider account
    role: Mapped[Role] = mapped_column(str_enum(Role), index=True)
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendor.id"), index=True)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    # Bumped at logout and password change: every older session cookie stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The district provider's identity (OpenID Connect `iss` and `sub`) of an account it created;
    # the e-mail address may change at the provider, these never do.
    oidc_issuer: Mapped[str | None] = mapped_column(String(OIDC_CLAIM_MAX))
    oidc_subject: Mapped[str | None] = mapped_column(String(OIDC_CLAIM_MAX))

    vendor: Mapped["Vendor | None"] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_account and (bool(self.password_hash) or self.signs_in_with_provider)

    @property
    def signs_in_with_provider(self) -> bool:
        """Created by the district's identity provider: no password, roles kept by the provider."""
        return self.oidc_subject is not None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class LoginAttempt(db.Model):
    """A failed sign-in, kept in the database so throttling holds across worker processes."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_key_at", "key", "attempted_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))  # "account:<email>" or "address:<ip>"
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invitation(db.Model):
    """A single-use, expiring link that lets a vendor contact set a password."""

    __tablename__ = "invitation"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
