"""A district whose every text field holds its marker, run through the real flows that e-mail vendors.

Our vendor ("own" rows, plain markers) has a vendor user, a second contact who is invited, two
products, an active agreement with a published document and an agreement the district terminated.
The sweep opens a directive for the terminated one; an officer issues a second directive and
withdraws a third; reminders go out and one request goes overdue (escalated to the officers); a
certificate is rejected, another accepted. Another vendor (rows tagged "other") has its own
agreement, directive and user. Rows no flow writes (audit events, outbox rows, login attempts,
import mappings, invitations, revisions) are added with markers. Call inside an app context.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from clearinghouse import sweep
from clearinghouse.accounts import services as accounts
from clearinghouse.accounts.models import Invitation, LoginAttempt, User
from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.declarations import services as declarations
from clearinghouse.declarations.models import Declaration
from clearinghouse.destruction import services as destruction
from clearinghouse.destruction.models import (
    DestructionRequest,
    DisposalCertificate,
    DisposalMethod,
    DispositionNature,
    RequestScope,
)
from clearinghouse.directory.models import DataUse, EvidenceLink, ProductNote, StatedAgreementStatus, Tag
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.imports.models import ImportDraft, ImportMapping, ImportValueChoice
from clearinghouse.intake import services as intake
from clearinghouse.intake.models import ToolRequest
from clearinghouse.notices.models import Notice, NoticeStatus
from clearinghouse.notices.services import deliver_queued, queue_notices
from clearinghouse.settings.queries import get_settings
from clearinghouse.settings.services import ensure_settings
from clearinghouse.storage import StoredFile, storage
from clearinghouse.subscriptions import digest, tokens
from clearinghouse.subscriptions import services as subscriptions
from clearinghouse.subscriptions.models import Scope, Subscriber, Subscription
from clearinghouse.throttle import ThrottleHit
from clearinghouse.timeutil import day_start, district_today, utcnow
from tests import factories
from tests.visibility.markers import OTHER, json_mark, marked_value, marks


@dataclass
class World:
    vendor_id: int
    vendor_slugs: list[str]
    product_slugs: list[str]
    element_slugs: list[str]
    school_slugs: list[str]
    vendor_user_id: int
    published_agreement_id: int
    agreement_ids: list[int]  # our vendor's
    request_ids: list[int]  # our vendor's
    open_request_ids: list[int]
    certificate_ids: list[int]
    declaration_ids: list[int] = field(default_factory=list)  # our vendor's questionnaires
    kind_slugs: list[str] = field(default_factory=list)  # kinds of product, with a product used at a school
    vendor_addresses: set[str] = field(default_factory=set)  # our vendor's users and contact
    officer_addresses: set[str] = field(default_factory=set)


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def _stored_pdf(name: str, **columns) -> StoredFile:
    data = factories.make_pdf_bytes()
    record = StoredFile(
        original_name=name,
        content_type="application/pdf",
        size=len(data),
        sha256=columns.pop("sha256", "0" * 64),
        page_count=1,
        storage_key=columns.pop("storage_key"),
        **columns,
    )
    storage().write(record.storage_key, data)
    db.session.add(record)
    db.session.commit()
    return record


PARENT_ADDRESS = "parent@families.example"  # follows the district by e-mail: its digest is a public e-mail
PROVIDER_IDENTITY = ("oidc_issuer", "oidc_subject")  # only on the requester: such an account has no password


def _person(tag: str = "", **overrides) -> dict:
    """A user's marked fields; the password hash is set once the flows are done (see `build`)."""
    return {
        k: v
        for k, v in marks("user_account", tag, **overrides).items()
        if k != "password_hash" and k not in PROVIDER_IDENTITY
    }


def _settings() -> None:
    settings = ensure_settings()
    for column, value in marks("district_settings").items():
        setattr(settings, column, value)
    settings.translations = translated("district_settings", "privacy_notice_md")
    db.session.commit()


def _parent_follows_the_district() -> None:
    """A parent follows every change (confirmed before any is made): the digest is a public e-mail."""
    now = utcnow()
    with unit_of_work():
        subscriptions.request_subscription(
            PARENT_ADDRESS, subscriptions.Target(Scope.DISTRICT), "en", client="192.0.2.1", now=now
        )
    parent = db.session.scalar(select(Subscriber).where(Subscriber.email == PARENT_ADDRESS))
    with unit_of_work():
        subscriptions.confirm(tokens.confirmation_token(parent, "en", now), now)


