"""The outbox page: filters, errors shown, retry button, constant queries, staff only."""

from datetime import timedelta

from sqlalchemy import select

from clearinghouse.extensions import db
from clearinghouse.notices import services as notices
from clearinghouse.notices.models import Notice, NoticeStatus
from clearinghouse.timeutil import utcnow
from tests import factories
from tests.conftest import client_as, count_queries, in_app


def _queue(app, n: int, prefix: str = "page") -> list[int]:
    with in_app(app):
        vendor = factories.make_vendor(name=f"Outbox {prefix}")
        dr = factories.make_destruction_request(vendor)
        ids = []
        for k in range(n):
            notice = notices.queue_notice(
                f"{prefix}:{k}", ["v@example.com"], "request_withdrawn", {"dr": dr, "vendor": vendor, "reason": "Test"}
            )
            db.session.flush()
            ids.append(notice.id)
        db.session.commit()
        return ids


def test_a_failed_notice_shows_its_error_and_the_retry_sends_it(app, officer_id, smtp_server):
    [notice_id] = _queue(app, 1)
    smtp_server.stop()
    with in_app(app):
        notices.deliver_queued()
    client = client_as(app, officer_id)
    page = client.get("/staff/outbox/?status=failed")
    assert page.status_code == 200
    assert "Could not reach the mail server" in page.text
    assert "Retry now" in page.text
    response = client.post(f"/staff/outbox/{notice_id}/retry?status=failed", follow_redirects=True)
    assert "could not be sent" in response.text
    smtp_server.start()
    response = client.post(f"/staff/outbox/{notice_id}/retry", follow_redirects=True)
    assert "The notice was sent." in response.text
    assert len(smtp_server.messages) == 1
    with in_app(app):
        assert db.session.get(Notice, notice_id).status == NoticeStatus.SENT
    sent = client.get("/staff/outbox/?status=sent")
    assert "Sent" in sent.text
    assert "page:0" in sent.text
    again = client.post(f"/staff/outbox/{notice_id}/retry", follow_redirects=True)
    assert "Only a queued notice can be retried" in again.text
    assert len(smtp_server.messages) == 1


def test_the_outbox_runs_a_constant_number_of_queries_and_paginates(app, officer_id):
    client = client_as(app, officer_id)
    _queue(app, 2, "few")
    with count_queries(app) as few:
        assert client.get("/staff/outbox/").status_code == 200
    _queue(app, 40, "many")
    with count_queries(app) as many:
        response = client.get("/staff/outbox/?status=all")
    assert len(few) == len(many)
    assert 'rel="next"' in response.text


def test_the_outbox_is_for_staff_and_its_post_needs_csrf(app, vendor_user_id, officer_id, csrf):
    [notice_id] = _queue(app, 1)
    assert app.test_client().get("/staff/outbox/").status_code == 302
    assert client_as(app, vendor_user_id).get("/staff/outbox/").status_code == 403
    assert client_as(app, vendor_user_id).post(f"/staff/outbox/{notice_id}/retry").status_code in (400, 403)
    officer = client_as(app, officer_id)
    assert officer.post(f"/staff/outbox/{notice_id}/retry").status_code == 400
    assert officer.post("/staff/outbox/999999/retry").status_code in (400, 404)
    with in_app(app):
        notice = db.session.get(Notice, notice_id)
        assert notice.attempts == 0
        assert notice.next_attempt_at <= utcnow() + timedelta(seconds=1)
        assert db.session.scalar(select(Notice.status)) == NoticeStatus.QUEUED
