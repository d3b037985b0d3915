"""Reading the outbox for its staff page."""

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
