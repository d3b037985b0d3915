"""The declarations part of the daily sweep: remind a vendor, once a week, of a questionnaire it has
not submitted while a tool request waits for it (a request withdrawn or decided meanwhile leaves
nobody waiting, and the reminders stop).

The sweep (clearinghouse/sweep.py) reads the waiting declarations a chunk at a time with `waiting`
and hands each chunk to `reminders`, which returns the notice drafts (`declaration:<id>:<invited
day>:week-<n>`) the sweep queues. A purpose key is sent once, so running the sweep twice sends
nothing twice; after a gap only the latest week's reminder goes out; a new invitation (another
invited day) starts the weeks again.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from clearinghouse.declarations import services
from clearinghouse.declarations.models import SUBJECT_TYPE, Declaration, DeclarationState
from clearinghouse.extensions import db
from clearinghouse.intake.models import RequestState, ToolRequest
from clearinghouse.notices.models import Notice
from clearinghouse.notices.services import NoticeDraft, normalize_recipients
from clearinghouse.timeutil import to_district

INTERVAL_DAYS = 7


@dataclass
class Reminders:
    notices: list[NoticeDraft] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def waiting(today: date) -> Select:
    """Declarations the vendor has not submitted that a request waits for, with what their e-mails show."""
    awaited = select(ToolRequest.id).where(
        ToolRequest.product_id == Declaration.product_id, ToolRequest.state == RequestState.WAITING_FOR_VENDOR
    )
    return (
        select(Declaration)
        .where(Declaration.state == DeclarationState.INVITED, awaited.exists())
        .options(joinedload(Declaration.product), joinedload(Declaration.vendor), joinedload(Declaration.contact))
    )


def reminder_key(declaration: Declaration, today: date) -> str | None:
    """The purpose key of the reminder due on `today`, or None in the first week."""
    invited_on = to_district(declaration.invited_at).date()
    weeks = (today - invited_on).days // INTERVAL_DAYS
    if weeks < 1:
        return None
    return f"declaration:{declaration.id}:{invited_on.isoformat()}:week-{weeks}"


def reminders(declarations: list[Declaration], today: date) -> Reminders:
    """The reminders due today for these declarations (rows of `waiting`) and not yet queued."""
    queued = set(
        db.session.scalars(
            select(Notice.purpose_key).where(
                Notice.subject_type == SUBJECT_TYPE, Notice.subject_id.in_([d.id for d in declarations])
            )
        )
    )
    result = Reminders()
    for declaration in declarations:
        key = reminder_key(declaration, today)
        if key is None or key in queued:
            continue
        recipients = (
            [declaration.contact.email] if declaration.contact and declaration.contact.is_active_account else []
        )
        if not normalize_recipients(recipients):
            result.problems.append(
                f"{declaration.vendor.name} has no active contact to remind about {declaration.product.name}"
            )
            continue
        result.notices.append(
            NoticeDraft(
                key,
                recipients,
                "declaration_reminder",
                {
                    "declaration": declaration,
                    "product": declaration.product,
                    "vendor": declaration.vendor,
                    "path": services.vendor_path(declaration.id),
                },
                subject_type=SUBJECT_TYPE,
                subject_id=declaration.id,
            )
        )
    return result
