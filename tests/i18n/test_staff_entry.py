"""Officers write the public text in Spanish beside the English, on the same staff forms (which stay English)."""

from sqlalchemy import select

from clearinghouse.audit.models import AuditEvent
from clearinghouse.directory.models import DataElement, Product, Vendor
from clearinghouse.extensions import db
from clearinghouse.settings.models import DistrictSettings
from tests import factories
from tests.conftest import client_as, in_app


def _product_form(element_id: int, **overrides) -> dict:
    return {
        "name": "Word Garden",
        "kind": "reading",
        "status": "approved",
        "website": "",
        "purpose_md": "Students practise reading.",
        "grade_bands": "K-5",
        "internal_notes": "",
        f"use_{element_id}": "y",
        f"purpose_{element_id}": "To sign students in.",
        **overrides,
    }


def test_the_product_form_offers_spanish_beside_each_public_text(app, officer_id):
    with in_app(app):
        vendor = factories.make_vendor(name="Garden Learning")
        element = factories.make_element(name="Student ID")
        product_id = factories.make_product(vendor, elements=[element]).id
        vendor_id, element_id = vendor.id, element.id
    client = client_as(app, officer_id)
    page = client.get(f"/staff/products/new?vendor_id={vendor_id}").get_data(as_text=True)
    assert 'name="purpose_md__es"' in page
    assert "What the district uses it for in Spanish" in page
    page = client.get(f"/staff/products/{product_id}/edit").get_data(as_text=True)
    assert f'name="purpose_{element_id}__es"' in page  # beside each of the product's own data uses
    assert 'lang="es"' in page  # the typed Spanish is marked as such for spell-checkers and screen readers
    assert '<html lang="en">' in page


def test_an_officer_enters_spanish_and_families_read_it_under_es(app, client, officer_id):
    with in_app(app):
        vendor = factories.make_vendor(name="Garden Learning")
        element = factories.make_element(name="Student ID")
        vendor_id, element_id = vendor.id, element.id
    staff = client_as(app, officer_id)
    response = staff.post(
        "/staff/products/new",
        data=_product_form(
            element_id,
            vendor_id=str(vendor_id),
            purpose_md__es="Los estudiantes practican la lectura.",
            **{f"purpose_{element_id}__es": "Para que los estudiantes inicien sesión."},
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with in_app(app):
        product = db.session.scalar(select(Product).where(Product.name == "Word Garden"))
        assert product.translations == {"es": {"purpose_md": "Los estudiantes practican la lectura."}}
        assert product.data_uses[0].translations == {"es": {"purpose": "Para que los estudiantes inicien sesión."}}
        slug, product_id, version = product.slug, product.id, product.version
    spanish = client.get(f"/es/products/{slug}").get_data(as_text=True)
    assert "Los estudiantes practican la lectura." in spanish
    assert "Para que los estudiantes inicien sesión." in spanish
    english = client.get(f"/products/{slug}").get_data(as_text=True)
    assert "Students practise reading." in english
    assert "Los estudiantes" not in english

    # Editing shows the Spanish again; a blank removes it, and the English then shows with the note.
    edit = staff.get(f"/staff/products/{product_id}/edit").get_data(as_text=True)
    assert "Los estudiantes practican la lectura." in edit
    response = staff.post(
        f"/staff/products/{product_id}/edit",
        data=_product_form(element_id, version=str(version), purpose_md__es=""),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with in_app(app):
        product = db.session.get(Product, product_id)
        assert product.translations == {}
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "product.updated")).one()
        assert event.changes["translations"][0] == {"es": {"purpose_md": "Los estudiantes practican la lectura."}}
    assert "Texto disponible solo en inglés" in client.get(f"/es/products/{slug}").get_data(as_text=True)


def test_a_translation_longer_than_the_english_limit_is_refused_and_kept(app, officer_id):
    with in_app(app):
        vendor = factories.make_vendor(name="Garden Learning")
        element = factories.make_element(name="Student ID")
        vendor_id, element_id = vendor.id, element.id
    too_long = "a" * 2001
    response = client_as(app, officer_id).post(
        "/staff/products/new",
        data=_product_form(element_id, vendor_id=str(vendor_id), **{f"purpose_{element_id}__es": too_long}),
    )
    assert response.status_code == 422
    assert too_long in response.get_data(as_text=True)
    with in_app(app):
        assert db.session.scalar(select(Product)) is None


def test_vendor_descriptions_and_data_element_names_take_spanish_too(app, client, officer_id):
    staff = client_as(app, officer_id)
    response = staff.post(
        "/staff/vendors/new",
        data={
            "name": "Garden Learning",
            "description_md": "Makes reading games.",
            "description_md__es": "Hace juegos de lectura.",
        },
    )
    assert response.status_code == 302
    with in_app(app):
        vendor = db.session.scalar(select(Vendor))
        assert vendor.translations == {"es": {"description_md": "Hace juegos de lectura."}}
        category = factories.make_category(name="Health")
        category_id, vendor_slug = category.id, vendor.slug
    assert "Hace juegos de lectura." in client.get(f"/es/vendors/{vendor_slug}").get_data(as_text=True)
    response = staff.post(
        "/staff/data-elements/new",
        data={
            "category_id": str(category_id),
            "name": "Allergies",
            "name__es": "Alergias",
            "description": "Foods and medicines a student must avoid.",
            "description__es": "Alimentos y medicamentos que el estudiante debe evitar.",
        },
    )
    assert response.status_code == 302
    with in_app(app):
        element = db.session.scalar(select(DataElement).where(DataElement.name == "Allergies"))
        assert element.translations["es"] == {
            "name": "Alergias",
            "description": "Alimentos y medicamentos que el estudiante debe evitar.",
        }
        slug = element.slug
    page = client.get(f"/es/data/{slug}").get_data(as_text=True)
    assert "<h1>Alergias</h1>" in page


def test_the_privacy_notice_takes_spanish_on_the_settings_screen(app, client, admin_id):
    staff = client_as(app, admin_id)
    page = staff.get("/staff/settings/").get_data(as_text=True)
    assert 'name="privacy_notice_md__es"' in page
    form = {
        "version": "1",
        "district_name": "Maple Valley",
        "time_zone": "America/New_York",
        "privacy_office_email": "privacy@maple.example",
        "sender_email": "no-reply@maple.example",
        "default_destruction_window_days": "60",
        "expiry_warning_days": "90,60,30,7",
        "reminder_days_before_due": "14,3",
        "overdue_reminder_interval_days": "7",
        "sweep_time": "06:00",
        "digest_business_days": "5",
        "district_signer_name": "",
        "district_signer_title": "",
        "privacy_notice_md": "We keep **no** logs.",
        "privacy_notice_md__es": "**No** guardamos registros.",
        "submit": "Save settings",
    }
    response = staff.post("/staff/settings/", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    with in_app(app):
        assert db.session.get(DistrictSettings, 1).translations == {
            "es": {"privacy_notice_md": "**No** guardamos registros."}
        }
    assert "<strong>No</strong> guardamos registros." in client.get("/es/about").get_data(as_text=True)
