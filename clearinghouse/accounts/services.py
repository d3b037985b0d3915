"""Accounts: signing in and out, passwords, staff users, and vendor invitations.

The write functions here are cores: each checks its rules, raises DomainError before writing
anything, writes, flushes, records the audit event, and never commits; the caller (a view, a
command, the demo loader) wraps it in `unit_of_work()`. Invitation e-mails are queued in the
outbox inside that unit of work and sent as soon as it commits. The one write that commits on its
own is the sign-in attempt (`throttle.admit_attempt`): it must outlive a refused password.
"""

import hashlib
import math
import secrets
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from clearinghouse.accounts import passwords, throttle
from clearinghouse.accounts.models import EMAIL_MAX, NAME_MAX, STAFF_ROLES, Invitation, Role, User
from clearinghouse.audit import services as audit
from clearinghouse.directory.models import Vendor
from clearinghouse.errors import DomainError
from clearinghouse.extensions import after_commit, db
from clearinghouse.notices import services as notices
from clearinghouse.text import clean_line, clean_name
from clearinghouse.timeutil import utcnow

# Shown on the public sign-in page, in its language.
SIGN_IN_FAILED = _l("That e-mail address and password do not match an active account. Check them and try again.")
SIGNS_IN_WITH_DISTRICT_ACCOUNT = (
    "Your account signs in with your district account, so it has no password here. "
    "Use “Sign in with your district account” on the sign-in page."
)
INVITATION_SALT = "clearinghouse.invitation"
AUDIT_EXCLUDE = ("updated_at", "version", "password_hash", "session_version", "last_login_at")


class SignInThrottled(DomainError):
    """Too many failed sign-ins for this account or address; try again later."""

    def __init__(self, wait: timedelta):
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        super().__init__(
            ngettext(
                "Too many failed sign-ins. Try again in %(num)d minute.",
                "Too many failed sign-ins. Try again in %(num)d minutes.",
                minutes,
            )
        )
        self.minutes = minutes


class InvitationGone(DomainError):
    """The invitation link cannot be used (used, expired, withdrawn or not valid)."""

    def __init__(self, message: str, status: int = 410):
        super().__init__(message)
        self.status = status


INVITATION_INVALID = (
    "This invitation link is not valid. Check that you copied the whole link from the e-mail, "
    "or ask the district for a new link."
)
INVITATION_USED = "This invitation link has already been used. Sign in or ask the district for a new link."
INVITATION_EXPIRED = "This invitation link has expired. Ask the district for a new link."
INVITATION_REVOKED = (
    "This invitation link has been withdrawn. Ask the district for a new link if you still need access."
)


def normalize_email(email: str) -> str:
    """One spelling per address: NFC, stripped, lower-case. UnsafeText for a line break or control
    character (an address goes into e-mail headers)."""
    return clean_line(email, field="email").lower()


def _person_name(name: str, field: str = "name") -> str:
    """A person's name as stored: `text.clean_name` (it appears in e-mails), at most NAME_MAX."""
    return clean_name(name, field=field)[:NAME_MAX]


def _valid_email(email: str, field: str = "email") -> str:
    email = normalize_email(email)
    if len(email) > EMAIL_MAX:
        raise DomainError("That e-mail address is too long.", field=field)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise DomainError("Enter a valid e-mail address, like name@example.org.", field=field) from None
    return email


def _email_is_free(email: str) -> None:
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise DomainError("A user with this e-mail address already exists.", field="email")


def _changes(user: User) -> dict[str, list]:
    return audit.pending_changes(user, exclude=AUDIT_EXCLUDE)


# --- signing in and out ---------------------------------------------------------------------------


def sign_in(email: str, password: str, *, address: str, now: datetime | None = None) -> User:
    """The active user with this e-mail and password.

    Raises SignInThrottled while the account or the address is locked out, and DomainError with one
    generic message for an unknown e-mail, a wrong password or an inactive account (no enumeration:
    the unknown-e-mail path hashes too, so it takes as long).
    """
    now = now or utcnow()
    email = normalize_email(email)
    attempt = throttle.admit_attempt(email, address, now=now)  # committed before the check
    if isinstance(attempt, timedelta):
        raise SignInThrottled(attempt)
    user = db.session.scalar(select(User).where(User.email == email)) if email else None
    matches = passwords.verify_password((user.password_hash or "") if user else "", password or "")
    if user is None or not matches or not user.is_active:
        raise DomainError(str(SIGN_IN_FAILED))  # the attempt's rows stay: they are the failure's record
    throttle.forget_attempt(attempt)
    throttle.clear_account(email)
    user.last_login_at = now
    audit.record(user, "user.signed_in", user, label=user.email)
    return user


