"""Throttling, counted in the database: the one rule every throttled form uses.

A key (an account, a client address, a hashed e-mail address) may act `limit` times in a sliding
`window`; past that it waits until its oldest counted attempt leaves the window (`wait`). The
counts live in the database, not in process memory, so the limits hold across every worker
process that shares it. `lock_keys` serialises the attempts on the same keys: a PostgreSQL
advisory lock per key for the rest of the transaction; on SQLite the caller's first write takes
the database's single write lock, which does the same.

The sign-in throttle (`accounts.throttle`) keeps its attempts in `login_attempt`, because a
failed password must count even when the rest of the request rolls back. Public forms
(`subscriptions`) count theirs here, in `throttle_hit`, inside the request's own unit of work,
under keys that never hold what a person typed: `hashed_key` keeps an HMAC of the value.
"""

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Index, String, delete, select, text
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.extensions import db
from clearinghouse.timeutil import UTCDateTime


@dataclass(frozen=True)
class Rule:
    limit: int
    window: timedelta


def wait(times: list[datetime], rule: Rule, now: datetime) -> timedelta | None:
    """How long a key with attempts at `times` must wait before its next one; None when it may act now."""
    recent = sorted(time for time in times if time > now - rule.window)
    if len(recent) < rule.limit:
        return None
    return max(recent[len(recent) - rule.limit] + rule.window - now, timedelta(seconds=1))


def lock_keys(keys: Iterable[str]) -> None:
    """Hold a per-key lock until the transaction ends (PostgreSQL); sorted, so two callers never deadlock."""
    if db.session.get_bind().dialect.name == "postgresql":
        for key in sorted(set(keys)):
            db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def hashed_key(kind: str, value: str) -> str:
    """`kind:` and an HMAC of the value (keyed with SECRET_KEY): counts by address without keeping it."""
    secret = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(secret, value.strip().lower().encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return f"{kind}:{digest[:40]}"


class ThrottleHit(db.Model):
    """One counted attempt of a throttled public form, under a hashed key; deleted once out of every window."""

    __tablename__ = "throttle_hit"
    __table_args__ = (Index("ix_throttle_hit_key_at", "key", "attempted_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def prune(older_than: datetime) -> None:
    """Forget the attempts no window counts any more (on SQLite, this first write takes the write lock)."""
    db.session.execute(delete(ThrottleHit).where(ThrottleHit.attempted_at <= older_than))


def wait_for(key: str, rule: Rule, now: datetime) -> timedelta | None:
    """`wait` for a key counted in `throttle_hit`."""
    times = db.session.scalars(
        select(ThrottleHit.attempted_at).where(ThrottleHit.key == key, ThrottleHit.attempted_at > now - rule.window)
    ).all()
    return wait(list(times), rule, now)


def count(key: str, now: datetime) -> None:
    """Record an attempt under the key (in the caller's unit of work)."""
    db.session.add(ThrottleHit(key=key, attempted_at=now))
