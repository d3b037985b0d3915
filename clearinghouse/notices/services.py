"""Queueing notices in the outbox and delivering them over SMTP, each purpose key once.

Templates: `templates/emails/<template>.txt` (required) and `<template>.html` (optional). The
FIRST LINE of the .txt template is the subject, written `Subject: …`; the rest is the body.
Every template gets, besides the caller's context: `district` (the settings row),
`district_name`, `base_url`, `link` (BASE_URL + the context's `path`, or the site's home when
the caller gives no `path`) and `language`. A notice is rendered in its draft's `language`
(staff and vendor notices: the default; a public subscriber's: theirs), so the shared layout
and footer, dates and numbers are in that language; public e-mail templates wrap their text
in {% trans %} like public pages. Text templates end with `{% include "emails/_footer.txt" %}` and
HTML ones extend `emails/_layout.html`, which print the district's name and the link.

Queueing many at once (`queue_notices`, the sweep's path) checks a whole batch of purpose keys
in one query and inserts the rest in one flush, reading the settings once for the batch.

Delivery (`deliver_queued`) takes the due notices one at a time: it claims a notice with a
conditional UPDATE that moves its `next_attempt_at` forward (a lease) and commits the claim, sends
it, and commits its result before claiming the next. Two processes running it at once never send
the same notice twice, and a process that dies (a scheduler killed, its host gone) leaves at most
the one notice it was sending claimed: every notice it sent is already recorded as sent, so the
process that takes over sends none of them again. That one notice is retried when its lease ends
(CLAIM_LEASE); only if the process died in the instant between the mail server accepting it and
the commit of its result is it sent a second time. A failure keeps the notice queued with its error and a
later `next_attempt_at` (exponential back-off); nothing is dropped. When every recipient is
refused the notice stays queued; when only some are, it is marked sent and `last_error` names
the refused addresses (re-sending would duplicate the message for the others). A notice whose
message cannot be built (a header that would carry a line break, from data saved before such
values were refused) stays queued with the reason, like a failed send, and never stops the others.

With `MAIL_TO_CONSOLE` (what `make run` sets), messages are printed on the console instead of
being sent, and recorded as sent: a newcomer reads the invitation link there.
"""

import smtplib
import ssl
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from flask import current_app
from jinja2 import TemplateNotFound
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from clearinghouse import i18n
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db
from clearinghouse.notices.models import Notice, NoticeStatus
from clearinghouse.settings.queries import get_settings
from clearinghouse.timeutil import utcnow

SUBJECT_PREFIX = "Subject:"
FIRST_RETRY = timedelta(minutes=5)
MAX_RETRY = timedelta(days=1)
# How long a claimed notice is held by the process that claimed it before another may retry it
# (covers a process that dies between claim and result).
CLAIM_LEASE = timedelta(minutes=15)
ERROR_MAX = 2000


def normalize_recipients(recipients: list[str]) -> list[str]:
    """Lower-cased, stripped, de-duplicated addresses in their first order; blanks dropped."""
    seen: dict[str, None] = {}
    for address in recipients:
        address = (address or "").strip().lower()
        if address:
            seen.setdefault(address, None)
    return list(seen)


KEY_BATCH = 1000  # purpose keys per existence query: well inside every driver's parameter limit


