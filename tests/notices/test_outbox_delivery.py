"""The outbox: queueing once per purpose key, delivery over real SMTP, retries, refusals."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from clearinghouse.errors import DomainError
from clearinghouse.extensions import db
from clearinghouse.notices import services as notices
from clearinghouse.notices.models import Notice, NoticeStatus
from clearinghouse.settings.services import ensure_settings
from tests import factories
from tests.conftest import in_app
from tests.notices.racing import competing_insert

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def _queue(key: str = "test:1", recipients=("vendor@example.com",), **kwargs) -> Notice | None:
    vendor = factories.make_vendor(name=kwargs.pop("vendor_name", f"Vendor for {key}"))
    agreement = factories.make_agreement(vendor, reference="NDPA 2025")
    return notices.queue_notice(
        key,
        list(recipients),
        "agreement_expiring",
        {"agreement": agreement, "days_left": 30, "ends_on": date(2027, 3, 31), "path": "/staff/agreements/7"},
        subject_type="agreement",
        subject_id=agreement.id,
        now=kwargs.pop("now", NOW),
    )


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Notice))


def test_queue_notice_renders_subject_bodies_district_and_link(app):
    with in_app(app):
        settings = ensure_settings()
        settings.district_name = "Riverside Unified"
        db.session.commit()
        notice = _queue(recipients=["Vendor@Example.com ", "vendor@example.com", ""])
        db.session.commit()
        assert notice.subject.startswith("Riverside Unified: Vendor for test:1's agreement ends in 30 days")
        assert notice.recipients == "vendor@example.com"
        assert "Riverside Unified" in notice.body_text
        assert "http://localhost/staff/agreements/7" in notice.body_text
        assert not notice.body_text.startswith("Subject:")
        assert '<a href="http://localhost/staff/agreements/7">' in notice.body_html
        assert "Riverside Unified" in notice.body_html
        assert (notice.status, notice.attempts, notice.subject_type) == (NoticeStatus.QUEUED, 0, "agreement")


def test_queue_notice_does_not_commit_and_a_rollback_discards_it(app):
    with in_app(app):
        assert _queue() is not None
        db.session.rollback()
        assert _count() == 0


def test_a_purpose_key_is_queued_once(app):
    with in_app(app):
        first = _queue("agreement:7:expires-in-30")
        db.session.commit()
        assert first is not None
        assert _queue("agreement:7:expires-in-30", vendor_name="Another") is None
        db.session.commit()
        assert _count() == 1


def test_nobody_to_write_to_queues_nothing(app):
    with in_app(app):
        assert _queue(recipients=["", "  "]) is None
        assert _count() == 0


def test_a_concurrent_duplicate_does_not_abort_the_callers_transaction(app):
    """Another connection commits the same key between our check and our INSERT: the savepoint absorbs it."""
    with in_app(app):
        ensure_settings()
        db.session.commit()
        with competing_insert("race:1", NOW) as raced:
            assert _queue("race:1") is None
        assert raced
        # The caller's unit of work goes on and commits.
        _queue("race:2")
        db.session.commit()
        assert sorted(db.session.scalars(select(Notice.subject))) == sorted(
            ["theirs", db.session.scalar(select(Notice.subject).where(Notice.purpose_key == "race:2"))]
        )
        assert _count() == 2


def _deliver(**kwargs) -> notices.DeliveryReport:
    return notices.deliver_queued(now=kwargs.pop("now", NOW), **kwargs)


def test_delivery_sends_text_and_html_over_smtp_and_marks_sent(app, smtp_server):
    with in_app(app):
        settings = ensure_settings()
        settings.district_name = "Riverside Unified"
        settings.sender_email = "privacy-noreply@riverside.example"
        db.session.commit()
        _queue("a:1", ["one@example.com", "two@example.com"])
        db.session.commit()
        report = _deliver()
        assert report.sent == ["a:1"]
        assert report.failed == {}
        notice = db.session.scalar(select(Notice))
        assert (notice.status, notice.attempts, notice.sent_at, notice.last_error) == (NoticeStatus.SENT, 1, NOW, "")
    [message] = smtp_server.messages
    assert sorted(message.envelope_to) == ["one@example.com", "two@example.com"]
    assert message["From"] == "Riverside Unified <privacy-noreply@riverside.example>"
    assert message["Subject"].startswith("Riverside Unified: Vendor for a:1's agreement ends in 30 days")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "http://localhost/staff/agreements/7" in text
    assert "Riverside Unified" in text
    assert 'href="http://localhost/staff/agreements/7"' in html
    with in_app(app):  # sent once: a second delivery finds nothing to do
        assert _deliver(now=NOW + timedelta(days=2)).sent == []
    assert len(smtp_server.messages) == 1


def test_smtp_unavailable_keeps_the_notice_queued_with_the_error_then_retries_and_sends_once(app, smtp_server):
    with in_app(app):
        _queue("down:1")
        db.session.commit()
    smtp_server.stop()
    with in_app(app):
        report = _deliver()
        assert report.sent == []
        assert "down:1" in report.failed
        notice = db.session.scalar(select(Notice))
        assert notice.status == NoticeStatus.QUEUED
        assert notice.attempts == 1
        assert "Could not reach the mail server 127.0.0.1:" in notice.last_error
        assert notice.next_attempt_at == NOW + timedelta(minutes=5)
        # Not due yet: nothing is tried before the back-off ends.
        assert _deliver(now=NOW + timedelta(minutes=4)).failed == {}
        report = _deliver(now=NOW + timedelta(minutes=5))
        assert "down:1" in report.failed
        notice = db.session.scalar(select(Notice))
        assert notice.attempts == 2
        assert notice.next_attempt_at == NOW + timedelta(minutes=15)
    smtp_server.start()
    with in_app(app):
        assert _deliver(now=NOW + timedelta(minutes=15)).sent == ["down:1"]
        assert _deliver(now=NOW + timedelta(hours=5)).sent == []
        notice = db.session.scalar(select(Notice))
        assert (notice.status, notice.attempts, notice.last_error) == (NoticeStatus.SENT, 3, "")
    assert len(smtp_server.messages) == 1


def test_a_refused_recipient_keeps_the_notice_queued_with_the_servers_answer(app, smtp_server):
    smtp_server.refuse("gone@example.com")
    with in_app(app):
        _queue("refused:1", ["gone@example.com"])
        db.session.commit()
        report = _deliver()
        assert "refused:1" in report.failed
        notice = db.session.scalar(select(Notice))
        assert notice.status == NoticeStatus.QUEUED
        assert "gone@example.com (550" in notice.last_error
        assert "Mailbox unavailable" in notice.last_error
    assert smtp_server.messages == []


def test_a_partly_refused_notice_is_sent_to_the_others_and_says_who_was_refused(app, smtp_server):
    smtp_server.refuse("gone@example.com")
    with in_app(app):
        _queue("partly:1", ["ok@example.com", "gone@example.com"])
        db.session.commit()
        assert _deliver().sent == ["partly:1"]
        notice = db.session.scalar(select(Notice))
        assert notice.status == NoticeStatus.SENT
        assert notice.last_error == "Sent, but refused for: gone@example.com"
    assert [m.envelope_to for m in smtp_server.messages] == [["ok@example.com"]]


@pytest.mark.parametrize(
    ("attempts", "minutes"), [(1, 5), (2, 10), (3, 20), (8, 640), (9, 1280), (10, 1440), (30, 1440)]
)
def test_retry_back_off_doubles_up_to_a_day(attempts, minutes):
    assert notices.retry_delay(attempts) == timedelta(minutes=minutes)


def test_two_deliveries_at_once_send_each_notice_once(app, smtp_server):
    with in_app(app):
        for n in range(12):
            _queue(f"both:{n}", [f"r{n}@example.com"])
        db.session.commit()
    reports: list[notices.DeliveryReport] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker():
        try:
            with in_app(app):
                barrier.wait()
                reports.append(_deliver())
        except BaseException as err:  # surfaced by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    sent = [key for report in reports for key in report.sent]
    assert sorted(sent) == sorted(f"both:{n}" for n in range(12))
    assert len(smtp_server.messages) == 12
    with in_app(app):
        assert set(db.session.scalars(select(Notice.status))) == {NoticeStatus.SENT}


def test_only_the_given_notices_are_delivered_when_ids_are_named(app, smtp_server):
    with in_app(app):
        first, second = _queue("only:1"), _queue("only:2")
        db.session.commit()
        assert _deliver(notice_ids=[second.id]).sent == ["only:2"]
        assert db.session.get(Notice, first.id).status == NoticeStatus.QUEUED


def test_retry_now_makes_a_waiting_notice_due_and_sends_it(app, smtp_server):
    with in_app(app):
        notice = _queue("later:1")
        notice.next_attempt_at = NOW + timedelta(hours=3)
        db.session.commit()
        assert _deliver().sent == []
        assert notices.retry_now(notice, now=NOW).sent == ["later:1"]
        with pytest.raises(DomainError, match="Only a queued notice"):
            notices.retry_now(db.session.get(Notice, notice.id), now=NOW)