def _digest_to_the_parent() -> None:
    """The digest of every revision the flows made, as the sweep sends it once due."""
    later = district_today() + timedelta(days=40)
    parent = db.session.scalars(select(Subscriber).where(Subscriber.email == PARENT_ADDRESS)).all()
    through = digest.last_revision_before(day_start(later))
    queue_notices(digest.digests(parent, later, get_settings(), through))
    db.session.commit()
    deliver_queued()


def translated(table: str, *fields: str) -> dict[str, dict[str, str]]:
    """A `translations` value (clearinghouse.i18n) with the column's marker as the Spanish of each field."""
    return {"es": {field: marked_value(table, "translations") for field in fields}}


def _certificate(
    dr: DestructionRequest, vendor_user: User, file: StoredFile, day: date, **markers
) -> DisposalCertificate:
    with unit_of_work():
        return destruction.submit_certificate(
            dr,
            actor=vendor_user,
            stored_file=file,
            signature_report=json_mark("disposal_certificate", "signature_report"),
            signer_name=markers.get("signer_name", "Pat Lee"),
            signer_title=markers.get("signer_title", "Chief Technology Officer"),
            disposed_on=day,
            method=DisposalMethod.OTHER,
            method_other=markers.get("method_other", "Shredded the backup tapes."),
            attests_all_copies=True,
            now=_noon(day),
        )


def _other_vendor(officer: User) -> None:
    """Another vendor, whose non-public fields our vendor must never see."""
    other = factories.make_vendor(**marks("vendor", OTHER))
    factories.make_user(role="vendor", vendor=other, password=None, **_person(OTHER))
    product = factories.make_product(other, **marks("product", OTHER))
    agreement = factories.make_agreement(
        other,
        [product],
        signed_on=date(2024, 1, 10),
        effective_on=date(2024, 1, 10),
        expires_on=date(2027, 1, 9),
        terminated_on=date(2026, 2, 20),
        **marks("agreement", OTHER),
    )
    with unit_of_work():
        destruction.open_destruction_request(
            destruction.RequestDraft(
                vendor_id=other.id,
                agreement_id=agreement.id,
                **{
                    k: v
                    for k, v in marks("destruction_request", OTHER).items()
                    if k not in ("origin_key", "status_reason")
                },
            ),
            actor=officer,
            today=date(2026, 3, 5),
        )


