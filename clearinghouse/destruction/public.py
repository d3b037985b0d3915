"""What the public sees of data destruction: one status line per agreement (public pages use it)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from flask_babel import gettext
from sqlalchemy import ColumnElement, and_, bindparam, select

from clearinghouse.destruction.models import DestructionRequest, RequestStatus
from clearinghouse.extensions import db
from clearinghouse.timeutil import format_date


@dataclass(frozen=True)
class DestructionStatus:
    label: str  # a whole phrase for the public, e.g. "Data destruction certified on May 3, 2027"
    badge: str  # "warn" | "bad" | "ok", for the badge() macro
    request_id: int


class PublicRequest(NamedTuple):
    """What the public status reads of a request (`status_of`), as a plain row of `PUBLIC_REQUEST_COLUMNS`,
    with the model's own rule of a request overdue."""

    id: int
    status: RequestStatus
    issued_on: date
    due_on: date
    closed_on: date | None

    is_overdue_on = DestructionRequest.is_overdue_on


# `PublicRequest`'s columns, in its order: a statement of other rows may bring them beside its own (the API's
# agreements bring their requests', `shown_requests_of`).
PUBLIC_REQUEST_COLUMNS = (
    DestructionRequest.id,
    DestructionRequest.status,
    DestructionRequest.issued_on,
    DestructionRequest.due_on,
    DestructionRequest.closed_on,
)


# Withdrawn requests have no public status.
SHOWN_REQUEST = DestructionRequest.status != RequestStatus.WITHDRAWN


def shown_requests_of(agreement_id: ColumnElement[int]) -> ColumnElement[bool]:
    """The requests the public status of the agreement `agreement_id` is chosen among (`status_among`)."""
    return and_(DestructionRequest.agreement_id == agreement_id, SHOWN_REQUEST)


def status_of(dr: PublicRequest, today: date) -> DestructionStatus:
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


def status_among(requests: Iterable[PublicRequest], today: date) -> DestructionStatus | None:
    """The public status of an agreement from its requests (`shown_requests_of`, in any order), None for none.

    When an agreement has several requests, a request still waiting on the vendor wins over a
    closed one, and among equals the latest issued wins.
    """
    chosen: DestructionStatus | None = None
    for request in sorted(requests, key=lambda request: (request.issued_on, request.id)):
        status = status_of(request, today)
        if chosen is None or chosen.badge == "ok" or status.badge != "ok":
            chosen = status
    return chosen


# `status_by_agreement`'s statement, built once per worker for the agreements' ids bound as `agreement_ids`
# (building and keying it cost about 0.3 ms a page).
REQUESTS_OF_AGREEMENTS = select(DestructionRequest.agreement_id, *PUBLIC_REQUEST_COLUMNS).where(
    DestructionRequest.agreement_id.in_(bindparam("agreement_ids", expanding=True)), SHOWN_REQUEST
)


def status_by_agreement(agreement_ids: list[int], today: date) -> dict[int, DestructionStatus]:
    """{agreement id: status} for the agreements that have a destruction request (`status_among`); one query."""
    if not agreement_ids:
        return {}
    requests: dict[int, list[PublicRequest]] = {}
    for agreement_id, *request in db.session.execute(
        REQUESTS_OF_AGREEMENTS, {"agreement_ids": list(set(agreement_ids))}
    ):
        requests.setdefault(agreement_id, []).append(PublicRequest(*request))
    return {agreement_id: status_among(shown, today) for agreement_id, shown in requests.items()}
