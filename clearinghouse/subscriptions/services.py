"""Following changes by e-mail: asking, confirming, changing and deleting a subscription.

Every write here is a flush-only core; the views and the sweep wrap them in `unit_of_work()`.

- `request_subscription` is throttled per client address and per e-mail address
  (`clearinghouse.throttle`, under hashed keys). A client over its limit is refused (429); an
  address over its limit gets the same answer as any other and no e-mail, so the form never
  tells whether an address is known. Only the confirmation e-mail is sent until the link in it
  is followed (double opt-in); a request for something already followed sends a note with the
  link to manage the subscription instead, to that address only.
- `confirm` confirms what was asked before the link was made; from then on the digests
  (`subscriptions.digest`) report the changes that follow.
- `delete_subscriber` removes the address entirely: the subscriber, what it follows, and the
  address and links in the outbox's copies of its e-mails. Unsubscribing by the one-click link
  does the same. `purge_unconfirmed` deletes the requests nobody confirmed in time.

No audit event is written: the address must not reach the staff's audit log, and these are
records about a member of the public, not about the district's agreements.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, exists, func, or_, select, update

from clearinghouse import throttle
from clearinghouse.audit.models import DisclosureRevision
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db
from clearinghouse.i18n import LANG_ARG, configured_languages, default_language
from clearinghouse.notices import services as notices
from clearinghouse.notices.models import Notice, NoticeStatus
from clearinghouse.subscriptions import tokens
from clearinghouse.subscriptions.models import EMAIL_MAX, Scope, Subscriber, Subscription, target_key
from clearinghouse.urls import external_url

SUBJECT_TYPE = "subscriber"  # the outbox shows no address for these (notices.models.PRIVATE_SUBJECT_TYPES)


class SubscribeThrottled(DomainError):
    """Too many requests from one client address."""

    def __init__(self, wait: timedelta):
        super().__init__("Too many requests from this connection.")
        self.wait = wait


@dataclass(frozen=True)
class Target:
    """What a request follows: its scope, and the product's or school's id and name."""

    scope: Scope
    id: int | None = None
    name: str = ""


def normalize_email(raw: str) -> str:
    return (raw or "").strip().lower()[:EMAIL_MAX]


def rules() -> tuple[throttle.Rule, throttle.Rule]:
    """(per client address, per e-mail address)."""
    config = current_app.config
    window = timedelta(seconds=config["SUBSCRIBE_WINDOW_SECONDS"])
    return (
        throttle.Rule(config["SUBSCRIBE_MAX_PER_CLIENT"], window),
        throttle.Rule(config["SUBSCRIBE_MAX_PER_ADDRESS"], window),
    )


def _language(code: str | None) -> str:
    return code if code in configured_languages() else default_language()


def links(subscriber: Subscriber, language: str | None = None) -> dict[str, str]:
    """The subscriber's manage and one-click unsubscribe addresses, absolute, in its language."""
    token = tokens.manage_token(subscriber)
    code = {LANG_ARG: _language(language or subscriber.language)}
    return {
        "manage_url": external_url("subscriptions.manage", token=token, **code),
        "unsubscribe_url": external_url("subscriptions.unsubscribe", token=token, **code),
    }


def request_subscription(email: str, target: Target, language: str, *, client: str, now: datetime) -> Notice | None:
    """Ask to follow `target` from `email`: queue the confirmation e-mail (a core; the caller commits).

    Returns the queued e-mail (None when the address is over its limit). SubscribeThrottled when
    the client address is over its limit (nothing is written then).
    """
    email = normalize_email(email)
    language = _language(language)
    per_client, per_address = rules()
    client_key = throttle.hashed_key("subscribe-client", client or "unknown")
    address_key = throttle.hashed_key("subscribe-address", email)
    throttle.lock_keys([client_key, address_key])
    throttle.prune(now - max(per_client.window, per_address.window))
    wait = throttle.wait_for(client_key, per_client, now)
    if wait is not None:
        raise SubscribeThrottled(wait)
    throttle.count(client_key, now)
    if throttle.wait_for(address_key, per_address, now) is not None:
        return None  # the same answer as any request, and no e-mail
    throttle.count(address_key, now)
    subscriber = db.session.scalar(select(Subscriber).where(Subscriber.email == email))
    if subscriber is None:
        subscriber = Subscriber(email=email, language=language, nonce=secrets.token_hex(16), created_at=now)
        db.session.add(subscriber)
        db.session.flush()
    key = target_key(target.scope, target.id)
    subscription = next((s for s in subscriber.subscriptions if s.target_key == key), None)
    if subscription is None:
        subscription = Subscription(
            scope=target.scope,
            product_id=target.id if target.scope == Scope.PRODUCT else None,
            school_id=target.id if target.scope == Scope.SCHOOL else None,
            target_key=key,
            created_at=now,
        )
        subscriber.subscriptions.append(subscription)
        db.session.flush()
    already = subscriber.confirmed_at is not None and subscription.confirmed_at is not None
    token = tokens.confirmation_token(subscriber, language, now)
    context = {
        "target": target,
        "already": already,
        "confirm_url": external_url("subscriptions.confirm", token=token, **{LANG_ARG: language}),
        "expires_days": tokens.CONFIRM_DAYS,
        **links(subscriber, language),
    }
    queued = notices.queue_notices(
        [
            notices.NoticeDraft(
                f"subscriber:{subscriber.id}:{'known' if already else 'confirm'}:{int(now.timestamp())}",
                [email],
                "subscription_known" if already else "subscription_confirm",
                context,
                subject_type=SUBJECT_TYPE,
                subject_id=subscriber.id,
                language=language,
            )
        ],
        now=now,
    )
    return queued[0] if queued else None


