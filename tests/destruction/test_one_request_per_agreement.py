"""An agreement has one destruction request, whoever opened it: the sweep and the officer's form
both ask `services.existing_request`, and the database refuses two waiting requests."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clearinghouse import sweep
from clearinghouse.accounts.models import User
from clearinghouse.agreements.models import Agreement
from clearinghouse.destruction import services
from clearinghouse.destruction.models import (
    DestructionRequest,
    DisposalCertificate,
    DisposalMethod,
    RequestOrigin,
    RequestStatus,
)
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.notices.models import Notice
from tests import factories
from tests.conftest import client_as, in_app

TERMINATED_ON = date(2027, 3, 1)


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


@pytest.fixture
def ended(app, officer_id, vendor_user_id) -> dict[str, int]:
    """Own Vendor's agreement, terminated on Mar 1, 2027 (the sweep's next run opens its request)."""
    with in_app(app):
        vendor = db.session.get(User, vendor_user_id).vendor
        vendor.contact_email = "privacy@ownvendor.example"
        agreement = factories.make_agreement(
            vendor, reference="NDPA 9", terminated_on=TERMINATED_ON, termination_reason="Pilot ended."
        )
        return {"agreement": agreement.id, "vendor": vendor.id, "officer": officer_id, "vendor_user": vendor_user_id}


def _officer_opens(ids: dict[str, int], today: date) -> DestructionRequest:
    draft = services.RequestDraft(vendor_id=ids["vendor"], agreement_id=ids["agreement"], reason="Terminated.")
    with unit_of_work():
        return services.open_destruction_request(draft, actor=db.session.get(User, ids["officer"]), today=today)


def _certify(ids: dict[str, int], dr: DestructionRequest, day: date) -> None:
    with unit_of_work():
        cert = services.submit_certificate(
            dr,
            actor=db.session.get(User, ids["vendor_user"]),
            stored_file=factories.make_stored_pdf(),
            signature_report={"signed": False, "signatures": []},
            signer_name="Pat Lee",
            signer_title="CTO",
            disposed_on=day,
            method=DisposalMethod.OVERWRITE,
            method_other="",
            attests_all_copies=True,
            now=_noon(day),
        )
    with unit_of_work():
        services.accept_certificate(
            db.session.get(DisposalCertificate, cert.id), actor=db.session.get(User, ids["officer"]), today=day
        )


def _requests() -> list[tuple[RequestOrigin, RequestStatus]]:
    rows = db.session.execute(select(DestructionRequest.origin, DestructionRequest.status).order_by("id"))
    return [tuple(row) for row in rows]


def _directives() -> int:
    return db.session.scalar(select(func.count()).select_from(Notice).where(Notice.purpose_key.like("%:issued")))


def test_the_sweep_opens_none_after_an_officer_directed_the_vendor_by_hand(app, ended):
    with in_app(app):
        _officer_opens(ended, TERMINATED_ON)
        report = sweep.run(date(2027, 3, 2), deliver=False)
        assert report.opened == []
        assert _requests() == [(RequestOrigin.DISTRICT_REQUEST, RequestStatus.OPEN)]
        assert _directives() == 1


def test_after_the_sweep_the_officers_form_refuses_a_second_directive_and_names_the_first(app, ended):
    with in_app(app):
        opened = sweep.run(date(2027, 3, 2), deliver=False, now=_noon(date(2027, 3, 2)))
        request_id = db.session.scalar(select(DestructionRequest.id))
        assert len(opened.opened) == 1
    response = client_as(app, ended["officer"]).post(
        "/staff/requests/new",
        data={
            "vendor_id": ended["vendor"],
            "agreement_id": ended["agreement"],
            "reason": "Keep this reason text",
            "scope": "all",
            "nature": "destroy",
            "schedule": "by_date",
        },
    )
    assert response.status_code == 422
    assert f"already has destruction request {request_id} (open, issued March 2, 2027)" in response.text
    assert "withdraw it first if it was opened in error" in response.text
    assert "Keep this reason text" in response.text
    with in_app(app):
        assert _requests() == [(RequestOrigin.AGREEMENT_ENDED, RequestStatus.OPEN)]
        assert _directives() == 1


def test_a_certified_request_keeps_the_sweep_and_the_officer_from_opening_another(app, ended):
    with in_app(app):
        dr = _officer_opens(ended, TERMINATED_ON)
        _certify(ended, dr, date(2027, 3, 10))
        for day in (date(2027, 3, 11), date(2027, 6, 1)):
            assert sweep.run(day, deliver=False).opened == []
        with pytest.raises(DomainError, match=r"\(destruction certified, issued March 1, 2027\)\.*") as refused:
            _officer_opens(ended, date(2027, 6, 2))
        assert refused.value.field == "agreement_id"
        assert "withdraw" not in refused.value.message
        assert _requests() == [(RequestOrigin.DISTRICT_REQUEST, RequestStatus.ACCEPTED)]
        assert _directives() == 1


def test_a_request_the_sweep_opened_and_saw_certified_is_never_opened_again(app, ended):
    with in_app(app):
        sweep.run(date(2027, 3, 2), deliver=False)
        _certify(ended, db.session.scalar(select(DestructionRequest)), date(2027, 3, 20))
        assert sweep.run(date(2027, 3, 21), deliver=False).opened == []
        assert _requests() == [(RequestOrigin.AGREEMENT_ENDED, RequestStatus.ACCEPTED)]


def test_a_withdrawn_request_was_opened_in_error_so_another_may_be_opened(app, ended):
    """An officer's withdrawn directive does not count, for the officer or for the sweep."""
    with in_app(app):
        officer = db.session.get(User, ended["officer"])
        first = _officer_opens(ended, date(2027, 2, 15))  # before the termination takes effect
        with unit_of_work():
            services.withdraw_request(first, "Sent to the wrong contact.", actor=officer, today=date(2027, 2, 15))
        report = sweep.run(date(2027, 3, 2), deliver=False)
        assert len(report.opened) == 1
        assert _requests() == [
            (RequestOrigin.DISTRICT_REQUEST, RequestStatus.WITHDRAWN),
            (RequestOrigin.AGREEMENT_ENDED, RequestStatus.OPEN),
        ]


