"""A small directory with one of everything a public page shows, for the pages in every language."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from clearinghouse.extensions import db, unit_of_work
from clearinghouse.subscriptions import services as subscriptions
from clearinghouse.subscriptions import tokens
from clearinghouse.subscriptions.models import Scope, Subscriber
from clearinghouse.timeutil import district_today, utcnow
from tests import factories
from tests.conftest import in_app


@pytest.fixture
def directory(app) -> dict[str, str]:
    """Slugs of a product, its vendor and a data element, with an agreement and a change on record; the
    links of a parent who follows the product and of one who has not confirmed yet."""
    with in_app(app):
        category = factories.make_category(name="Demographics", slug="demographics")
        birth = factories.make_element(category, name="Date of birth", slug="date-of-birth", is_sensitive=True)
        school = factories.make_school(name="Adams Elementary", slug="adams-elementary")
        vendor = factories.make_vendor(name="Acme Learning", slug="acme-learning", description_md="Makes reading apps.")
        product = factories.make_product(
            vendor, name="Reading Coach", slug="reading-coach", elements=[birth], schools=[school]
        )
        today = district_today()
        factories.make_agreement(
            vendor,
            [product],
            signed_on=today - timedelta(days=30),
            effective_on=today - timedelta(days=30),
            expires_on=date(today.year + 2, 6, 30),
        )
        factories.make_revision(
            vendor, product, summary="Reading Coach now receives Date of birth.", occurred_at=utcnow()
        )
        now = utcnow()
        with unit_of_work():
            subscriptions.request_subscription(
                "parent@home.example",
                subscriptions.Target(Scope.PRODUCT, product.id, product.name),
                "en",
                client="test",
                now=now,
            )
            subscriptions.request_subscription(
                "waiting@home.example", subscriptions.Target(Scope.DISTRICT), "en", client="test", now=now
            )
        parent, waiting = (
            db.session.scalar(select(Subscriber).where(Subscriber.email == address))
            for address in ("parent@home.example", "waiting@home.example")
        )
        with unit_of_work():
            subscriptions.confirm(tokens.confirmation_token(parent, "en", now), now)
        return {
            "product": product.slug,
            "vendor": vendor.slug,
            "element": birth.slug,
            "school": school.slug,
            "kind": product.kind.slug,
            "confirm_token": tokens.confirmation_token(waiting, "en", now),
            "manage_token": tokens.manage_token(parent),
        }
