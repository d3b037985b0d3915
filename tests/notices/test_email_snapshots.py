"""Text snapshots of every kind of notice, produced by the real flow and received over loopback SMTP.

Each scenario builds the same small district, runs the flow that sends the notice (the sweep on a
fixed day, a destruction or accounts service with fixed dates), delivers the outbox to the
loopback SMTP server and compares the received Subject, To and text/plain body with
`snapshots/<name>.txt`. A missing snapshot fails; to write or refresh them after a deliberate
change to a template, run:

    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/notices/test_email_snapshots.py

and read the diff before committing it. Invitation links carry a signed random token, which is
replaced by `<token>` before comparing; ids are fixed because every test starts from empty tables
with restarted identities.
"""

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select, update

from clearinghouse import sweep
from clearinghouse.accounts import services as accounts
from clearinghouse.accounts.models import User
from clearinghouse.audit.models import DisclosureRevision
from clearinghouse.declarations import services as declarations
from clearinghouse.declarations.models import Declaration
from clearinghouse.destruction import services as destruction
from clearinghouse.destruction.models import (
    DestructionRequest,
    DisposalCertificate,
    DisposalMethod,
    DispositionNature,
    DispositionSchedule,
    RequestScope,
)
from clearinghouse.directory import services as directory
from clearinghouse.directory.models import DataCategory, Product, School, Vendor
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.intake import services as intake
from clearinghouse.intake.models import Decision, ToolRequest
from clearinghouse.notices.services import cancel_queued, deliver_queued
from clearinghouse.settings.services import ensure_settings
from clearinghouse.subscriptions import services as subscriptions
from clearinghouse.subscriptions import tokens
from clearinghouse.subscriptions.models import Scope, Subscriber
from tests import factories
from tests.conftest import in_app
from tests.smtp import SMTPServer

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
BASE_URL = "https://privacy.riverside.example"
OFFICERS = "morgan.reyes@riverside.example, privacy@riverside.example"
VENDOR_CONTACTS = "pat.lee@brightpath.example, privacy@brightpath.example"
# Invitations are sent at once with the real clock, so their fixed instant must be in the past.
INVITED_AT = datetime(2026, 1, 15, 14, 30, tzinfo=UTC)
TOKEN = re.compile(r"(/invitations/|/follow/(?:confirm|manage|unsubscribe)/)[A-Za-z0-9._-]+")
PARENT = "parent@riverside.example"


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def _build_district() -> None:
    """Riverside Unified, one officer, and Brightpath Learning with a contact, a product and an agreement."""
    settings = ensure_settings()
    settings.district_name = "Riverside Unified School District"
    settings.privacy_office_email = "privacy@riverside.example"
    settings.sender_email = "no-reply@riverside.example"
    settings.district_signer_name = "Dana Ortiz"
    settings.district_signer_title = "Chief Privacy Officer"
    db.session.commit()
    factories.make_user(role="officer", email="morgan.reyes@riverside.example", name="Morgan Reyes")
    vendor = factories.make_vendor(
        name="Brightpath Learning", website="https://brightpath.example", contact_email="privacy@brightpath.example"
    )
    factories.make_user(role="vendor", email="pat.lee@brightpath.example", name="Pat Lee", vendor=vendor)
    product = factories.make_product(vendor, name="Brightpath Reader")
    factories.make_agreement(
        vendor,
        [product],
        reference="NDPA 2024-17",
        signed_on=date(2024, 6, 14),
        effective_on=date(2024, 7, 1),
        expires_on=date(2027, 6, 30),
    )
    factories.make_category(name="Assessment")
    factories.make_category(name="Demographics")


def _officer() -> User:
    return db.session.scalar(select(User).where(User.email == "morgan.reyes@riverside.example"))


def _vendor() -> Vendor:
    return db.session.scalar(select(Vendor).where(Vendor.name == "Brightpath Learning"))


