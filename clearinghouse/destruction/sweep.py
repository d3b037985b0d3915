"""The daily sweep: warn of expiring agreements, open due destruction requests, remind, escalate, deliver.

`run(today)` is idempotent: every notice has a purpose key that is unique in the database and
every request the sweep opens has a unique origin key, so running it twice, or in two
processes at once, sends and opens nothing twice. After a gap (the server was off) it catches
up with the most recent applicable mark only: if the 60- and 30-day warnings were both missed,
only the 30-day one goes out. All of its writes commit together at the end (or, with
`dry_run`, are rolled back); delivery over SMTP comes after that commit.

It reads agreements and requests in chunks of `CHUNK` rows (keyset on the id) and queues each
chunk's notices with one `queue_notices` call, so its memory and its number of queries grow with
the chunks, not the rows (bench/sweep.py: 100,000 agreements, 20,000 open requests).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.routing import BuildError

from clearinghouse.agreements.models import Agreement
from clearinghouse.audit import services as audit
from clearinghouse.destruction import services
from clearinghouse.destruction.models import DestructionRequest, RequestOrigin, RequestStatus
from clearinghouse.extensions import db
from clearinghouse.notices import services as notices
from clearinghouse.notices.models import Notice
from clearinghouse.settings.models import DistrictSettings
from clearinghouse.settings.queries import get_settings
from clearinghouse.timeutil import utcnow

CHUNK = 500  # rows read, and notices queued, at a time


@dataclass
class SweepReport:
    today: date
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)  # purpose keys queued
    opened: list[str] = field(default_factory=list)  # "request <id> for <vendor> (agreement <ref>)"
    reminders: list[str] = field(default_factory=list)
    escalations: list[str] = field(default_factory=list)
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
            f"{len(self.escalations)} escalation(s) {verb}"
        )
        if self.delivery is not None:
            head += f"; delivery: {self.delivery.summary()}"
        lines = [head + "."]
        lines += [f"  opened {item}" for item in self.opened]
        lines += [f"  {verb} {key}" for key in self.keys]
        lines += [f"  problem: {item}" for item in self.problems]
        return "\n".join(lines)


def most_recent_mark(marks: list[int], remaining: int) -> int | None:
    """The smallest threshold (days before a date) already reached: `remaining` <= it; None if none.

    With marks [90, 60, 30, 7] and 25 days remaining the 30-day mark is the latest reached.
    """
    reached = [mark for mark in marks if remaining <= mark]
    return min(reached) if reached else None


def run(today: date, *, dry_run: bool = False, deliver: bool = True, now: datetime | None = None) -> SweepReport:
    """Run the sweep as if it were `today` in the district. Safe to repeat."""
    now = now or utcnow()
    report = SweepReport(today=today, dry_run=dry_run)
    # Held for the whole run, which also keeps the row in the session's identity map: every
    # get_settings() in the services below is then a lookup, not a query (thousands of them).
    settings = get_settings()
    try:
        _warn_expiring_agreements(today, report, now, settings)
        _open_due_requests(today, report, now)
        _remind_and_escalate(today, report, now, settings)
    except BaseException:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
        return report
    db.session.commit()
    if deliver:
        report.delivery = notices.deliver_queued(now=now)
    return report


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


def _queue(drafts: list[tuple[notices.NoticeDraft, list[str]]], now: datetime) -> None:
    """Queue a chunk's notices at once; audit each one queued and list its key in the report's list."""
    lists = {draft.purpose_key: into for draft, into in drafts}
    for notice in notices.queue_notices([draft for draft, _ in drafts], now=now):
        audit.record(
            None, "notice.queued", notice, {"purpose_key": [None, notice.purpose_key]}, label=notice.purpose_key
        )
        lists[notice.purpose_key].append(notice.purpose_key)


def _request_draft(
    dr: DestructionRequest, suffix: str, recipients: list[str], template: str, **context: Any
) -> notices.NoticeDraft:
    """`services.queue_request_notice`'s notice, as a draft for a batch."""
    return notices.NoticeDraft(
        f"request:{dr.id}:{suffix}",
        recipients,
        template,
        {"dr": dr, "vendor": dr.vendor, "path": context.pop("path", services.vendor_path(dr.id)), **context},
        subject_type=services.SUBJECT_TYPE,
        subject_id=dr.id,
    )


def _warn_expiring_agreements(today: date, report: SweepReport, now: datetime, settings: DistrictSettings) -> None:
    marks = settings.expiry_warning_list
    if not marks:
        return
    expiring = select(Agreement).where(
        Agreement.signed_on.is_not(None),
        Agreement.renewed_by_id.is_(None),
        Agreement.auto_renews.is_(False),  # rolls on a year at a time: it does not end
        or_(Agreement.terminated_on.is_(None), Agreement.terminated_on > today),
        Agreement.expires_on >= today,
        Agreement.expires_on <= today + timedelta(days=max(marks)),
    )
    recipients: list[str] | None = None
    for agreements in _chunks(expiring.options(joinedload(Agreement.vendor)), Agreement.id):
        recipients = recipients if recipients is not None else services.officer_recipients()
        drafts = []
        for agreement in agreements:
            days_left = (agreement.expires_on - today).days
            mark = most_recent_mark(marks, days_left)
            if mark is None:
                continue
            draft = notices.NoticeDraft(
                f"agreement:{agreement.id}:expires-in-{mark}",
                recipients,
                "agreement_expiring",
                {
                    "agreement": agreement,
                    "days_left": days_left,
                    "ends_on": agreement.expires_on,
                    "path": _agreement_path(agreement.id),
                },
                subject_type="agreement",
                subject_id=agreement.id,
            )
            drafts.append((draft, report.warnings))
        _queue(drafts, now)


