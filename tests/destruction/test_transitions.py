"""The request state machine: every allowed transition, every refused one, races, audit, notices."""

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from clearinghouse.accounts.models import User
from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.destruction import services
from clearinghouse.destruction.models import (
    CertificateStatus,
    DestructionRequest,
    DisposalCertificate,
    DisposalMethod,
    RequestStatus,
)
from clearinghouse.errors import DomainError, NotFound
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.notices.models import Notice, NoticeStatus
from clearinghouse.storage import StoredFile
from tests import factories
from tests.conftest import in_app

NOW = datetime(2027, 2, 1, 15, 0, tzinfo=UTC)
TODAY = date(2027, 2, 1)


@pytest.fixture
def world(app, officer_id, vendor_user_id):
    """An open request for "Own Vendor Inc." under an agreement covering two products."""
    with in_app(app):
        vendor_user = db.session.get(User, vendor_user_id)
        vendor = vendor_user.vendor
        vendor.contact_email = "privacy@ownvendor.example"
        products = [factories.make_product(vendor, name="Reader"), factories.make_product(vendor, name="Maths")]
        agreement = factories.make_agreement(vendor, products, reference="NDPA 2025-7")
        dr = factories.make_destruction_request(vendor, agreement, issued_on=date(2027, 1, 4))
        return {
            "request_id": dr.id,
            "vendor_id": vendor.id,
            "officer_id": officer_id,
            "vendor_user_id": vendor_user_id,
            "agreement_id": agreement.id,
        }


def _submit(world, **overrides) -> DisposalCertificate:
    dr = db.session.get(DestructionRequest, world["request_id"])
    values = {
        "actor": db.session.get(User, world["vendor_user_id"]),
        "stored_file": factories.make_stored_pdf(),
        "signature_report": {"signed": False, "signatures": []},
        "signer_name": "Pat Lee",
        "signer_title": "Chief Privacy Officer",
        "disposed_on": date(2027, 1, 30),
        "method": DisposalMethod.OVERWRITE,
        "method_other": "",
        "attests_all_copies": True,
        "now": NOW,
    }
    values.update(overrides)
    with unit_of_work():
        return services.submit_certificate(dr, **values)


def _officer(world) -> User:
    return db.session.get(User, world["officer_id"])


def _request(world) -> DestructionRequest:
    db.session.expire_all()
    return db.session.get(DestructionRequest, world["request_id"])


def _actions(world) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_submitting_a_certificate_moves_the_request_to_submitted_and_tells_the_officers(app, world):
    with in_app(app):
        cert = _submit(world)
        dr = _request(world)
        assert dr.status == RequestStatus.SUBMITTED
        assert dr.version == 2
        assert (cert.status, cert.signer_name, cert.vendor_id) == (CertificateStatus.SUBMITTED, "Pat Lee", dr.vendor_id)
        assert _actions(world) == ["destruction_request.submitted", "disposal_certificate.submitted"]
        notice = db.session.scalar(select(Notice).where(Notice.purpose_key == f"request:{dr.id}:certificate:{cert.id}"))
        assert "officer@district.example" in notice.recipients
        assert "privacy@district.example" in notice.recipients
        assert f"/staff/requests/{dr.id}" in notice.body_text
        assert "Pat Lee, Chief Privacy Officer" in notice.body_text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"attests_all_copies": False}, "attests_all_copies", "subcontractors"),
        ({"method": DisposalMethod.OTHER, "method_other": "  "}, "method_other", "Describe how"),
        ({"disposed_on": date(2027, 2, 2)}, "disposed_on", "cannot be in the future"),
        ({"signer_name": " "}, "signer_name", "name and title"),
    ],
)
def test_an_incomplete_certificate_is_refused_and_nothing_changes(app, world, overrides, field, message):
    with in_app(app):
        with pytest.raises(DomainError, match=message) as caught:
            _submit(world, **overrides)
        assert caught.value.field == field
        assert _request(world).status == RequestStatus.OPEN
        assert db.session.scalar(select(DisposalCertificate)) is None
        assert _actions(world) == []


