"""Failed sign-in throttling per account and per client address, counted in the database.

The rows live in `login_attempt`, not in process memory, so the limits hold across every worker
process and server that share the database. Only failures inside the window count; older rows
are deleted whenever a new attempt is written.

`admit_attempt` judges the lockout and records the attempt in one transaction that holds a
per-account lock (a PostgreSQL advisory lock; on SQLite, the database's single write lock,
taken by the first statement; `clearinghouse.throttle` holds that rule and the lock), BEFORE the
password is checked. So in a burst of simultaneous
guesses from several workers exactly the limit reach the password check, however they
interleave. A failed attempt keeps its rows as the record of the failure; a successful one
removes them and forgives the account; a refused one records nothing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from clearinghouse import throttle
from clearinghouse.accounts.models import LoginAttempt
from clearinghouse.extensions import db, unit_of_work


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
    """How long the key stays locked: until enough of its failures leave the window (`throttle.wait`)."""
    times = db.session.scalars(
        select(LoginAttempt.attempted_at).where(LoginAttempt.key == key, LoginAttempt.attempted_at > now - window)
    ).all()
    return throttle.wait(list(times), throttle.Rule(limit, window), now)


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


def admit_attempt(email: str, address: str, *, now: datetime) -> tuple[int, int] | timedelta:
    """Record an attempt to check a password, or say how long sign-in stays locked.

    Returns the ids of the attempt's two rows (account, address), or the remaining lockout.
    Commits on its own: the rows must be visible to the other workers before the check.
    """
    keys = sorted({account_key(email), address_key(address)})
    with unit_of_work():
        throttle.lock_keys(keys)
        window = Limits.from_config().window
        # On SQLite this first write takes the database's write lock for the rest of the transaction.
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at <= now - window))
        wait = lockout_remaining(email, address, now=now)
        if wait is not None:
            return wait
        return _record_attempt(email, address, now=now)


def _record_attempt(email: str, address: str, *, now: datetime) -> tuple[int, int]:
    """Adds the attempt's rows to the caller's unit of work; returns their ids."""
    rows = [
        LoginAttempt(key=account_key(email), attempted_at=now),
        LoginAttempt(key=address_key(address), attempted_at=now),
    ]
    db.session.add_all(rows)
    db.session.flush()
    return rows[0].id, rows[1].id


def forget_attempt(attempt_ids: tuple[int, ...]) -> None:
    """Remove an attempt's rows (it was refused, or it succeeded); adds to the caller's unit of work."""
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(attempt_ids)))


def clear_account(email: str) -> None:
    """A successful sign-in forgives the account's failures (the address keeps its count)."""
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.key == account_key(email)))
