"""The states of a tool request and the one table of the moves between them.

new → waiting for the vendor (an officer invited the vendor to declare its data) → ready to decide
(the vendor submitted its declaration) → decided; an officer may invite the vendor again while the
request is open (a reminder, another contact, or an update of answers it gave before), decide from
any open state (a tool that takes no student data needs no declaration), and a request's last
requester may withdraw it while it is open. `TRANSITIONS` is the whole state machine: every change
goes through `transition`, a conditional UPDATE on the state and version, so two people (or
processes) acting at once cannot both win. `declarations.services` moves the requests of a product
whose declaration arrived.
"""

from typing import Any

from clearinghouse.errors import DomainError
from clearinghouse.extensions import db
from clearinghouse.intake.models import RequestState, ToolRequest
from clearinghouse.locking import claim_version
from clearinghouse.timeutil import utcnow

NEW, WAITING, READY, DECIDED, WITHDRAWN = (
    RequestState.NEW,
    RequestState.WAITING_FOR_VENDOR,
    RequestState.READY_TO_DECIDE,
    RequestState.DECIDED,
    RequestState.WITHDRAWN,
)

# action: (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[RequestState], RequestState]] = {
    "invite_vendor": (frozenset({NEW, WAITING, READY}), WAITING),
    "declaration_submitted": (frozenset({NEW, WAITING}), READY),
    "decide": (frozenset({NEW, WAITING, READY}), DECIDED),
    "withdraw": (frozenset({NEW, WAITING, READY}), WITHDRAWN),
}

_CLOSED = {
    DECIDED: "This request was already decided.",
    WITHDRAWN: "This request was withdrawn.",
}


def check_transition(tr: ToolRequest, action: str) -> RequestState:
    """The state `action` leads to from the request's state; DomainError when it is not allowed."""
    sources, target = TRANSITIONS[action]
    if tr.state not in sources:
        raise DomainError(
            _CLOSED.get(tr.state) or f"A request that is {tr.state.label.lower()} cannot be changed that way."
        )
    return target


def can(tr: ToolRequest, action: str) -> bool:
    return tr.state in TRANSITIONS[action][0]


def transition(tr: ToolRequest, action: str, **values: Any) -> dict[str, list]:
    """Move the request with a conditional UPDATE (state and version); returns the audit changes."""
    target = check_transition(tr, action)
    before = {"state": tr.state.value, **{key: _plain(getattr(tr, key)) for key in values}}
    claim_version(tr, tr.version, ToolRequest.state == tr.state, state=target, updated_at=utcnow(), **values)
    db.session.refresh(tr)
    after = {"state": tr.state.value, **{key: _plain(getattr(tr, key)) for key in values}}
    return {key: [before[key], after[key]] for key in before if before[key] != after[key]}


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value.value if hasattr(value, "value") else value
