"""Officers add, edit, renew and terminate agreements with real PDFs; audited, disclosed, locked."""

import io
import os
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse.accounts.models import User
from clearinghouse.agreements import queries, services
from clearinghouse.agreements.forms import agreement_data
from clearinghouse.agreements.models import Agreement, AgreementKind, AgreementState, DataDisposal
from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.directory.models import Product, Vendor
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.locking import StaleVersion
from clearinghouse.storage import StoredFile, storage
from clearinghouse.timeutil import district_today
from tests import factories
from tests.agreements.pdfs import HTML_BYTES, PNG_BYTES, pdf_bytes
from tests.conftest import client_as, count_queries, in_app


@pytest.fixture
def today(app) -> date:
    with in_app(app):
        return district_today()


@pytest.fixture
def setup(app) -> dict:
    with in_app(app):
        vendor = factories.make_vendor(name="Lexi Learning")
        reader = factories.make_product(vendor, name="Lexi Reader")
        math = factories.make_product(vendor, name="Lexi Math")
        other = factories.make_product(factories.make_vendor(name="Elsewhere Inc."), name="Elsewhere App")
        return {"vendor": vendor.id, "reader": reader.id, "math": math.id, "other": other.id}


def count(model) -> int:
    return db.session.scalar(select(sa.func.count()).select_from(model))


def revisions() -> list[DisclosureRevision]:
    return list(db.session.scalars(select(DisclosureRevision).order_by(DisclosureRevision.id)))


def uploaded_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return [p for p in root.rglob("*") if p.is_file() and p.name != ".healthz"] if root.exists() else []


def agreement_form(today: date, setup: dict, **overrides) -> dict:
    data = {
        "kind": "ndpa",
        "reference": "NDPA v2.1, 2026",
        "product_ids": [setup["reader"], setup["math"]],
        "signed_on": (today - timedelta(days=10)).isoformat(),
        "effective_on": (today - timedelta(days=10)).isoformat(),
        "expires_on": (today + timedelta(days=3 * 365)).isoformat(),
        "destruction_window_days": "30",
        "internal_notes": "Signed by the superintendent.",
    }
    data.update(overrides)
    return data


def test_officer_adds_a_signed_agreement_with_its_pdf(app, officer_id, setup, today):
    before = set(uploaded_files(app))
    pdf = pdf_bytes(pages=3)
    client = client_as(app, officer_id)
    response = client.post(
        f"/staff/agreements/new?vendor_id={setup['vendor']}",
        data=agreement_form(
            today, setup, is_document_published="y", document=(io.BytesIO(pdf), "Lexi NDPA signed.pdf")
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with in_app(app):
        agreement = db.session.scalar(select(Agreement))
        assert response.headers["Location"].endswith(f"/staff/agreements/{agreement.id}")
        assert agreement.kind is AgreementKind.NDPA
        assert agreement.signed_on == today - timedelta(days=10)
        assert agreement.destruction_window_days == 30
        assert sorted(p.name for p in agreement.products) == ["Lexi Math", "Lexi Reader"]
        assert agreement.state_on(today) is AgreementState.ACTIVE
        document = agreement.document
        assert (document.original_name, document.page_count, document.size) == ("Lexi NDPA signed.pdf", 3, len(pdf))
        assert "Lexi" not in document.storage_key  # a random name, never the upload's
        assert storage().read(document.storage_key) == pdf
        (new_file,) = set(uploaded_files(app)) - before
        assert "static" not in new_file.parts
        event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "agreement.created"))
        assert event_.actor_id == officer_id
        assert event_.changes["products"] == [[], ["Lexi Math", "Lexi Reader"]]
        assert event_.changes["document"] == [None, "Lexi NDPA signed.pdf"]
        assert event_.changes["expires_on"] == [None, (today + timedelta(days=3 * 365)).isoformat()]
        kinds = sorted((r.kind, r.product_id) for r in revisions())
        assert kinds == sorted(
            [
                ("agreement.signed", setup["reader"]),
                ("agreement.signed", setup["math"]),
                ("agreement.document_published", setup["reader"]),
                ("agreement.document_published", setup["math"]),
            ]
        )
        signed = next(r for r in revisions() if r.kind == "agreement.signed")
        assert "Lexi Learning signed a National Data Privacy Agreement (NDPA), in effect from" in signed.summary
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Agreement with Lexi Learning saved." in page
    assert "Active" in page
    download = client.get(f"/staff/agreements/{agreement.id}/document")
    assert download.data == pdf
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")


