"""Officers' destruction pages over HTTP: list, new directive, request page with timeline, withdraw."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from clearinghouse.destruction import services
from clearinghouse.destruction.models import DestructionRequest, RequestScope, RequestStatus
from clearinghouse.extensions import db
from clearinghouse.notices.models import Notice
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import client_as, count_queries, in_app


@pytest.fixture
def make_requests(app):
    """make_requests(n, name): a vendor with n open requests, each under its own agreement."""

    def make(n: int, vendor_name: str) -> int:
        with in_app(app):
            vendor = factories.make_vendor(name=vendor_name)
            for k in range(n):
                agreement = factories.make_agreement(vendor)
                factories.make_destruction_request(vendor, agreement, issued_on=date(2027, 1, 1) + timedelta(days=k))
            return vendor.id

    return make


def test_the_list_runs_a_constant_number_of_queries(app, officer_id, make_requests):
    client = client_as(app, officer_id)
    make_requests(3, "Few")
    with count_queries(app) as few:
        assert client.get("/staff/requests/").status_code == 200
    make_requests(40, "Many")
    with count_queries(app) as many:
        response = client.get("/staff/requests/")
    assert response.status_code == 200
    assert len(few) == len(many)
    assert 'rel="next"' in response.text  # paginated


def test_the_list_filters_by_state_and_vendor(app, officer_id, make_requests):
    today = district_today()
    with in_app(app):
        vendor = factories.make_vendor(name="Filtered")
        factories.make_destruction_request(
            vendor, issued_on=today - timedelta(days=90), due_on=today - timedelta(days=5), reason="Overdue one"
        )
        factories.make_destruction_request(vendor, issued_on=today, due_on=today + timedelta(days=60))
        factories.make_destruction_request(vendor, status=RequestStatus.ACCEPTED, closed_on=today)
        other = factories.make_vendor(name="Elsewhere")
        factories.make_destruction_request(other, issued_on=today, due_on=today + timedelta(days=60))
        vendor_id = vendor.id
    client = client_as(app, officer_id)
    overdue = client.get("/staff/requests/?state=overdue")
    assert "1 request<" in overdue.text
    assert "Overdue" in overdue.text
    assert "3 requests" in client.get("/staff/requests/?state=open").text  # overdue ones are open too
    assert "1 request<" in client.get("/staff/requests/?state=closed").text
    mine = client.get(f"/staff/requests/?state=open&vendor_id={vendor_id}")
    assert "2 requests" in mine.text
    assert "Elsewhere" not in mine.text.split("results-heading")[1]
    assert client.get("/staff/requests/?state=bogus&vendor_id=abc").status_code == 200


def test_an_officer_issues_a_partial_transfer_directive(app, officer_id):
    with in_app(app):
        vendor = factories.make_vendor(name="Acme Learning", contact_email="privacy@acme.example")
        agreement = factories.make_agreement(vendor, destruction_window_days=30)
        categories = [factories.make_category(name="Demographics"), factories.make_category(name="Assessment")]
        ids = (vendor.id, agreement.id, categories[0].id)
    client = client_as(app, officer_id)
    form = client.get("/staff/requests/new")
    assert form.status_code == 200
    assert "Acme Learning" in form.text
    response = client.post(
        "/staff/requests/new",
        data={
            "vendor_id": ids[0],
            "agreement_id": ids[1],
            "reason": "The pilot ended.",
            "scope": "categories",
            "category_ids": [ids[2]],
            "nature": "transfer",
            "transfer_to": "District data office",
            "instructions": "Use the secure file drop.",
            "schedule": "asap",
            "due_on": "",
            "district_signer_name": "Dana Ortiz",
            "district_signer_title": "Privacy Officer",
        },
    )
    assert response.status_code == 303
    with in_app(app):
        dr = db.session.scalar(select(DestructionRequest))
        assert (dr.scope, dr.transfer_to, dr.district_signer_name) == (
            RequestScope.CATEGORIES,
            "District data office",
            "Dana Ortiz",
        )
        assert dr.due_on == district_today() + timedelta(days=30)
        assert [c.name for c in dr.categories] == ["Demographics"]
        notice = db.session.scalar(select(Notice))
        assert notice.purpose_key == f"request:{dr.id}:issued"
        assert notice.recipients == "privacy@acme.example"
        assert "partial disposal of these categories: Demographics" in notice.body_text
        request_id = dr.id
    page = client.get(f"/staff/requests/{request_id}")
    text = page.text
    assert "Directive for Disposition of Data" in text
    assert "Disposition is <strong>partial</strong>" in text
    assert "<li>Demographics</li>" in text
    assert "transfer</strong> of the data to District data office" in text
    assert "as soon as commercially practicable" in text
    assert "Dana Ortiz, Privacy Officer" in text
    assert "Verification of disposition of data" in text
    assert "Request issued" in text
    assert "E-mail waiting to be sent" in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"vendor_id": "0"}, "Choose the vendor"),
        ({"reason": ""}, "Say why the data must be disposed of."),
        ({"scope": "categories"}, "tick at least one category"),
        ({"nature": "transfer", "transfer_to": " "}, "Say where the data must be transferred to."),
        ({"due_on": "2001-01-01"}, "The due date cannot be in the past."),
        ({"due_on": "31/12/2030"}, "Enter a date like 2026-07-01 (year-month-day)."),
    ],
)
def test_bad_input_re_renders_the_form_with_what_was_typed(app, officer_id, data, message):
    with in_app(app):
        vendor_id = factories.make_vendor(name="Typed Vendor").id
    fields = {
        "vendor_id": vendor_id,
        "agreement_id": 0,
        "reason": "Keep this reason text",
        "scope": "all",
        "nature": "destroy",
        "schedule": "by_date",
        **data,
    }
    response = client_as(app, officer_id).post("/staff/requests/new", data=fields)
    assert response.status_code == 422
    assert message in response.text
    if data.get("reason") != "":
        assert "Keep this reason text" in response.text
    with in_app(app):
        assert db.session.scalar(select(func.count()).select_from(DestructionRequest)) == 0


def test_an_agreement_of_another_vendor_is_refused(app, officer_id):
    with in_app(app):
        vendor = factories.make_vendor(name="Right")
        foreign = factories.make_agreement(factories.make_vendor(name="Wrong"))
        ids = (vendor.id, foreign.id)
    response = client_as(app, officer_id).post(
        "/staff/requests/new",
        data={
            "vendor_id": ids[0],
            "agreement_id": ids[1],
            "reason": "x",
            "scope": "all",
            "nature": "destroy",
            "schedule": "by_date",
        },
    )
    assert response.status_code == 422
    assert "not one of Right&#39;s agreements" in response.text


def test_withdrawing_from_the_request_page(app, officer_id):
    with in_app(app):
        dr = factories.make_destruction_request(factories.make_vendor(name="Oops", contact_email="o@oops.example"))
        request_id, version = dr.id, dr.version
    client = client_as(app, officer_id)
    empty = client.post(f"/staff/requests/{request_id}/withdraw", data={"reason": "", "version": version})
    assert empty.status_code == 422
    assert "Say why the request is withdrawn." in empty.text
    stale = client.post(f"/staff/requests/{request_id}/withdraw", data={"reason": "Wrong vendor", "version": 99})
    assert stale.status_code == 422
    assert "Someone else changed this request" in stale.text
    done = client.post(
        f"/staff/requests/{request_id}/withdraw",
        data={"reason": "Wrong vendor", "version": version},
        follow_redirects=True,
    )
    assert done.status_code == 200
    assert "Request withdrawn." in done.text
    assert "Withdrawn" in done.text
    assert "Request withdrawn" in done.text
    again = client.post(f"/staff/requests/{request_id}/withdraw", data={"reason": "Again", "version": version + 1})
    assert again.status_code == 422
    assert "already withdrawn" in again.text


def test_the_request_page_runs_a_constant_number_of_queries(app, officer_id):
    with in_app(app):
        vendor = factories.make_vendor(name="Busy", contact_email="b@busy.example")
        dr = factories.make_destruction_request(vendor)
        request_id = dr.id
    client = client_as(app, officer_id)
    with count_queries(app) as few:
        client.get(f"/staff/requests/{request_id}")
    with in_app(app):
        dr = db.session.get(DestructionRequest, request_id)
        for n in range(15):
            services.queue_request_notice(
                dr, f"extra-{n}", ["b@busy.example"], "request_reminder", days_to_due=n, overdue_since=None
            )
        db.session.commit()
    with count_queries(app) as many:
        response = client.get(f"/staff/requests/{request_id}")
    assert len(few) == len(many)
    assert len(re.findall("E-mail waiting to be sent", response.text)) == 15


def test_staff_only_and_csrf_on_every_post(app, vendor_user_id, officer_id, csrf):
    with in_app(app):
        request_id = factories.make_destruction_request(factories.make_vendor(name="Guarded")).id
    anonymous = app.test_client()
    for url in ("/staff/requests/", "/staff/requests/new", f"/staff/requests/{request_id}"):
        assert anonymous.get(url).status_code == 302
        assert client_as(app, vendor_user_id).get(url).status_code == 403
    officer = client_as(app, officer_id)
    assert officer.get("/staff/requests/999999").status_code == 404
    assert officer.post(f"/staff/requests/{request_id}/withdraw", data={"reason": "x"}).status_code == 400
    assert officer.post("/staff/requests/new", data={"reason": "x"}).status_code == 400
