"""Failed sign-in throttling per account and per client address, counted in the database.

The rows live in `login_attempt`, not in process memory, so the limits hold across every worker
process and server that share the database. Only failures inside the window count; older rows
are deleted whenever a new failure is written.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from clearinghouse.accounts.models import LoginAttempt
from clearinghouse.extensions import db


@dataclass(frozen=True)
class Limits:
    per_account: int
    per_address: int
    window: timedelta

    @classmethod
    def from_config(cls) -> "Limits":
        config = current_app.config
        return cls(
            per_account=config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
            per_address=config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
            window=timedelta(seconds=config["LOGIN_WINDOW_SECONDS"]),
        )


def account_key(email: str) -> str:
    return f"account:{email.strip().lower()}"[:300]


def address_key(address: str) -> str:
    return f"address:{address or 'unknown'}"[:300]


def _locked_for(key: str, limit: int, window: timedelta, now: datetime) -> timedelta | None:
    """How long the key stays locked: until enough of its failures leave the window."""
    times = db.session.scalars(
        select(LoginAttempt.attempted_at)
        .where(LoginAttempt.key == key, LoginAttempt.attempted_at > now - window)
        .order_by(LoginAttempt.attempted_at)
    ).all()
    if len(times) < limit:
        return None
    return max(times[len(times) - limit] + window - now, timedelta(seconds=1))


def lockout_remaining(email: str, address: str, *, now: datetime) -> timedelta | None:
    """How long sign-in stays refused for this account or this address; None when it is allowed."""
    limits = Limits.from_config()
    waits = [
        wait
        for wait in (
            _locked_for(account_key(email), limits.per_account, limits.window, now),
            _locked_for(address_key(address), limits.per_address, limits.window, now),
        )
        if wait is not None
    ]
    return max(waits) if waits else None


def record_failure(email: str, address: str, *, now: datetime) -> None:
    """Count a failure against the account and the address, and forget failures older than the window.

    Adds to the caller's unit of work.
    """
    window = Limits.from_config().window
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at <= now - window))
    db.session.add_all(
        [
            LoginAttempt(key=account_key(email), attempted_at=now),
            LoginAttempt(key=address_key(address), attempted_at=now),
        ]
    )


def clear_account(email: str) -> None:
    """A successful sign-in forgives the account's failures (the address keeps its count)."""
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.key == account_key(email)))
