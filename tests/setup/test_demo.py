"""`flask demo-data`: a believable district, every agreement state, idempotent, and careful with real data."""

import io
import re
from datetime import date, timedelta

from pypdf import PdfReader
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from clearinghouse.accounts.models import Role, User
from clearinghouse.agreements.models import Agreement, AgreementState
from clearinghouse.agreements.status import ProductAgreementStatus, standing
from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.demo import loader
from clearinghouse.destruction.models import CertificateStatus, DestructionRequest, RequestOrigin, RequestStatus
from clearinghouse.directory.models import DataUse, Product, ProductStatus, School, Vendor
from clearinghouse.directory.taxonomy import TAXONOMY
from clearinghouse.extensions import db
from clearinghouse.notices.models import Notice, NoticeStatus
from clearinghouse.reports.queries import destruction_compliance
from clearinghouse.settings.queries import get_settings
from clearinghouse.storage import storage
from clearinghouse.timeutil import format_date
from tests import factories
from tests.conftest import in_app

TODAY = date(2026, 11, 22)


def _counts() -> dict[str, int]:
    tables = db.metadata.sorted_tables
    return {table.name: db.session.scalar(select(func.count()).select_from(table)) for table in tables}


def _load(runner, *args: str):
    result = runner.invoke(args=["demo-data", "--today", TODAY.isoformat(), *args])
    assert result.exit_code == 0, result.output
    return result


def test_demo_district_has_every_approval_and_every_agreement_status(app, runner, client):
    _load(runner)
    with in_app(app):
        products = db.session.scalars(select(Product)).all()
        assert {product.status for product in products} == set(ProductStatus)
        standings = {product.name: standing(product, TODAY) for product in products}
        assert {found.status for found in standings.values()} == set(ProductAgreementStatus)
        assert standings["Stepwise Homework Help"].status is ProductAgreementStatus.ON_FILE
        calculator = next(product for product in products if product.name == "Fractal Graphing Calculator")
        assert calculator.data_uses == []
        assert standings[calculator.name].status is ProductAgreementStatus.NOT_REQUIRED
        clearview = next(product for product in products if product.name == "Clearview Exam Monitor")
        assert clearview.status_note
        assert clearview.agreement_note
        slug = clearview.slug
    page = client.get(f"/products/{slug}").get_data(as_text=True)
    assert "Declined by the vendor" in page
    assert "would not sign the district" in page


def test_demo_district_is_believable_and_has_every_agreement_state(app, runner):
    result = _load(runner)
    assert result.output.startswith("Demo data added: 40 vendors, 80 products, 10 schools")
    with in_app(app):
        agreements = db.session.scalars(select(Agreement)).all()
        states = {agreement.state_on(TODAY) for agreement in agreements}
        assert states == set(AgreementState)
        renewed = [a for a in agreements if a.state_on(TODAY) is AgreementState.RENEWED]
        assert all(a.renewed_by is not None and a.renewed_by.vendor_id == a.vendor_id for a in renewed)
        assert any(a.expires_on is None and a.signed_on is not None for a in agreements)  # open-ended
        assert any(a.auto_renews and a.expires_on < TODAY and not a.state_on(TODAY).has_ended for a in agreements)
        assert any(a.terminated_on and a.termination_reason for a in agreements)

        products = db.session.scalars(select(Product)).all()
        assert len({p.kind for p in products}) >= 10
        assert all(p.purpose_md and p.schools and p.grade_bands for p in products)
        uses = db.session.scalars(select(DataUse)).all()
        assert len(uses) > 300
        assert all(use.purpose.endswith(".") and len(use.purpose) > 15 for use in uses)
        schools = db.session.scalars(select(School)).all()
        assert len(schools) == 10
        assert all(school.grade_band for school in schools)
        vendors = db.session.scalars(select(Vendor)).all()
        assert all(v.website.endswith(".example") for v in vendors)

        settings = get_settings()
        assert settings.district_name == "Maple Valley Unified School District"
        assert "no tracking" in settings.privacy_notice_md
        assert db.session.scalar(select(func.count(User.id))) == 0  # no accounts unless asked

        kinds = set(db.session.scalars(select(DisclosureRevision.kind)))
        assert {"product.added", "status.changed", "data_use.added", "purpose.changed"} <= kinds
        oldest = db.session.scalar(select(func.min(DisclosureRevision.occurred_at)))
        assert oldest.date() < date(2026, 1, 1)

        published = [a for a in agreements if a.is_document_published]
        assert len(published) >= 3
        for agreement in published:
            data = storage().read(agreement.document.storage_key)
            assert data.startswith(b"%PDF-")
            text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
            assert agreement.vendor.name in text
            assert agreement.document.page_count == 1
        assert db.session.scalar(select(func.count(AuditEvent.id))) > 250


