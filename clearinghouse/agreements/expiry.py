"""Warnings to the privacy office that an agreement is about to end: the agreements part of the sweep.

An agreement that does not renew itself is warned of at each mark of the district's schedule
(90, 60, 30 and 7 days before its term ends, by default). After a gap only the most recent mark
reached goes out (`timeutil.most_recent_mark`). The notice's purpose key makes each one once.
"""

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from clearinghouse.agreements.models import COVERING_STATES, Agreement
from clearinghouse.agreements.state import state_in
from clearinghouse.notices.services import NoticeDraft
from clearinghouse.timeutil import most_recent_mark


def agreement_path(agreement_id: int) -> str:
    """The agreement's staff page, without needing a request context (the sweep runs from the CLI)."""
    return current_app.url_map.bind("").build("agreements.show", {"agreement_id": agreement_id})


def expiry_warning_draft(agreement: Agreement, today: date, mark: int, recipients: list[str]) -> NoticeDraft:
    """The warning `agreement:<id>:expires-in-<mark>`, with the context its e-mail gets."""
    ends_on = agreement.term_ends_on(today)
    return NoticeDraft(
        f"agreement:{agreement.id}:expires-in-{mark}",
        recipients,
        "agreement_expiring",
        {
            "agreement": agreement,
            "days_left": (ends_on - today).days,
            "ends_on": ends_on,
            "path": agreement_path(agreement.id),
        },
        subject_type="agreement",
        subject_id=agreement.id,
    )


def ending_soon(today: date, marks: list[int]) -> Select:
    """The agreements that may be due a warning: signed and not ended, not renewing themselves nor
    renewed, their term ending within the largest mark (vendor loaded)."""
    return (
        select(Agreement)
        .where(
            state_in(Agreement, today, COVERING_STATES),
            Agreement.auto_renews.is_(False),  # rolls on a year at a time: it does not end
            Agreement.renewed_by_id.is_(None),
            Agreement.expires_on.between(today, today + timedelta(days=max(marks))),
        )
        .options(joinedload(Agreement.vendor))
    )


def expiry_warnings(
    agreements: list[Agreement], today: date, marks: list[int], recipients: list[str]
) -> list[NoticeDraft]:
    """The warnings due today for these agreements (rows of `ending_soon`), to `recipients`."""
    drafts = []
    for agreement in agreements:
        mark = most_recent_mark(marks, (agreement.term_ends_on(today) - today).days)
        if mark is not None:
            drafts.append(expiry_warning_draft(agreement, today, mark, recipients))
    return drafts