def test_the_sweep_leaves_an_agreement_alone_once_its_own_request_was_withdrawn_but_an_officer_may_open_one(app, ended):
    with in_app(app):
        officer = db.session.get(User, ended["officer"])
        sweep.run(date(2027, 3, 2), deliver=False)
        swept = db.session.scalar(select(DestructionRequest))
        with unit_of_work():
            services.withdraw_request(swept, "The data was never sent.", actor=officer, today=date(2027, 3, 3))
        assert sweep.run(date(2027, 3, 4), deliver=False).opened == []
        again = _officer_opens(ended, date(2027, 4, 1))
        assert again.status is RequestStatus.OPEN
        assert sweep.run(date(2027, 4, 2), deliver=False).opened == []
        assert _requests() == [
            (RequestOrigin.AGREEMENT_ENDED, RequestStatus.WITHDRAWN),
            (RequestOrigin.DISTRICT_REQUEST, RequestStatus.OPEN),
        ]


def test_the_database_refuses_two_waiting_requests_for_one_agreement(app, ended):
    with in_app(app):
        vendor = db.session.get(User, ended["vendor_user"]).vendor
        agreement = db.session.get(Agreement, ended["agreement"])
        factories.make_destruction_request(vendor, agreement, status=RequestStatus.WITHDRAWN)
        factories.make_destruction_request(vendor, agreement, status=RequestStatus.SUBMITTED)
        with pytest.raises(IntegrityError):
            factories.make_destruction_request(vendor, agreement)
        db.session.rollback()
        assert len(_requests()) == 2


@contextmanager
def _competing_request(agreement_id: int, vendor_id: int) -> Iterator[list[bool]]:
    """Just before our INSERT INTO destruction_request, another connection commits an open request
    for the same agreement (a sweep or an officer in another process)."""
    raced: list[bool] = []
    table = DestructionRequest.__table__
    now = datetime.now(UTC)

    def competitor(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO destruction_request") and not raced:
            raced.append(True)
            with db.engine.begin() as other:
                other.execute(
                    table.insert().values(
                        vendor_id=vendor_id,
                        agreement_id=agreement_id,
                        origin=RequestOrigin.DISTRICT_REQUEST.value,
                        reason="Theirs.",
                        scope="all",
                        nature="destroy",
                        transfer_to="",
                        instructions="",
                        schedule="by_date",
                        issued_on=TERMINATED_ON,
                        due_on=date(2027, 5, 1),
                        status="open",
                        status_reason="",
                        district_signer_name="",
                        district_signer_title="",
                        created_at=now,
                        updated_at=now,
                        version=1,
                    )
                )

    sa.event.listen(db.engine, "before_cursor_execute", competitor)
    try:
        yield raced
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", competitor)


def test_an_officer_who_loses_the_race_gets_the_message_and_nothing_is_written(app, ended):
    with in_app(app), _competing_request(ended["agreement"], ended["vendor"]) as raced:
        with pytest.raises(DomainError, match="already has destruction request"):
            _officer_opens(ended, TERMINATED_ON)
        assert raced == [True]
    with in_app(app):
        assert [reason for (reason,) in db.session.execute(select(DestructionRequest.reason))] == ["Theirs."]
        assert _directives() == 0


def test_a_sweep_that_loses_the_race_opens_nothing_and_carries_on(app, ended):
    with in_app(app), _competing_request(ended["agreement"], ended["vendor"]) as raced:
        report = sweep.run(date(2027, 3, 2), deliver=False)
        assert raced == [True]
        assert report.opened == []
    with in_app(app):
        assert [reason for (reason,) in db.session.execute(select(DestructionRequest.reason))] == ["Theirs."]
        assert _directives() == 0