def sign_out(user: User) -> None:
    """End every session of the user: cookies carrying the old session version stop working."""
    user.session_version += 1


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Set a new password after checking the current one; ends the user's other sessions.

    Raises DomainError on `current_password` or `new_password`, or for an account of the district's provider.
    """
    if user.signs_in_with_provider:
        raise DomainError(SIGNS_IN_WITH_DISTRICT_ACCOUNT)
    if not passwords.verify_password(user.password_hash or "", current_password or ""):
        raise DomainError("That is not your current password.", field="current_password")
    if current_password == new_password:
        raise DomainError("Choose a password different from your current one.", field="new_password")
    passwords.check_password_rules(new_password, email=user.email, field="new_password")
    user.password_hash = passwords.hash_password(new_password)
    user.session_version += 1
    audit.record(user, "user.password_changed", user, {"password": ["(hidden)", "(changed)"]}, label=user.email)


# --- staff users ----------------------------------------------------------------------------------


def create_user_with_password(
    email: str,
    name: str,
    password: str,
    *,
    role: Role | str = Role.ADMIN,
    vendor: Vendor | None = None,
    actor: User | None = None,
) -> User:
    """A user who can sign in at once, with the password given (no invitation). Raises DomainError.

    For set-up from the command line (the first administrator) and for the demo accounts.
    """
    role = Role(role)
    if (role == Role.VENDOR) != (vendor is not None):
        raise DomainError("A vendor user belongs to a vendor; staff users belong to none.", field="role")
    email = _valid_email(email)
    _email_is_free(email)
    passwords.check_password_rules(password, email=email)
    user = User(
        email=email,
        name=_person_name(name),
        role=role,
        vendor_id=vendor.id if vendor is not None else None,
        password_hash=passwords.hash_password(password),
        is_active_account=True,
        session_version=1,
    )
    db.session.add(user)
    audit.record(actor, "user.created", user, _changes(user), label=email)
    return user


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise DomainError("Only an administrator can do that.")


def create_staff_user(email: str, name: str, role: Role | str, *, actor: User, now: datetime | None = None) -> User:
    """An admin adds a privacy officer or administrator; they get an invitation to set their password.

    Raises DomainError (not an admin, bad role, e-mail taken).
    """
    _require_admin(actor)
    role = Role(role)
    if role not in STAFF_ROLES:
        raise DomainError("Choose administrator or privacy officer.", field="role")
    email = _valid_email(email)
    _email_is_free(email)
    user = User(
        email=email,
        name=_person_name(name),
        role=role,
        password_hash=None,
        is_active_account=True,
        session_version=1,
    )
    db.session.add(user)
    audit.record(actor, "user.created", user, _changes(user), label=email)
    _invite(user, actor=actor, now=now)
    return user


def _last_active_admin(user: User) -> bool:
    others = db.session.scalar(
        select(func.count(User.id)).where(
            User.role == Role.ADMIN,
            User.is_active_account.is_(True),
            User.password_hash.is_not(None) | User.oidc_subject.is_not(None),
            User.id != user.id,
        )
    )
    return user.is_admin and others == 0


def deactivate_user(user: User, *, actor: User, now: datetime | None = None) -> None:
    """Switch an account off: its sessions end and its pending invitations are withdrawn.

    Admins may deactivate anyone but themselves and the last administrator; officers only vendor users.
    """
    if not actor.is_admin and (not actor.is_staff or user.role != Role.VENDOR):
        raise DomainError("Only an administrator can deactivate staff accounts.")
    if user.id == actor.id:
        raise DomainError("You cannot deactivate your own account.")
    if _last_active_admin(user):
        raise DomainError("This is the last active administrator. Add another administrator first.")
    if not user.is_active_account:
        raise DomainError(f"{user.email} is already deactivated.")
    now = now or utcnow()
    user.is_active_account = False
    user.session_version += 1
    changes = _changes(user)
    _revoke_pending(user, now)
    audit.record(actor, "user.deactivated", user, changes, label=user.email)


def reactivate_user(user: User, *, actor: User) -> None:
    """An admin switches an account back on (a user who never set a password still needs an invitation)."""
    _require_admin(actor)
    if user.is_active_account:
        raise DomainError(f"{user.email} is already active.")
    user.is_active_account = True
    audit.record(actor, "user.reactivated", user, _changes(user), label=user.email)


# --- vendor users and invitations ---------------------------------------------------------------


def invite_vendor_user(vendor: "Vendor", email: str, name: str, *, actor: User, now: datetime | None = None) -> User:
    """An officer invites a vendor contact: a vendor user without a password, and an e-mailed link.

    Raises DomainError (e-mail taken).
    """
    if not actor.is_staff:
        raise DomainError("Only district staff can invite vendor users.")
    email = _valid_email(email)
    _email_is_free(email)
    user = User(
        email=email,
        name=_person_name(name),
        role=Role.VENDOR,
        vendor_id=vendor.id,
        password_hash=None,
        is_active_account=True,
        session_version=1,
    )
    db.session.add(user)
    audit.record(actor, "user.invited", user, _changes(user), label=email)
    _invite(user, actor=actor, now=now)
    return user


def resend_invitation(user: User, *, actor: User, now: datetime | None = None) -> Invitation:
    """A new link for someone who has not set a password yet; the older links stop working.

    Officers re-send to vendor users, admins to anyone. Raises DomainError.
    """
    if user.role != Role.VENDOR:
        _require_admin(actor)
    if user.signs_in_with_provider:
        raise DomainError(f"{user.email} signs in with the district's account and needs no invitation.")
    if user.password_hash:
        raise DomainError(f"{user.email} has already set a password; they can sign in.")
    if not user.is_active_account:
        raise DomainError(f"{user.email} is deactivated. An administrator must reactivate the account first.")
    now = now or utcnow()
    _revoke_pending(user, now)
    invitation = _invite(user, actor=actor, now=now)
    audit.record(actor, "user.invitation_resent", user, label=user.email)
    return invitation


def revoke_vendor_user(user: User, *, actor: User, now: datetime | None = None) -> None:
    """Withdraw a vendor user's access: deactivate, withdraw pending links, end sessions."""
    if user.role != Role.VENDOR:
        raise DomainError("Only vendor users can be revoked here.")
    deactivate_user(user, actor=actor, now=now)


