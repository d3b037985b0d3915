"""APScheduler for the daily sweep and outbox retries: one process per host, one of them in charge.

`flask scheduler` runs a BlockingScheduler in its own process (what `make serve` starts next to
gunicorn). `make run` sets SCHEDULER_IN_PROCESS=1 for its single development server, and
`init_app` then starts a BackgroundScheduler inside it, but never in the reloader's parent
process and never when the setting is off (the default, so gunicorn workers start none).
The sweep's time and time zone come from the district settings and are re-read every
few minutes, so an admin's change takes effect without a restart.

Several hosts may each run a scheduler (`make serve` on each). On PostgreSQL the one that holds
a session-level advisory lock (`Leadership`, on a connection of its own) runs the sweep and the
outbox; the others check every SCHEDULER_LEADER_SECONDS whether the lock is free and take it
over when its holder is gone. A holder killed outright loses its connection, and PostgreSQL
releases the lock at once; a holder whose host vanished is found dead by TCP keepalives and a
TCP user timeout on both ends (about 30 s), and one that hangs (stops checking its lock for four
times SCHEDULER_LEADER_SECONDS) loses its session to `idle_session_timeout`. The new holder
delivers the outbox at once and, if today's sweep time came while the other was in charge, runs
the sweep again (the other may have died before it was done): both are safe to repeat (the
sweep queues each notice once, and the outbox claims each notice before sending it, so none is
sent twice). On SQLite (one host) the scheduler is always in charge.
"""

import atexit
import logging
import os
import threading
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from clearinghouse import sweep
from clearinghouse.config import database_connect_args
from clearinghouse.extensions import db
from clearinghouse.notices.services import deliver_queued
from clearinghouse.settings.models import DistrictSettings
from clearinghouse.settings.queries import get_settings
from clearinghouse.timeutil import DEFAULT_ZONE, district_today, zone_named

log = logging.getLogger(__name__)

SWEEP_JOB = "daily-sweep"
OUTBOX_JOB = "outbox-retry"
REFRESH_JOB = "refresh-sweep-time"
LEADER_JOB = "leadership"
OUTBOX_MINUTES = 3  # the default of SCHEDULER_OUTBOX_SECONDS
REFRESH_MINUTES = 10
# A sweep missed because the machine was asleep or down still runs when it is back the same day.
SWEEP_MISFIRE_GRACE = 12 * 3600
DEFAULT_SWEEP_TIME = "06:00"


def _hour_minute(sweep_time: str) -> tuple[int, int]:
    try:
        hour, minute = (int(part) for part in sweep_time.split(":"))
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError(sweep_time)
    except ValueError:
        log.warning("Sweep time %r is not HH:MM; using %s.", sweep_time, DEFAULT_SWEEP_TIME)
        hour, minute = 6, 0
    return hour, minute


def sweep_trigger(sweep_time: str, time_zone: str) -> CronTrigger:
    """Every day at HH:MM in the district's time zone (a malformed time falls back to 06:00)."""
    hour, minute = _hour_minute(sweep_time)
    return CronTrigger(hour=hour, minute=minute, timezone=zone_named(time_zone))


def sweep_time_passed(sweep_time: str, time_zone: str, now: datetime | None = None) -> bool:
    """Whether today's sweep time has come in the district's time zone."""
    zone = zone_named(time_zone)
    local = (now or datetime.now(zone)).astimezone(zone)
    return local.time() >= time(*_hour_minute(sweep_time))


# The advisory lock's key: any number the app uses for nothing else ("CH" and 1).
LEADER_LOCK_KEY = 0x4348_0001
# libpq's TCP settings for the lock's connection (client side), and the server's for its end:
# a holder whose host vanished without closing its connection is found dead within ~30 s.
KEEPALIVE_ARGS = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
    "connect_timeout": 10,
    "application_name": "clearinghouse-scheduler",
}
SERVER_KEEPALIVE = (
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 3",
    "SET tcp_user_timeout = 30000",
    "SET statement_timeout = 10000",
)


