"""Reading subscriptions: what a follow form names, whose link this is, and the counts staff see."""

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from clearinghouse.directory.models import Product, School
from clearinghouse.directory.queries import is_slug
from clearinghouse.extensions import db
from clearinghouse.subscriptions import tokens
from clearinghouse.subscriptions.models import Scope, Subscriber, Subscription
from clearinghouse.subscriptions.services import Target


def resolve_target(scope: str | None, slug: str | None) -> Target | None:
    """What a follow form asks to follow; None when it names nothing the directory shows."""
    if not scope or scope == Scope.DISTRICT.value:
        return Target(Scope.DISTRICT)
    if scope not in (Scope.PRODUCT.value, Scope.SCHOOL.value) or not slug or not is_slug(slug):
        return None
    model = Product if scope == Scope.PRODUCT.value else School
    row = db.session.execute(select(model.id, model.name).where(model.slug == slug)).one_or_none()
    return Target(Scope(scope), row.id, row.name) if row else None


def subscriber_for(token: str) -> Subscriber | None:
    """The subscriber a manage or unsubscribe link is for; None when gone (or never was).
    tokens.InvalidLink when the link was not made here."""
    subscriber_id, nonce = tokens.read_manage(token)
    subscriber = db.session.scalar(
        select(Subscriber)
        .where(Subscriber.id == subscriber_id)
        .options(
            selectinload(Subscriber.subscriptions).joinedload(Subscription.product),
            selectinload(Subscriber.subscriptions).joinedload(Subscription.school),
        )
    )
    if subscriber is None or subscriber.nonce != nonce:
        return None
    return subscriber


def following(scope: Scope, name: str | None) -> str:
    """What a subscription follows, in the reader's language: the one wording of the manage page and
    the e-mails (a template global, `following(scope, name)`)."""
    if scope == Scope.PRODUCT and name is not None:
        return _("Changes about %(product)s", product=name)
    if scope == Scope.SCHOOL and name is not None:
        return _("Changes at %(school)s", school=name)
    return Scope.DISTRICT.label


def describe(subscription: Subscription) -> str:
    """What a subscription follows, named by its product or school."""
    target = subscription.product or subscription.school
    return following(subscription.scope, target.name if target is not None else None)


def counts() -> dict[str, int]:
    """How many confirmed subscribers, and what they follow by scope: all staff ever see of them."""
    subscribers = db.session.scalar(select(func.count()).where(Subscriber.confirmed_at.is_not(None)))
    by_scope = dict(
        db.session.execute(
            select(Subscription.scope, func.count())
            .where(Subscription.confirmed_at.is_not(None))
            .group_by(Subscription.scope)
        ).all()
    )
    return {
        "subscribers": subscribers or 0,
        **{scope.value: by_scope.get(scope, 0) for scope in Scope},
    }
