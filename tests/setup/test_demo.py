"""`flask demo-data`: a believable district, every agreement state, idempotent, and careful with real data."""

import io
import re
from datetime import date

from pypdf import PdfReader
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from clearinghouse.accounts.models import Role, User
from clearinghouse.agreements.models import Agreement, AgreementState
from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.directory.models import DataUse, Product, School, Vendor
from clearinghouse.extensions import db
from clearinghouse.settings.queries import get_settings
from clearinghouse.storage import storage
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