def test_another_vendors_user_cannot_submit(app, world, other_vendor_user_id):
    with in_app(app), pytest.raises(NotFound):
        _submit(world, actor=db.session.get(User, other_vendor_user_id))


def test_accepting_closes_the_request_and_publishes_the_certification_per_product(app, world, smtp_server):
    with in_app(app):
        cert = _submit(world)
        with unit_of_work():
            services.accept_certificate(cert, actor=_officer(world), today=date(2027, 2, 3))
        dr = _request(world)
        assert (dr.status, dr.closed_on, dr.version) == (RequestStatus.ACCEPTED, date(2027, 2, 3), 3)
        cert = db.session.get(DisposalCertificate, cert.id)
        assert cert.status == CertificateStatus.ACCEPTED
        assert cert.reviewed_by_id == world["officer_id"]
        revisions = db.session.scalars(select(DisclosureRevision).order_by(DisclosureRevision.id)).all()
        assert len(revisions) == 2
        assert {r.summary for r in revisions} == {"Own Vendor Inc.: data destruction certified on February 3, 2027."}
        assert all(r.product_id is not None for r in revisions)
        assert _actions(world)[-2:] == ["disposal_certificate.accepted", "destruction_request.accepted"]
        accepted = db.session.scalar(select(Notice).where(Notice.purpose_key.like("%:accepted")))
        assert accepted.recipients == "contact@ownvendor.example, privacy@ownvendor.example"


def test_rejecting_reopens_the_request_with_the_reason_and_emails_the_vendor(app, world):
    with in_app(app):
        cert = _submit(world)
        with unit_of_work():
            services.reject_certificate(cert, "The certificate is not signed.", actor=_officer(world))
        dr = _request(world)
        assert (dr.status, dr.status_reason) == (RequestStatus.OPEN, "The certificate is not signed.")
        assert db.session.get(DisposalCertificate, cert.id).status == CertificateStatus.REJECTED
        notice = db.session.scalar(
            select(Notice).where(Notice.purpose_key == f"request:{dr.id}:certificate:{cert.id}:rejected")
        )
        assert "The certificate is not signed." in notice.body_text
        assert "contact@ownvendor.example" in notice.recipients
        # The vendor can answer again.
        again = _submit(world)
        assert _request(world).status == RequestStatus.SUBMITTED
        assert again.id != cert.id


def test_rejecting_needs_a_reason(app, world):
    with in_app(app):
        cert = _submit(world)
        with pytest.raises(DomainError, match="Say why") as caught, unit_of_work():
            services.reject_certificate(cert, "  ", actor=_officer(world))
        assert caught.value.field == "reason"
        assert _request(world).status == RequestStatus.SUBMITTED


def test_withdrawing_an_open_request_closes_it_and_cancels_waiting_reminders(app, world):
    with in_app(app):
        dr = _request(world)
        services.queue_request_notice(
            dr, "due-in-14", ["contact@ownvendor.example"], "request_reminder", days_to_due=14, overdue_since=None
        )
        db.session.commit()
        with unit_of_work():
            services.withdraw_request(dr, "Opened for the wrong vendor.", actor=_officer(world), today=TODAY)
        dr = _request(world)
        assert (dr.status, dr.status_reason, dr.closed_on) == (
            RequestStatus.WITHDRAWN,
            "Opened for the wrong vendor.",
            TODAY,
        )
        statuses = dict(db.session.execute(select(Notice.purpose_key, Notice.status)).all())
        assert statuses[f"request:{dr.id}:due-in-14"] == NoticeStatus.CANCELLED
        assert statuses[f"request:{dr.id}:withdrawn"] == NoticeStatus.QUEUED
        assert _actions(world) == ["destruction_request.withdrawn"]


