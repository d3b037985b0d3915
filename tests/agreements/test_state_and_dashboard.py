"""The SQL form of an agreement's state agrees with Agreement.state_on; the dashboard shows what to act on."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from clearinghouse.agreements import queries
from clearinghouse.agreements.models import Agreement, AgreementState
from clearinghouse.directory.models import ProductStatus
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import client_as, in_app

TODAY = date(2026, 11, 20)


def d(days: int) -> date:
    return TODAY + timedelta(days=days)


# (label, agreement fields): together they reach every state, including the edge cases.
CASES = [
    ("draft", {"signed_on": None, "effective_on": None, "expires_on": None}),
    ("on file", {"signed_on": None, "effective_on": None, "expires_on": None, "dates_recorded": False}),
    ("upcoming", {"signed_on": d(-5), "effective_on": d(30), "expires_on": d(400)}),
    ("active", {"signed_on": d(-100), "effective_on": d(-100), "expires_on": d(400)}),
    ("active open-ended", {"signed_on": d(-100), "effective_on": d(-100), "expires_on": None}),
    ("expiring", {"signed_on": d(-300), "effective_on": d(-300), "expires_on": d(45)}),
    ("expiring today", {"signed_on": d(-300), "effective_on": d(-300), "expires_on": d(0)}),
    ("expiring at the horizon", {"signed_on": d(-300), "effective_on": d(-300), "expires_on": d(90)}),
    ("active past the horizon", {"signed_on": d(-300), "effective_on": d(-300), "expires_on": d(91)}),
    ("expired", {"signed_on": d(-800), "effective_on": d(-800), "expires_on": d(-1)}),
    (
        "auto-renewing, rolls into the horizon",
        {"signed_on": d(-800), "effective_on": d(-800), "expires_on": date(2024, 12, 31), "auto_renews": True},
    ),
    (
        "auto-renewing, rolls past the horizon",
        {"signed_on": d(-800), "effective_on": d(-800), "expires_on": date(2024, 6, 30), "auto_renews": True},
    ),
    (
        "auto-renewing across new year",
        {"signed_on": d(-800), "effective_on": d(-800), "expires_on": date(2023, 1, 15), "auto_renews": True},
    ),
    ("terminated", {"terminated_on": d(-3), "termination_reason": "x"}),
    (
        "termination still to come",
        {"signed_on": d(-100), "effective_on": d(-100), "expires_on": d(400), "terminated_on": d(10)},
    ),
    ("renewed", {"signed_on": d(-800), "effective_on": d(-800), "expires_on": d(-2), "renewed": True}),
    ("renewed open-ended", {"signed_on": d(-800), "effective_on": d(-800), "expires_on": None, "renewed": True}),
    (
        "renewed, term still running",
        {"signed_on": d(-800), "effective_on": d(-800), "expires_on": d(20), "renewed": True},
    ),
]


@pytest.fixture
def agreements(app) -> dict[str, int]:
    with in_app(app):
        vendor = factories.make_vendor()
        ids = {}
        for label, fields in CASES:
            fields = dict(fields)
            renewed = fields.pop("renewed", False)
            agreement = factories.make_agreement(vendor, [], **fields)
            if renewed:
                successor = factories.make_agreement(vendor, [], effective_on=d(-1), expires_on=d(700))
                agreement.renewed_by_id = successor.id
                db.session.commit()
            ids[label] = agreement.id
        return ids


def test_the_cases_reach_every_state(app, agreements):
    with in_app(app):
        reached = {a.state_on(TODAY) for a in db.session.scalars(select(Agreement))}
    assert reached == set(AgreementState)


def test_dashboard_groups_what_needs_action(app):
    with in_app(app):
        vendor = factories.make_vendor(name="Acme Learning")
        covered = factories.make_product(vendor, name="Covered App")
        uncovered = factories.make_product(vendor, name="Uncovered App", status=ProductStatus.UNDER_REVIEW)
        factories.make_product(vendor, name="Refused App", status=ProductStatus.NOT_APPROVED)
        factories.make_product(vendor, name="Retired App", status=ProductStatus.RETIRED)
        lapsed_only = factories.make_product(vendor, name="Lapsed App")
        soon = factories.make_agreement(
            vendor, [covered], reference="soon", signed_on=d(-300), effective_on=d(-300), expires_on=d(12)
        )
        later = factories.make_agreement(
            vendor, [covered], reference="later", signed_on=d(-300), effective_on=d(-300), expires_on=d(75)
        )
        lapsed = factories.make_agreement(
            vendor, [lapsed_only], reference="lapsed", signed_on=d(-800), effective_on=d(-800), expires_on=d(-9)
        )
        board = queries.dashboard(TODAY)
        assert [row.agreement.id for row in board.expiring[30]] == [soon.id]
        assert board.expiring[30][0].days_left == 12
        assert board.expiring[60] == []
        assert [row.agreement.id for row in board.expiring[90]] == [later.id]
        assert [a.id for a in board.ended] == [lapsed.id]
        assert board.ended_total == 1
        assert [p.name for p in board.uncovered] == ["Lapsed App", "Uncovered App"]
        assert board.uncovered_total == 2
        assert board.counts[AgreementState.EXPIRING] == 2
        assert board.counts[AgreementState.EXPIRED] == 1
        assert board.total == 3
        assert uncovered.id in {p.id for p in board.uncovered}


def test_dashboard_page_links_each_row_to_its_action(app, officer_id):
    with in_app(app):
        today = district_today()
        vendor = factories.make_vendor(name="Acme Learning")
        product = factories.make_product(vendor, name="Covered App")
        lonely = factories.make_product(vendor, name="Lonely App")
        soon = factories.make_agreement(
            vendor,
            [product],
            signed_on=today - timedelta(days=300),
            effective_on=today - timedelta(days=300),
            expires_on=today + timedelta(days=5),
        )
        ended = factories.make_agreement(
            vendor,
            [],
            signed_on=today - timedelta(days=900),
            effective_on=today - timedelta(days=900),
            expires_on=today - timedelta(days=5),
        )
        ids = (soon.id, ended.id, lonely.id, vendor.id)
    html = client_as(app, officer_id).get("/staff/").get_data(as_text=True)
    soon_id, ended_id, lonely_id, vendor_id = ids
    assert "<h1>Dashboard</h1>" in html
    assert "Within 30 days" in html
    assert "(5 days)" in html
    assert f"/staff/agreements/{soon_id}/renew" in html
    assert f"/staff/agreements/{soon_id}/terminate" in html
    assert f"/staff/agreements/{ended_id}/renew" in html
    assert f"/staff/products/{lonely_id}/edit" in html
    assert f"/staff/agreements/new?vendor_id={vendor_id}&amp;product_id={lonely_id}" in html
    assert "/staff/agreements?state=expiring" in html


def test_an_empty_dashboard_says_so(app, officer_id):
    html = client_as(app, officer_id).get("/staff/").get_data(as_text=True)
    assert "Nothing expires in the next 90 days" in html
    assert "No agreement has ended without a renewal" in html
    assert "Every product has an agreement in force" in html


def test_the_dashboard_counts_and_buckets_a_leap_day_anniversary_as_the_model_does(app):
    # Auto-renewing from 29 Feb 2024: on 30 Nov 2026 its term ends on 28 Feb 2027, 90 days away.
    with in_app(app):
        agreement = factories.make_agreement(
            factories.make_vendor(), [], expires_on=date(2024, 2, 29), auto_renews=True
        )
        today = date(2026, 11, 30)
        board = queries.dashboard(today)
        assert agreement.state_on(today) is AgreementState.EXPIRING
        assert board.counts[AgreementState.EXPIRING] == 1
        assert board.counts[AgreementState.ACTIVE] == 0
        assert [(row.agreement.id, row.ends_on, row.days_left) for row in board.expiring[90]] == [
            (agreement.id, date(2027, 2, 28), 90)
        ]