def _sweep(app, *days: date) -> None:
    for day in days:
        with in_app(app):
            sweep.run(day, now=_noon(day))


def _submit_certificate(app) -> None:
    """The agreement ends June 30; the July 1 sweep opens request 1; Pat Lee answers on July 20."""
    _sweep(app, date(2027, 7, 1))
    with in_app(app):
        with unit_of_work():
            destruction.submit_certificate(
                db.session.get(DestructionRequest, 1),
                actor=db.session.scalar(select(User).where(User.email == "pat.lee@brightpath.example")),
                stored_file=factories.make_stored_pdf("brightpath-certificate.pdf"),
                signature_report={"signed": False, "signatures": []},
                signer_name="Pat Lee",
                signer_title="Chief Technology Officer",
                disposed_on=date(2027, 7, 15),
                method=DisposalMethod.OVERWRITE,
                method_other="",
                attests_all_copies=True,
                now=_noon(date(2027, 7, 20)),
            )
        deliver_queued(now=_noon(date(2027, 7, 20)))


def _open_by_officer(app, **draft) -> None:
    """Morgan Reyes issues a directive on March 1, 2027 (not tied to the agreement's end)."""
    with in_app(app):
        with unit_of_work():
            destruction.open_destruction_request(
                destruction.RequestDraft(vendor_id=_vendor().id, **draft),
                actor=_officer(),
                today=date(2027, 3, 1),
            )
        deliver_queued(now=_noon(date(2027, 3, 1)))


# --- one flow per snapshot: the steps before, then the step whose e-mail is compared ----------------


def agreement_expiring(app, smtp: SMTPServer) -> None:
    _sweep(app, date(2027, 5, 31))  # 30 days before June 30


def request_issued(app, smtp: SMTPServer) -> None:
    _sweep(app, date(2027, 7, 1))  # the agreement ended yesterday: request 1, due August 30


def request_issued_by_officer(app, smtp: SMTPServer) -> None:
    with in_app(app):
        categories = list(db.session.scalars(select(DataCategory.id).order_by(DataCategory.name)))
    _open_by_officer(
        app,
        reason="Brightpath Reader is no longer used at Lincoln Elementary.",
        agreement_id=1,
        scope=RequestScope.CATEGORIES,
        category_ids=categories,
        nature=DispositionNature.TRANSFER,
        transfer_to="the district's student information office",
        instructions="Send the export as an encrypted CSV file.",
        schedule=DispositionSchedule.ASAP,
        due_on=date(2027, 4, 15),
    )


def request_reminder(app, smtp: SMTPServer) -> None:
    _sweep(app, date(2027, 7, 1))
    smtp.messages.clear()
    _sweep(app, date(2027, 8, 27))  # 3 days before the due date


def request_reminder_overdue(app, smtp: SMTPServer) -> None:
    _sweep(app, date(2027, 7, 1), date(2027, 8, 30), date(2027, 8, 31))
    smtp.messages.clear()
    _sweep(app, date(2027, 9, 6))  # a week overdue


def request_escalated(app, smtp: SMTPServer) -> None:
    _sweep(app, date(2027, 7, 1), date(2027, 8, 30))
    smtp.messages.clear()
    _sweep(app, date(2027, 8, 31))  # the day after the due date


def certificate_submitted(app, smtp: SMTPServer) -> None:
    _sweep(app, date(2027, 7, 1))
    smtp.messages.clear()
    _submit_certificate(app)


def certificate_accepted(app, smtp: SMTPServer) -> None:
    _submit_certificate(app)
    smtp.messages.clear()
    with in_app(app):
        with unit_of_work():
            destruction.accept_certificate(
                db.session.get(DisposalCertificate, 1), actor=_officer(), today=date(2027, 7, 22)
            )
        deliver_queued(now=_noon(date(2027, 7, 22)))


