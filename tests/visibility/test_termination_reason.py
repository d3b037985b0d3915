"""Terminating an agreement: the vendor is told that it ended and when, never why; staff keep the reason."""

from datetime import date

from sqlalchemy import select

from clearinghouse import sweep
from clearinghouse.accounts.models import User
from clearinghouse.agreements import services as agreements
from clearinghouse.agreements.models import Agreement
from clearinghouse.destruction.models import DestructionRequest
from clearinghouse.extensions import db, unit_of_work
from tests import factories
from tests.conftest import client_as, in_app

REASON = "The vendor was breached and is under investigation by counsel."
REFERENCE = "NDPA 2024-17 (legal hold)"


def test_the_directive_for_a_terminated_agreement_gives_no_reason(app, smtp_server, officer_id):
    with in_app(app):
        vendor = factories.make_vendor(name="Brightpath Learning", contact_email="privacy@brightpath.example")
        vendor_user = factories.make_user(role="vendor", vendor=vendor, email="pat.lee@brightpath.example")
        agreement = factories.make_agreement(
            vendor, [factories.make_product(vendor)], reference=REFERENCE, expires_on=date(2027, 6, 30)
        )
        with unit_of_work():
            agreements.terminate_agreement(
                agreement,
                db.session.get(User, officer_id),
                version=agreement.version,
                terminated_on=date(2026, 3, 1),
                reason=REASON,
                today=date(2026, 3, 1),
            )
        sweep.run(date(2026, 3, 2))
        agreement_id, vendor_user_id = agreement.id, vendor_user.id
        dr = db.session.scalar(select(DestructionRequest).where(DestructionRequest.agreement_id == agreement_id))
        assert dr.reason == f"The agreement no. {agreement_id} was terminated on March 1, 2026."
        assert db.session.get(Agreement, agreement_id).termination_reason == REASON
        request_id = dr.id

    [directive] = smtp_server.to("pat.lee@brightpath.example")
    vendor_pages = [
        client_as(app, vendor_user_id).get(path).get_data(as_text=True)
        for path in ("/vendor/", f"/vendor/requests/{request_id}", f"/vendor/agreements/{agreement_id}")
    ]
    for text in [directive.get_body(("plain",)).get_content(), directive.get_body(("html",)).get_content()]:
        assert "was terminated on March 1, 2026" in text
    for text in [directive.as_string(), *vendor_pages]:
        assert "investigation" not in text
        assert "legal hold" not in text
    assert "March 1, 2026" in vendor_pages[2]  # the portal says when it was terminated
    staff_page = client_as(app, officer_id).get(f"/staff/agreements/{agreement_id}").get_data(as_text=True)
    assert REASON in staff_page
    assert REFERENCE in staff_page