def test_running_demo_data_twice_changes_nothing(app, runner):
    _load(runner)
    with in_app(app):
        before = _counts()
    again = runner.invoke(args=["demo-data", "--today", "2027-03-01"])
    assert again.exit_code == 0
    assert again.output.strip() == "Demo data is already loaded: nothing to add."
    with in_app(app):
        assert _counts() == before


def test_demo_data_refuses_a_database_with_real_vendors_unless_forced(app, runner):
    with in_app(app):
        factories.make_vendor(name="Real Reading Company")
    refused = runner.invoke(args=["demo-data"])
    assert refused.exit_code == 1
    assert "'Real Reading Company'" in refused.output
    assert "--force" in refused.output
    with in_app(app):
        assert db.session.scalar(select(func.count(Vendor.id))) == 1

    skipped = runner.invoke(args=["demo-data", "--if-empty"])
    assert skipped.exit_code == 0
    assert "no demo data was added" in skipped.output
    with in_app(app):
        assert db.session.scalar(select(func.count(Vendor.id))) == 1

    _load(runner, "--force")
    with in_app(app):
        assert db.session.scalar(select(func.count(Vendor.id))) == 41
        assert db.session.scalar(select(Vendor.name).where(Vendor.name == "Real Reading Company"))


def test_demo_accounts_only_on_request_with_random_passwords_printed_once(app, runner):
    result = _load(runner, "--with-demo-accounts")
    printed = dict(re.findall(r"(\S+@\S+)  password: (\S+)", result.output))
    assert set(printed) == {"demo.officer@maplevalley.example", "demo.vendor@brightleaf.example"}
    with in_app(app):
        users = {user.email: user for user in db.session.scalars(select(User))}
        assert users["demo.officer@maplevalley.example"].role is Role.OFFICER
        vendor_user = users["demo.vendor@brightleaf.example"]
        assert vendor_user.role is Role.VENDOR
        assert vendor_user.vendor.name == "Brightleaf Reading Co."
        for email, password in printed.items():
            assert len(password) >= 12
            assert check_password_hash(users[email].password_hash, password)
            event = db.session.scalar(select(AuditEvent).where(AuditEvent.record_label == email))
            assert "password_hash" not in event.changes
    again = runner.invoke(args=["demo-data", "--with-demo-accounts"])
    assert "already exist" in again.output
    assert "password:" not in again.output