def _agreement_path(agreement_id: int) -> str:
    """The agreement's staff page; the agreements list when that page has another name."""
    adapter = current_app.url_map.bind("")
    try:
        return adapter.build("agreements.show", {"agreement_id": agreement_id})
    except BuildError:
        return adapter.build("agreements.index") if "agreements.index" in current_app.view_functions else "/staff/"


def _open_due_requests(today: date, report: SweepReport, now: datetime) -> None:
    already_opened = exists().where(
        DestructionRequest.agreement_id == Agreement.id, DestructionRequest.origin == RequestOrigin.AGREEMENT_ENDED
    )
    ended = select(Agreement).where(
        Agreement.signed_on.is_not(None),
        Agreement.renewed_by_id.is_(None),
        or_(
            Agreement.terminated_on <= today,
            (Agreement.expires_on < today) & Agreement.auto_renews.is_(False),
        ),
        ~already_opened,
    )
    loads = (joinedload(Agreement.vendor), selectinload(Agreement.products))
    for agreements in _chunks(ended.options(*loads), Agreement.id):
        contacts = services.vendor_contacts(sorted({agreement.vendor_id for agreement in agreements}))
        for agreement in agreements:
            dr = services.open_for_ended_agreement(agreement, today, contacts[agreement.vendor_id], now)
            if dr is None:
                continue
            report.opened.append(
                f"request {dr.id} for {agreement.vendor.name} (agreement {agreement.reference or agreement.id})"
            )
            if not contacts[agreement.vendor_id]:
                report.problems.append(f"{agreement.vendor.name} has no contact to send request {dr.id} to")


def _reminder_mark(dr: DestructionRequest, today: date, before_due: list[int], interval: int) -> str | None:
    """The latest reminder mark reached on `today` ("due-in-3", "due-today", "overdue-week-2"), or None.

    A before-due mark that falls on or before the issue day is skipped: the issue notice said it.
    """
    days_to_due = (dr.due_on - today).days
    if days_to_due > 0:
        mark = most_recent_mark([d for d in before_due if dr.due_on - timedelta(days=d) > dr.issued_on], days_to_due)
        return f"due-in-{mark}" if mark is not None else None
    if days_to_due == 0:
        return "due-today" if dr.due_on > dr.issued_on else None
    weeks = -days_to_due // interval if interval > 0 else 0
    if weeks >= 1:
        return f"overdue-week-{weeks}"
    return "due-today" if dr.due_on > dr.issued_on else None  # catching up on a missed due day


def _remind_and_escalate(today: date, report: SweepReport, now: datetime, settings: DistrictSettings) -> None:
    before_due, interval = settings.reminder_before_due_list, settings.overdue_reminder_interval_days
    waiting = select(DestructionRequest).where(
        DestructionRequest.status == RequestStatus.OPEN, DestructionRequest.issued_on <= today
    )
    loads = (
        joinedload(DestructionRequest.vendor),
        joinedload(DestructionRequest.agreement),
        selectinload(DestructionRequest.categories),
    )
    officers: list[str] | None = None
    for requests in _chunks(waiting.options(*loads), DestructionRequest.id):
        sent = set(
            db.session.scalars(
                select(Notice.purpose_key).where(
                    Notice.subject_type == services.SUBJECT_TYPE, Notice.subject_id.in_([dr.id for dr in requests])
                )
            )
        )
        contacts = services.vendor_contacts(sorted({dr.vendor_id for dr in requests}))
        drafts = []
        for dr in requests:
            days_to_due = (dr.due_on - today).days
            mark = _reminder_mark(dr, today, before_due, interval)
            if mark is not None and f"request:{dr.id}:{mark}" not in sent:
                if notices.normalize_recipients(contacts[dr.vendor_id]):
                    draft = _request_draft(
                        dr,
                        mark,
                        contacts[dr.vendor_id],
                        "request_reminder",
                        days_to_due=days_to_due,
                        overdue_since=dr.due_on + timedelta(days=1),
                    )
                    drafts.append((draft, report.reminders))
                else:
                    report.problems.append(f"{dr.vendor.name} has no contact to remind about request {dr.id}")
            if dr.is_overdue_on(today) and f"request:{dr.id}:escalated" not in sent:
                officers = officers if officers is not None else services.officer_recipients()
                draft = _request_draft(
                    dr, "escalated", officers, "request_escalated", interval=interval, path=services.staff_path(dr.id)
                )
                drafts.append((draft, report.escalations))
        _queue(drafts, now)