class _EmailRenderer:
    """Renders e-mails with the settings and base URL read once, however many it renders.

    Templates are rendered straight from the Jinja environment: e-mails use none of the page
    context processors (the district's settings are passed in), and skipping them saves a
    settings lookup per template.
    """

    def __init__(self) -> None:
        self.settings = get_settings()
        self.base_url = current_app.config["BASE_URL"].rstrip("/")
        self.env = current_app.jinja_env

    def render(self, template: str, context: dict, language: str | None = None) -> tuple[str, str, str]:
        """In `language`: its translations, dates and numbers, and `url_for` links to its pages
        (a caller builds `path` inside `i18n.language(…)` for a link in that language)."""
        with i18n.language(language) as code:
            return self._render(template, context, code)

    def _render(self, template: str, context: dict, language: str) -> tuple[str, str, str]:
        full = {
            **context,
            "district": self.settings,
            "district_name": self.settings.district_name,
            "base_url": self.base_url,
            "link": self.base_url + (context.get("path") or "/"),
            "language": language,
        }
        text = self.env.get_template(f"emails/{template}.txt").render(full).lstrip()
        first, _, body = text.partition("\n")
        if not first.startswith(SUBJECT_PREFIX):
            raise ValueError(f"emails/{template}.txt must start with a 'Subject:' line.")
        subject = " ".join(first[len(SUBJECT_PREFIX) :].split())
        try:
            html = self.env.get_template(f"emails/{template}.html").render(subject=subject, **full)
        except TemplateNotFound:
            html = ""
        return subject, body.strip() + "\n", html


@dataclass
class NoticeDraft:
    """One notice to queue: what `queue_notice` takes, for `queue_notices`."""

    purpose_key: str
    recipients: list[str]
    template: str
    context: dict
    subject_type: str = ""
    subject_id: int | None = None
    language: str | None = None  # the reader's language (a public subscriber's); None: the default
    headers: dict[str, str] = field(default_factory=dict)  # extra message headers (List-Unsubscribe)


def queue_notice(
    purpose_key: str,
    recipients: list[str],
    template: str,
    context: dict,
    *,
    subject_type: str = "",
    subject_id: int | None = None,
    now: datetime | None = None,
) -> Notice | None:
    """Add a notice to the session (the caller commits); None when the key was already queued.

    Also None when there is nobody to write to. A concurrent insert of the same key is caught
    inside a SAVEPOINT, so it does not abort the caller's transaction.
    """
    queued = queue_notices([NoticeDraft(purpose_key, recipients, template, context, subject_type, subject_id)], now=now)
    return queued[0] if queued else None


def queue_notices(drafts: Iterable[NoticeDraft], *, now: datetime | None = None) -> list[Notice]:
    """Add notices to the session (the caller commits); returns those queued, in the drafts' order.

    Skips, as `queue_notice` does, a draft with nobody to write to and a purpose key already in
    the outbox (or earlier in `drafts`). The keys are checked in one query per thousand and the
    rest inserted in one flush, inside a SAVEPOINT. When another process queues one of the same
    keys between the check and the insert, the unique constraint refuses the batch; the
    SAVEPOINT is rolled back and the batch queued again one notice at a time, each in its own
    SAVEPOINT, so the race costs only the duplicate and never the caller's transaction.
    """
    wanted: dict[str, tuple[NoticeDraft, list[str]]] = {}
    for draft in drafts:
        addresses = normalize_recipients(draft.recipients)
        if addresses and draft.purpose_key not in wanted:
            wanted[draft.purpose_key] = (draft, addresses)
    for key in _queued_keys(list(wanted)):
        del wanted[key]
    if not wanted:
        return []
    renderer = _EmailRenderer()
    now = now or utcnow()
    rows = [_notice_values(draft, addresses, renderer, now) for draft, addresses in wanted.values()]
    begin_outer_transaction()
    try:
        with db.session.begin_nested():
            # An ORM bulk INSERT: the rows go in batches and come back as Notice objects in the session.
            queued = {
                notice.purpose_key: notice for notice in db.session.scalars(insert(Notice).returning(Notice), rows)
            }
    except IntegrityError:  # another process queued one of these keys a moment ago
        return _queue_one_at_a_time(rows)
    return [queued[key] for key in wanted]


def _queued_keys(keys: list[str]) -> set[str]:
    """Which of these purpose keys are already in the outbox (pending ones included: autoflush)."""
    found: set[str] = set()
    for start in range(0, len(keys), KEY_BATCH):
        chunk = keys[start : start + KEY_BATCH]
        found.update(db.session.scalars(select(Notice.purpose_key).where(Notice.purpose_key.in_(chunk))))
    return found


