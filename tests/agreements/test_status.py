"""A product's agreement status: the Python rule and its SQL twins agree on every case.

Each case is a product with what the district stated and the agreements recorded for it; the
expected status (and the state of the agreement it comes from) is written out by hand.
"""

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from clearinghouse.agreements.models import AgreementState
from clearinghouse.agreements.status import (
    ProductAgreementStatus,
    record_agreement_in,
    standing,
    status_counts,
    status_in,
    status_sql,
)
from clearinghouse.directory.models import Product, StatedAgreementStatus
from clearinghouse.extensions import db
from tests import factories
from tests.conftest import in_app

TODAY = date(2026, 11, 20)
S, P, A = StatedAgreementStatus, ProductAgreementStatus, AgreementState


def d(days: int) -> date:
    return TODAY + timedelta(days=days)


ACTIVE = {"signed_on": d(-100), "effective_on": d(-100), "expires_on": d(400)}
OPEN_ENDED = {"signed_on": d(-100), "effective_on": d(-100), "expires_on": None}
EXPIRING = {"signed_on": d(-300), "effective_on": d(-300), "expires_on": d(30)}
UPCOMING = {"signed_on": d(-5), "effective_on": d(30), "expires_on": d(400)}
EXPIRED = {"signed_on": d(-800), "effective_on": d(-800), "expires_on": d(-10)}
OLDER_EXPIRED = {"signed_on": d(-1800), "effective_on": d(-1800), "expires_on": d(-900)}
TERMINATED = {"signed_on": d(-500), "effective_on": d(-500), "expires_on": d(400), "terminated_on": d(-3)}
DRAFT = {"signed_on": None, "effective_on": None, "expires_on": None}
ON_FILE = {"signed_on": None, "effective_on": None, "expires_on": None, "dates_recorded": False}
RENEWED = {"signed_on": d(-800), "effective_on": d(-800), "expires_on": d(-2), "renewed": True}

# name: (stated status, agreements, expected status, expected state of the agreement it comes from)
CASES = {
    "nothing stated, nothing recorded": (S.NONE_ON_FILE, [], P.NONE_ON_FILE, None),
    "requested": (S.REQUESTED, [], P.REQUESTED, None),
    "declined by the vendor": (S.DECLINED_BY_VENDOR, [], P.DECLINED_BY_VENDOR, None),
    "not required": (S.NOT_REQUIRED, [], P.NOT_REQUIRED, None),
    "a draft": (S.NONE_ON_FILE, [DRAFT], P.REQUESTED, A.DRAFT),
    "a draft, the vendor declined": (S.DECLINED_BY_VENDOR, [DRAFT], P.DECLINED_BY_VENDOR, None),
    "on file, dates not recorded": (S.NONE_ON_FILE, [ON_FILE], P.ON_FILE, A.ON_FILE),
    "on file, stated as requested": (S.REQUESTED, [ON_FILE], P.ON_FILE, A.ON_FILE),
    "active": (S.NONE_ON_FILE, [ACTIVE], P.SIGNED, A.ACTIVE),
    "active, open-ended": (S.NONE_ON_FILE, [OPEN_ENDED], P.SIGNED, A.ACTIVE),
    "active, though stated as declined": (S.DECLINED_BY_VENDOR, [ACTIVE], P.SIGNED, A.ACTIVE),
    "expiring": (S.NONE_ON_FILE, [EXPIRING], P.SIGNED, A.EXPIRING),
    "upcoming": (S.NONE_ON_FILE, [UPCOMING], P.SIGNED, A.UPCOMING),
    "active, its renewal upcoming": (S.NONE_ON_FILE, [UPCOMING, ACTIVE], P.SIGNED, A.ACTIVE),
    "on file and upcoming": (S.NONE_ON_FILE, [UPCOMING, ON_FILE], P.ON_FILE, A.ON_FILE),
    "on file and active": (S.NONE_ON_FILE, [ON_FILE, ACTIVE], P.SIGNED, A.ACTIVE),
    "on file and expired": (S.NONE_ON_FILE, [EXPIRED, ON_FILE], P.ON_FILE, A.ON_FILE),
    "expired": (S.NONE_ON_FILE, [EXPIRED], P.SIGNED, A.EXPIRED),
    "expired, renewal requested": (S.REQUESTED, [EXPIRED], P.REQUESTED, None),
    "expired, the vendor declined to renew": (S.DECLINED_BY_VENDOR, [EXPIRED], P.DECLINED_BY_VENDOR, None),
    "expired and a draft": (S.NONE_ON_FILE, [DRAFT, EXPIRED], P.SIGNED, A.EXPIRED),
    "two expired: the later counts": (S.NONE_ON_FILE, [EXPIRED, OLDER_EXPIRED], P.SIGNED, A.EXPIRED),
    "terminated after an older expired one": (S.NONE_ON_FILE, [OLDER_EXPIRED, TERMINATED], P.SIGNED, A.TERMINATED),
    "renewed by an active one": (S.NONE_ON_FILE, [RENEWED], P.SIGNED, A.ACTIVE),
    "two expired, renewal requested": (S.REQUESTED, [EXPIRED, OLDER_EXPIRED], P.REQUESTED, None),
    "upcoming and a draft, the vendor declined": (S.DECLINED_BY_VENDOR, [DRAFT, UPCOMING], P.SIGNED, A.UPCOMING),
    "two drafts": (S.NONE_ON_FILE, [DRAFT, DRAFT], P.REQUESTED, A.DRAFT),
    "two on file, neither dated": (S.NONE_ON_FILE, [ON_FILE, ON_FILE], P.ON_FILE, A.ON_FILE),
}


