"""Officers keep products: fields, schools and data uses on one form (no JavaScript needed);
public changes become disclosure revisions, internal ones do not."""

import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.directory.models import DataElement, DataUse, Product, ProductStatus, School, Vendor
from clearinghouse.extensions import db
from tests import factories
from tests.conftest import client_as, in_app


def product_form(**overrides) -> dict:
    data = {
        "name": "Word Garden",
        "kind": "reading",
        "status": "approved",
        "website": "https://wordgarden.example",
        "purpose_md": "Students practise reading at their level.",
        "grade_bands": "K-5",
        "internal_notes": "",
    }
    data.update(overrides)
    return data


def setup_taxonomy(app) -> dict:
    with in_app(app):
        vendor = factories.make_vendor(name="Garden Learning")
        demographics = factories.make_category(name="Demographics")
        identifiers = factories.make_category(name="Student identifiers")
        dob = factories.make_element(demographics, name="Date of birth")
        health = factories.make_element(demographics, name="Health conditions", is_sensitive=True)
        local_id = factories.make_element(identifiers, name="Local student ID")
        north = factories.make_school(name="North Elementary")
        south = factories.make_school(name="South Elementary")
        return {
            "vendor": vendor.id,
            "dob": dob.id,
            "health": health.id,
            "local_id": local_id.id,
            "north": north.id,
            "south": south.id,
        }


def revisions() -> list[DisclosureRevision]:
    return list(db.session.scalars(select(DisclosureRevision).order_by(DisclosureRevision.id)))


def test_officer_adds_a_product_with_schools_and_data_uses(app, officer_id):
    ids = setup_taxonomy(app)
    client = client_as(app, officer_id)
    form_page = client.get(f"/staff/products/new?vendor_id={ids['vendor']}").get_data(as_text=True)
    assert "<summary>Demographics" in form_page  # the elements to add, by category, closed
    assert "<summary>Student identifiers" in form_page
    assert f'name="use_{ids["health"]}"' in form_page
    assert f'name="purpose_{ids["health"]}"' not in form_page  # a purpose only once it is ticked
    assert "Sensitive" in form_page
    response = client.post(
        "/staff/products/new",
        data=product_form(
            vendor_id=ids["vendor"],
            school_ids=[ids["north"], ids["south"]],
            **{
                f"use_{ids['dob']}": "y",
                f"purpose_{ids['dob']}": "To set up the student's account.",
                f"use_{ids['local_id']}": "y",
                f"purpose_{ids['local_id']}": "To match rosters.",
                f"purpose_{ids['health']}": "typed but not ticked",
            },
        ),
    )
    assert response.status_code == 302
    with in_app(app):
        product = db.session.scalar(select(Product))
        assert product.slug == "garden-learning-word-garden"
        assert product.status is ProductStatus.APPROVED
        assert sorted(s.name for s in product.schools) == ["North Elementary", "South Elementary"]
        assert {u.element.name: u.purpose for u in product.data_uses} == {
            "Date of birth": "To set up the student's account.",
            "Local student ID": "To match rosters.",
        }
        event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "product.created"))
        assert event_.changes["data_uses"] == [
            [],
            ["Date of birth: To set up the student's account.", "Local student ID: To match rosters."],
        ]
        assert event_.changes["schools"] == [[], ["North Elementary", "South Elementary"]]
        assert event_.changes["vendor_id"] == [None, ids["vendor"]]
        (revision,) = revisions()
        assert revision.kind == "product.added"
        assert revision.product_id == product.id
        assert "Date of birth" in revision.summary
        assert "Local student ID" in revision.summary


def test_a_ticked_data_element_without_a_purpose_saves_and_is_shown_as_not_yet_stated(app, officer_id, client):
    ids = setup_taxonomy(app)
    response = client_as(app, officer_id).post(
        "/staff/products/new",
        data=product_form(
            vendor_id=ids["vendor"],
            **{
                f"use_{ids['dob']}": "y",
                f"purpose_{ids['dob']}": "   ",
                f"use_{ids['local_id']}": "y",
                f"purpose_{ids['local_id']}": "To match rosters.",
            },
        ),
    )
    assert response.status_code == 302
    with in_app(app):
        product = db.session.scalar(select(Product))
        assert {u.element.name: u.purpose for u in product.data_uses} == {
            "Date of birth": "",
            "Local student ID": "To match rosters.",
        }
        slug = product.slug
    page = client.get(f"/products/{slug}").get_data(as_text=True)
    assert "Purpose not yet stated" in page
    assert "Propósito aún no indicado" in client.get(f"/es/products/{slug}").get_data(as_text=True)