def _notice_values(draft: NoticeDraft, addresses: list[str], renderer: _EmailRenderer, now: datetime) -> dict:
    subject, body_text, body_html = renderer.render(draft.template, draft.context, draft.language)
    return {
        "purpose_key": draft.purpose_key,
        "recipients": ", ".join(addresses),
        "subject": subject[:300],
        "body_text": body_text,
        "body_html": body_html,
        "status": NoticeStatus.QUEUED,
        "attempts": 0,
        "last_error": "",
        "created_at": now,
        "next_attempt_at": now,
        "subject_type": draft.subject_type,
        "subject_id": draft.subject_id,
        "headers": dict(draft.headers),
    }


def _queue_one_at_a_time(rows: list[dict]) -> list[Notice]:
    """The batch lost a race: skip the keys now taken, insert each of the others in its own SAVEPOINT."""
    taken = _queued_keys([values["purpose_key"] for values in rows])
    queued: list[Notice] = []
    for values in rows:
        if values["purpose_key"] in taken:
            continue
        notice = Notice(**values)
        try:
            with db.session.begin_nested():
                db.session.add(notice)
        except IntegrityError:  # taken by yet another insert since the check
            continue
        queued.append(notice)
    return queued


def begin_outer_transaction() -> None:
    """Make sure a real transaction is open before a SAVEPOINT.

    Python's sqlite3 driver only sends BEGIN before a data change, so a SAVEPOINT issued first
    would itself start the transaction, and releasing it would COMMIT the caller's work. Here
    the transaction is begun explicitly, so the caller's commit or rollback still decides.
    """
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")