def build() -> World:
    _settings()
    _parent_follows_the_district()
    category = factories.make_category(**marks("data_category"), translations=translated("data_category", "name"))
    element = factories.make_element(
        category, **marks("data_element"), translations=translated("data_element", "name", "description")
    )
    school = factories.make_school(**marks("school"))
    vendor = factories.make_vendor(**marks("vendor"), translations=translated("vendor", "description_md"))
    vendor_user = factories.make_user(role="vendor", vendor=vendor, password=None, **_person())
    # The officer's name may reach a vendor (who invited them); their address and title may not.
    officer = factories.make_user(
        role="officer",
        password=None,
        **_person(OTHER, name="Morgan Reyes", email=marked_value("user_account", "email", OTHER, "officer")),
    )
    # A teacher who signed in with the district's provider: the district's own staff, seen by nobody outside it.
    factories.make_user(
        role="requester",
        password=None,
        email="tess.teacher@district.example",
        name="Tess Teacher",
        **{column: marked_value("user_account", column) for column in PROVIDER_IDENTITY},
    )
    kind = factories.make_kind(**marks("product_kind"), translations=translated("product_kind", "name"))
    product = factories.make_product(
        vendor,
        elements=[element],
        schools=[school],
        kind=kind,
        **marks("product"),
        translations=translated("product", "purpose_md"),
    )
    second = factories.make_product(vendor, elements=[element], **marks("product", suffix="b"))
    # What an import kept beyond the fields: a public tag and link, and a note for staff.
    product.tags = [Tag(**marks("tag"))]
    db.session.add(ProductNote(product=product, **marks("product_note")))
    db.session.add(EvidenceLink(product=product, is_public=True, **marks("evidence_link")))
    db.session.commit()
    # No agreement: the vendor declined it, and its reason is public.
    declined = factories.make_product(
        vendor, agreement_status=StatedAgreementStatus.DECLINED_BY_VENDOR, **marks("product", suffix="c")
    )
    document = _stored_pdf(
        marked_value("stored_file", "original_name", suffix="agreement.pdf"),
        storage_key=marked_value("stored_file", "storage_key"),
        sha256=marked_value("stored_file", "sha256"),
    )
    active = factories.make_agreement(
        vendor,
        [product, second],
        document_id=document.id,
        is_document_published=True,
        destruction_window_days=30,
        **marks("agreement"),
    )
    terminated = factories.make_agreement(
        vendor,
        [second],
        signed_on=date(2024, 1, 10),
        effective_on=date(2024, 1, 10),
        expires_on=date(2027, 1, 9),
        terminated_on=date(2026, 2, 27),
        destruction_window_days=30,
        **marks("agreement", suffix="b"),
    )
    db.session.execute(
        DataUse.__table__.update().values(
            purpose=marked_value("data_use", "purpose"), translations=translated("data_use", "purpose")
        )
    )
    db.session.commit()
    _other_vendor(officer)

    # March 2, 2026: the sweep directs both vendors to destroy the data of their terminated agreements.
    sweep.run(date(2026, 3, 2), now=_noon(date(2026, 3, 2)))
    by_sweep = db.session.scalar(select(DestructionRequest).where(DestructionRequest.agreement_id == terminated.id))
    # March 5: an officer issues a directive with every field filled in, and one opened in error.
    draft = destruction.RequestDraft(
        vendor_id=vendor.id,
        agreement_id=active.id,
        scope=RequestScope.CATEGORIES,
        category_ids=[category.id],
        nature=DispositionNature.TRANSFER,
        due_on=date(2026, 3, 20),
        **{k: v for k, v in marks("destruction_request").items() if k not in ("origin_key", "status_reason")},
    )
    with unit_of_work():
        by_officer = destruction.open_destruction_request(draft, actor=officer, today=date(2026, 3, 5))
    by_officer.origin_key = marked_value("destruction_request", "origin_key")
    db.session.commit()
    with unit_of_work():
        in_error = destruction.open_destruction_request(
            destruction.RequestDraft(vendor_id=vendor.id, reason="Opened for the wrong vendor."),
            actor=officer,
            today=date(2026, 3, 5),
        )
    with unit_of_work():
        destruction.withdraw_request(
            in_error, marked_value("destruction_request", "status_reason"), actor=officer, today=date(2026, 3, 6)
        )
    deliver_queued()
    # Reminders before the due dates; the officer's directive goes overdue and is escalated.
    for day in (date(2026, 3, 18), date(2026, 3, 21)):
        sweep.run(day, now=_noon(day))
    # The vendor answers the sweep's directive; the first certificate is rejected, the second accepted.
    certificate_file = _stored_pdf(
        marked_value("stored_file", "original_name", suffix=".pdf"), storage_key="certificatefile0001"
    )
    rejected = _certificate(by_sweep, vendor_user, certificate_file, date(2026, 3, 25), **marks("disposal_certificate"))
    with unit_of_work():
        destruction.reject_certificate(rejected, marked_value("disposal_certificate", "review_reason"), actor=officer)
    deliver_queued()  # before the acceptance, which cancels what is still queued about the request
    accepted = _certificate(
        by_sweep, vendor_user, _stored_pdf("certificate.pdf", storage_key="certificatefile0002"), date(2026, 3, 27)
    )
    with unit_of_work():
        destruction.accept_certificate(accepted, actor=officer, today=date(2026, 3, 28))
    deliver_queued()
    # A second contact at the vendor is invited (a real link, e-mailed at once).
    with unit_of_work():
        invited = accounts.invite_vendor_user(
            vendor, marked_value("user_account", "email", suffix="invited"), "Sam Park", actor=officer
        )

    _records_no_flow_writes(vendor_user, product)
    vendor_user.password_hash = marked_value("user_account", "password_hash")  # signs in by session
    db.session.commit()
    declaration_ids = _intake(officer, vendor_user, product, second, element)
    _digest_to_the_parent()
    own_requests = db.session.scalars(
        select(DestructionRequest.id).where(DestructionRequest.vendor_id == vendor.id).order_by(DestructionRequest.id)
    ).all()
    return World(
        vendor_id=vendor.id,
        vendor_slugs=[vendor.slug, marked_value("vendor", "slug", OTHER)],
        product_slugs=[product.slug, second.slug, declined.slug, marked_value("product", "slug", OTHER)],
        element_slugs=[element.slug],
        school_slugs=[school.slug],
        kind_slugs=[kind.slug],
        vendor_user_id=vendor_user.id,
        published_agreement_id=active.id,
        agreement_ids=[active.id, terminated.id],
        request_ids=list(own_requests),
        open_request_ids=[by_officer.id],
        certificate_ids=[rejected.id, accepted.id],
        declaration_ids=declaration_ids,
        vendor_addresses={vendor_user.email, invited.email, vendor.contact_email},
        officer_addresses={officer.email, ensure_settings().privacy_office_email},
    )