def test_no_student_data_with_a_ticked_element_is_refused_and_the_form_keeps_everything(app, officer_id):
    ids = setup_taxonomy(app)
    response = client_as(app, officer_id).post(
        "/staff/products/new",
        data=product_form(
            vendor_id=ids["vendor"],
            status="approved_no_student_data",
            status_note="Used offline only.",
            school_ids=[ids["south"]],
            **{
                f"use_{ids['dob']}": "y",
                f"purpose_{ids['dob']}": "",
                f"use_{ids['local_id']}": "y",
                f"purpose_{ids['local_id']}": "To match rosters.",
            },
        ),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "A product approved as collecting no student data can&#39;t receive any." in html
    assert "To match rosters." in html
    assert "Used offline only." in html
    assert f'id="use_{ids["local_id"]}" name="use_{ids["local_id"]}" type="checkbox" value="y"' in html
    assert html.count("checked") >= 3  # two ticked elements, one school
    assert 'value="Word Garden"' in html
    assert f'name="purpose_{ids["dob"]}"' in html  # a ticked element shows its purpose box again
    with in_app(app):
        assert db.session.scalar(select(sa.func.count()).select_from(Product)) == 0
        assert db.session.scalar(select(sa.func.count()).select_from(AuditEvent)) == 0


def test_the_same_name_is_refused_at_one_vendor_but_allowed_at_another(app, officer_id):
    ids = setup_taxonomy(app)
    with in_app(app):
        factories.make_product(db.session.get(Vendor, ids["vendor"]), name="Word Garden")
        other = factories.make_vendor(name="Other Gardens").id
    client = client_as(app, officer_id)
    refused = client.post("/staff/products/new", data=product_form(vendor_id=ids["vendor"], name="word garden"))
    assert refused.status_code == 422
    assert "Garden Learning already has a product named word garden." in refused.get_data(as_text=True)
    assert client.post("/staff/products/new", data=product_form(vendor_id=other)).status_code == 302


def edit_setup(app, ids):
    with in_app(app):
        vendor = db.session.get(Vendor, ids["vendor"])
        dob = db.session.get(DataElement, ids["dob"])
        local_id = db.session.get(DataElement, ids["local_id"])
        north = db.session.get(School, ids["north"])
        product = factories.make_product(
            vendor,
            name="Word Garden",
            elements=[dob, local_id],
            schools=[north],
            slug="word-garden",
            status=ProductStatus.APPROVED,
            kind="reading",
            purpose_md="Students practise reading at their level.",
            website="https://wordgarden.example",
            grade_bands="K-5",
        )
        return product.id, product.version


def test_editing_data_uses_adds_removes_and_rewords_with_one_revision_per_public_change(app, officer_id):
    ids = setup_taxonomy(app)
    product_id, version = edit_setup(app, ids)
    client = client_as(app, officer_id)
    page = client.get(f"/staff/products/{product_id}/edit").get_data(as_text=True)
    assert "To provide the service (Date of birth)." in page  # prefilled purpose
    response = client.post(
        f"/staff/products/{product_id}/edit",
        data=product_form(
            name="Word Garden Plus",
            version=version,
            school_ids=[ids["north"]],
            **{
                f"use_{ids['dob']}": "y",
                f"purpose_{ids['dob']}": "To show the right reading level.",
                f"use_{ids['health']}": "y",
                f"purpose_{ids['health']}": "To offer accessible text.",
            },
        ),
    )
    assert response.status_code == 302
    with in_app(app):
        product = db.session.get(Product, product_id)
        assert product.slug == "word-garden"  # stable on rename
        assert {u.element.name: u.purpose for u in product.data_uses} == {
            "Date of birth": "To show the right reading level.",
            "Health conditions": "To offer accessible text.",
        }
        kinds = sorted(r.kind for r in revisions())
        assert kinds == ["data_use.added", "data_use.purpose_changed", "data_use.removed", "product.renamed"]
        event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "product.updated"))
        assert event_.changes["name"] == ["Word Garden", "Word Garden Plus"]
        before, after = event_.changes["data_uses"]
        assert "Local student ID: To provide the service (Local student ID)." in before
        assert after == [
            "Date of birth: To show the right reading level.",
            "Health conditions: To offer accessible text.",
        ]
        assert db.session.scalar(select(sa.func.count()).select_from(DataUse)) == 2


