"""Accounts kept by the district's identity provider: made at the first sign-in, synced at every one.

An account the provider created is found by the provider's `iss` and `sub`, never by e-mail alone,
and has no password. Its e-mail address, name and role follow the provider at each sign-in: the
role comes from the OIDC_* lists and groups (`ProviderPolicy.role_for`), so a promotion or a
demotion there takes effect at the next sign-in, and the app offers no other way to change it.
Deactivating the account in the app does stick: the provider cannot switch it back on.
"""

from datetime import datetime

from babel.lists import format_list
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clearinghouse.accounts.models import EMAIL_MAX, NAME_MAX, Role, User
from clearinghouse.accounts.oidc import ProviderIdentity, ProviderPolicy, SignInRefused
from clearinghouse.accounts.services import AUDIT_EXCLUDE, normalize_email
from clearinghouse.audit import services as audit
from clearinghouse.extensions import db
from clearinghouse.i18n import locale
from clearinghouse.text import visible_text
from clearinghouse.timeutil import utcnow

# Refusals are shown on a public page, in the language the sign-in started in.
NO_EMAIL = _l(
    "The district's sign-in service did not tell this site your e-mail address, so you cannot sign in here. "
    "Ask the district's IT team to share the e-mail address with this site."
)
EMAIL_NOT_VERIFIED = _l(
    "The district's sign-in service says your e-mail address is not verified. Verify it there, then sign in again."
)
DEACTIVATED = _l(
    "Your account on this site has been deactivated. Write to the privacy office if you need access again."
)
SIGN_IN_RACE = _l("You were signing in twice at the same moment. Start again from the sign-in page.")


def _outside_domains(email: str, policy: ProviderPolicy) -> str:
    domains = format_list([f"@{domain}" for domain in sorted(policy.allowed_domains)], style="or", locale=locale())
    return gettext(
        "You signed in as %(email)s, but only %(domains)s accounts can sign in here. "
        "Sign out of the district's sign-in service and use your district account.",
        email=email,
        domains=domains,
    )


def _email_taken(email: str) -> str:
    return gettext(
        "This site already has an account for %(email)s that signs in with a password (or will, once the "
        "invitation e-mailed to it is accepted), so the district account cannot take it over. Sign in with "
        "that password, or ask an administrator for help.",
        email=email,
    )


def checked_email(identity: ProviderIdentity, policy: ProviderPolicy) -> str:
    """The identity's e-mail address, normalized, if it may have an account here.

    Raises SignInRefused: no address, an address the provider says is unverified (when it says so at
    all), a malformed one, or one outside OIDC_ALLOWED_DOMAINS.
    """
    email = normalize_email(identity.email)
    if not email:
        raise SignInRefused(NO_EMAIL)
    if identity.email_verified is False:
        raise SignInRefused(EMAIL_NOT_VERIFIED)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise SignInRefused(NO_EMAIL) from None
    if len(email) > EMAIL_MAX or not policy.allows(email):
        raise SignInRefused(_outside_domains(email, policy))
    return email


def sign_in_with_provider(identity: ProviderIdentity, policy: ProviderPolicy, *, now: datetime | None = None) -> User:
    """The account of the person the provider vouched for: created at the first sign-in as a requester
    (or the role the lists and groups give), then kept in step with the provider. A core: it
    flushes, and the caller commits it in `unit_of_work()`.

    Raises SignInRefused, before writing anything, for an e-mail address that may not sign in
    (`checked_email`), a deactivated account, or an address already held by another account (a
    password account is never taken over).
    """
    now = now or utcnow()
    email = checked_email(identity, policy)
    user = db.session.scalar(
        select(User).where(User.oidc_issuer == identity.issuer, User.oidc_subject == identity.subject)
    )
    holder = db.session.scalar(select(User).where(User.email == email))
    if holder is not None and holder is not user:
        raise SignInRefused(_email_taken(email), status=409)
    if user is not None and not user.is_active_account:
        raise SignInRefused(DEACTIVATED)
    role = policy.role_for(email, identity.groups)
    name = visible_text(identity.name, NAME_MAX)  # the provider's name, without what would break an e-mail
    try:
        if user is None:
            user = _create(identity, email, name, role)
        else:
            _sync(user, email, name, role)
        user.last_login_at = now
        audit.record(user, "user.signed_in", user, label=user.email)
        db.session.flush()
    except IntegrityError:  # the same person's other tab created the account a moment ago
        raise SignInRefused(SIGN_IN_RACE, status=409) from None
    return user


def _create(identity: ProviderIdentity, email: str, name: str, role: Role) -> User:
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=None,
        oidc_issuer=identity.issuer,
        oidc_subject=identity.subject,
        is_active_account=True,
        session_version=1,
    )
    db.session.add(user)
    changes = audit.pending_changes(user, exclude=AUDIT_EXCLUDE)
    audit.record(user, "user.created", user, changes, label=email)
    return user


def _sync(user: User, email: str, name: str, role: Role) -> None:
    """Take the provider's address, name and role; audit what changed (a role change on its own)."""
    user.email = email
    user.name = name or user.name
    user.role = role
    changes = audit.pending_changes(user, exclude=AUDIT_EXCLUDE)
    role_change = changes.pop("role", None)
    if role_change is not None:
        audit.record(user, "user.role_changed", user, {"role": role_change}, label=email)
    if changes:
        audit.record(user, "user.updated", user, changes, label=email)
