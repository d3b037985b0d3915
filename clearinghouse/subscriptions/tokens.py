"""The links in a subscriber's e-mails: signed with SECRET_KEY, carrying no address.

- The confirmation link expires after `CONFIRM_DAYS` and names the language the request was made in.
- The manage and unsubscribe link does not expire (it sits in every digest), and works until its
  subscriber is deleted: it is signed over the subscriber's id and random `nonce`, which die with it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from clearinghouse.subscriptions.models import Subscriber

CONFIRM_DAYS = 7
CONFIRM_SALT = "clearinghouse.subscriptions.confirm"
MANAGE_SALT = "clearinghouse.subscriptions.manage"
TOKEN_MAX = 300  # longer than any token this module signs


class InvalidLink(Exception):
    """The link was not signed here, was cut short, or its subscriber is gone."""


class ExpiredLink(InvalidLink):
    """A confirmation link older than CONFIRM_DAYS."""


@dataclass(frozen=True)
class Confirmation:
    subscriber_id: int
    nonce: str
    issued_at: datetime
    language: str


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _load(token: str, salt: str) -> list:
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX or not token.isascii():
        raise InvalidLink()
    try:
        payload = _serializer(salt).loads(token)
    except (BadData, ValueError, UnicodeError):
        raise InvalidLink() from None
    if not isinstance(payload, list):
        raise InvalidLink()
    return payload


def confirmation_token(subscriber: Subscriber, language: str, now: datetime) -> str:
    return _serializer(CONFIRM_SALT).dumps([subscriber.id, subscriber.nonce, int(now.timestamp()), language])


def read_confirmation(token: str, now: datetime) -> Confirmation:
    """What a confirmation link says; InvalidLink, or ExpiredLink once CONFIRM_DAYS have passed."""
    payload = _load(token, CONFIRM_SALT)
    try:
        subscriber_id, nonce, issued, language = payload
        issued_at = datetime.fromtimestamp(int(issued), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise InvalidLink() from None
    if not (isinstance(subscriber_id, int) and isinstance(nonce, str) and isinstance(language, str)):
        raise InvalidLink()
    if now - issued_at > timedelta(days=CONFIRM_DAYS):
        raise ExpiredLink()
    return Confirmation(subscriber_id, nonce, issued_at, language)


def manage_token(subscriber: Subscriber) -> str:
    return _serializer(MANAGE_SALT).dumps([subscriber.id, subscriber.nonce])


def read_manage(token: str) -> tuple[int, str]:
    """(subscriber id, nonce) of a manage or unsubscribe link; InvalidLink when it is not one."""
    payload = _load(token, MANAGE_SALT)
    if len(payload) != 2 or not isinstance(payload[0], int) or not isinstance(payload[1], str):
        raise InvalidLink()
    return payload[0], payload[1]