def _revoke_pending(user: User, now: datetime) -> None:
    db.session.execute(
        update(Invitation)
        .where(Invitation.user_id == user.id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=INVITATION_SALT)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _invite(user: User, *, actor: User | None, now: datetime | None) -> Invitation:
    """Add an invitation and queue its e-mail, sent as soon as the caller's unit of work commits
    (a failure leaves it queued in the outbox for a retry)."""
    now = now or utcnow()
    raw = secrets.token_urlsafe(32)  # only its SHA-256 is stored
    invitation = Invitation(
        user_id=user.id,
        token_hash=token_hash(raw),
        invited_by_id=actor.id if actor else None,
        created_at=now,
        expires_at=now + timedelta(days=current_app.config["INVITATION_DAYS"]),
    )
    db.session.add(invitation)
    db.session.flush()
    link_token = _serializer().dumps(raw)
    notice = notices.queue_notice(
        f"invitation:{invitation.id}",
        [user.email],
        "invitation",
        {
            "path": f"/invitations/{link_token}",
            "user": user,
            "vendor_name": user.vendor.name if user.vendor else "",
            "role_label": user.role.label,
            "invited_by": actor.display_name if actor else "",
            "expires_at": invitation.expires_at,
        },
        subject_type="invitation",
        subject_id=invitation.id,
        now=now,
    )
    if notice is not None:
        notice_id = notice.id
        after_commit(lambda: notices.deliver_queued(notice_ids=[notice_id]))
    return invitation


def find_invitation(link_token: str, *, now: datetime | None = None) -> Invitation:
    """The invitation behind a link, still usable. Raises InvitationGone saying why not."""
    now = now or utcnow()
    max_age = current_app.config["INVITATION_DAYS"] * 86400
    try:
        raw = _serializer().loads(link_token, max_age=max_age)
    except SignatureExpired:
        raise InvitationGone(INVITATION_EXPIRED) from None
    except BadSignature:
        raise InvitationGone(INVITATION_INVALID, status=404) from None
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == token_hash(str(raw))).options(joinedload(Invitation.user))
    )
    if invitation is None:
        raise InvitationGone(INVITATION_INVALID, status=404)
    if invitation.used_at is not None:
        raise InvitationGone(INVITATION_USED)
    if invitation.revoked_at is not None or not invitation.user.is_active_account:
        raise InvitationGone(INVITATION_REVOKED)
    if invitation.expires_at <= now:
        raise InvitationGone(INVITATION_EXPIRED)
    return invitation


def accept_invitation(invitation: Invitation, name: str, password: str, *, now: datetime | None = None) -> User:
    """Set the invited user's name and password and use up the link, once even under a double submit.

    Raises DomainError (password rules) or InvitationGone (someone used the link a moment ago).
    """
    user = invitation.user
    passwords.check_password_rules(password, email=user.email)
    now = now or utcnow()
    claimed = db.session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise InvitationGone(INVITATION_USED)
    user.name = _person_name(name) or user.name
    user.password_hash = passwords.hash_password(password)
    user.last_login_at = now
    audit.record(user, "user.invitation_accepted", user, _changes(user), label=user.email)
    return user
