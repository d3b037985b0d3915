"""Names are stored in NFC without control or direction characters, and compared by one key
(`text.name_key`): a look-alike of an existing name is refused as a duplicate, on both databases."""

import unicodedata
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from clearinghouse.directory.models import DataCategory, DataElement, Product, School, Vendor
from clearinghouse.extensions import db
from tests import factories
from tests.conftest import client_as, in_app
from tests.imports.conftest import preview, web_import

NFD_EMILE = unicodedata.normalize("NFD", "Émile")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("look_alike", ["ÉMILE", NFD_EMILE, "ＥＭＩＬＥ".replace("Ｅ", "É", 1), " émile  "])
def test_a_vendor_whose_name_looks_like_an_existing_one_is_refused(app, officer_id, look_alike):
    with in_app(app):
        factories.make_vendor(name="Émile")
    response = client_as(app, officer_id).post(
        "/staff/vendors/new", data={"name": look_alike, "description_md": "kept"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "already exists" in html
    assert "kept" in html
    with in_app(app):
        assert count(Vendor) == 1


def test_names_are_stored_in_nfc_whoever_writes_them(app, officer_id):
    client_as(app, officer_id).post("/staff/vendors/new", data={"name": NFD_EMILE})
    with in_app(app):
        factories.make_school(name=unicodedata.normalize("NFD", "École Nord"))
        assert db.session.scalar(select(Vendor.name)) == "Émile"
        assert db.session.scalar(select(School.name)) == "École Nord"
        db.session.execute(sa.insert(Vendor.__table__), [{"name": "Ｂｕｌｋ", "slug": "bulk"}])
        assert db.session.scalar(select(Vendor.name_key).where(Vendor.slug == "bulk")) == "bulk"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Acme\x1b[31m", "U+001B"),
        ("Acme\x00", "U+0000"),
        ("Acme\u202eevil", "direction-changing character"),
        ("Acme\r\nBcc: someone@example.org", "must be one line"),
    ],
)
def test_a_name_with_a_control_or_direction_character_gets_a_field_error(app, officer_id, name, message):
    response = client_as(app, officer_id).post(
        "/staff/vendors/new", data={"name": name, "website": "https://a.example"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'id="name-error"' in html
    assert 'value="https://a.example"' in html
    with in_app(app):
        assert count(Vendor) == 0


def test_products_schools_elements_and_categories_compare_by_the_same_key(app, officer_id):
    with in_app(app):
        vendor = factories.make_vendor(name="Acme")
        factories.make_product(vendor, name="Reading Rocket")
        factories.make_school(name="École Nord")
        category = factories.make_category(name="Demographics")
        factories.make_element(category, name="Date of birth")
        vendor_id, category_id = vendor.id, category.id
    client = client_as(app, officer_id)
    product = client.post(
        "/staff/products/new",
        data={"vendor_id": vendor_id, "name": "ＲＥＡＤＩＮＧ ROCKET", "purpose_md": "Reading.", "kind": "other"},
    )
    assert product.status_code == 422
    assert "already has a product named" in product.get_data(as_text=True)
    school = client.post("/staff/schools/new", data={"name": unicodedata.normalize("NFD", "ÉCOLE NORD")})
    assert school.status_code == 422
    element = client.post("/staff/data-elements/new", data={"category_id": category_id, "name": "DATE OF BIRTH"})
    assert element.status_code == 422
    # A new category named like an existing one is the existing one.
    reused = client.post(
        "/staff/data-elements/new", data={"new_category": "ＤＥＭＯＧＲＡＰＨＩＣＳ", "name": "Gender"}
    )
    assert reused.status_code == 302
    with in_app(app):
        assert (count(Product), count(School), count(DataCategory), count(DataElement)) == (1, 1, 1, 2)


def test_the_importer_matches_look_alike_names_and_refuses_control_characters(app, officer_id):
    with in_app(app):
        factories.make_vendor(name="Émile")
    officer = client_as(app, officer_id)
    response = web_import(officer, "Vendor,Product name\r\nÉMILE,Reader\r\n".encode())
    assert response.status_code == 302
    with in_app(app):
        assert count(Vendor) == 1
        assert db.session.scalar(select(Product.vendor_id)) == db.session.scalar(select(Vendor.id))
    shown, _ = preview(officer, b"Vendor,Product name\r\nEsc\x1b Co,Writer\r\n")
    assert shown.status_code == 422
    assert "Vendor (company): Remove the invisible control character U+001B" in shown.text
    with in_app(app):
        assert count(Vendor) == 1


def test_the_atom_feed_stays_valid_xml_whatever_a_name_holds(app, client):
    with in_app(app):
        vendor = factories.make_vendor(name="Plain Co")
        db.session.execute(sa.update(Vendor).values(name="Esc\x1b Co"))  # written before names were checked
        db.session.commit()
        factories.make_revision(db.session.get(Vendor, vendor.id), summary="Now \x1b[1mbold\x1b[0m.")
    response = client.get("/changes.atom")
    assert response.status_code == 200
    feed = ElementTree.fromstring(response.data)  # noqa: S314 - the app's own feed; this parse is the test
    text = "".join(feed.itertext())
    assert "Esc Co" in text
    assert "Now [1mbold[0m." in text