def certificate_rejected(app, smtp: SMTPServer) -> None:
    _submit_certificate(app)
    smtp.messages.clear()
    with in_app(app):
        with unit_of_work():
            destruction.reject_certificate(
                db.session.get(DisposalCertificate, 1),
                "The certificate is not signed. Upload the signed copy.",
                actor=_officer(),
            )
        deliver_queued(now=_noon(date(2027, 7, 22)))


def request_withdrawn(app, smtp: SMTPServer) -> None:
    _open_by_officer(app, reason="Brightpath Reader is no longer used at Lincoln Elementary.")
    smtp.messages.clear()
    with in_app(app):
        with unit_of_work():
            destruction.withdraw_request(
                db.session.get(DestructionRequest, 1),
                "Opened in error: Lincoln Elementary still uses Brightpath Reader.",
                actor=_officer(),
                today=date(2027, 3, 3),
            )
        deliver_queued(now=_noon(date(2027, 3, 3)))


def invitation(app, smtp: SMTPServer) -> None:
    with in_app(app), unit_of_work():
        accounts.invite_vendor_user(
            _vendor(), "sam.park@brightpath.example", "Sam Park", actor=_officer(), now=INVITED_AT
        )


def invitation_staff(app, smtp: SMTPServer) -> None:
    with in_app(app):
        admin = factories.make_user(role="admin", email="jordan.kim@riverside.example", name="Jordan Kim")
        with unit_of_work():
            accounts.create_staff_user(
                "alex.chen@riverside.example", "Alex Chen", "officer", actor=admin, now=INVITED_AT
            )


# --- intake: a teacher's tool request, the vendor's declaration ---------------------------------------


def _teacher(email: str = "terry.fox@riverside.example") -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    return user or factories.make_user(
        role="requester",
        email=email,
        name=email.split("@")[0].replace(".", " ").title(),
        password=None,
        oidc_issuer="https://sign-in.riverside.example",
        oidc_subject=email,
    )


def _ask(app, email: str = "terry.fox@riverside.example") -> None:
    """A teacher asks for Brightpath Reader for Lincoln Elementary."""
    with in_app(app):
        school = db.session.scalar(select(School).where(School.name == "Lincoln Elementary")) or factories.make_school(
            name="Lincoln Elementary"
        )
        with unit_of_work():
            intake.submit_request(
                intake.RequestDraft(
                    name="Brightpath Reader",
                    purpose="Guided reading for the fourth grade.",
                    school_ids=[school.id],
                    kind="reading",
                ),
                actor=_teacher(email),
            )


def _invite(app, smtp: SMTPServer, *, asked: bool = False) -> None:
    """The officer links the request to Brightpath Reader and invites Pat Lee to declare its data."""
    if not asked:
        _ask(app)
    with in_app(app):
        deliver_queued()
        tr = db.session.get(ToolRequest, 1)
        with unit_of_work():
            intake.link_product(tr, actor=_officer(), product_id=1)
        with unit_of_work():
            intake.invite_vendor(tr, actor=_officer(), email="pat.lee@brightpath.example")
        db.session.get(Declaration, 1).invited_at = INVITED_AT
        db.session.commit()


def tool_request_opened(app, smtp: SMTPServer) -> None:
    _ask(app)
    with in_app(app):
        deliver_queued()


def tool_request_joined(app, smtp: SMTPServer) -> None:
    tool_request_opened(app, smtp)
    smtp.messages.clear()
    _ask(app, "ana.ruiz@riverside.example")
    with in_app(app):
        deliver_queued()


def tool_request_decided(app, smtp: SMTPServer) -> None:
    _invite(app, smtp)
    smtp.messages.clear()
    with in_app(app), unit_of_work():
        intake.decide(
            db.session.get(ToolRequest, 1),
            Decision.NOT_APPROVED,
            "It shows advertising to students.",
            actor=_officer(),
            today=date(2026, 1, 20),
        )