def confirm(token: str, now: datetime) -> Subscriber:
    """Confirm the subscriber and what it asked to follow before the link was made (a core).

    tokens.InvalidLink (or ExpiredLink) when the link is not a live one. Confirming twice is harmless.
    """
    link = tokens.read_confirmation(token, now)
    subscriber = db.session.get(Subscriber, link.subscriber_id)
    if subscriber is None or not secrets.compare_digest(subscriber.nonce, link.nonce):
        raise tokens.InvalidLink()
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = now
        # Digests report what changes from now on.
        subscriber.reported_through = db.session.scalar(select(func.coalesce(func.max(DisclosureRevision.id), 0)))
    subscriber.language = _language(link.language)
    for subscription in subscriber.subscriptions:
        if subscription.confirmed_at is None and subscription.created_at <= link.issued_at + timedelta(seconds=1):
            subscription.confirmed_at = now
    db.session.flush()
    return subscriber


def update_subscriber(subscriber: Subscriber, keep: set[int], language: str) -> None:
    """Stop following what is not in `keep` (subscription ids) and write in `language`; with
    nothing left to follow, the subscriber is deleted (a core)."""
    subscriber.language = _language(language)
    for subscription in list(subscriber.confirmed):
        if subscription.id not in keep:
            subscriber.subscriptions.remove(subscription)
    db.session.flush()
    if not subscriber.confirmed:
        delete_subscriber(subscriber)


def delete_subscriber(subscriber: Subscriber) -> None:
    """Remove the address entirely (a core): the subscriber, what it follows, and its e-mails' copies."""
    _forget_notices([subscriber.id])
    db.session.delete(subscriber)
    db.session.flush()


def _forget_notices(ids: list[int]) -> None:
    """Blank the address and links in the outbox's copies of these subscribers' e-mails.

    The outbox keeps each e-mail's row (its purpose key still says it was sent, and a delivery in
    progress still finds it), with the recipients and bodies blanked; one still waiting is cancelled.
    """
    mine = (Notice.subject_type == SUBJECT_TYPE, Notice.subject_id.in_(ids))
    db.session.execute(
        update(Notice)
        .where(*mine, Notice.status == NoticeStatus.QUEUED)
        .values(status=NoticeStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Notice)
        .where(*mine)
        .values(recipients="", body_text="", body_html="", headers={}, last_error="")
        .execution_options(synchronize_session=False)
    )


def remove_address(email: str) -> None:
    """Delete the subscriber with this address, if there is one (a core). Says nothing either way:
    the privacy office removes an address a parent asked it to remove, without learning the list."""
    subscriber = db.session.scalar(select(Subscriber).where(Subscriber.email == normalize_email(email)))
    if subscriber is not None:
        delete_subscriber(subscriber)


def purge_unconfirmed(now: datetime) -> int:
    """Delete what nobody confirmed within CONFIRM_DAYS (subscribers, and later requests of confirmed
    ones), and the subscribers left following nothing (a product or school deleted from the
    directory takes its subscriptions with it): no address is kept for no e-mail. Returns how many
    subscribers were deleted."""
    expired = now - timedelta(days=tokens.CONFIRM_DAYS, hours=1)
    db.session.execute(
        delete(Subscription)
        .where(
            Subscription.confirmed_at.is_(None),
            Subscription.created_at < expired,
            Subscription.subscriber_id.in_(select(Subscriber.id).where(Subscriber.confirmed_at.is_not(None))),
        )
        .execution_options(synchronize_session=False)
    )
    follows_something = exists().where(Subscription.subscriber_id == Subscriber.id)
    ids = list(
        db.session.scalars(
            select(Subscriber.id).where(
                or_(
                    and_(Subscriber.confirmed_at.is_(None), Subscriber.created_at < expired),
                    and_(Subscriber.created_at < expired, ~follows_something),
                )
            )
        )
    )
    if ids:
        _forget_notices(ids)
        db.session.execute(delete(Subscription).where(Subscription.subscriber_id.in_(ids)))
        db.session.execute(delete(Subscriber).where(Subscriber.id.in_(ids)))
    return len(ids)
