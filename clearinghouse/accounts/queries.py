"""Reading accounts for the users screen: users with their pending invitations, and the vendors to invite for."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from clearinghouse.accounts.models import Invitation, Role, User
from clearinghouse.directory.models import Vendor
from clearinghouse.extensions import db


@dataclass(frozen=True)
class UserRow:
    user: User
    pending: Invitation | None  # the newest invitation that is not used or withdrawn

    def status(self, now: datetime) -> tuple[str, str]:
        """(label, badge kind) for the users list."""
        if not self.user.is_active_account:
            return "Deactivated", "bad"
        if self.user.signs_in_with_provider:
            return "Active (district sign-in)", "ok"
        if self.user.password_hash:
            return "Active", "ok"
        if self.pending is not None and self.pending.expires_at > now:
            return "Invitation sent", "warn"
        return "Invitation expired", "bad"


def list_users(page: int, per_page: int, *, now: datetime | None = None):
    """A page of users (staff first, then vendor users by vendor), each with its pending invitation.

    Two queries whatever the page size: the users with their vendors, then their pending invitations.
    """
    stmt = (
        select(User)
        .outerjoin(User.vendor)
        .options(joinedload(User.vendor))
        .order_by(User.role == Role.VENDOR, Vendor.name, User.email)
    )
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    ids = [user.id for user in pagination.items]
    pending: dict[int, Invitation] = {}
    if ids:
        rows = db.session.scalars(
            select(Invitation)
            .where(Invitation.user_id.in_(ids), Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
            .order_by(Invitation.created_at)
        )
        pending = {invitation.user_id: invitation for invitation in rows}  # the newest wins
    return pagination, [UserRow(user, pending.get(user.id)) for user in pagination.items]


def get_user_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def get_vendor_user_or_404(user_id: int) -> User:
    return db.one_or_404(select(User).where(User.id == user_id, User.role == Role.VENDOR))


def vendor_choices() -> list[tuple[int, str]]:
    return [(v.id, v.name) for v in db.session.execute(select(Vendor.id, Vendor.name).order_by(Vendor.name))]


def get_vendor_or_none(vendor_id: int | None) -> "Vendor | None":
    return db.session.get(Vendor, vendor_id) if vendor_id else None
