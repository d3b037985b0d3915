"""Reading the outbox for its staff page, and the e-mails about one record for its timeline."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from clearinghouse.errors import NotFound
from clearinghouse.extensions import db
from clearinghouse.notices.models import Notice, NoticeStatus


def list_notices(status: str = "queued", *, page: int = 1, per_page: int = 25):
    """A page of the outbox: "queued", "failed" (queued after an error), "sent", "cancelled" or "all"."""
    stmt = select(Notice)
    if status == "failed":
        stmt = stmt.where(Notice.status == NoticeStatus.QUEUED, Notice.last_error != "")
    elif status in {s.value for s in NoticeStatus}:
        stmt = stmt.where(Notice.status == NoticeStatus(status))
    order = Notice.sent_at.desc() if status == "sent" else Notice.id.desc()
    return db.paginate(stmt.order_by(order, Notice.id.desc()), page=page, per_page=per_page, error_out=False)


def get_notice_or_404(notice_id: int) -> Notice:
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        raise NotFound("That notice does not exist.")
    return notice


@dataclass
class TimelineEntry:
    """One line of a record's timeline on its staff page (a destruction request, a tool request)."""

    at: datetime
    title: str
    detail: str = ""
    kind: str = "event"  # event | notice | certificate


def notice_entries(subject_type: str, subject_id: int) -> list[TimelineEntry]:
    """The e-mails about a record, queued, sent or cancelled, as timeline entries (one query)."""
    return [
        TimelineEntry(
            notice.sent_at or notice.created_at,
            f"E-mail {notice.status.label.lower()}: {notice.subject}",
            f"To {notice.recipients}",
            "notice",
        )
        for notice in db.session.scalars(
            select(Notice)
            .where(Notice.subject_type == subject_type, Notice.subject_id == subject_id)
            .order_by(Notice.id)
        )
    ]
