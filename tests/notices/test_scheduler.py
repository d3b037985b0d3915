"""The scheduler's jobs: the sweep daily at the district's time and zone, coalesced, one at a time."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler

from clearinghouse import scheduler
from clearinghouse.extensions import db
from clearinghouse.settings.services import ensure_settings
from tests.conftest import in_app


def next_sweep_at(sched: BaseScheduler, now: datetime) -> datetime:
    """When the sweep fires next after `now` (works on a scheduler that is not started)."""
    return sched.get_job(scheduler.SWEEP_JOB).trigger.get_next_fire_time(None, now)


def test_the_sweep_runs_daily_at_the_districts_time_in_its_time_zone(app):
    with in_app(app):
        settings = ensure_settings()
        settings.time_zone, settings.sweep_time = "America/Los_Angeles", "05:30"
        db.session.commit()
    sched = scheduler.configure(BackgroundScheduler(), app)
    job = sched.get_job(scheduler.SWEEP_JOB)
    assert str(job.trigger.timezone) == "America/Los_Angeles"
    assert (job.coalesce, job.max_instances) == (True, 1)
    assert job.misfire_grace_time >= 6 * 3600
    # Next run after 14:00 UTC on Mar 1 (06:00 in LA, past 05:30): 05:30 LA on Mar 2 = 13:30 UTC.
    after = next_sweep_at(sched, datetime(2027, 3, 1, 14, 0, tzinfo=UTC))
    assert after == datetime(2027, 3, 2, 5, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert after.astimezone(UTC) == datetime(2027, 3, 2, 13, 30, tzinfo=UTC)
    # Across the spring change of clocks (Mar 14, 2027) it stays at 05:30 local time.
    assert next_sweep_at(sched, datetime(2027, 3, 14, 14, 0, tzinfo=UTC)).astimezone(UTC) == datetime(
        2027, 3, 15, 12, 30, tzinfo=UTC
    )
    outbox = sched.get_job(scheduler.OUTBOX_JOB)
    assert (outbox.coalesce, outbox.max_instances, outbox.trigger.interval.total_seconds()) == (True, 1, 180)


def test_a_changed_sweep_time_is_picked_up_without_a_restart(app):
    sched = scheduler.configure(BackgroundScheduler(), app)
    with in_app(app):
        settings = ensure_settings()
        settings.sweep_time = "23:15"
        db.session.commit()
    sched.start(paused=True)
    try:
        scheduler.refresh_sweep_time(app, sched)
        fire = next_sweep_at(sched, datetime(2027, 6, 1, 12, 0, tzinfo=UTC))
        assert (fire.hour, fire.minute, str(fire.tzinfo)) == (23, 15, "America/New_York")
    finally:
        sched.shutdown(wait=False)


@pytest.mark.parametrize("bad", ["25:00", "six", "", "06:75"])
def test_a_malformed_sweep_time_falls_back_to_six(bad):
    trigger = scheduler.sweep_trigger(bad, "Europe/Paris")
    fire = trigger.get_next_fire_time(None, datetime(2027, 1, 1, 12, 0, tzinfo=UTC))
    assert (fire.hour, fire.minute, str(fire.tzinfo)) == (6, 0, "Europe/Paris")


def test_in_process_scheduler_starts_only_when_asked_and_not_in_the_reloader_parent(app, monkeypatch):
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    assert app.config["SCHEDULER_IN_PROCESS"] is False
    assert scheduler.init_app(app) is None  # the default: gunicorn workers start none
    monkeypatch.setitem(app.config, "SCHEDULER_IN_PROCESS", True)
    monkeypatch.setattr(app, "debug", True)
    assert scheduler.should_start_in_process(app) is False  # the reloader's watching parent
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    assert scheduler.should_start_in_process(app) is True  # the reloader's serving child
    monkeypatch.setattr(app, "debug", False)
    monkeypatch.delenv("WERKZEUG_RUN_MAIN")
    started = scheduler.init_app(app)
    try:
        assert started is not None
        assert started.running
        assert {job.id for job in started.get_jobs()} == {
            scheduler.SWEEP_JOB,
            scheduler.OUTBOX_JOB,
            scheduler.REFRESH_JOB,
        }
    finally:
        started.shutdown(wait=False)
        app.extensions.pop("scheduler", None)
