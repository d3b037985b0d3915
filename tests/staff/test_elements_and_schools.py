"""Officers keep the data-element taxonomy and the list of schools; every change is audited."""

import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.directory.models import DataCategory, DataElement, School
from clearinghouse.extensions import db
from tests import factories
from tests.conftest import client_as, in_app


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_officer_adds_a_sensitive_element_in_a_new_category(app, officer_id):
    client = client_as(app, officer_id)
    response = client.post(
        "/staff/data-elements/new",
        data={
            "category_id": "",
            "new_category": "Health",
            "name": "Allergies",
            "description": "Food allergies.",
            "is_sensitive": "y",
        },
    )
    assert response.status_code == 302
    with in_app(app):
        element = db.session.scalar(select(DataElement))
        assert (element.name, element.category.name, element.is_sensitive, element.slug) == (
            "Allergies",
            "Health",
            True,
            "allergies",
        )
        assert actions() == ["data_category.created", "data_element.created"]
    listing = client.get("/staff/data-elements").get_data(as_text=True)
    assert "<h2>Health</h2>" in listing
    assert "Allergies" in listing
    assert "Sensitive" in listing


def test_an_element_needs_a_category_and_a_unique_name_within_it(app, officer_id):
    with in_app(app):
        category = factories.make_category(name="Demographics")
        factories.make_element(category, name="Date of birth")
        category_id = category.id
    client = client_as(app, officer_id)
    missing = client.post("/staff/data-elements/new", data={"category_id": "", "name": "Gender"})
    assert missing.status_code == 422
    assert "Choose the category, or name a new one." in missing.get_data(as_text=True)
    assert 'value="Gender"' in missing.get_data(as_text=True)
    duplicate = client.post(
        "/staff/data-elements/new", data={"category_id": category_id, "name": "date of birth", "description": "kept"}
    )
    assert duplicate.status_code == 422
    html = duplicate.get_data(as_text=True)
    assert "Demographics already has a data element named date of birth." in html
    assert "kept" in html
    with in_app(app):
        assert db.session.scalar(select(sa.func.count()).select_from(DataElement)) == 1
        assert actions() == []


def test_a_duplicate_in_a_new_category_rolls_back_the_category_and_its_audit_entry(app, officer_id):
    """The category is written first, then the element check fails: the whole unit rolls back."""
    with in_app(app):
        health = factories.make_category(name="Health")
        factories.make_element(health, name="Allergies")
    response = client_as(app, officer_id).post(
        "/staff/data-elements/new", data={"category_id": "", "new_category": "health", "name": "Allergies"}
    )
    assert response.status_code == 422
    with in_app(app):
        assert db.session.scalar(select(sa.func.count()).select_from(DataCategory)) == 1
        assert actions() == []


def test_editing_and_retiring_an_element(app, officer_id):
    with in_app(app):
        category = factories.make_category(name="Demographics")
        element = factories.make_element(category, name="Birth date", slug="birth-date")
        element_id, category_id = element.id, category.id
    client = client_as(app, officer_id)
    assert client.get(f"/staff/data-elements/{element_id}/edit").status_code == 200
    response = client.post(
        f"/staff/data-elements/{element_id}/edit",
        data={"category_id": category_id, "name": "Date of birth", "is_sensitive": "y"},
    )
    assert response.status_code == 302
    client.post(f"/staff/data-elements/{element_id}/retire")
    with in_app(app):
        element = db.session.get(DataElement, element_id)
        assert (element.name, element.slug, element.is_sensitive, element.is_retired) == (
            "Date of birth",
            "birth-date",
            True,
            True,
        )
        assert actions() == ["data_element.updated", "data_element.retired"]
        changes = db.session.scalar(select(AuditEvent.changes).where(AuditEvent.action == "data_element.updated"))
        assert changes["name"] == ["Birth date", "Date of birth"]
        assert changes["is_sensitive"] == [False, True]
        assert db.session.scalar(select(sa.func.count()).select_from(DisclosureRevision)) == 0
    client.post(f"/staff/data-elements/{element_id}/unretire")
    with in_app(app):
        assert not db.session.get(DataElement, element_id).is_retired


def test_schools_are_added_renamed_with_a_stable_slug_and_retired(app, officer_id):
    client = client_as(app, officer_id)
    assert client.post("/staff/schools/new", data={"name": "North Elementary", "grade_band": "K-5"}).status_code == 302
    with in_app(app):
        school_id = db.session.scalar(select(School.id))
    duplicate = client.post("/staff/schools/new", data={"name": "north elementary", "grade_band": "6-8"})
    assert duplicate.status_code == 422
    assert "A school named north elementary already exists." in duplicate.get_data(as_text=True)
    assert 'value="6-8"' in duplicate.get_data(as_text=True)
    assert (
        client.post(f"/staff/schools/{school_id}/edit", data={"name": "North Primary", "grade_band": "K-4"}).status_code
        == 302
    )
    client.post(f"/staff/schools/{school_id}/retire")
    with in_app(app):
        school = db.session.get(School, school_id)
        assert (school.name, school.slug, school.grade_band, school.is_retired) == (
            "North Primary",
            "north-elementary",
            "K-4",
            True,
        )
        assert actions() == ["school.created", "school.updated", "school.retired"]
    assert "North Primary" in client.get("/staff/schools").get_data(as_text=True)
    assert client.get("/staff/schools/999/edit").status_code == 404