def test_an_internal_notes_change_is_audited_but_makes_no_public_revision(app, officer_id):
    ids = setup_taxonomy(app)
    product_id, version = edit_setup(app, ids)
    response = client_as(app, officer_id).post(
        f"/staff/products/{product_id}/edit",
        data=product_form(
            version=version,
            internal_notes="Ask about their sub-processors.",
            school_ids=[ids["north"]],
            **{
                f"use_{ids['dob']}": "y",
                f"purpose_{ids['dob']}": "To provide the service (Date of birth).",
                f"use_{ids['local_id']}": "y",
                f"purpose_{ids['local_id']}": "To provide the service (Local student ID).",
            },
        ),
    )
    assert response.status_code == 302
    with in_app(app):
        (event_,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "product.updated"))
        assert event_.changes == {"internal_notes": ["", "Ask about their sub-processors."]}
        assert revisions() == []


def test_a_stale_product_form_is_refused(app, officer_id, admin_id):
    ids = setup_taxonomy(app)
    product_id, version = edit_setup(app, ids)
    assert (
        client_as(app, admin_id)
        .post(f"/staff/products/{product_id}/edit", data=product_form(version=version, status="under_review"))
        .status_code
        == 302
    )
    late = client_as(app, officer_id).post(
        f"/staff/products/{product_id}/edit", data=product_form(version=version, grade_bands="6-8")
    )
    assert late.status_code == 422
    assert "Someone else changed this product while you were editing." in late.get_data(as_text=True)
    with in_app(app):
        product = db.session.get(Product, product_id)
        assert (product.status, product.grade_bands) == (ProductStatus.UNDER_REVIEW, "K-5")
        assert db.session.scalar(select(sa.func.count()).select_from(AuditEvent)) == 1


def test_retiring_a_product_is_a_public_status_change(app, officer_id):
    ids = setup_taxonomy(app)
    product_id, version = edit_setup(app, ids)
    client = client_as(app, officer_id)
    assert client.post(f"/staff/products/{product_id}/retire", data={"version": version}).status_code == 302
    with in_app(app):
        assert db.session.get(Product, product_id).status is ProductStatus.RETIRED
        (revision,) = revisions()
        assert revision.kind == "status.changed"
        assert "from Approved to Retired" in revision.summary
    listed = client.get("/staff/products?status=retired").get_data(as_text=True)
    assert "Word Garden" in listed
    assert "Word Garden" not in client.get("/staff/products?status=approved").get_data(as_text=True)


def test_retired_elements_are_not_offered_for_new_uses(app, officer_id):
    ids = setup_taxonomy(app)
    with in_app(app):
        db.session.get(DataElement, ids["health"]).is_retired = True
        db.session.commit()
    client = client_as(app, officer_id)
    assert f'name="use_{ids["health"]}"' not in client.get("/staff/products/new").get_data(as_text=True)
    response = client.post(
        "/staff/products/new",
        data=product_form(
            vendor_id=ids["vendor"], **{f"use_{ids['health']}": "y", f"purpose_{ids['health']}": "Because."}
        ),
    )
    # The element's fields are not on the form, so the tampered tick is ignored: no data use is made.
    assert response.status_code == 302
    with in_app(app):
        assert db.session.scalar(select(sa.func.count()).select_from(DataUse)) == 0


def test_products_list_filters_by_vendor_and_status(app, officer_id):
    with in_app(app):
        one, two = factories.make_vendor(name="One Co"), factories.make_vendor(name="Two Co")
        factories.make_product(one, name="Alpha App", status=ProductStatus.APPROVED)
        factories.make_product(one, name="Beta App", status=ProductStatus.UNDER_REVIEW)
        factories.make_product(two, name="Gamma App", status=ProductStatus.APPROVED)
        one_id = one.id
    client = client_as(app, officer_id)
    html = client.get(f"/staff/products?vendor_id={one_id}&status=approved").get_data(as_text=True)
    assert "Alpha App" in html
    assert "Beta App" not in html
    assert "Gamma App" not in html
    assert "1 product" in html
    assert client.get("/staff/products?status=nonsense&vendor_id=x").status_code == 200
