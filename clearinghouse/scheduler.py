"""APScheduler for the daily sweep and outbox retries: one process, never one per web worker.

`flask scheduler` runs a BlockingScheduler in its own process (what `make serve` starts next to
gunicorn). `make run` sets SCHEDULER_IN_PROCESS=1 for its single development server, and
`init_app` then starts a BackgroundScheduler inside it, but never in the reloader's parent
process and never when the setting is off (the default, so gunicorn workers start none).
The sweep's time and time zone come from the district settings and are re-read every
few minutes, so an admin's change takes effect without a restart.
"""

import atexit
import logging
import os

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from clearinghouse import sweep
from clearinghouse.extensions import db
from clearinghouse.notices.services import deliver_queued
from clearinghouse.settings.models import DistrictSettings
from clearinghouse.settings.queries import get_settings
from clearinghouse.timeutil import DEFAULT_ZONE, district_today, zone_named

log = logging.getLogger(__name__)

SWEEP_JOB = "daily-sweep"
OUTBOX_JOB = "outbox-retry"
REFRESH_JOB = "refresh-sweep-time"
OUTBOX_MINUTES = 3
REFRESH_MINUTES = 10
# A sweep missed because the machine was asleep or down still runs when it is back the same day.
SWEEP_MISFIRE_GRACE = 12 * 3600
DEFAULT_SWEEP_TIME = "06:00"


def sweep_trigger(sweep_time: str, time_zone: str) -> CronTrigger:
    """Every day at HH:MM in the district's time zone (a malformed time falls back to 06:00)."""
    try:
        hour, minute = (int(part) for part in sweep_time.split(":"))
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError(sweep_time)
    except ValueError:
        log.warning("Sweep time %r is not HH:MM; using %s.", sweep_time, DEFAULT_SWEEP_TIME)
        hour, minute = 6, 0
    return CronTrigger(hour=hour, minute=minute, timezone=zone_named(time_zone))


def _schedule_settings(app: Flask) -> tuple[str, str]:
    """(sweep time, time zone) from the settings; the defaults when the database is not ready yet."""
    with app.app_context():
        try:
            settings = get_settings()
            return settings.sweep_time, settings.time_zone
        except SQLAlchemyError:
            log.warning("Could not read the district settings; scheduling the sweep at the defaults.")
            defaults = DistrictSettings.with_defaults()
            return defaults.sweep_time or DEFAULT_SWEEP_TIME, defaults.time_zone or DEFAULT_ZONE
        finally:
            db.session.remove()


def run_sweep(app: Flask) -> None:
    with app.app_context():
        try:
            log.info("%s", sweep.run(district_today()).summary())
        finally:
            db.session.remove()


def deliver_outbox(app: Flask) -> None:
    with app.app_context():
        try:
            report = deliver_queued()
            if report.sent or report.failed:
                log.info("Outbox: %s", report.summary())
        finally:
            db.session.remove()


def refresh_sweep_time(app: Flask, scheduler: BaseScheduler) -> None:
    """Reschedule the sweep when an admin changed its time or the district's time zone."""
    trigger = sweep_trigger(*_schedule_settings(app))
    job = scheduler.get_job(SWEEP_JOB)
    if job is not None and repr(job.trigger) != repr(trigger):  # repr includes the time zone
        scheduler.reschedule_job(SWEEP_JOB, trigger=trigger)
        log.info("The daily sweep now runs %s.", trigger)


def configure(scheduler: BaseScheduler, app: Flask) -> BaseScheduler:
    """Add the sweep, the outbox retries and the settings refresh to a scheduler (not started)."""
    sweep_time, time_zone = _schedule_settings(app)
    common = {"coalesce": True, "max_instances": 1, "replace_existing": True}
    scheduler.add_job(
        run_sweep,
        sweep_trigger(sweep_time, time_zone),
        args=[app],
        id=SWEEP_JOB,
        name="Daily sweep",
        misfire_grace_time=SWEEP_MISFIRE_GRACE,
        **common,
    )
    scheduler.add_job(
        deliver_outbox,
        IntervalTrigger(minutes=OUTBOX_MINUTES, timezone=zone_named(time_zone)),
        args=[app],
        id=OUTBOX_JOB,
        name="Outbox retries",
        misfire_grace_time=OUTBOX_MINUTES * 60,
        **common,
    )
    scheduler.add_job(
        refresh_sweep_time,
        IntervalTrigger(minutes=REFRESH_MINUTES),
        args=[app, scheduler],
        id=REFRESH_JOB,
        name="Refresh the sweep time",
        misfire_grace_time=REFRESH_MINUTES * 60,
        **common,
    )
    return scheduler


def run_blocking(app: Flask) -> None:
    """`flask scheduler`: run the jobs in this process until it is stopped (Ctrl+C or SIGTERM)."""
    scheduler = configure(BlockingScheduler(timezone=zone_named(_schedule_settings(app)[1])), app)
    job = scheduler.get_job(SWEEP_JOB)
    log.info(
        "Scheduler started: the daily sweep runs %s; the outbox is retried every %d minutes.",
        job.trigger,
        OUTBOX_MINUTES,
    )
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("Scheduler stopped.")


def should_start_in_process(app: Flask) -> bool:
    """Only when SCHEDULER_IN_PROCESS is on, and not in the reloader's watching parent process."""
    if not app.config.get("SCHEDULER_IN_PROCESS"):
        return False
    # Under the reloader only its serving child (WERKZEUG_RUN_MAIN=true) runs one, not the watching parent.
    return not app.debug or os.environ.get("WERKZEUG_RUN_MAIN") == "true"


def init_app(app: Flask) -> BackgroundScheduler | None:
    """Start a BackgroundScheduler inside this process when `should_start_in_process` says so."""
    if not should_start_in_process(app):
        return None
    scheduler = configure(BackgroundScheduler(timezone=zone_named(_schedule_settings(app)[1])), app)
    scheduler.start()
    app.extensions["scheduler"] = scheduler
    atexit.register(lambda: scheduler.shutdown(wait=False) if scheduler.running else None)
    log.info(
        "In-process scheduler started (SCHEDULER_IN_PROCESS): the daily sweep runs %s.",
        scheduler.get_job(SWEEP_JOB).trigger,
    )
    return scheduler