def _intake(officer: User, vendor_user: User, product, second, element) -> list[int]:
    """A teacher asks for a tool (every field marked; the district's staff only), and for a second one;
    the officer invites our vendor to declare both products: it answers for the first (every answer
    marked) and is reminded of the second by the sweep."""
    teacher = db.session.scalar(select(User).where(User.email == "tess.teacher@district.example"))
    school = product.schools[0]
    request_marks = marks("tool_request")
    with unit_of_work():
        tr, _ = intake.submit_request(
            intake.RequestDraft(
                name=request_marks["name"],
                purpose=request_marks["purpose"],
                website=request_marks["website"],
                school_ids=[school.id],
                kind="reading",
                cost_kind="paid",
                cost=request_marks["cost"],
            ),
            actor=teacher,
        )
    for column in ("name_key", "lookup_key", "grades", "data_needed", "state_reason", "decision_note"):
        setattr(tr, column, request_marks[column])
    tr.product_id = product.id
    db.session.commit()
    with unit_of_work():
        intake.invite_vendor(db.session.get(ToolRequest, tr.id), actor=officer, email=vendor_user.email)
    answers = declarations.Answers(
        elements={element.id: marked_value("declared_element", "purpose")},
        **{k: v for k, v in marks("declaration_version").items()},
        disposal_window_days=30,
        breach_notice_hours=72,
        sells_data=False,
        targeted_ads=False,
        cross_site_tracking=False,
        terms="ndpa",
        subprocessors=[
            declarations.SubprocessorAnswer(
                **{
                    "name": marked_value("subprocessor", "name"),
                    "service": marked_value("subprocessor", "service"),
                    "receives_student_data": True,
                    "data_location": marked_value("subprocessor", "data_location"),
                }
            )
        ],
    )
    first = db.session.scalar(select(Declaration).where(Declaration.product_id == product.id))
    with unit_of_work():
        declarations.submit(first, answers, actor=vendor_user)
    with unit_of_work():  # another teacher's request waits for the second product's declaration
        other, _ = intake.submit_request(
            intake.RequestDraft(name="Second Reader", purpose="Reading.", school_ids=[school.id], kind="reading"),
            actor=teacher,
        )
    with unit_of_work():
        intake.link_product(db.session.get(ToolRequest, other.id), actor=officer, product_id=second.id)
    with unit_of_work():
        intake.invite_vendor(db.session.get(ToolRequest, other.id), actor=officer, email=vendor_user.email)
    waiting = db.session.scalar(select(Declaration).where(Declaration.product_id == second.id))
    waiting.invited_at = _noon(date(2026, 3, 20))
    db.session.commit()
    sweep.run(date(2026, 3, 29), now=_noon(date(2026, 3, 29)))  # a week on: the vendor is reminded
    deliver_queued()
    return [first.id, waiting.id]


def _records_no_flow_writes(vendor_user: User, product) -> None:
    """Rows of the staff-only tables, and a public revision, each field holding its marker."""
    tables = ("audit_event", "notice", "login_attempt", "import_mapping", "throttle_hit", "subscriber", "subscription")
    text = {table: marks(table) for table in tables}
    # Confirmed, so that no later sweep deletes it as an unconfirmed request.
    subscriber = Subscriber(
        **text["subscriber"], language="en", created_at=_noon(date(2026, 3, 1)), confirmed_at=_noon(date(2026, 3, 1))
    )
    db.session.add_all(
        [
            AuditEvent(**text["audit_event"], changes=json_mark("audit_event", "changes")),
            Notice(**text["notice"], status=NoticeStatus.SENT, headers=json_mark("notice", "headers")),
            LoginAttempt(**text["login_attempt"]),
            ThrottleHit(**text["throttle_hit"], attempted_at=_noon(date(2026, 3, 1))),
            subscriber,
            Subscription(**text["subscription"], subscriber=subscriber, scope=Scope.DISTRICT),
            ImportMapping(**text["import_mapping"], mapping=json_mark("import_mapping", "mapping")),
            ImportValueChoice(**marks("import_value_choice")),
            ImportDraft(user_id=vendor_user.id, **marks("import_draft"), choices=json_mark("import_draft", "choices")),
            Invitation(
                user_id=vendor_user.id,
                expires_at=_noon(date(2026, 1, 1)),
                **marks("invitation"),
            ),
            DisclosureRevision(
                vendor_id=product.vendor_id,
                product_id=product.id,
                details=json_mark("disclosure_revision", "details"),
                **marks("disclosure_revision"),
            ),
        ]
    )
    db.session.commit()
