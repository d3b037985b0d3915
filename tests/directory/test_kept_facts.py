"""What a file knows beyond the product's fields, kept with the product: tags (public, filterable),
notes (staff only), evidence links (public only when staff say so); edited on the staff product page
through the directory services, audited, the public parts disclosed."""

import flask_migrate
import pytest
import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.directory import services
from clearinghouse.directory.models import EvidenceLink, Product, ProductNote, Tag
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db, unit_of_work
from tests import factories
from tests.conftest import client_as, in_app


@pytest.fixture
def product_id(app) -> int:
    with in_app(app):
        return factories.make_product(factories.make_vendor(name="Paper Kite"), name="Kite Draw").id


def _product() -> Product:
    return db.session.get(Product, db.session.scalar(select(Product.id)))


def test_tags_are_one_per_name_key_shared_between_products_and_disclosed(app, product_id):
    with in_app(app):
        other = factories.make_product(factories.make_vendor(name="Other Co"), name="Other").id
        product = db.session.get(Product, product_id)
        with unit_of_work():
            services.set_product_tags(
                product, None, names="Rostering: Clever; rostering:  CLEVER, Free", version=product.version
            )
        with unit_of_work():
            other_product = db.session.get(Product, other)
            services.set_product_tags(other_product, None, names=["ＦＲＥＥ"], version=other_product.version)
        assert sorted(tag.name for tag in db.session.get(Product, product_id).tags) == ["Free", "Rostering: Clever"]
        assert db.session.scalar(select(sa.func.count()).select_from(Tag)) == 2
        revisions = db.session.scalars(
            select(DisclosureRevision).where(
                DisclosureRevision.product_id == product_id, DisclosureRevision.kind == "tags.changed"
            )
        ).all()
        assert len(revisions) == 1
        assert revisions[0].summary == "Kite Draw: now filed under Free, Rostering: Clever."
        assert (
            db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "product.tags_changed")) is not None
        )


def test_a_stale_tags_form_is_refused(app, product_id):
    with in_app(app):
        product = db.session.get(Product, product_id)
        stale = product.version
        with unit_of_work():
            services.update_product(product, None, version=stale, status_note="")
            services.set_product_tags(product, None, names="One", version=product.version)
        with pytest.raises(DomainError), unit_of_work():
            services.set_product_tags(db.session.get(Product, product_id), None, names="Two", version=stale - 1)
        assert [tag.name for tag in db.session.get(Product, product_id).tags] == ["One"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://files.example/x", "https://", "data:text/html,x", ""])
def test_an_evidence_link_must_be_a_web_address(app, product_id, url):
    with in_app(app):
        with pytest.raises(DomainError) as refused, unit_of_work():
            services.add_evidence_link(db.session.get(Product, product_id), None, url=url, label="Registry")
        assert refused.value.field == "link_url"
        assert db.session.scalar(select(sa.func.count()).select_from(EvidenceLink)) == 0


def test_the_public_page_shows_tags_and_published_links_never_notes(app, client, product_id, officer_id):
    with in_app(app):
        product = db.session.get(Product, product_id)
        with unit_of_work():
            services.set_product_tags(product, None, names="Subscription", version=product.version)
            services.add_evidence_link(
                product, None, url="https://privacy.a4l.org/resource/kite", label="SDPC registry", is_public=True
            )
            services.add_evidence_link(product, None, url="https://intranet.example/contract-42", label="Contract")
            services.add_product_note(product, None, label="Licences", body="450 seats, renews in July")
        slug, tag_slug = product.slug, product.tags[0].slug
    page = client.get(f"/products/{slug}").get_data(as_text=True)
    assert "Subscription" in page
    assert "SDPC registry" in page
    assert "https://privacy.a4l.org/resource/kite" in page
    assert "intranet.example" not in page
    assert "Contract" not in page
    assert "450 seats" not in page
    assert "Licences" not in page
    spanish = client.get(f"/es/products/{slug}").get_data(as_text=True)
    assert "Etiquetas" in spanish
    assert "Fuentes" in spanish
    assert "450 seats" not in spanish
    listing = client.get(f"/directory?tag={tag_slug}").get_data(as_text=True)
    assert "Kite Draw" in listing
    with in_app(app):
        factories.make_product(factories.make_vendor(name="Untagged Co"), name="Untagged")
    listing = client.get(f"/directory?tag={tag_slug}").get_data(as_text=True)
    assert "Kite Draw" in listing
    assert "Untagged" not in listing
    staff = client_as(app, officer_id).get(f"/staff/products/{product_id}/edit").get_data(as_text=True)
    assert "450 seats" in staff
    assert "intranet.example" in staff
    assert "Subscription" in staff


def test_staff_edit_tags_notes_and_links_on_the_product_page(app, product_id, officer_id):
    staff = client_as(app, officer_id)
    with in_app(app):
        version = db.session.get(Product, product_id).version
    response = staff.post(
        f"/staff/products/{product_id}/tags", data={"tags": "Free, Rostering: ClassLink", "version": version}
    )
    assert response.status_code == 302
    response = staff.post(
        f"/staff/products/{product_id}/notes", data={"note_label": "District id", "note_body": "A-1234"}
    )
    assert response.status_code == 302
    response = staff.post(
        f"/staff/products/{product_id}/links",
        data={"link_label": "Registry", "link_url": "javascript:alert(1)", "is_public": "y"},
    )
    assert response.status_code == 422
    assert 'value="javascript:alert(1)"' in response.get_data(as_text=True)  # what was typed stays
    response = staff.post(
        f"/staff/products/{product_id}/links",
        data={"link_label": "Registry", "link_url": "https://privacy.a4l.org/x", "is_public": "y"},
    )
    assert response.status_code == 302
    with in_app(app):
        product = db.session.get(Product, product_id)
        assert [tag.name for tag in product.tags] == ["Free", "Rostering: ClassLink"]
        assert [(n.label, n.body) for n in product.notes] == [("District id", "A-1234")]
        assert [(link.label, link.url, link.is_public) for link in product.links] == [
            ("Registry", "https://privacy.a4l.org/x", True)
        ]
        note_id, link_id = product.notes[0].id, product.links[0].id
    assert staff.post(f"/staff/products/{product_id}/notes/{note_id}/delete").status_code == 302
    assert staff.post(f"/staff/products/{product_id}/links/{link_id}/delete").status_code == 302
    with in_app(app):
        assert db.session.scalar(select(sa.func.count()).select_from(ProductNote)) == 0
        assert db.session.scalar(select(sa.func.count()).select_from(EvidenceLink)) == 0
        kinds = db.session.scalars(
            select(DisclosureRevision.kind)
            .where(DisclosureRevision.product_id == product_id)
            .order_by(DisclosureRevision.id)
        ).all()
        assert kinds.count("links.changed") == 2  # published, then withdrawn
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"product.note_added", "product.note_deleted", "product.link_added", "product.link_deleted"} <= actions


def test_the_migration_goes_down_and_up_with_tags_notes_and_links(app, product_id):
    with in_app(app):
        product = db.session.get(Product, product_id)
        with unit_of_work():
            services.set_product_tags(product, None, names="Kept", version=product.version)
            services.add_product_note(product, None, body="kept")
        flask_migrate.downgrade(revision="5e8a1d3c7b92")
        with db.engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            assert not {"tag", "product_tag", "product_note", "evidence_link"} & tables
            assert conn.scalar(sa.text("SELECT name FROM product")) == "Kite Draw"
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT category_text FROM product")) == ""