def declaration_invited(app, smtp: SMTPServer) -> None:
    _ask(app)
    with in_app(app):
        deliver_queued()
    smtp.messages.clear()
    _invite(app, smtp, asked=True)


def declaration_reminder(app, smtp: SMTPServer) -> None:
    _invite(app, smtp)
    smtp.messages.clear()
    _sweep(app, date(2026, 1, 23))  # a week after the invitation


def declaration_submitted(app, smtp: SMTPServer) -> None:
    _invite(app, smtp)
    smtp.messages.clear()
    with in_app(app):
        pat = db.session.scalar(select(User).where(User.email == "pat.lee@brightpath.example"))
        element = factories.make_element(name="Reading level")
        with unit_of_work():
            declarations.submit(
                db.session.get(Declaration, 1),
                declarations.Answers(
                    elements={element.id: "To pick books at the student's level."},
                    storage_location="United States",
                    retention="One school year",
                    disposal_method="Secure erase",
                    disposal_window_days=30,
                    breach_notice_hours=72,
                    sells_data=False,
                    targeted_ads=False,
                    cross_site_tracking=False,
                    terms="ndpa",
                ),
                actor=pat,
            )
        deliver_queued()


def _follow_reader(*, confirmed: bool, language: str = "en") -> None:
    """A parent asks to follow Brightpath Reader (and, when `confirmed`, confirms; that e-mail is not sent)."""
    product = db.session.scalar(select(Product).where(Product.name == "Brightpath Reader"))
    target = subscriptions.Target(Scope.PRODUCT, product.id, product.name)
    with unit_of_work():
        subscriptions.request_subscription(PARENT, target, language, client="203.0.113.7", now=INVITED_AT)
    if confirmed:
        subscriber = db.session.scalar(select(Subscriber))
        with unit_of_work():
            subscriptions.confirm(tokens.confirmation_token(subscriber, language, INVITED_AT), INVITED_AT)
            cancel_queued(subscriptions.SUBJECT_TYPE, subscriber.id)


def subscription_confirm(app, smtp: SMTPServer) -> None:
    with in_app(app):
        _follow_reader(confirmed=False)
        deliver_queued()


def subscription_known(app, smtp: SMTPServer) -> None:
    with in_app(app):
        _follow_reader(confirmed=True)
        product = db.session.scalar(select(Product).where(Product.name == "Brightpath Reader"))
        with unit_of_work():
            subscriptions.request_subscription(
                PARENT,
                subscriptions.Target(Scope.PRODUCT, product.id, product.name),
                "en",
                client="203.0.113.7",
                now=INVITED_AT + timedelta(minutes=5),
            )
        deliver_queued()


def subscription_digest(app, smtp: SMTPServer) -> None:
    """Monday, March 1, 2027: Brightpath Reader starts receiving test scores; the digest goes the 5th business day."""
    with in_app(app):
        _follow_reader(confirmed=True)
        product = db.session.scalar(select(Product).where(Product.name == "Brightpath Reader"))
        element = factories.make_element(db.session.scalar(select(DataCategory)), name="Test scores")
        with unit_of_work():
            directory.update_product(
                product, None, version=product.version, data_uses={element.id: "To group students by level."}
            )
        db.session.execute(update(DisclosureRevision).values(occurred_at=_noon(date(2027, 3, 1))))
        db.session.commit()
    _sweep(app, date(2027, 3, 5), date(2027, 3, 8))


@dataclass(frozen=True)
class Case:
    kind: str  # the template, templates/emails/<kind>.txt
    flow: Callable[..., None]
    to: str
    path: str  # the link every notice carries (text footer and HTML)

    @property
    def name(self) -> str:
        """The snapshot's name: the kind, or a variant of it."""
        return self.flow.__name__