class Leadership:
    """Which scheduler runs the jobs: the one holding a PostgreSQL advisory lock on a dedicated connection.

    The lock is session-level: it lasts as long as the connection, whatever transactions the app
    runs elsewhere, and PostgreSQL releases it when the connection ends. On any other database
    there is one host, and this scheduler is always in charge.
    """

    def __init__(self, url: sa.URL | str, check_seconds: int = 15, connect_args: dict[str, Any] | None = None):
        url = sa.make_url(url)
        # The holder checks its lock every `check_seconds`; one that stops checking (hung, or its
        # process stopped) for four times as long loses its session, and so the lock.
        self.idle_timeout_ms = 4 * check_seconds * 1000
        self.engine = None
        if url.get_backend_name() == "postgresql":
            self.engine = sa.create_engine(
                url,
                poolclass=NullPool,
                isolation_level="AUTOCOMMIT",
                connect_args={**(connect_args or {}), **KEEPALIVE_ARGS},
            )
        self.connection: sa.Connection | None = None
        self.held = self.engine is None
        self.took_charge = False  # set when the lock is taken; `take_charge_if_free` catches up and clears it
        self.sweep_missed = False  # today's sweep time came while another scheduler was in charge
        self._lock = threading.Lock()  # the jobs run in a thread pool; the connection is not shared at once

    def check(self) -> bool:
        """True while this process holds the lock, taking it when it is free."""
        if self.engine is None:
            return True
        with self._lock:
            was_held = self.held
            try:
                if self.connection is not None and self._still_held():
                    return True
                self._close()
                self.connection = self.engine.connect()
                for statement in SERVER_KEEPALIVE:
                    self.connection.exec_driver_sql(statement)
                self.connection.exec_driver_sql(f"SET idle_session_timeout = {int(self.idle_timeout_ms)}")
                self.held = bool(
                    self.connection.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY})
                )
            except SQLAlchemyError as err:
                log.warning("Scheduler: cannot reach the database to check who runs the jobs: %s", err)
                self._close()
            if not self.held:
                self._close()  # a follower keeps no connection open between checks
                if was_held:
                    log.warning("Scheduler: lost the lock; another scheduler runs the sweep and the outbox now.")
            elif not was_held:
                self.took_charge = True
                log.info("Scheduler: this process now runs the sweep and the outbox (pid %d).", os.getpid())
            return self.held

    def _still_held(self) -> bool:
        held = self.connection.scalar(
            sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                "AND granted AND classid = 0 AND objid = :key AND objsubid = 1"
            ),
            {"key": LEADER_LOCK_KEY},
        )
        return bool(held)

    def _close(self) -> None:
        self.held = False
        if self.connection is not None:
            try:
                self.connection.close()
            except SQLAlchemyError:
                self.connection.invalidate()
            self.connection = None

    def release(self) -> None:
        with self._lock:
            self._close()
        if self.engine is not None:
            self.engine.dispose()


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


def _leadership(app: Flask) -> Leadership:
    """This process's Leadership, made on first use from the app's database URL."""
    leadership = app.extensions.get("scheduler_leadership")
    if leadership is None:
        with app.app_context():
            url = db.engine.url
        check_seconds = int(app.config.get("SCHEDULER_LEADER_SECONDS") or 15)
        leadership = app.extensions["scheduler_leadership"] = Leadership(
            url, check_seconds, database_connect_args(app.config)
        )
    return leadership


def in_charge(app: Flask) -> bool:
    """Whether this scheduler runs the jobs now (it holds the lock, or takes it if it is free)."""
    return _leadership(app).check()


def run_sweep(app: Flask) -> None:
    leadership = _leadership(app)
    if not leadership.check():
        # The one in charge runs it; should it die before it is done, whoever takes over runs it again.
        leadership.sweep_missed = True
        return
    leadership.sweep_missed = False
    with app.app_context():
        try:
            log.info("%s", sweep.run(district_today()).summary())
        finally:
            db.session.remove()


def deliver_outbox(app: Flask) -> None:
    if not in_charge(app):
        return
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


def take_charge_if_free(app: Flask) -> None:
    """The leadership job: take the lock if it is free; having just taken it, catch up on what was left."""
    leadership = _leadership(app)
    if not leadership.check() or not leadership.took_charge:
        return
    leadership.took_charge = False
    deliver_outbox(app)
    if leadership.sweep_missed and sweep_time_passed(*_schedule_settings(app)):
        run_sweep(app)  # the one in charge at sweep time may have died before it was done


def configure(scheduler: BaseScheduler, app: Flask) -> BaseScheduler:
    """Add the sweep, the outbox retries and the settings refresh to a scheduler (not started)."""
    sweep_time, time_zone = _schedule_settings(app)
    outbox_seconds = int(app.config.get("SCHEDULER_OUTBOX_SECONDS") or OUTBOX_MINUTES * 60)
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
        IntervalTrigger(seconds=outbox_seconds, timezone=zone_named(time_zone)),
        args=[app],
        id=OUTBOX_JOB,
        name="Outbox retries",
        misfire_grace_time=outbox_seconds,
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
    time_zone = zone_named(_schedule_settings(app)[1])
    scheduler = configure(BlockingScheduler(timezone=time_zone), app)
    leader_seconds = int(app.config.get("SCHEDULER_LEADER_SECONDS") or 15)
    scheduler.add_job(
        take_charge_if_free,
        IntervalTrigger(seconds=leader_seconds),
        args=[app],
        id=LEADER_JOB,
        name="Take charge when the scheduler in charge is gone",
        misfire_grace_time=leader_seconds,
        next_run_time=datetime.now(time_zone),  # at start as well
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    job = scheduler.get_job(SWEEP_JOB)
    log.info(
        "Scheduler started: the daily sweep runs %s; the outbox is retried %s; whichever scheduler holds "
        "the lock runs them.",
        job.trigger,
        scheduler.get_job(OUTBOX_JOB).trigger,
    )
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("Scheduler stopped.")
    finally:
        _leadership(app).release()


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
