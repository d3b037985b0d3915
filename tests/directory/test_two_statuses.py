"""Two statuses, as districts keep them: a product's approval for use apart from where its
data-privacy agreement stands, in plain words on the public pages, kept consistent by the services,
disclosed when they change; an agreement on file without its dates, which the sweep leaves alone."""

import csv
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse.agreements import services as agreement_services
from clearinghouse.agreements.models import Agreement, AgreementState
from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.destruction.models import DestructionRequest
from clearinghouse.directory import services
from clearinghouse.directory.models import Product, ProductStatus, StatedAgreementStatus, Vendor
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.notices.models import Notice
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import client_as, in_app

# --- the services keep the two statuses consistent ----------------------------------------------


@pytest.fixture
def shop(app) -> dict[str, int]:
    with in_app(app):
        vendor = factories.make_vendor(name="Paper Kite")
        element = factories.make_element(name="Student name")
        return {"vendor": vendor.id, "element": element.id}


def _create(app, shop, **values) -> int:
    with in_app(app):
        vendor = db.session.get(Vendor, shop["vendor"])
        with unit_of_work():
            product = services.create_product(
                None,
                vendor=vendor,
                school_ids=[],
                data_uses=values.pop("data_uses", {}),
                name=values.pop("name", "Kite Draw"),
                purpose_md="Drawing.",
                **values,
            )
        return product.id


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"status": "approved_no_student_data"},
            "status",
            "A product approved as collecting no student data can't receive any.",
        ),
        (
            {"agreement_status": "not_required"},
            "agreement_status",
            "An agreement is not required only when no student data is collected.",
        ),
        (
            {"agreement_status": "requested", "agreement_note": "Too expensive."},
            "agreement_note",
            "The vendor's reason is kept only when the vendor declined the agreement.",
        ),
        ({"status": "approved_forever"}, "status", "Choose the approval status: Approved, Approved with conditions"),
        ({"agreement_status": "maybe"}, "agreement_status", "Choose the agreement status: No agreement on file"),
        ({"status_note": "x" * 2001}, "status_note", "The note can be at most 2000 characters."),
    ],
)
def test_statuses_that_disagree_are_refused_with_a_clear_message_and_nothing_is_written(
    app, shop, values, field, message
):
    with pytest.raises(DomainError) as refused:
        _create(app, shop, data_uses={shop["element"]: ""}, **values)
    assert refused.value.field == field
    assert str(refused.value).startswith(message)
    with in_app(app):
        assert db.session.scalar(select(sa.func.count()).select_from(Product)) == 0
        assert db.session.scalar(select(sa.func.count()).select_from(AuditEvent)) == 0


def test_an_update_is_checked_against_what_the_product_already_has(app, shop):
    product_id = _create(app, shop, data_uses={shop["element"]: "To sign in."})
    with in_app(app):
        product = db.session.get(Product, product_id)
        with pytest.raises(DomainError, match="can't receive any"):
            services.update_product(product, None, version=product.version, status="approved_no_student_data")
    with in_app(app):  # without its data uses, it may say so
        product = db.session.get(Product, product_id)
        with unit_of_work():
            services.update_product(
                product,
                None,
                version=product.version,
                data_uses={},
                status="approved_no_student_data",
                agreement_status="not_required",
            )
        product = db.session.get(Product, product_id)
        assert (product.status, product.agreement_status) == (
            ProductStatus.APPROVED_NO_STUDENT_DATA,
            StatedAgreementStatus.NOT_REQUIRED,
        )


def test_a_data_use_without_a_purpose_never_blocks_saving(app, shop):
    product_id = _create(app, shop, data_uses={shop["element"]: ""})
    with in_app(app):
        product = db.session.get(Product, product_id)
        assert [use.purpose for use in product.data_uses] == [""]
        with unit_of_work():
            services.update_product(product, None, version=product.version, name="Kite Draw 2")
        assert db.session.get(Product, product_id).name == "Kite Draw 2"


def _revisions(product_id: int) -> list[DisclosureRevision]:
    return list(
        db.session.scalars(
            select(DisclosureRevision)
            .where(DisclosureRevision.product_id == product_id)
            .order_by(DisclosureRevision.id)
        )
    )