CASES = [
    Case("agreement_expiring", agreement_expiring, OFFICERS, "/staff/agreements/1"),
    Case("request_issued", request_issued, VENDOR_CONTACTS, "/vendor/requests/1"),
    Case("request_issued", request_issued_by_officer, VENDOR_CONTACTS, "/vendor/requests/1"),
    Case("request_reminder", request_reminder, VENDOR_CONTACTS, "/vendor/requests/1"),
    Case("request_reminder", request_reminder_overdue, VENDOR_CONTACTS, "/vendor/requests/1"),
    Case("request_escalated", request_escalated, OFFICERS, "/staff/requests/1"),
    Case("certificate_submitted", certificate_submitted, OFFICERS, "/staff/requests/1"),
    Case("certificate_accepted", certificate_accepted, VENDOR_CONTACTS, "/vendor/requests/1"),
    Case("certificate_rejected", certificate_rejected, VENDOR_CONTACTS, "/vendor/requests/1"),
    Case("request_withdrawn", request_withdrawn, VENDOR_CONTACTS, "/vendor/requests/1"),
    Case("invitation", invitation, "sam.park@brightpath.example", "/invitations/"),
    Case("invitation", invitation_staff, "alex.chen@riverside.example", "/invitations/"),
    Case("tool_request_opened", tool_request_opened, OFFICERS, "/staff/tool-requests/1"),
    Case("tool_request_joined", tool_request_joined, "ana.ruiz@riverside.example", "/tools/1"),
    Case("tool_request_decided", tool_request_decided, "terry.fox@riverside.example", "/tools/1"),
    Case("declaration_invited", declaration_invited, "pat.lee@brightpath.example", "/vendor/questionnaires/1"),
    Case("declaration_reminder", declaration_reminder, "pat.lee@brightpath.example", "/vendor/questionnaires/1"),
    Case("declaration_submitted", declaration_submitted, OFFICERS, "/staff/tool-requests/?state=ready_to_decide"),
    Case("subscription_confirm", subscription_confirm, PARENT, "/follow/confirm/"),
    Case("subscription_known", subscription_known, PARENT, "/follow/manage/"),
    Case("subscription_digest", subscription_digest, PARENT, "/products/brightpath-learning-brightpath-reader"),
]


def _snapshot_text(message: EmailMessage) -> str:
    """Subject, To and the text body; headers unfolded (a fold right after the colon leaves a space)."""
    subject, to = (" ".join(str(message[name]).split()) for name in ("Subject", "To"))
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    return TOKEN.sub(r"\1<token>", f"Subject: {subject}\nTo: {to}\n\n{body}")


def _compare(name: str, received: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(received, encoding="utf-8", newline="\n")
        return
    if not path.exists():
        pytest.fail(f"No snapshot {path.name}. Write it with UPDATE_SNAPSHOTS=1 and read it before committing.")
    assert received == path.read_text(encoding="utf-8")


def test_every_template_has_a_snapshot_case():
    templates = Path(__file__).resolve().parents[2] / "templates" / "emails"
    kinds = {path.stem for path in templates.glob("[!_]*.txt")}
    assert kinds == {case.kind for case in CASES}
    assert all(case.name.startswith(case.kind) for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_notice_email_matches_its_snapshot(app, smtp_server, monkeypatch, case):
    monkeypatch.setitem(app.config, "BASE_URL", BASE_URL)
    with in_app(app):
        _build_district()
    case.flow(app, smtp_server)

    [message] = smtp_server.messages
    assert " ".join(str(message["To"]).split()) == case.to
    assert sorted(message.envelope_to) == sorted(case.to.split(", "))
    text = message.get_body(("plain",)).get_content()
    html_part = message.get_body(("html",))
    assert html_part is not None, "the HTML alternative is missing"
    html = html_part.get_content()
    links = re.findall(r"https?://\S+", text)
    assert links, "the text has no link"
    assert any(link.startswith(BASE_URL + case.path) for link in links)
    for link in links:
        assert f'href="{link}"' in html
    assert "None" not in text
    assert "None" not in html
    _compare(case.name, _snapshot_text(message))
