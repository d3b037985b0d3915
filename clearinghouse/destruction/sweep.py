"""The daily sweep: warn of expiring agreements, open due destruction requests, remind, escalate, deliver.

`run(today)` is idempotent: every notice has a purpose key that is unique in the database and
every request the sweep opens has a unique origin key, so running it twice, or in two
processes at once, sends and opens nothing twice. After a gap (the server was off) it catches
up with the most recent applicable mark only: if the 60- and 30-day warnings were both missed,
only the 30-day one goes out. All of its writes commit together at the end (or, with
`dry_run`, are rolled back); delivery over SMTP comes after that commit.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.routing import BuildError

from clearinghouse.agreements.models import Agreement
from clearinghouse.audit import services as audit
from clearinghouse.destruction import services
from clearinghouse.destruction.models import DestructionRequest, RequestOrigin, RequestStatus
from clearinghouse.extensions import db
from clearinghouse.notices import services as notices
from clearinghouse.notices.models import Notice
from clearinghouse.settings.services import get_settings
from clearinghouse.timeutil import utcnow


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
    try:
        _warn_expiring_agreements(today, report, now)
        _open_due_requests(today, report, now)
        _remind_and_escalate(today, report, now)
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


def _audit_notice(notice: Notice | None) -> None:
    if notice is not None:
        audit.record(
            None, "notice.queued", notice, {"purpose_key": [None, notice.purpose_key]}, label=notice.purpose_key
        )


def _warn_expiring_agreements(today: date, report: SweepReport, now: datetime) -> None:
    marks = get_settings().expiry_warning_list
    if not marks:
        return
    agreements = db.session.scalars(
        select(Agreement)
        .where(
            Agreement.signed_on.is_not(None),
            Agreement.renewed_by_id.is_(None),
            Agreement.auto_renews.is_(False),  # rolls on a year at a time: it does not end
            or_(Agreement.terminated_on.is_(None), Agreement.terminated_on > today),
            Agreement.expires_on >= today,
            Agreement.expires_on <= today + timedelta(days=max(marks)),
        )
        .options(joinedload(Agreement.vendor))
        .order_by(Agreement.id)
    ).all()
    if not agreements:
        return
    recipients = services.officer_recipients()
    for agreement in agreements:
        days_left = (agreement.expires_on - today).days
        mark = most_recent_mark(marks, days_left)
        if mark is None:
            continue
        key = f"agreement:{agreement.id}:expires-in-{mark}"
        notice = notices.queue_notice(
            key,
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
            now=now,
        )
        if notice is not None:
            _audit_notice(notice)
            report.warnings.append(key)


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
    agreements = db.session.scalars(
        select(Agreement)
        .where(
            Agreement.signed_on.is_not(None),
            Agreement.renewed_by_id.is_(None),
            or_(
                Agreement.terminated_on <= today,
                (Agreement.expires_on < today) & Agreement.auto_renews.is_(False),
            ),
            ~already_opened,
        )
        .options(joinedload(Agreement.vendor), selectinload(Agreement.products))
        .order_by(Agreement.id)
    ).all()
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


def _remind_and_escalate(today: date, report: SweepReport, now: datetime) -> None:
    settings = get_settings()
    before_due, interval = settings.reminder_before_due_list, settings.overdue_reminder_interval_days
    requests = db.session.scalars(
        select(DestructionRequest)
        .where(DestructionRequest.status == RequestStatus.OPEN, DestructionRequest.issued_on <= today)
        .options(
            joinedload(DestructionRequest.vendor),
            joinedload(DestructionRequest.agreement),
            selectinload(DestructionRequest.categories),
        )
        .order_by(DestructionRequest.id)
    ).all()
    if not requests:
        return
    sent = set(
        db.session.scalars(
            select(Notice.purpose_key).where(
                Notice.subject_type == services.SUBJECT_TYPE, Notice.subject_id.in_([dr.id for dr in requests])
            )
        )
    )
    contacts = services.vendor_contacts(sorted({dr.vendor_id for dr in requests}))
    officers: list[str] | None = None
    for dr in requests:
        days_to_due = (dr.due_on - today).days
        mark = _reminder_mark(dr, today, before_due, interval)
        if mark is not None and f"request:{dr.id}:{mark}" not in sent:
            notice = services.queue_request_notice(
                dr,
                mark,
                contacts[dr.vendor_id],
                "request_reminder",
                now=now,
                days_to_due=days_to_due,
                overdue_since=dr.due_on + timedelta(days=1),
            )
            if notice is not None:
                _audit_notice(notice)
                report.reminders.append(notice.purpose_key)
            elif not contacts[dr.vendor_id]:
                report.problems.append(f"{dr.vendor.name} has no contact to remind about request {dr.id}")
        if dr.is_overdue_on(today) and f"request:{dr.id}:escalated" not in sent:
            officers = officers if officers is not None else services.officer_recipients()
            notice = services.queue_request_notice(
                dr,
                "escalated",
                officers,
                "request_escalated",
                now=now,
                interval=interval,
                path=services.staff_path(dr.id),
            )
            if notice is not None:
                _audit_notice(notice)
                report.escalations.append(notice.purpose_key)