def test_status_changes_are_audited_and_disclosed_in_plain_words(app, shop, client):
    product_id = _create(app, shop)
    changes = [
        {"status": "approved_with_conditions", "status_note": "Guardian release required"},
        {"status_note": "Guardian release and teacher account required"},
        {"agreement_status": "declined_by_vendor", "agreement_note": "Will not accept the state's terms."},
        {"agreement_status": "requested", "agreement_note": ""},
    ]
    with in_app(app):
        for values in changes:
            product = db.session.get(Product, product_id)
            with unit_of_work():
                services.update_product(product, None, version=product.version, **values)
        summaries = [(r.kind, r.summary) for r in _revisions(product_id)][1:]  # after "added"
        audited = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.record_id == product_id)))
        slug = db.session.get(Product, product_id).slug
    assert summaries == [
        (
            "status.changed",
            "Kite Draw: status changed from Under review to Approved with conditions (Guardian release required).",
        ),
        (
            "status.note_changed",
            "Kite Draw: Approved with conditions; the district's note now reads: "
            "Guardian release and teacher account required",
        ),
        (
            "agreement_status.changed",
            "Kite Draw: agreement status changed from No agreement on file to Declined by the vendor "
            "(the vendor's reason: Will not accept the state's terms.).",
        ),
        (
            "agreement_status.changed",
            "Kite Draw: agreement status changed from Declined by the vendor to Agreement requested.",
        ),
    ]
    assert audited.count("product.updated") == 4
    spanish = client.get(f"/es/products/{slug}").get_data(as_text=True)
    assert "el estado del acuerdo cambió de «Rechazado por la empresa» a «Acuerdo solicitado»" in spanish


# --- what the public reads ---------------------------------------------------------------------

TODAY = district_today()


def _d(days: int) -> date:
    return TODAY + timedelta(days=days)


# name: (approval, note, stated agreement status, vendor's reason, agreement dates or None)
PRODUCTS = {
    "Approved App": ("approved", "", "none_on_file", "", {"expires_on": _d(400)}),
    "Conditional App": ("approved_with_conditions", "Guardian release required", "requested", "", None),
    "No Data App": ("approved_no_student_data", "", "not_required", "", None),
    "Review App": ("under_review", "", "declined_by_vendor", "Refuses the state's terms", None),
    "Refused App": ("not_approved", "Sells data to advertisers", "none_on_file", "", None),
    "Filed App": ("approved", "", "none_on_file", "", {"dates_recorded": False}),
    "Lapsed App": ("approved", "", "none_on_file", "", {"signed_on": _d(-900), "expires_on": _d(-30)}),
}
# name: (English approval and agreement, Spanish approval and agreement)
WORDS = {
    "Approved App": (
        ["Approved", "Signed, in effect until"],
        ["Aprobado", "Firmado, vigente hasta el"],
    ),
    "Conditional App": (
        ["Approved with conditions", "Conditions:", "Guardian release required", "Requested"],
        ["Aprobado con condiciones", "Condiciones:", "Solicitado"],
    ),
    "No Data App": (
        ["Approved, no student data collected", "Not required: no student data collected"],
        ["Aprobado, no recopila datos estudiantiles", "No se requiere: no recopila datos estudiantiles"],
    ),
    "Review App": (
        ["Under review", "Declined by the vendor", "The vendor's reason:", "Refuses the state&#39;s terms"],
        ["En revisión", "Rechazado por la empresa", "Motivo de la empresa:"],
    ),
    "Refused App": (
        ["Not approved", "Reason:", "Sells data to advertisers", "No agreement on file"],
        ["No aprobado", "Motivo:", "Sin acuerdo registrado"],
    ),
    "Filed App": (
        ["On file, dates not recorded", "Not recorded: the district has the agreement on file"],
        ["Archivado, fechas sin registrar", "Sin registrar: el distrito tiene el acuerdo archivado"],
    ),
    "Lapsed App": (["Signed, expired on"], ["Firmado, venció el"]),
}


@pytest.fixture
def district(app) -> dict[str, str]:
    with in_app(app):
        vendor = factories.make_vendor(name="Many States")
        slugs = {}
        for name, (status, note, stated, reason, dates) in PRODUCTS.items():
            product = factories.make_product(
                vendor,
                name=name,
                status=status,
                status_note=note,
                agreement_status=stated,
                agreement_note=reason,
            )
            if dates is not None:
                fields = {"signed_on": _d(-100), "effective_on": _d(-100), **dates}
                if dates.get("dates_recorded") is False:
                    fields = {"signed_on": None, "effective_on": None, "expires_on": None, **dates}
                factories.make_agreement(vendor, [product], **fields)
            slugs[name] = product.slug
        slugs["vendor"] = vendor.slug
        return slugs


@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_the_product_page_shows_both_statuses_in_plain_words_in_each_language(client, district, name):
    english, spanish = WORDS[name]
    page = client.get(f"/products/{district[name]}").get_data(as_text=True)
    for words in english:
        assert words in page, words
    page = client.get(f"/es/products/{district[name]}").get_data(as_text=True)
    for words in spanish:
        assert words in page, words