def test_the_demo_district_starts_with_its_first_sweep_done(app, runner, client):
    result = _load(runner)
    assert "Sweep for 2026-11-22: 6 request(s) opened" in result.output
    with in_app(app):
        agreements = db.session.scalars(select(Agreement)).all()
        ended = {a.id for a in agreements if a.state_on(TODAY) in (AgreementState.EXPIRED, AgreementState.TERMINATED)}
        requests = db.session.scalars(select(DestructionRequest)).all()
        opened_by_the_sweep = {dr.agreement_id for dr in requests if dr.origin is RequestOrigin.AGREEMENT_ENDED}
        assert opened_by_the_sweep == ended
        assert all(dr.issued_on == TODAY for dr in requests if dr.origin is RequestOrigin.AGREEMENT_ENDED)

        # The outbox holds what the first sweep queued: expiry warnings, reminders and an escalation.
        queued = set(db.session.scalars(select(Notice.purpose_key).where(Notice.status == NoticeStatus.QUEUED)))
        assert any(re.fullmatch(r"agreement:\d+:expires-in-\d+", key) for key in queued)
        assert any(re.fullmatch(r"request:\d+:due-in-14", key) for key in queued)
        assert any(re.fullmatch(r"request:\d+:overdue-week-2", key) for key in queued)
        assert any(re.fullmatch(r"request:\d+:escalated", key) for key in queued)

        # A certificate the district accepted, published on the products of its agreement.
        (certified,) = [dr for dr in requests if dr.status is RequestStatus.ACCEPTED]
        assert certified.certificates[0].status is CertificateStatus.ACCEPTED
        assert certified.closed_on == TODAY - timedelta(days=37)
        (waiting,) = [dr for dr in requests if dr.status is RequestStatus.SUBMITTED]
        assert waiting.certificates[0].file.page_count == 1
        product = certified.agreement.products[0]
        revision = db.session.scalar(
            select(DisclosureRevision).where(
                DisclosureRevision.kind == "destruction.certified", DisclosureRevision.product_id == product.id
            )
        )
        assert revision.occurred_at.date() == TODAY - timedelta(days=37)  # dated when it happened
        compliance = destruction_compliance(TODAY)
        bars = {bar.label: bar.value for bar in compliance.bars}
        assert bars["Certified on time"] == 1
        assert bars["Overdue (no certificate after the due date)"] == 1
        assert bars["Open (not yet due, or certificate under review)"] == 8  # 6 just opened, 1 due soon, 1 in review

    page = client.get(f"/products/{product.slug}")
    assert page.status_code == 200
    assert f"Data destruction certified on {format_date(TODAY - timedelta(days=37))}" in page.text
    assert "Data destruction compliance" in client.get("/reports/").text

    # The first sweep is done: running it again for the same day finds nothing to do.
    again = runner.invoke(args=["sweep", "--today", TODAY.isoformat(), "--no-deliver"])
    assert again.exit_code == 0, again.output
    nothing = "0 request(s) opened, 0 expiry warning(s), 0 reminder(s), 0 escalation(s), 0 digest(s) queued"
    assert nothing in again.output


def test_the_public_history_is_dated_when_each_change_happened(app, runner):
    _load(runner)
    with in_app(app):
        signed = db.session.scalars(select(DisclosureRevision).where(DisclosureRevision.kind == "agreement.signed"))
        for revision in signed:
            agreement = db.session.get(Agreement, revision.details["agreement_id"])
            assert revision.occurred_at.date() == agreement.signed_on
        renewed = db.session.scalars(select(DisclosureRevision).where(DisclosureRevision.kind == "agreement.renewed"))
        assert {r.occurred_at.date() for r in renewed} == {TODAY - timedelta(days=90), TODAY - timedelta(days=5)}


def test_the_demo_data_file_names_only_what_exists(app):
    data = loader.district()
    histories = data["agreement_histories"]
    vendors = {vendor["name"] for vendor in data["vendors"]}
    for vendor in data["vendors"]:
        assert vendor["agreements"] in histories, vendor["name"]
        for product in vendor["products"]:
            keys = [
                *data["usual_uses"][product["kind"]],
                *product.get("also_receives", []),
                *product.get("does_not_receive", []),
                *product.get("own_purposes", {}),
                *product.get("until", {}).get("without", []),
            ]
            assert set(keys) <= set(data["data_elements"]), product["name"]
            assert set(keys) - set(product.get("own_purposes", {})) - set(product.get("does_not_receive", [])) <= set(
                data["usual_purposes"]
            ), product["name"]
    assert {request["vendor"] for request in data["destruction_requests"]} <= vendors
    assert {account["vendor"] for account in data["accounts"] if "vendor" in account} <= vendors
    elements = {(category.name, element.name) for category in TAXONOMY for element in category.elements}
    assert {tuple(pair) for pair in data["data_elements"].values()} <= elements
    categories = {category.name for category in TAXONOMY}
    assert {c for request in data["destruction_requests"] for c in request.get("categories", [])} <= categories