def _build() -> dict[str, int]:
    vendor = factories.make_vendor()
    ids = {}
    for name, (stated, agreements, _, _) in CASES.items():
        product = factories.make_product(vendor, name=name, agreement_status=stated)
        for fields in agreements:
            fields = dict(fields)
            renewed = fields.pop("renewed", False)
            agreement = factories.make_agreement(vendor, [product], **fields)
            if renewed:
                successor = factories.make_agreement(vendor, [product], **ACTIVE)
                agreement.renewed_by_id = successor.id
                db.session.commit()
        ids[name] = product.id
    return ids


@pytest.fixture
def products(app) -> dict[str, int]:
    with in_app(app):
        return _build()


def test_each_case_has_the_status_written_out_by_hand(app, products):
    with in_app(app):
        for name, (_, _, status, state) in CASES.items():
            found = standing(db.session.get(Product, products[name]), TODAY)
            assert (name, found.status, found.state) == (name, status, state)


def test_the_cases_reach_every_status(app, products):
    assert {case[2] for case in CASES.values()} == set(ProductAgreementStatus)


def test_sql_status_agrees_with_the_model(app, products):
    names = {product_id: name for name, product_id in products.items()}
    with in_app(app):
        rows = db.session.execute(select(Product.id, status_sql(Product, TODAY))).all()
        assert {names[product_id]: value for product_id, value in rows} == {
            name: case[2].value for name, case in CASES.items()
        }
        counts = dict(db.session.execute(status_counts(TODAY)).tuples().all())
        assert counts == Counter(case[2].value for case in CASES.values())
        for status in ProductAgreementStatus:
            found = {names[row] for row in db.session.scalars(status_in(status, TODAY))}
            assert found == {name for name, case in CASES.items() if case[2] is status}, status
        for state in (A.ACTIVE, A.EXPIRING, A.UPCOMING, A.EXPIRED, A.TERMINATED, A.ON_FILE, A.DRAFT):
            found = sorted(names[row] for row in db.session.scalars(record_agreement_in([state], TODAY)))
            assert found == sorted(name for name, case in CASES.items() if case[3] is state), state


def test_labels_say_the_state_and_its_day_in_plain_words(app, products):
    expected = {
        "active": "Signed, in effect until December 25, 2027",
        "active, open-ended": "Signed, in effect with no end date",
        "expiring": "Signed, expiring on December 20, 2026",
        "upcoming": "Signed, in effect from December 20, 2026",
        "expired": "Signed, expired on November 10, 2026",
        "terminated after an older expired one": "Signed, terminated on November 17, 2026",
        "on file, dates not recorded": "On file, dates not recorded",
        "a draft": "Requested",
        "declined by the vendor": "Declined by the vendor",
        "not required": "Not required: no student data collected",
        "nothing stated, nothing recorded": "No agreement on file",
    }
    with app.test_request_context():
        labels = {name: standing(db.session.get(Product, products[name]), TODAY).label for name in expected}
    assert labels == expected


def test_an_auto_renewing_agreement_says_when_it_renews(app):
    with in_app(app):
        vendor = factories.make_vendor()
        product = factories.make_product(vendor)
        factories.make_agreement(vendor, [product], expires_on=date(2025, 6, 30), auto_renews=True)
        product_id = product.id
    with app.test_request_context():
        found = standing(db.session.get(Product, product_id), TODAY)
        assert (found.state, found.label) == (A.ACTIVE, "Signed, in effect; renews on June 30, 2027")
