"""What the public sees of data destruction: one status line per agreement (public pages use it)."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext
from sqlalchemy import bindparam, select

from clearinghouse.destruction.models import DestructionRequest, RequestStatus
from clearinghouse.extensions import db
from clearinghouse.timeutil import format_date


@dataclass(frozen=True)
class DestructionStatus:
    label: str  # a whole phrase for the public, e.g. "Data destruction certified on May 3, 2027"
    badge: str  # "warn" | "bad" | "ok", for the badge() macro
    request_id: int


def status_of(dr: DestructionRequest, today: date) -> DestructionStatus:
    """The public status of one request, in the reader's language (withdrawn requests have none;
    callers skip them)."""
    if dr.status == RequestStatus.ACCEPTED:
        return DestructionStatus(
            gettext("Data destruction certified on %(day)s", day=format_date(dr.closed_on)), "ok", dr.id
        )
    if dr.status == RequestStatus.SUBMITTED:
        return DestructionStatus(
            gettext("Data destruction certificate received, under review (due %(day)s)", day=format_date(dr.due_on)),
            "warn",
            dr.id,
        )
    if dr.is_overdue_on(today):
        return DestructionStatus(
            gettext("Data destruction overdue since %(day)s", day=format_date(dr.due_on + timedelta(days=1))),
            "bad",
            dr.id,
        )
    return DestructionStatus(
        gettext("Data destruction pending (due %(day)s)", day=format_date(dr.due_on)), "warn", dr.id
    )


# `status_by_agreement`'s statement, built once per worker for the agreements' ids bound as `agreement_ids`
# (building and keying it cost about 0.3 ms a page).
REQUESTS_OF_AGREEMENTS = (
    select(DestructionRequest)
    .where(
        DestructionRequest.agreement_id.in_(bindparam("agreement_ids", expanding=True)),
        DestructionRequest.status != RequestStatus.WITHDRAWN,
    )
    .order_by(DestructionRequest.issued_on, DestructionRequest.id)
)


def status_by_agreement(agreement_ids: list[int], today: date) -> dict[int, DestructionStatus]:
    """{agreement id: status} for the agreements that have a destruction request; one query.

    When an agreement has several requests, a request still waiting on the vendor wins over a
    closed one, and among equals the latest issued wins. Withdrawn requests are ignored.
    """
    if not agreement_ids:
        return {}
    requests = db.session.scalars(REQUESTS_OF_AGREEMENTS, {"agreement_ids": list(set(agreement_ids))}).all()
    chosen: dict[int, DestructionStatus] = {}
    for dr in requests:
        status = status_of(dr, today)
        current = chosen.get(dr.agreement_id)
        if current is None or current.badge == "ok" or status.badge != "ok":
            chosen[dr.agreement_id] = status
    return chosen
