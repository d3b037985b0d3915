"""The public destruction status of each agreement, as H1's product page shows it."""

from datetime import date

from clearinghouse.destruction.models import RequestStatus
from clearinghouse.destruction.public import status_by_agreement
from tests import factories
from tests.conftest import count_queries, in_app

TODAY = date(2027, 5, 10)


def test_labels_and_badges_for_pending_overdue_submitted_and_certified(app):
    with in_app(app):
        vendor = factories.make_vendor()
        agreements = [factories.make_agreement(vendor) for _ in range(5)]
        pending, overdue, submitted, certified, untouched = agreements
        factories.make_destruction_request(vendor, pending, due_on=date(2027, 5, 10))
        factories.make_destruction_request(vendor, overdue, due_on=date(2027, 5, 1))
        factories.make_destruction_request(vendor, submitted, due_on=date(2027, 5, 1), status=RequestStatus.SUBMITTED)
        factories.make_destruction_request(vendor, certified, status=RequestStatus.ACCEPTED, closed_on=date(2027, 4, 2))
        ids = [a.id for a in agreements]
    with count_queries(app) as queries, in_app(app):
        result = status_by_agreement(ids, TODAY)
    assert len(queries) == 1
    assert untouched.id not in result
    assert (result[pending.id].label, result[pending.id].badge) == (
        "Data destruction pending (due May 10, 2027)",
        "warn",
    )
    assert (result[overdue.id].label, result[overdue.id].badge) == ("Data destruction overdue since May 2, 2027", "bad")
    assert result[submitted.id].badge == "warn"
    assert result[submitted.id].label == "Data destruction certificate received, under review (due May 1, 2027)"
    assert (result[certified.id].label, result[certified.id].badge) == (
        "Data destruction certified on April 2, 2027",
        "ok",
    )


def test_a_waiting_request_outranks_a_closed_one_and_withdrawn_ones_are_ignored(app):
    with in_app(app):
        vendor = factories.make_vendor()
        agreement = factories.make_agreement(vendor)
        lonely = factories.make_agreement(vendor)
        factories.make_destruction_request(vendor, agreement, status=RequestStatus.ACCEPTED, closed_on=date(2027, 3, 1))
        factories.make_destruction_request(vendor, agreement, issued_on=date(2026, 1, 1), due_on=date(2027, 6, 1))
        factories.make_destruction_request(vendor, lonely, status=RequestStatus.WITHDRAWN)
        result = status_by_agreement([agreement.id, lonely.id], TODAY)
    assert result[agreement.id].label == "Data destruction pending (due June 1, 2027)"
    assert lonely.id not in result


def test_no_agreements_means_no_query(app):
    with count_queries(app) as queries, in_app(app):
        assert status_by_agreement([], TODAY) == {}
    assert queries == []