def test_a_note_is_shown_only_with_the_status_it_belongs_to(app, client, district):
    with in_app(app):
        product = db.session.scalar(select(Product).where(Product.name == "Approved App"))
        with unit_of_work(), pytest.raises(DomainError):  # a reason for another status is refused, never hidden
            services.update_product(product, None, version=product.version, agreement_note="Hidden reason")
    assert "Hidden reason" not in client.get(f"/products/{district['Approved App']}").get_data(as_text=True)


def test_cards_and_the_vendor_page_show_both_statuses(client, district):
    directory = client.get("/directory?status=all").get_data(as_text=True)
    vendor = client.get(f"/vendors/{district['vendor']}").get_data(as_text=True)
    spanish = client.get("/es/directory?status=all").get_data(as_text=True)
    for html in (directory, vendor):
        for words in (
            "Approved, no student data collected",
            "Agreement: Not required: no student data collected",
            "Agreement: Declined by the vendor",
            "Agreement: Requested",
            "Agreement: On file, dates not recorded",
            "Agreement: Signed, expired on",
            "Agreement: Signed, in effect until",
            "Agreement: No agreement on file",
        ):
            assert words in html, words
    assert "Acuerdo: Archivado, fechas sin registrar" in spanish
    assert "Acuerdo: Rechazado por la empresa" in spanish


# --- an agreement on file, dates not recorded ------------------------------------------------------


