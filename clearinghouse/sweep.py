"""The daily sweep: it asks each domain what is due today, queues the notices and reports.

1. agreements (`agreements.expiry`): warn the privacy office of agreements about to end;
2. destruction (`destruction.followup`): open a request for each agreement that ended without
   renewal and has none, then remind vendors of open requests and escalate overdue ones;
3. declarations (`declarations.followup`): remind vendors, weekly, of questionnaires they have not
   submitted;
4. subscriptions (`subscriptions.digest`): e-mail each subscriber the digest of public changes that
   is due, in its language, and delete the subscription requests nobody confirmed in time;
5. the kept counts (`kept_counts_check`): compare each with the rows it counts and rewrite those that
   drifted, in a unit of work of its own after the commit, each rewrite audited; an error there is
   logged and reported as a problem, and leaves the rest of the sweep done. A dry run only checks;
6. deliver the outbox (after the commit, and unless told not to).

The domains write through their services and return notice drafts; this module reads their rows a
chunk at a time, queues each chunk's drafts in one batch, records each queued notice in the audit
log, and commits everything at the end in one unit of work (or, for a dry run, rolls it back).

`run(today)` is idempotent: every notice has a purpose key that is unique in the database and
an agreement has one destruction request (the sweep's has a unique origin key too), so running
it twice, or in two processes at once, sends and opens nothing twice. After a gap (the server was
off) it catches up with the most recent mark only (`timeutil.most_recent_mark`): if the 60- and
30-day warnings were both missed, only the 30-day one goes out.

Rows are read in chunks of `CHUNK` (keyset on the id), so the sweep's memory and its number of
queries grow with the chunks, not the rows (bench/sweep.py: 100,000 agreements, 20,000 open
destruction requests).
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select

from clearinghouse import kept_counts_check
from clearinghouse.agreements import expiry
from clearinghouse.agreements.models import Agreement
from clearinghouse.audit import services as audit
from clearinghouse.declarations import followup as declaration_followup
from clearinghouse.declarations.models import Declaration
from clearinghouse.destruction import followup
from clearinghouse.destruction import services as destruction
from clearinghouse.destruction.models import DestructionRequest
from clearinghouse.extensions import db
from clearinghouse.notices import services as notices
from clearinghouse.settings.queries import get_settings
from clearinghouse.subscriptions import digest
from clearinghouse.subscriptions import services as subscriptions
from clearinghouse.subscriptions.models import Subscriber
from clearinghouse.timeutil import day_start, utcnow

CHUNK = 500  # rows read, and notices queued, at a time
log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    today: date
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)  # purpose keys queued
    opened: list[str] = field(default_factory=list)  # "request <id> for <vendor> (agreement <ref>)"
    reminders: list[str] = field(default_factory=list)
    escalations: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)  # purpose keys of the subscribers' digests
    unconfirmed_deleted: int = 0  # subscribers never confirmed, or left following nothing
    kept_counts: list[str] = field(default_factory=list)  # the kept counts that drifted, as each was and should be
    problems: list[str] = field(default_factory=list)  # e.g. a vendor with nobody to write to
    delivery: notices.DeliveryReport | None = None

    @property
    def keys(self) -> list[str]:
        return [*self.warnings, *self.reminders, *self.escalations]

    def summary(self) -> str:
        """One line, then one line per action (what would happen, for a dry run)."""
        verb = "would queue" if self.dry_run else "queued"
        head = (
            f"Sweep for {self.today.isoformat()}{' (dry run: nothing changed)' if self.dry_run else ''}: "
            f"{len(self.opened)} request(s) {'would be ' if self.dry_run else ''}opened, "
            f"{len(self.warnings)} expiry warning(s), {len(self.reminders)} reminder(s), "
            f"{len(self.escalations)} escalation(s), {len(self.digests)} digest(s) {verb}"
        )
        if self.delivery is not None:
            head += f"; delivery: {self.delivery.summary()}"
        lines = [head + "."]
        lines += [f"  opened {item}" for item in self.opened]
        lines += [f"  {verb} {key}" for key in self.keys]
        if self.digests:
            lines.append(f"  {verb} {len(self.digests)} digest(s) to subscribers")
        if self.unconfirmed_deleted:
            lines.append(f"  deleted {self.unconfirmed_deleted} subscriber(s) never confirmed or following nothing")
        kept = "would repair" if self.dry_run else "repaired"
        lines += [f"  {kept} kept count {item}" for item in self.kept_counts]
        lines += [f"  problem: {item}" for item in self.problems]
        return "\n".join(lines)


def run(today: date, *, dry_run: bool = False, deliver: bool = True, now: datetime | None = None) -> SweepReport:
    """Run the sweep as if it were `today` in the district. Safe to repeat."""
    now = now or utcnow()
    report = SweepReport(today=today, dry_run=dry_run)
    # Held for the whole run, which also keeps the row in the session's identity map: every
    # get_settings() in the services below is then a lookup, not a query (thousands of them).
    settings = get_settings()
    try:
        officers = destruction.officer_recipients()
        marks = settings.expiry_warning_list
        if marks:
            for agreements in _chunks(expiry.ending_soon(today, marks), Agreement.id):
                report.warnings += _queue(expiry.expiry_warnings(agreements, today, marks, officers), now)
        for agreements in _chunks(followup.ended_without_request(today), Agreement.id):
            opened = followup.open_requests(agreements, today)
            _queue(opened.notices, now)
            report.opened += [_describe(dr) for dr in opened.requests]
            report.problems += opened.problems
        for requests in _chunks(followup.waiting(today), DestructionRequest.id):
            due = followup.follow_up(requests, today, settings, officers)
            report.reminders += _queue(due.reminders, now)
            report.escalations += _queue(due.escalations, now)
            report.problems += due.problems
        for declarations in _chunks(declaration_followup.waiting(today), Declaration.id):
            reminded = declaration_followup.reminders(declarations, today)
            report.reminders += _queue(reminded.notices, now)
            report.problems += reminded.problems
        through = digest.last_revision_before(day_start(today))
        for subscribers in _chunks(digest.confirmed_subscribers(), Subscriber.id):
            queued = notices.queue_notices(digest.digests(subscribers, today, settings, through), now=now)
            report.digests += [notice.purpose_key for notice in queued]
        report.unconfirmed_deleted = subscriptions.purge_unconfirmed(now)
    except BaseException:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
        _keep_counts(report, dry_run=True)
        return report
    db.session.commit()
    _keep_counts(report, dry_run=False)
    if deliver:
        report.delivery = notices.deliver_queued(now=now)
    return report


def _keep_counts(report: SweepReport, *, dry_run: bool) -> None:
    """Check the kept counts (and repair those that drifted, unless a dry run); never fails the sweep."""
    try:
        drifts = kept_counts_check.check() if dry_run else kept_counts_check.repair()
    except Exception:
        db.session.rollback()
        log.exception("The daily sweep could not check the kept counts.")
        report.problems.append("the kept counts could not be checked (see the log)")
        return
    if drifts and not dry_run:
        log.warning("The daily sweep repaired %d kept count(s) that had drifted.", len(drifts))
    report.kept_counts += [drift.describe() for drift in drifts]


def _chunks(stmt: Select, key: Any) -> Iterator[list]:
    """The rows of `stmt` in `key` order, `CHUNK` at a time (keyset: each chunk starts after the last)."""
    last = None
    while True:
        page = stmt if last is None else stmt.where(key > last)
        rows = db.session.scalars(page.order_by(key).limit(CHUNK)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _queue(drafts: list[notices.NoticeDraft], now: datetime) -> list[str]:
    """Queue a chunk's notices at once and audit each one queued; returns their purpose keys."""
    keys = []
    for notice in notices.queue_notices(drafts, now=now):
        audit.record(
            None, "notice.queued", notice, {"purpose_key": [None, notice.purpose_key]}, label=notice.purpose_key
        )
        keys.append(notice.purpose_key)
    return keys


def _describe(dr: DestructionRequest) -> str:
    return f"request {dr.id} for {dr.vendor.name} (agreement {dr.agreement.reference or dr.agreement.id})"