def cancel_queued(subject_type: str, subject_id: int) -> int:
    """Cancel the notices about a record that are still waiting (e.g. reminders for a closed request)."""
    result = db.session.execute(
        update(Notice)
        .where(
            Notice.subject_type == subject_type,
            Notice.subject_id == subject_id,
            Notice.status == NoticeStatus.QUEUED,
        )
        .values(status=NoticeStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the n-th failed attempt: 5 minutes, 10, 20 … at most a day."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)  # purpose keys
    failed: dict[str, str] = field(default_factory=dict)  # purpose key -> error

    def summary(self) -> str:
        text = f"{len(self.sent)} sent, {len(self.failed)} failed"
        if self.failed:
            text += " (" + "; ".join(f"{key}: {error}" for key, error in self.failed.items()) + ")"
        return text


def _due_ids(notice_ids: list[int] | None, now: datetime, limit: int) -> list[int]:
    """The ids of the due queued notices (at most `limit`, those due first), in id order."""
    stmt = (
        select(Notice.id)
        .where(Notice.status == NoticeStatus.QUEUED, Notice.next_attempt_at <= now)
        .order_by(Notice.next_attempt_at, Notice.id)
        .limit(limit)
    )
    if notice_ids is not None:
        stmt = stmt.where(Notice.id.in_(notice_ids))
    return sorted(db.session.scalars(stmt).all())


def _claim(notice_id: int, now: datetime) -> Notice | None:
    """Take one due notice for this process and commit the claim; None when another process took it."""
    result = db.session.execute(
        update(Notice)
        .where(Notice.id == notice_id, Notice.status == NoticeStatus.QUEUED, Notice.next_attempt_at <= now)
        .values(next_attempt_at=now + CLAIM_LEASE, attempts=Notice.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        return None
    return db.session.get(Notice, notice_id, populate_existing=True)


def _message(notice: Notice, sender: str, district_name: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = notice.subject
    message["From"] = formataddr((district_name, sender))
    message["To"] = notice.recipients
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    for name, value in (notice.headers or {}).items():
        message[name] = value
    message.set_content(notice.body_text)
    if notice.body_html:
        message.add_alternative(notice.body_html, subtype="html")
    return message


class ConsoleMailbox:
    """Stands in for the SMTP connection in development: prints each message, sends nothing."""

    def send_message(self, message: EmailMessage) -> dict:
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        sys.stdout.write(
            f"\n----- e-mail printed, not sent (MAIL_TO_CONSOLE) -----\n"
            f"From: {message['From']}\nTo: {message['To']}\nSubject: {message['Subject']}\n\n"
            f"{text.rstrip()}\n----- end of e-mail -----\n"
        )
        sys.stdout.flush()
        return {}

    def quit(self) -> None:
        """Nothing to close."""

    close = quit


def _connect() -> smtplib.SMTP | ConsoleMailbox:
    config = current_app.config
    if config["MAIL_TO_CONSOLE"]:
        return ConsoleMailbox()
    smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"])
    try:
        if config["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp


def _describe(err: BaseException) -> str:
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{addr} ({code} {_text(msg)})" for addr, (code, msg) in err.recipients.items())
        return f"Every recipient was refused: {refused}"
    if isinstance(err, smtplib.SMTPResponseException):
        return f"The mail server answered {err.smtp_code}: {_text(err.smtp_error)}"
    if isinstance(err, OSError | smtplib.SMTPException):
        host, port = current_app.config["SMTP_HOST"], current_app.config["SMTP_PORT"]
        return f"Could not reach the mail server {host}:{port}: {err or type(err).__name__}"
    return f"{type(err).__name__}: {err}"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def deliver_queued(
    *, notice_ids: list[int] | None = None, now: datetime | None = None, limit: int = 100
) -> DeliveryReport:
    """Send the due queued notices (or only those of `notice_ids`), each claimed, sent and recorded in turn.

    Commits the session: call it after the unit of work that queued the notices, never inside it.
    """
    now = now or utcnow()
    report = DeliveryReport()
    due = _due_ids(notice_ids, now, limit)
    if not due:
        return report
    settings = get_settings()
    sender, district_name = settings.sender_email, settings.district_name
    smtp: smtplib.SMTP | ConsoleMailbox | None = None
    lost: str | None = None  # why the mail server cannot be used: the rest waits for a retry
    try:
        for notice_id in due:
            notice = _claim(notice_id, now)
            if notice is None:
                continue
            error: str | None = None
            refused: dict = {}
            try:
                message = _message(notice, sender, district_name)
            except Exception as err:  # whatever breaks one message (a header with a line break…) stays with it
                error = f"The message could not be built: {err}"
            else:
                if smtp is None and lost is None:
                    try:
                        smtp = _connect()
                    except (OSError, smtplib.SMTPException) as err:
                        lost = _describe(err)
                if lost is not None:
                    error = lost
                else:
                    try:
                        refused = smtp.send_message(message)
                    except ValueError as err:  # this message only (e.g. an address that cannot be encoded)
                        error = f"The message could not be sent: {err}"
                    except (OSError, smtplib.SMTPException) as err:
                        error = _describe(err)
                        if isinstance(err, OSError | smtplib.SMTPServerDisconnected):
                            lost = error
            _record(notice, error, refused, now, report)
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    return report


def _record(notice: Notice, error: str | None, refused: dict, now: datetime, report: DeliveryReport) -> None:
    """Write one notice's result and commit it, before the next notice is claimed."""
    if error is None:
        notice.status = NoticeStatus.SENT
        notice.sent_at = now
        notice.last_error = ("Sent, but refused for: " + ", ".join(sorted(refused))) if refused else ""
        report.sent.append(notice.purpose_key)
    else:
        notice.last_error = error[:ERROR_MAX]
        notice.next_attempt_at = now + retry_delay(notice.attempts)
        report.failed[notice.purpose_key] = error
    db.session.commit()


def retry_now(notice: Notice, *, now: datetime | None = None) -> DeliveryReport:
    """Make a queued notice due at once and try to deliver it (the outbox's retry button)."""
    if notice.status != NoticeStatus.QUEUED:
        raise DomainError("Only a queued notice can be retried; this one was already sent or cancelled.")
    now = now or utcnow()
    notice.next_attempt_at = now
    db.session.commit()
    return deliver_queued(notice_ids=[notice.id], now=now)