def test_the_agreement_form_records_one_on_file_and_refuses_dates_with_it(app, officer_id, client):
    with in_app(app):
        vendor = factories.make_vendor(name="Filed Co")
        product = factories.make_product(vendor, name="Filed Reader")
        ids = {"vendor": vendor.id, "product": product.id, "slug": product.slug}
    staff = client_as(app, officer_id)
    assert "On file, dates not recorded" in staff.get(f"/staff/agreements/new?vendor_id={ids['vendor']}").get_data(
        as_text=True
    )
    form = {"kind": "ndpa", "reference": "Binder 4", "product_ids": [ids["product"]], "dates_not_recorded": "y"}
    refused = staff.post(f"/staff/agreements/new?vendor_id={ids['vendor']}", data={**form, "signed_on": "2025-01-10"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "An agreement whose dates are not recorded has no dates." in html
    assert 'value="Binder 4"' in html
    with in_app(app):
        assert db.session.scalar(select(sa.func.count()).select_from(Agreement)) == 0
    response = staff.post(f"/staff/agreements/new?vendor_id={ids['vendor']}", data=form)
    assert response.status_code == 302
    with in_app(app):
        agreement = db.session.scalar(select(Agreement))
        assert agreement.dates_recorded is False
        assert agreement.state_on(district_today()) is AgreementState.ON_FILE
        assert [r.summary for r in _revisions(ids["product"])] == [
            "Filed Reader: Filed Co's National Data Privacy Agreement (NDPA) is on file; its dates are not "
            "recorded yet."
        ]
        agreement_id = agreement.id
    shown = staff.get(f"/staff/agreements/{agreement_id}").get_data(as_text=True)
    assert "On file, dates not recorded" in shown
    assert "/renew" not in shown
    assert "/terminate" not in shown
    assert "On file, dates not recorded" in client.get(f"/products/{ids['slug']}").get_data(as_text=True)
    with in_app(app):  # neither renewed nor ended until its dates are recorded
        agreement = db.session.get(Agreement, agreement_id)
        with pytest.raises(DomainError, match="Record this agreement's dates before renewing it"):
            agreement_services.renew_agreement(
                agreement, None, agreement_services.AgreementInput(signed_on=_d(-1)), version=agreement.version
            )
        with pytest.raises(DomainError, match="Record this agreement's dates before ending it"):
            agreement_services.terminate_agreement(
                agreement, None, version=agreement.version, terminated_on=_d(0), reason="x"
            )


def test_the_sweep_never_acts_on_an_agreement_on_file_until_its_dates_are_recorded(app, runner):
    with in_app(app):
        factories.make_user(role="officer", email="officer@district.example")
        vendor = factories.make_vendor(name="Undated", contact_email="privacy@undated.example")
        product = factories.make_product(vendor, name="Undated Reader")
        with unit_of_work():
            agreement = agreement_services.create_agreement(
                None,
                vendor,
                agreement_services.AgreementInput(product_ids=[product.id], dates_recorded=False),
                today=date(2026, 1, 5),
            )
        agreement_id, product_id = agreement.id, product.id
    for day in ("2026-01-05", "2026-06-30", "2027-01-01", "2029-12-31"):
        result = runner.invoke(args=["sweep", "--today", day])
        assert result.exit_code == 0, result.output
    with in_app(app):
        assert db.session.scalar(select(sa.func.count()).select_from(Notice)) == 0
        assert db.session.scalar(select(sa.func.count()).select_from(DestructionRequest)) == 0
        agreement = db.session.get(Agreement, agreement_id)
        data = agreement_services.AgreementInput.of(agreement)
        data.dates_recorded = True
        data.signed_on, data.effective_on, data.expires_on = date(2023, 7, 1), date(2023, 7, 1), date(2026, 6, 30)
        with unit_of_work():
            agreement_services.update_agreement(
                agreement, None, data, version=agreement.version, today=date(2027, 1, 1)
            )
        summaries = [r.summary for r in _revisions(product_id)]
        assert summaries[-1].startswith("Undated Reader: Undated signed a National Data Privacy Agreement (NDPA)")
    result = runner.invoke(args=["sweep", "--today", "2027-01-02"])
    assert result.exit_code == 0, result.output
    with in_app(app):  # now that its dates say it ended, the sweep asks for the data to be destroyed
        requests = list(db.session.scalars(select(DestructionRequest)))
        assert [request.agreement_id for request in requests] == [agreement_id]


# --- filters, the API, the CSV export and the reports -----------------------------------------------

# agreement filter: the products of `district` it keeps
FILTERS = {
    "active": {"Approved App"},
    "expired": {"Lapsed App"},
    "on_file": {"Filed App"},
    "requested": {"Conditional App"},
    "declined_by_vendor": {"Review App"},
    "not_required": {"No Data App"},
    "none": {"Refused App"},
    "expiring": set(),
}


def _names(html: str) -> set[str]:
    return {name for name in PRODUCTS if f">{name}</a>" in html}


@pytest.mark.parametrize(("value", "expected"), sorted(FILTERS.items()))
def test_the_directory_filters_by_agreement_status_in_sql(client, district, value, expected):
    assert _names(client.get(f"/directory?status=all&agreement={value}").get_data(as_text=True)) == expected


@pytest.mark.parametrize("status", [value[0] for value in PRODUCTS.values()])
def test_the_directory_filters_by_approval(client, district, status):
    expected = {name for name, value in PRODUCTS.items() if value[0] == status}
    assert _names(client.get(f"/directory?status={status}").get_data(as_text=True)) == expected


def test_the_api_gives_both_statuses_and_filters_by_agreement_status(client, district):
    products = {p["name"]: p for p in client.get("/api/v1/products?status=all&per_page=100").get_json()["data"]}
    found = {
        name: (p["status"], p["status_note"], p["agreement_status"], p["agreement_state"], p["agreement_note"])
        for name, p in products.items()
    }
    assert found == {
        "Approved App": ("approved", None, "signed", "active", None),
        "Conditional App": ("approved_with_conditions", "Guardian release required", "requested", None, None),
        "No Data App": ("approved_no_student_data", None, "not_required", None, None),
        "Review App": ("under_review", None, "declined_by_vendor", None, "Refuses the state's terms"),
        "Refused App": ("not_approved", "Sells data to advertisers", "none_on_file", None, None),
        "Filed App": ("approved", None, "on_file", "on_file", None),
        "Lapsed App": ("approved", None, "signed", "expired", None),
    }
    assert products["Filed App"]["agreement_status_label"] == "On file, dates not recorded"
    assert products["Filed App"]["agreements"][0]["dates_recorded"] is False
    for value, expected in FILTERS.items():
        items = client.get(f"/api/v1/products?status=all&agreement={value}").get_json()["data"]
        assert {p["name"] for p in items} == expected, value


def test_the_csv_export_says_both_statuses_in_plain_words(client, district):
    rows = list(csv.DictReader(io.StringIO(client.get("/directory.csv?status=all").get_data(as_text=True))))
    found = {row["product"]: (row["status"], row["agreement_status"]) for row in rows}
    assert found["No Data App"] == ("Approved, no student data collected", "Not required: no student data collected")
    assert found["Review App"] == ("Under review", "Declined by the vendor")
    reasons = {row["product"]: row["agreement_note"] for row in rows if row["agreement_note"]}
    assert reasons == {"Review App": "Refuses the state's terms"}  # the vendor's reason, in its own column
    assert found["Filed App"] == ("Approved", "On file, dates not recorded")
    assert found["Conditional App"] == ("Approved with conditions", "Requested")
    assert found["Lapsed App"][1].startswith("Signed, expired on ")


def test_the_reports_count_products_by_approval_and_by_agreement_status(client, district):
    page = client.get("/reports/").get_data(as_text=True)
    assert "Products by approval for use" in page
    assert "Products by agreement status" in page
    spanish = client.get("/es/reports/").get_data(as_text=True)
    assert "Productos por aprobación de uso" in spanish
