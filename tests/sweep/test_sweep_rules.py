"""The sweep's rules one at a time: repeat runs, catching up, dry runs, concurrency, the CLI."""

import threading
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from clearinghouse import sweep
from clearinghouse.destruction.models import DestructionRequest
from clearinghouse.extensions import db
from clearinghouse.notices.models import Notice
from tests import factories
from tests.conftest import in_app


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def _keys() -> set[str]:
    return set(db.session.scalars(select(Notice.purpose_key)))


@pytest.fixture
def district(app):
    """One agreement ending on Mar 31, 2027 (not renewed), an officer, a vendor contact."""
    with in_app(app):
        factories.make_user(role="officer", email="officer@district.example")
        vendor = factories.make_vendor(name="Alpha", contact_email="privacy@alpha.example")
        return factories.make_agreement(vendor, reference="A", expires_on=date(2027, 3, 31)).id


def test_running_twice_on_the_same_day_queues_nothing_new(app, district):
    with in_app(app):
        first = sweep.run(date(2027, 4, 1), deliver=False, now=_noon(date(2027, 4, 1)))
        assert first.warnings == []
        assert first.reminders == []
        assert len(first.opened) == 1
        before = _keys()
        second = sweep.run(date(2027, 4, 1), deliver=False)
        assert (second.opened, second.keys) == ([], [])
        assert _keys() == before
        assert db.session.scalar(select(func.count()).select_from(DestructionRequest)) == 1


def test_after_a_gap_only_the_most_recent_missed_warning_goes_out(app, district):
    with in_app(app):
        assert sweep.run(date(2027, 1, 1), deliver=False).warnings == [f"agreement:{district}:expires-in-90"]
        # Off for two months: the 60-day mark (Jan 30) and the 30-day mark (Mar 1) were both missed.
        assert sweep.run(date(2027, 3, 10), deliver=False).warnings == [f"agreement:{district}:expires-in-30"]
        assert sweep.run(date(2027, 3, 11), deliver=False).warnings == []
        # Back after the due date of the request opened Apr 1 (due May 31): one reminder, one escalation.
        sweep.run(date(2027, 4, 1), deliver=False)
        late = sweep.run(date(2027, 6, 20), deliver=False)
        request_id = db.session.scalar(select(DestructionRequest.id))
        assert late.reminders == [f"request:{request_id}:overdue-week-2"]
        assert late.escalations == [f"request:{request_id}:escalated"]
        assert f"request:{request_id}:overdue-week-1" not in _keys()


def test_a_late_reminder_tells_the_truth_about_the_date(app, district):
    with in_app(app):
        sweep.run(date(2027, 4, 1), deliver=False)
        sweep.run(date(2027, 6, 3), deliver=False)  # missed the due day (May 31): "due-today" catches up
        notice = db.session.scalar(select(Notice).where(Notice.purpose_key.like("%:due-today")))
        assert "overdue (was due May 31, 2027)" in notice.subject
        assert "was due on May 31, 2027 and is now 3 days overdue" in notice.body_text


def _table_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables
    }


def test_a_dry_run_reports_what_it_would_do_and_changes_nothing(app, district, smtp_server):
    with in_app(app):
        beta = factories.make_vendor(name="Beta", contact_email="privacy@beta.example")
        factories.make_agreement(beta, reference="B", expires_on=date(2027, 6, 1))
        # A real run first: Alpha's request opened and its notice sent, Beta warned (61 days left).
        real = sweep.run(date(2027, 4, 1), now=_noon(date(2027, 4, 1)))
        assert len(real.opened) == 1
        assert len(real.warnings) == 1
        before = _table_counts()
        report = sweep.run(date(2027, 6, 20), dry_run=True)
        assert len(report.opened) == 1
        assert "Beta" in report.opened[0]
        assert len(report.reminders) == 1
        assert len(report.escalations) == 1
        assert report.delivery is None
        assert _table_counts() == before
    assert len(smtp_server.messages) == 2
    text = report.summary()
    assert text.startswith("Sweep for 2027-06-20 (dry run: nothing changed): 1 request(s) would be opened")
    assert "would queue request:" in text
    assert "overdue-week-2" in text


def test_the_sweep_command_prints_its_summary(app, district, runner, smtp_server):
    result = runner.invoke(args=["sweep", "--today", "2027-04-01", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Sweep for 2027-04-01 (dry run: nothing changed)" in result.output
    assert "opened request" in result.output
    with in_app(app):
        assert db.session.scalar(select(func.count()).select_from(DestructionRequest)) == 0
    result = runner.invoke(args=["sweep", "--today", "2027-04-01"])
    assert result.exit_code == 0, result.output
    assert "delivery: 1 sent, 0 failed" in result.output
    assert [m["To"] for m in smtp_server.messages] == ["privacy@alpha.example"]
    assert runner.invoke(args=["sweep", "--today", "April 1"]).exit_code != 0


def test_a_vendor_with_nobody_to_write_to_is_reported(app):
    with in_app(app):
        vendor = factories.make_vendor(name="Silent")
        factories.make_agreement(vendor, expires_on=date(2027, 3, 31))
        report = sweep.run(date(2027, 4, 1), deliver=False)
        assert len(report.opened) == 1
        assert report.problems == [
            f"Silent has no contact to send request {db.session.scalar(select(DestructionRequest.id))} to"
        ]


def test_smtp_down_during_the_sweep_keeps_everything_queued_for_the_next_run(app, district, smtp_server):
    smtp_server.stop()
    with in_app(app):
        report = sweep.run(date(2027, 4, 1), now=_noon(date(2027, 4, 1)))
        assert len(report.delivery.failed) == 1
        assert all(n.last_error for n in db.session.scalars(select(Notice)))
    smtp_server.start()
    with in_app(app):
        report = sweep.run(date(2027, 4, 2), now=_noon(date(2027, 4, 2)))
        assert report.keys == []
        assert len(report.delivery.sent) == 1
    assert len(smtp_server.messages) == 1


@pytest.mark.postgres_only
def test_two_sweeps_at_once_open_and_send_nothing_twice(app, district):
    with in_app(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL's concurrent writers")
        for n in range(6):  # more work, so the two really overlap
            vendor = factories.make_vendor(name=f"Ending {n}", contact_email=f"p{n}@ending.example")
            factories.make_agreement(vendor, expires_on=date(2027, 3, 20 + n))
    barrier = threading.Barrier(2)
    reports: list[sweep.SweepReport] = []
    errors: list[BaseException] = []

    def run():
        try:
            with in_app(app):
                barrier.wait()
                reports.append(sweep.run(date(2027, 4, 1), deliver=False))
        except BaseException as err:  # surfaced by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    opened = [item for report in reports for item in report.opened]
    keys = [key for report in reports for key in report.keys]
    assert len(opened) == 7
    assert len(keys) == len(set(keys))
    with in_app(app):
        assert db.session.scalar(select(func.count()).select_from(DestructionRequest)) == 7
        issued = db.session.scalar(select(func.count()).select_from(Notice).where(Notice.purpose_key.like("%:issued")))
        assert issued == 7
        assert db.session.scalar(select(func.count()).select_from(sa.table("disclosure_revision"))) == 7