def test_withdrawing_needs_a_reason_and_a_current_version(app, world):
    with in_app(app):
        with pytest.raises(DomainError, match="Say why"), unit_of_work():
            services.withdraw_request(_request(world), "", actor=_officer(world))
        with pytest.raises(DomainError, match="Someone else changed"), unit_of_work():
            services.withdraw_request(_request(world), "Wrong vendor.", actor=_officer(world), expected_version=0)
        assert _request(world).status == RequestStatus.OPEN


REFUSED = [
    # (state the request is in, action, message)
    (RequestStatus.SUBMITTED, "submit", "already waiting for review"),
    (RequestStatus.ACCEPTED, "submit", "destruction was already certified"),
    (RequestStatus.WITHDRAWN, "submit", "withdrawn by the district"),
    (RequestStatus.OPEN, "accept", "no certificate waiting"),
    (RequestStatus.ACCEPTED, "accept", "already closed"),
    (RequestStatus.WITHDRAWN, "accept", "withdrawn"),
    (RequestStatus.OPEN, "reject", "no certificate waiting"),
    (RequestStatus.ACCEPTED, "reject", "already closed"),
    (RequestStatus.WITHDRAWN, "reject", "withdrawn"),
    (RequestStatus.SUBMITTED, "withdraw", "accept or reject it first"),
    (RequestStatus.ACCEPTED, "withdraw", "already certified"),
    (RequestStatus.WITHDRAWN, "withdraw", "already withdrawn"),
]


def test_the_transition_table_covers_every_state_and_action():
    covered = {(state, action) for state, action, _ in REFUSED}
    for action, (sources, _) in services.TRANSITIONS.items():
        for state in RequestStatus:
            assert (state in sources) != ((state, action) in covered), (state, action)


@pytest.mark.parametrize(("state", "action", "message"), REFUSED)
def test_every_illegal_transition_is_refused_with_a_clear_message(app, world, state, action, message):
    with in_app(app):
        dr = _request(world)
        dr.status = state
        db.session.commit()
        with pytest.raises(DomainError, match=message):
            services.check_transition(dr, action)
        # And through the public services, which change nothing.
        if action == "withdraw":
            with pytest.raises(DomainError, match=message), unit_of_work():
                services.withdraw_request(dr, "reason", actor=_officer(world))
        elif action == "submit":
            with pytest.raises(DomainError, match=message):
                _submit(world)
        assert _request(world).status == state
        assert _actions(world) == []


def test_a_reviewed_certificate_cannot_be_reviewed_again(app, world):
    with in_app(app):
        cert = _submit(world)
        with unit_of_work():
            services.reject_certificate(cert, "Unsigned.", actor=_officer(world))
        with pytest.raises(DomainError, match="already rejected"), unit_of_work():
            services.accept_certificate(db.session.get(DisposalCertificate, cert.id), actor=_officer(world))


def test_a_stale_request_object_loses_to_the_change_that_happened_first(app, world):
    """Two officers load the same open request; the second withdrawal finds it changed."""
    with in_app(app):
        stale = _request(world)
        db.session.expunge(stale)
        with unit_of_work():
            services.withdraw_request(_request(world), "First.", actor=_officer(world))
        stale_copy = db.session.merge(stale, load=False)
        with pytest.raises(DomainError, match="Someone else changed"), unit_of_work():
            services.withdraw_request(stale_copy, "Second.", actor=_officer(world))


def test_two_submissions_at_once_exactly_one_wins(app, world):
    with in_app(app):
        files = [factories.make_stored_pdf(f"c{n}.pdf").id for n in range(2)]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def submit(file_id: int):
        with in_app(app):
            dr = db.session.get(DestructionRequest, world["request_id"])
            stored = db.session.get(StoredFile, file_id)
            barrier.wait()
            try:
                _submit(world, stored_file=stored)
            except DomainError as err:
                results.append(err.message)
            else:
                results.append("ok")
            assert dr is not None

    threads = [threading.Thread(target=submit, args=(file_id,)) for file_id in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results.count("ok") == 1, results
    assert len(results) == 2, results
    with in_app(app):
        assert len(db.session.scalars(select(DisposalCertificate)).all()) == 1
        assert _request(world).status == RequestStatus.SUBMITTED