def test_a_draft_is_audited_but_not_public_yet(app, officer_id, setup, today):
    response = client_as(app, officer_id).post(
        f"/staff/agreements/new?vendor_id={setup['vendor']}",
        data=agreement_form(today, setup, signed_on="", effective_on="", expires_on=""),
    )
    assert response.status_code == 302
    with in_app(app):
        agreement = db.session.scalar(select(Agreement))
        assert agreement.state_on(today) is AgreementState.DRAFT
        assert count(AuditEvent) == 1
        assert revisions() == []


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (PNG_BYTES, "scan.pdf", "That file is not a PDF. Choose a PDF file and try again."),
        (HTML_BYTES, "agreement.pdf", "That file is not a PDF. Choose a PDF file and try again."),
        (b"%PDF-1.7\n" + b"garbage " * 40, "broken.pdf", "That PDF is damaged or incomplete"),
        (b"", "empty.pdf", "That file is empty. Choose the file again."),
        (b"%PDF-" + b"0" * (10 * 1024 * 1024 + 10), "huge.pdf", "larger than the 10 MB limit"),
    ],
    ids=["png-renamed", "html-named-pdf", "damaged", "empty", "too-large"],
)
def test_a_file_that_is_not_a_real_pdf_is_refused_and_nothing_is_stored(
    app, officer_id, setup, today, content, filename, message
):
    before = set(uploaded_files(app))
    response = client_as(app, officer_id).post(
        f"/staff/agreements/new?vendor_id={setup['vendor']}",
        data=agreement_form(today, setup, is_document_published="y", document=(io.BytesIO(content), filename)),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "choose the file again" in html
    assert 'value="NDPA v2.1, 2026"' in html  # typed values are kept
    assert f'value="{(today - timedelta(days=10)).isoformat()}"' in html
    assert "Signed by the superintendent." in html
    with in_app(app):
        assert (count(Agreement), count(StoredFile), count(AuditEvent), count(DisclosureRevision)) == (0, 0, 0, 0)
    assert set(uploaded_files(app)) == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"expires_on": "2020-01-01"},
            "expires_on",
            "The expiry date must be after the day the agreement takes effect",
        ),
        ({"signed_on": "2150-01-01"}, "signed_on", "The signing date can&#39;t be in the future."),
        ({"is_open_ended": "y"}, "expires_on", "An open-ended agreement has no expiry date."),
        ({"expires_on": ""}, "expires_on", "Enter the expiry date, or tick “Open-ended”"),
        ({"effective_on": ""}, "effective_on", "Enter the day the agreement takes effect."),
        ({"signed_on": "31/12/2025"}, "signed_on", "Enter a date like 2026-07-01 (year-month-day)."),
        ({"destruction_window_days": "soon"}, "destruction_window_days", "Enter a whole number of days"),
        ({"destruction_window_days": "-4"}, "destruction_window_days", "between 0 and 3650"),
    ],
)
def test_dates_and_numbers_out_of_order_are_refused_with_the_form_kept(
    app, officer_id, setup, today, overrides, field, message
):
    response = client_as(app, officer_id).post(
        f"/staff/agreements/new?vendor_id={setup['vendor']}",
        data=agreement_form(today, setup, **overrides, document=(io.BytesIO(pdf_bytes()), "signed.pdf")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'id="{field}-error"' in html
    assert "Your file was not saved because of the problems above: choose the file again." in html
    assert 'value="NDPA v2.1, 2026"' in html
    assert html.count("checked") >= 2  # both products still ticked
    with in_app(app):
        assert (count(Agreement), count(StoredFile), count(AuditEvent)) == (0, 0, 0)


def test_only_the_vendors_own_products_can_be_covered(app, officer_id, setup, today):
    response = client_as(app, officer_id).post(
        f"/staff/agreements/new?vendor_id={setup['vendor']}",
        data=agreement_form(today, setup, product_ids=[setup["reader"], setup["other"]]),
    )
    assert response.status_code == 422
    assert "Elsewhere App is not one of Lexi Learning&#39;s products." in response.get_data(as_text=True)
    with in_app(app):
        assert count(Agreement) == 0


def test_a_duplicate_reference_and_publishing_without_a_document_are_refused(app, officer_id, setup, today):
    with in_app(app):
        factories.make_agreement(db.session.get(Vendor, setup["vendor"]), reference="NDPA v2.1, 2026")
    client = client_as(app, officer_id)
    duplicate = client.post(
        f"/staff/agreements/new?vendor_id={setup['vendor']}",
        data=agreement_form(today, setup, reference="ndpa v2.1, 2026"),
    )
    assert duplicate.status_code == 422
    assert "already has an agreement with the reference “ndpa v2.1, 2026”" in duplicate.get_data(as_text=True)
    unpublishable = client.post(
        f"/staff/agreements/new?vendor_id={setup['vendor']}",
        data=agreement_form(today, setup, reference="New", is_document_published="y"),
    )
    assert unpublishable.status_code == 422
    assert "Choose the signed PDF to publish" in unpublishable.get_data(as_text=True)
    with in_app(app):
        assert count(Agreement) == 1


def existing_agreement(app, setup, today, **overrides) -> tuple[int, int]:
    with in_app(app):
        vendor = db.session.get(Vendor, setup["vendor"])
        agreement = factories.make_agreement(
            vendor,
            [db.session.get(Product, setup["reader"])],
            reference=overrides.pop("reference", "NDPA 2025"),
            signed_on=overrides.pop("signed_on", today - timedelta(days=300)),
            effective_on=overrides.pop("effective_on", today - timedelta(days=300)),
            expires_on=overrides.pop("expires_on", today + timedelta(days=400)),
            **overrides,
        )
        return agreement.id, agreement.version


def edit_form(app, agreement_id: int, **overrides) -> dict:
    with in_app(app):
        data = agreement_data(db.session.get(Agreement, agreement_id))
    form = {
        key: (
            "y"
            if value is True
            else ""
            if value in (None, False)
            else value.isoformat()
            if isinstance(value, date)
            else value
        )
        for key, value in data.items()
    }
    form = {key: value for key, value in form.items() if value != ""}
    form.update(overrides)
    return form


def test_internal_changes_are_audited_without_a_public_revision(app, officer_id, setup, today):
    agreement_id, _ = existing_agreement(app, setup, today)
    response = client_as(app, officer_id).post(
        f"/staff/agreements/{agreement_id}/edit",
        data=edit_form(app, agreement_id, internal_notes="Call before renewal.", reference="NDPA-25"),
    )
    assert response.status_code == 302
    with in_app(app):
        (event_,) = db.session.scalars(select(AuditEvent))
        assert event_.action == "agreement.updated"
        assert event_.changes == {
            "internal_notes": ["", "Call before renewal."],
            "reference": ["NDPA 2025", "NDPA-25"],
        }
        assert revisions() == []


def test_what_happens_to_the_data_at_the_end_is_a_public_change_said_in_plain_words(app, officer_id, setup, today):
    """The product page tells families the disposal method and window before the fact (issue 13), so
    changing them makes a revision, in English and in Spanish, as every other public change does."""
    agreement_id, _ = existing_agreement(app, setup, today)  # no window of its own: the district's 60 days
    client = client_as(app, officer_id)
    response = client.post(
        f"/staff/agreements/{agreement_id}/edit",
        data=edit_form(app, agreement_id, destruction_window_days="45", disposal_method="return"),
    )
    assert response.status_code == 302
    english = (
        "Lexi Reader: When Lexi Learning's agreement ends, the company must now return the student data to the "
        "district, then delete it, within 45 days."
    )
    with in_app(app):
        (event_,) = db.session.scalars(select(AuditEvent))
        assert event_.changes == {"destruction_window_days": [None, 45], "disposal_method": [None, "return"]}
        [revision] = revisions()
        assert (revision.kind, revision.product_id, revision.summary) == (
            "agreement.disposal_changed",
            setup["reader"],
            english,
        )
        assert (revision.details["before"], revision.details["after"]) == (
            {"disposal_method": None, "disposal_days": 60},
            {"disposal_method": "return", "disposal_days": 45},
        )
        slug = db.session.get(Product, setup["reader"]).slug
    public = app.test_client()
    assert english.replace("'", "&#39;") in public.get(f"/products/{slug}").get_data(as_text=True)
    spanish = public.get(f"/es/products/{slug}").get_data(as_text=True)
    assert (
        "Cuando termine el acuerdo de Lexi Learning, la empresa deberá ahora devolver los datos estudiantiles "
        "al distrito y luego eliminarlos, dentro de 45 días."
    ) in spanish

    # Days that come to the district's own number change nothing families read; a method no longer
    # stated falls back to the district's directive.
    for window, method in (("60", "return"), ("", "return"), ("", "")):
        response = client.post(
            f"/staff/agreements/{agreement_id}/edit",
            data=edit_form(app, agreement_id, destruction_window_days=window, disposal_method=method),
        )
        assert response.status_code == 302
    with in_app(app):
        assert [(r.kind, r.details["after"]) for r in revisions()][1:] == [
            ("agreement.disposal_changed", {"disposal_method": "return", "disposal_days": 60}),
            ("agreement.disposal_changed", {"disposal_method": None, "disposal_days": 60}),
        ]
        assert revisions()[-1].summary == (
            "Lexi Reader: When Lexi Learning's agreement ends, the district now directs the company to destroy "
            "the student data within 60 days."
        )
        assert db.session.get(Agreement, agreement_id).destruction_window_days is None


def test_public_changes_make_one_revision_per_covered_product(app, officer_id, setup, today):
    agreement_id, _ = existing_agreement(app, setup, today)
    new_expiry = today + timedelta(days=700)
    response = client_as(app, officer_id).post(
        f"/staff/agreements/{agreement_id}/edit",
        data=edit_form(
            app, agreement_id, expires_on=new_expiry.isoformat(), product_ids=[setup["reader"], setup["math"]]
        ),
    )
    assert response.status_code == 302
    with in_app(app):
        found = sorted((r.kind, r.product_id) for r in revisions())
        assert found == sorted(
            [
                ("agreement.dates_changed", setup["reader"]),
                ("agreement.dates_changed", setup["math"]),
                ("agreement.product_added", setup["math"]),
            ]
        )
        event_ = db.session.scalar(select(AuditEvent))
        assert event_.changes["products"] == [["Lexi Reader"], ["Lexi Math", "Lexi Reader"]]
        assert event_.changes["expires_on"][1] == new_expiry.isoformat()
    response = client_as(app, officer_id).post(
        f"/staff/agreements/{agreement_id}/edit", data=edit_form(app, agreement_id, product_ids=[setup["math"]])
    )
    assert response.status_code == 302
    with in_app(app):
        removed = revisions()[-1]
        assert (removed.kind, removed.product_id) == ("agreement.product_removed", setup["reader"])
        assert removed.summary == "Lexi Reader: no longer covered by Lexi Learning's agreement."


def test_publishing_an_uploaded_document_later_is_a_public_change(app, officer_id, setup, today):
    agreement_id, _ = existing_agreement(app, setup, today)
    client = client_as(app, officer_id)
    upload = client.post(
        f"/staff/agreements/{agreement_id}/edit",
        data=edit_form(app, agreement_id, document=(io.BytesIO(pdf_bytes()), "signed.pdf")),
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    with in_app(app):
        assert revisions() == []  # an unpublished document is internal
    publish = client.post(
        f"/staff/agreements/{agreement_id}/edit", data=edit_form(app, agreement_id, is_document_published="y")
    )
    assert publish.status_code == 302
    with in_app(app):
        (revision,) = revisions()
        assert revision.kind == "agreement.document_published"
        assert revision.summary == "Lexi Reader: The signed agreement with Lexi Learning is now published."


def test_a_stale_agreement_form_is_refused(app, officer_id, admin_id, setup, today):
    agreement_id, version = existing_agreement(app, setup, today)
    stale = edit_form(app, agreement_id)
    assert (
        client_as(app, admin_id)
        .post(f"/staff/agreements/{agreement_id}/edit", data={**stale, "reference": "Admin's"})
        .status_code
        == 302
    )
    late = client_as(app, officer_id).post(
        f"/staff/agreements/{agreement_id}/edit", data={**stale, "reference": "Officer's"}
    )
    assert late.status_code == 422
    html = late.get_data(as_text=True)
    assert "Someone else changed this agreement while you were editing. Review their changes and try again." in html
    assert 'value="Officer&#39;s"' in html
    with in_app(app):
        agreement = db.session.get(Agreement, agreement_id)
        assert (agreement.reference, agreement.version) == ("Admin's", version + 1)


def test_the_conditional_update_stops_a_second_worker_and_writes_nothing(app, officer_id, setup, today):
    agreement_id, version = existing_agreement(app, setup, today)
    with in_app(app):
        actor = db.session.get(User, officer_id)
        agreement = queries.get_agreement_or_404(agreement_id)
        data = services.AgreementInput(
            reference="Second worker",
            product_ids=[setup["reader"]],
            signed_on=agreement.signed_on,
            effective_on=agreement.effective_on,
            expires_on=agreement.expires_on,
        )
        with db.engine.begin() as first_worker:
            first_worker.execute(
                sa.text("UPDATE agreement SET version = version + 1 WHERE id = :id"), {"id": agreement_id}
            )
        with pytest.raises(StaleVersion), unit_of_work():
            services.update_agreement(agreement, actor, data, version=version, today=today)
        db.session.expire_all()
        assert db.session.get(Agreement, agreement_id).reference == "NDPA 2025"
        assert (count(AuditEvent), count(DisclosureRevision)) == (0, 0)


def test_renewal_links_both_agreements_and_copies_the_products(app, officer_id, setup, today):
    agreement_id, version = existing_agreement(
        app, setup, today, expires_on=today + timedelta(days=20), auto_renews=True
    )
    client = client_as(app, officer_id)
    form_page = client.get(f"/staff/agreements/{agreement_id}/renew").get_data(as_text=True)
    starts = today + timedelta(days=21)
    assert f'value="{starts.isoformat()}"' in form_page  # the day after the current term
    assert f"NDPA 2025 — renewal {starts.year}" in form_page
    response = client.post(
        f"/staff/agreements/{agreement_id}/renew",
        data={
            "kind": "ndpa",
            "reference": f"NDPA 2025 — renewal {starts.year}",
            "product_ids": [setup["reader"]],
            "signed_on": today.isoformat(),
            "effective_on": starts.isoformat(),
            "expires_on": (starts + timedelta(days=730)).isoformat(),
            "version": version,
            "document": (io.BytesIO(pdf_bytes()), "renewal.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with in_app(app):
        predecessor = db.session.get(Agreement, agreement_id)
        successor = predecessor.renewed_by
        assert successor.renews.id == predecessor.id
        assert [p.id for p in successor.products] == [setup["reader"]]
        assert successor.document.original_name == "renewal.pdf"
        assert predecessor.auto_renews is False
        assert predecessor.state_on(starts) is AgreementState.RENEWED
        assert successor.state_on(starts) is AgreementState.ACTIVE
        actions = {e.action: e.changes for e in db.session.scalars(select(AuditEvent))}
        assert actions["agreement.renewed"] == {"auto_renews": [True, False], "renewed_by_id": [None, successor.id]}
        assert actions["agreement.created"]["renews_id"] == [None, agreement_id]
        (revision,) = revisions()
        assert revision.kind == "agreement.renewed"
        assert revision.product_id == setup["reader"]
        assert revision.summary.startswith("Lexi Reader: Lexi Learning's agreement was renewed until ")
    again = client.get(f"/staff/agreements/{agreement_id}")
    assert "Renewed by" in again.get_data(as_text=True)


def test_a_renewal_must_start_after_the_agreement_it_renews(app, officer_id, setup, today):
    agreement_id, version = existing_agreement(app, setup, today)
    response = client_as(app, officer_id).post(
        f"/staff/agreements/{agreement_id}/renew",
        data={
            "kind": "ndpa",
            "signed_on": today.isoformat(),
            "effective_on": (today - timedelta(days=400)).isoformat(),
            "expires_on": (today + timedelta(days=30)).isoformat(),
            "version": version,
            "reference": "typed",
        },
    )
    assert response.status_code == 422
    assert "The renewal must take effect after the current agreement did" in response.get_data(as_text=True)
    assert 'value="typed"' in response.get_data(as_text=True)
    with in_app(app):
        assert count(Agreement) == 1


def test_terminating_an_agreement(app, officer_id, setup, today):
    agreement_id, version = existing_agreement(app, setup, today)
    client = client_as(app, officer_id)
    missing = client.post(
        f"/staff/agreements/{agreement_id}/terminate",
        data={"terminated_on": today.isoformat(), "reason": "", "version": version},
    )
    assert missing.status_code == 422
    assert "Give the reason for ending the agreement." in missing.get_data(as_text=True)
    early = client.post(
        f"/staff/agreements/{agreement_id}/terminate",
        data={"terminated_on": (today - timedelta(days=999)).isoformat(), "reason": "Breach", "version": version},
    )
    assert early.status_code == 422
    assert "The agreement can&#39;t end before it took effect" in early.get_data(as_text=True)
    assert "Breach" in early.get_data(as_text=True)
    done = client.post(
        f"/staff/agreements/{agreement_id}/terminate",
        data={"terminated_on": today.isoformat(), "reason": "Vendor breach.", "version": version},
    )
    assert done.status_code == 302
    with in_app(app):
        agreement = db.session.get(Agreement, agreement_id)
        assert agreement.state_on(today) is AgreementState.TERMINATED
        assert agreement.termination_reason == "Vendor breach."
        event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "agreement.terminated"))
        assert event_.changes == {
            "terminated_on": [None, today.isoformat()],
            "termination_reason": ["", "Vendor breach."],
        }
        (revision,) = revisions()
        assert revision.kind == "agreement.terminated"
        assert "Lexi Learning's agreement ended on" in revision.summary
        assert "breach" not in revision.summary.lower()  # the reason is internal
    again = client.post(
        f"/staff/agreements/{agreement_id}/terminate",
        data={"terminated_on": today.isoformat(), "reason": "Twice", "version": version + 1},
    )
    assert again.status_code == 422
    assert "This agreement was already terminated" in again.get_data(as_text=True)


def test_termination_rules_on_fixed_dates(app, officer_id, setup):
    today = date(2026, 3, 1)
    with in_app(app):
        actor = db.session.get(User, officer_id)
        vendor = db.session.get(Vendor, setup["vendor"])
        product = db.session.get(Product, setup["reader"])
        running = factories.make_agreement(
            vendor, [product], signed_on=date(2025, 7, 1), effective_on=date(2025, 7, 1), expires_on=date(2026, 6, 30)
        )
        with pytest.raises(DomainError, match="a termination must be on or before that day"), unit_of_work():
            services.terminate_agreement(
                running, actor, version=running.version, terminated_on=date(2026, 8, 1), reason="Late", today=today
            )
        with unit_of_work():
            services.terminate_agreement(
                running, actor, version=running.version, terminated_on=date(2026, 4, 15), reason="Replaced", today=today
            )
        assert running.state_on(today) is AgreementState.ACTIVE  # still in force until April 15
        assert running.state_on(date(2026, 4, 15)) is AgreementState.TERMINATED
        assert revisions()[-1].summary.endswith("Lexi Learning's agreement will end on April 15, 2026.")
        expired = factories.make_agreement(
            vendor, [product], signed_on=date(2024, 1, 1), effective_on=date(2024, 1, 1), expires_on=date(2025, 1, 1)
        )
        with pytest.raises(DomainError, match="already ended on January 1, 2025"), unit_of_work():
            services.terminate_agreement(
                expired, actor, version=expired.version, terminated_on=date(2025, 2, 1), reason="Too late", today=today
            )
        draft = factories.make_agreement(vendor, [], signed_on=None)
        with pytest.raises(DomainError, match="A draft was never in force"), unit_of_work():
            services.terminate_agreement(
                draft, actor, version=draft.version, terminated_on=today, reason="x", today=today
            )


def test_renewal_refusals_on_fixed_dates(app, officer_id, setup):
    today = date(2026, 3, 1)
    with in_app(app):
        actor = db.session.get(User, officer_id)
        vendor = db.session.get(Vendor, setup["vendor"])
        renewal = services.AgreementInput(signed_on=today, effective_on=date(2026, 7, 1), expires_on=date(2027, 6, 30))
        ended = factories.make_agreement(vendor, [], terminated_on=date(2026, 1, 1), termination_reason="x")
        with pytest.raises(DomainError, match="A terminated agreement can't be renewed"), unit_of_work():
            services.renew_agreement(ended, actor, renewal, version=ended.version, today=today)
        current = factories.make_agreement(vendor, [])
        with unit_of_work():
            services.renew_agreement(current, actor, renewal, version=current.version, today=today)
        with pytest.raises(DomainError, match="already been renewed"), unit_of_work():
            services.renew_agreement(current, actor, renewal, version=current.version, today=today)
        unsigned = services.AgreementInput(effective_on=date(2026, 7, 1), expires_on=date(2027, 6, 30))
        other = factories.make_agreement(vendor, [])
        with pytest.raises(DomainError, match="Enter the day the renewal was signed"), unit_of_work():
            services.renew_agreement(other, actor, unsigned, version=other.version, today=today)


def test_agreement_list_filters_by_state_and_vendor_and_paginates(app, officer_id, setup, today):
    with in_app(app):
        vendor = db.session.get(Vendor, setup["vendor"])
        for n in range(27):
            factories.make_agreement(
                vendor,
                [],
                reference=f"Active {n:02d}",
                signed_on=today - timedelta(days=5),
                effective_on=today - timedelta(days=5),
                expires_on=today + timedelta(days=500),
            )
        factories.make_agreement(
            vendor,
            [],
            reference="Old one",
            signed_on=today - timedelta(days=900),
            effective_on=today - timedelta(days=900),
            expires_on=today - timedelta(days=1),
        )
        factories.make_agreement(factories.make_vendor(name="Zed Co"), [], reference="Zed draft", signed_on=None)
    client = client_as(app, officer_id)
    expired = client.get("/staff/agreements?state=expired").get_data(as_text=True)
    assert "1 agreement<" in expired
    assert "Old one" in expired
    assert "Active 00" not in expired
    active = client.get(f"/staff/agreements?state=active&vendor_id={setup['vendor']}").get_data(as_text=True)
    assert "27 agreements" in active
    assert "Zed draft" not in active
    assert "page=2" in active
    assert "Zed draft" in client.get("/staff/agreements?state=draft").get_data(as_text=True)
    assert client.get("/staff/agreements?state=bogus&vendor_id=zz&page=0").status_code == 200


@pytest.mark.parametrize("path", ["/staff/agreements", "/staff/"])
def test_agreement_pages_run_a_constant_number_of_queries(app, officer_id, today, path):
    def build(n):
        with in_app(app):
            for i in range(n):
                vendor = factories.make_vendor()
                product = factories.make_product(vendor)
                factories.make_product(vendor)  # one without an agreement
                ends = [today + timedelta(days=10 + i), today - timedelta(days=5 + i), today + timedelta(days=800)]
                factories.make_agreement(
                    vendor,
                    [product],
                    signed_on=today - timedelta(days=1000),
                    effective_on=today - timedelta(days=1000),
                    expires_on=ends[i % 3],
                )

    client = client_as(app, officer_id)
    build(5)
    with count_queries(app) as few:
        assert client.get(path).status_code == 200
    build(45)
    with count_queries(app) as many:
        assert client.get(path).status_code == 200
    assert len(many) == len(few)


def test_uploads_are_outside_static(app):
    assert os.path.commonpath([app.config["UPLOAD_DIR"], app.static_folder]) != app.static_folder


def test_what_happens_to_the_data_at_the_end_is_saved_audited_and_checked(app, officer_id, setup, today):
    client = client_as(app, officer_id)
    refused = client.post(
        f"/staff/agreements/new?vendor_id={setup['vendor']}",
        data=agreement_form(today, setup, disposal_method="melt"),
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert 'id="disposal_method-error"' in refused.get_data(as_text=True)
    with in_app(app):
        assert (count(Agreement), count(AuditEvent)) == (0, 0)
    response = client.post(
        f"/staff/agreements/new?vendor_id={setup['vendor']}",
        data=agreement_form(today, setup, disposal_method="return"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with in_app(app):
        agreement = db.session.scalar(select(Agreement))
        assert agreement.disposal_method is DataDisposal.RETURN
        event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "agreement.created"))
        assert event_.changes["disposal_method"] == [None, "return"]
        agreement_id = agreement.id
    page = client.get(f"/staff/agreements/{agreement_id}").get_data(as_text=True)
    assert "The data is returned to the district, then deleted" in page
    edit = client.get(f"/staff/agreements/{agreement_id}/edit").get_data(as_text=True)
    assert '<option selected value="return">' in edit
