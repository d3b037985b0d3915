"""A small district with one record of every kind, so that every route of the site has something real
to show: the hostile walk builds its URLs from these ids, slugs and tokens."""

import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import select

from clearinghouse.accounts import services as accounts
from clearinghouse.accounts.models import User
from clearinghouse.declarations.models import Declaration
from clearinghouse.destruction import services as destruction
from clearinghouse.destruction.models import DisposalMethod
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.intake import services as intake
from clearinghouse.notices.models import Notice
from clearinghouse.subscriptions import services as subscriptions
from clearinghouse.subscriptions import tokens
from clearinghouse.subscriptions.models import Scope, Subscriber
from clearinghouse.timeutil import district_today, utcnow
from tests import factories
from tests.conftest import client_as, empty_all_tables, in_app

INVITATION_LINK = re.compile(r"/invitations/([A-Za-z0-9._-]+)")
IMPORT_CSV = b"Vendor,Product name,Status\r\nAcme Learning,Acme Reader,Approved\r\n"


@dataclass
class World:
    admin_id: int
    officer_id: int
    vendor_user_id: int
    requester_id: int
    ids: dict[str, int]  # URL argument name -> a real id
    slugs: dict[str, str]  # "vendor" / "product" / "element" / "school" / "kind" -> a real slug
    tokens: dict[str, str]  # endpoint -> a real token for its <token> argument
    extra_staff_pages: list[str] = field(default_factory=list)  # pages whose forms the route list misses


def seed(app: Flask) -> World:
    """Empty the database and build the district (a few hundred milliseconds)."""
    with in_app(app):
        empty_all_tables()
    today_ = _today(app)
    with in_app(app):
        admin = factories.make_user(role="admin", email="admin@district.example", name="Ada Admin")
        officer = factories.make_user(role="officer", email="officer@district.example", name="Otto Officer")
        vendor = factories.make_vendor(name="Acme Learning", contact_email="privacy@acme.example")
        vendor_user = factories.make_user(role="vendor", email="contact@acme.example", vendor=vendor)
        school = factories.make_school(name="North Elementary")
        category = factories.make_category(name="Demographics")
        element = factories.make_element(category, name="Date of birth")
        product = factories.make_product(vendor, name="Acme Reader", elements=[element], schools=[school])
        document = factories.make_stored_pdf("signed-agreement.pdf")
        agreement = factories.make_agreement(
            vendor,
            [product],
            signed_on=today_ - timedelta(days=400),
            effective_on=today_ - timedelta(days=400),
            expires_on=today_ + timedelta(days=300),
            document_id=document.id,
            is_document_published=True,
        )
        factories.make_revision(vendor, product, summary="Acme Reader now receives the date of birth.")
        open_request = factories.make_destruction_request(vendor, agreement, issued_on=today_ - timedelta(days=5))
        # A second agreement: an agreement has one destruction request.
        reviewed_request = factories.make_destruction_request(
            vendor, factories.make_agreement(vendor, [product]), issued_on=today_ - timedelta(days=9)
        )
        with unit_of_work():
            certificate = destruction.submit_certificate(
                reviewed_request,
                actor=vendor_user,
                stored_file=factories.make_stored_pdf("certificate.pdf"),
                signature_report={"signed": False, "signatures": []},
                signer_name="Pat Signer",
                signer_title="Chief Privacy Officer",
                disposed_on=today_ - timedelta(days=1),
                method=DisposalMethod.OVERWRITE,
                method_other="",
                attests_all_copies=True,
            )
        with unit_of_work():
            invited = accounts.invite_vendor_user(vendor, "new@acme.example", "Nia New", actor=officer)
        notice = db.session.scalar(select(Notice).where(Notice.subject_type == "invitation"))
        # A teacher's tool request for Acme Reader, whose vendor is asked to declare its data.
        requester = factories.make_user(
            role="requester", email="tess@district.example", password=None, oidc_issuer="https://i", oidc_subject="t"
        )
        with unit_of_work():
            tool_request, _ = intake.submit_request(
                intake.RequestDraft(name="Acme Reader", purpose="Reading practice.", school_ids=[school.id]),
                actor=requester,
            )
        with unit_of_work():
            intake.invite_vendor(tool_request, actor=officer, email=vendor_user.email)
        declaration = db.session.scalar(select(Declaration))
        invitation_token = INVITATION_LINK.search(notice.body_text).group(1)
        world = World(
            admin_id=admin.id,
            officer_id=officer.id,
            vendor_user_id=vendor_user.id,
            requester_id=requester.id,
            ids={
                "tool_request_id": tool_request.id,
                "declaration_id": declaration.id,
                "agreement_id": agreement.id,
                "certificate_id": certificate.id,
                "element_id": element.id,
                "notice_id": notice.id,
                "product_id": product.id,
                "request_id": open_request.id,
                "school_id": school.id,
                "kind_id": product.kind_id,
                "user_id": db.session.get(User, invited.id).id,
                "vendor_id": vendor.id,
            },
            slugs={
                "vendor": vendor.slug,
                "product": product.slug,
                "element": element.slug,
                "school": school.slug,
                "kind": product.kind.slug,
            },
            tokens={"accounts.accept_invitation": invitation_token, **_subscriber_links()},
            extra_staff_pages=[f"/staff/requests/{reviewed_request.id}", "/staff/outbox/?status=failed"],
        )
    uploaded = client_as(app, world.officer_id).post(
        "/staff/import", data={"file": (io.BytesIO(IMPORT_CSV), "inventory.csv")}, content_type="multipart/form-data"
    )
    token = uploaded.headers["Location"].split("/staff/import/")[1].split("/")[0]
    world.tokens["imports.mapping"] = world.tokens["imports.confirm"] = token
    return world


def _subscriber_links() -> dict[str, str]:
    """A parent who follows the district (confirmed), and a second one who has not confirmed yet:
    the links of their e-mails, for the subscription pages."""
    now = utcnow()
    for address in ("parent@example.org", "pending@example.org"):
        with unit_of_work():
            subscriptions.request_subscription(
                address, subscriptions.Target(Scope.DISTRICT), "en", client="192.0.2.1", now=now
            )
    parent, pending = db.session.scalars(select(Subscriber).order_by(Subscriber.id)).all()
    with unit_of_work():
        subscriptions.confirm(tokens.confirmation_token(parent, "en", now), now)
    manage = tokens.manage_token(parent)
    return {
        "subscriptions.confirm": tokens.confirmation_token(pending, "en", now),
        "subscriptions.manage": manage,
        "subscriptions.delete": manage,
        "subscriptions.unsubscribe": manage,
    }


def _today(app: Flask) -> date:
    with in_app(app):
        return district_today()
