"""The destruction part of the daily sweep: a request for each agreement that ended without one,
reminders to vendors of open requests, and escalations of overdue ones to the privacy office.

The sweep (clearinghouse/sweep.py) reads the rows a chunk at a time with `ended_without_request`
and `waiting`, and hands each chunk to `open_requests` and `follow_up`. They write through the
services (flushing, never committing) and return the notice drafts, which the sweep queues in one
batch per chunk; every notice's context is built by `services.request_notice_draft`, the same
function the officers' and vendors' actions use.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import joinedload, selectinload

from clearinghouse.agreements.models import Agreement
from clearinghouse.agreements.state import ended_without_renewal_sql
from clearinghouse.destruction import services
from clearinghouse.destruction.models import DestructionRequest, RequestStatus
from clearinghouse.extensions import db
from clearinghouse.notices.models import Notice
from clearinghouse.notices.services import NoticeDraft, normalize_recipients
from clearinghouse.settings.models import DistrictSettings
from clearinghouse.timeutil import most_recent_mark


@dataclass
class Opened:
    """What `open_requests` did for a chunk of agreements."""

    requests: list[DestructionRequest] = field(default_factory=list)
    notices: list[NoticeDraft] = field(default_factory=list)  # each request's directive to the vendor
    problems: list[str] = field(default_factory=list)  # e.g. a vendor with nobody to write to


@dataclass
class FollowUp:
    """The notices `follow_up` drafted for a chunk of waiting requests."""

    reminders: list[NoticeDraft] = field(default_factory=list)
    escalations: list[NoticeDraft] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def ended_without_request(today: date) -> Select:
    """Agreements that ended without renewal and have no request in the way of one (see "One request
    per agreement" in services), with their vendor and products loaded."""
    in_the_way = exists().where(services.request_in_the_way(Agreement.id, for_sweep=True))
    return (
        select(Agreement)
        .where(
            ended_without_renewal_sql(Agreement, today),
            ~in_the_way,
            Agreement.destruction_not_requested.is_(False),  # the officer decided so when recording it
        )
        .options(joinedload(Agreement.vendor), selectinload(Agreement.products))
    )


def open_requests(agreements: list[Agreement], today: date) -> Opened:
    """Open the request of each agreement (rows of `ended_without_request`) and draft its directive."""
    contacts = services.vendor_contacts(sorted({agreement.vendor_id for agreement in agreements}))
    opened = Opened()
    for agreement in agreements:
        dr = services.open_for_ended_agreement(agreement, today)
        if dr is None:  # another sweep, or an officer, opened one since the chunk was read
            continue
        opened.requests.append(dr)
        opened.notices.append(services.issued_notice_draft(dr, contacts[agreement.vendor_id]))
        if not normalize_recipients(contacts[agreement.vendor_id]):
            opened.problems.append(f"{agreement.vendor.name} has no contact to send request {dr.id} to")
    return opened


def waiting(today: date) -> Select:
    """Requests waiting on the vendor's certificate, issued by `today`, with what their e-mails show."""
    return (
        select(DestructionRequest)
        .where(DestructionRequest.status == RequestStatus.OPEN, DestructionRequest.issued_on <= today)
        .options(
            joinedload(DestructionRequest.vendor),
            joinedload(DestructionRequest.agreement),
            selectinload(DestructionRequest.categories),
        )
    )


def reminder_mark(dr: DestructionRequest, today: date, before_due: list[int], interval: int) -> str | None:
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


def reminder_draft(dr: DestructionRequest, mark: str, contacts: list[str], today: date) -> NoticeDraft:
    """The reminder `request:<id>:<mark>` to the vendor."""
    return services.request_notice_draft(
        dr,
        mark,
        contacts,
        "request_reminder",
        days_to_due=(dr.due_on - today).days,
        overdue_since=dr.due_on + timedelta(days=1),
    )


def escalation_draft(dr: DestructionRequest, officers: list[str], interval: int) -> NoticeDraft:
    """The notice `request:<id>:escalated` to the privacy office: the vendor is late."""
    return services.request_notice_draft(
        dr, "escalated", officers, "request_escalated", interval=interval, path=services.staff_path(dr.id)
    )


def follow_up(
    requests: list[DestructionRequest], today: date, settings: DistrictSettings, officers: list[str]
) -> FollowUp:
    """The reminders and escalations due today for these requests (rows of `waiting`) and not yet
    queued: the latest reminder mark reached, and one escalation once a request is overdue."""
    before_due, interval = settings.reminder_before_due_list, settings.overdue_reminder_interval_days
    queued = set(
        db.session.scalars(
            select(Notice.purpose_key).where(
                Notice.subject_type == services.SUBJECT_TYPE, Notice.subject_id.in_([dr.id for dr in requests])
            )
        )
    )
    contacts = services.vendor_contacts(sorted({dr.vendor_id for dr in requests}))
    result = FollowUp()
    for dr in requests:
        mark = reminder_mark(dr, today, before_due, interval)
        if mark is not None and f"request:{dr.id}:{mark}" not in queued:
            if normalize_recipients(contacts[dr.vendor_id]):
                result.reminders.append(reminder_draft(dr, mark, contacts[dr.vendor_id], today))
            else:
                result.problems.append(f"{dr.vendor.name} has no contact to remind about request {dr.id}")
        if dr.is_overdue_on(today) and f"request:{dr.id}:escalated" not in queued:
            result.escalations.append(escalation_draft(dr, officers, interval))
    return result
