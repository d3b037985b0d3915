"""Kinds of product are district data (issue 11, item 9): seeded with the first fourteen, added, renamed in
both languages, reordered and retired by officers through `directory.services`, audited; a kind in use is
never deleted; shown in the reader's language on the public pages, filtered by, and served by the API."""

import flask_migrate
import pytest
import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse.accounts.models import User
from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.directory import services
from clearinghouse.directory.models import KIND_NAME_MAX, Product, ProductKind
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.intake import services as intake
from tests import factories
from tests.conftest import client_as, count_queries, forget_kept_answers, in_app

PREVIOUS = "6c1d8e3a9f47"  # the migration before product kinds


def _kind(slug: str) -> ProductKind:
    return db.session.scalar(select(ProductKind).where(ProductKind.slug == slug))


def _add(name: str, spanish: str = "") -> ProductKind:
    with unit_of_work():
        return services.create_kind(None, name=name, translations={"es": {"name": spanish}})


# --- the kinds a district starts with --------------------------------------------------------------


def test_the_first_fourteen_kinds_keep_their_keys_names_and_spanish(app):
    with in_app(app):
        kinds = list(db.session.scalars(select(ProductKind).order_by(ProductKind.position)))
        assert [kind.slug for kind in kinds][:3] == ["learning_platform", "reading", "math"]
        assert len(kinds) == 14
        assert kinds[-1].slug == "other"
        math = _kind("math")
        assert (math.name, math.translation("es", "name")) == ("Math", "Matemáticas")
        assert _kind("language").translation("es", "name") == "Idiomas"
        assert not any(kind.is_retired for kind in kinds)


# --- the service's rules -------------------------------------------------------------------------


def test_a_kind_is_added_last_with_its_spanish_name_and_audited(app):
    with in_app(app):
        kind = _add("Career readiness", "Preparación profesional")
        assert kind.slug == "career-readiness"
        assert kind.position == 15
        assert kind.translation("es", "name") == "Preparación profesional"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "product_kind.created"))
        assert event.record_label == "Career readiness"


@pytest.mark.parametrize(
    ("name", "spanish", "message", "field"),
    [
        ("", "", "Enter the kind's name.", "name"),
        ("   ", "", "Enter the kind's name.", "name"),
        ("x" * (KIND_NAME_MAX + 1), "", f"at most {KIND_NAME_MAX} characters", "name"),
        ("Bad\x00name", "", "", "name"),
        ("Bad\x1bname", "", "", "name"),
        ("Fine", "y" * (KIND_NAME_MAX + 1), f"in Spanish can be at most {KIND_NAME_MAX}", "name__es"),
        ("Fine", "Mal\x07", "", "name__es"),
        ("MATH", "", "A kind named Math already exists.", "name"),
        ("Ｍａｔｈ", "", "A kind named Math already exists.", "name"),
        ("Maths", "matemáticas", "Math is already called matemáticas in Spanish.", "name__es"),
    ],
)
def test_bad_names_are_refused_in_plain_words(app, name, spanish, message, field):
    with in_app(app):
        with pytest.raises(DomainError) as refused:
            _add(name, spanish)
        assert message in refused.value.message
        assert refused.value.field == field
        assert db.session.scalar(select(sa.func.count(ProductKind.id))) == 14  # nothing half-written


def test_a_kind_named_with_digits_is_found_by_its_slug_not_as_an_id(app):
    with in_app(app):
        kind = _add("504")
        assert kind.slug == "504"
        product = factories.make_product(kind="math")
        with unit_of_work():
            services.update_product(product, None, version=product.version, kind="504")
        assert product.kind is kind


def test_a_retired_kind_is_named_as_retired_when_added_again(app):
    with in_app(app):
        with unit_of_work():
            services.set_kind_retired(_kind("science"), None, retired=True)
        with pytest.raises(DomainError, match=r"Science already exists \(retired: bring it back instead\)"):
            _add("science")


def test_renaming_a_kind_changes_every_product_of_it_and_keeps_its_slug(app):
    with in_app(app):
        product = factories.make_product(kind="math", name="Fraction Fox")
        with unit_of_work():
            services.update_kind(_kind("math"), None, name="Mathematics", translations={"es": {"name": "Mates"}})
        db.session.expire_all()
        kind = db.session.get(Product, product.id).kind
        assert (kind.slug, kind.name, kind.translation("es", "name")) == ("math", "Mathematics", "Mates")
        with unit_of_work():  # a blank translation removes it
            services.update_kind(kind, None, name="Mathematics", translations={"es": {"name": ""}})
        assert kind.translation("es", "name") == ""
        assert db.session.scalar(select(sa.func.count()).where(AuditEvent.action == "product_kind.updated")) == 2


def test_kinds_move_up_and_down_and_are_numbered_again(app):
    with in_app(app):
        other = _kind("other")
        with unit_of_work():
            services.move_kind(other, None, offset=-1)
        order = list(db.session.scalars(select(ProductKind.slug).order_by(ProductKind.position)))
        assert order[-2:] == ["other", "operations"]
        assert list(db.session.scalars(select(ProductKind.position).order_by(ProductKind.position))) == list(
            range(1, 15)
        )
        with unit_of_work():
            services.move_kind(_kind("learning_platform"), None, offset=-1)  # already first: nothing moves
        assert _kind("learning_platform").position == 1


def test_a_retired_kind_stays_on_its_products_but_is_not_offered_for_new_ones(app):
    with in_app(app):
        vendor = factories.make_vendor(name="Quill Co")
        product = factories.make_product(vendor, kind="science", name="Lab Sim")
        with unit_of_work():
            services.set_kind_retired(_kind("science"), None, retired=True)
        with unit_of_work():  # saving the product keeps its retired kind
            services.update_product(product, None, version=product.version, kind="science", status_note="Kept.")
        assert product.kind.slug == "science"
        with pytest.raises(DomainError, match="Science is retired: choose another kind"), unit_of_work():
            services.create_product(None, vendor=vendor, school_ids=[], data_uses={}, name="New", kind="science")
        other = factories.make_product(vendor, kind="math")
        with pytest.raises(DomainError, match="Science is retired"), unit_of_work():
            services.update_product(other, None, version=other.version, kind="science")


def test_a_kind_in_use_is_never_deleted_and_an_unused_one_is(app):
    with in_app(app):
        factories.make_product(kind="math")
        math = _kind("math")
        with pytest.raises(DomainError, match="Math is the kind of 1 product, so it stays: retire it"), unit_of_work():
            services.delete_kind(math, None)
        assert _kind("math") is not None
        with unit_of_work():
            services.delete_kind(_kind("science"), None)
        assert _kind("science") is None
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "product_kind.deleted"))


def test_a_kind_a_tool_request_has_is_not_deleted(app, requester_id):
    with in_app(app):
        school = factories.make_school(name="North")
        with unit_of_work():
            intake.submit_request(
                intake.RequestDraft(name="Lab Sim", purpose="Labs.", school_ids=[school.id], kind="science"),
                actor=db.session.get(User, requester_id),
            )
        with pytest.raises(DomainError, match="is the kind of a tool request, so it stays"), unit_of_work():
            services.delete_kind(_kind("science"), None)
        db.session.rollback()
        assert _kind("science") is not None


def test_the_last_kind_offered_cannot_be_retired(app):
    with in_app(app):
        with unit_of_work():
            for kind in db.session.scalars(select(ProductKind).where(ProductKind.slug != "other")).all():
                services.set_kind_retired(kind, None, retired=True)
        with pytest.raises(DomainError, match="Other is the last kind offered"), unit_of_work():
            services.set_kind_retired(_kind("other"), None, retired=True)


def test_a_product_without_a_kind_gets_other_and_a_kind_change_is_disclosed_in_both_languages(app, client):
    with in_app(app):
        vendor = factories.make_vendor(name="Quill Co")
        with unit_of_work():
            product = services.create_product(
                None, vendor=vendor, school_ids=[], data_uses={}, name="Quill", purpose_md="Writing."
            )
        assert product.kind.slug == "other"
        kind = _add("Career readiness", "Preparación profesional")
        with unit_of_work():
            services.update_product(product, None, version=product.version, kind=kind.id)
        revision = db.session.scalar(select(DisclosureRevision).where(DisclosureRevision.kind == "kind.changed"))
        assert revision.summary == "Quill is now listed as Career readiness."
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "product.updated").order_by(AuditEvent.id.desc())
        )
        assert event.changes["kind"] == ["Other", "Career readiness"]
    spanish = client.get("/es/changes").get_data(as_text=True)
    assert "Quill ahora figura como Preparación profesional." in spanish


# --- the staff page ----------------------------------------------------------------------------------


def test_an_officer_adds_renames_reorders_retires_and_deletes_kinds_on_the_page(app, officer_id):
    client = client_as(app, officer_id)
    page = client.get("/staff/kinds").get_data(as_text=True)
    assert "Reading and literacy" in page
    assert "Lectura y alfabetización" in page
    response = client.post("/staff/kinds", data={"name": "Career readiness", "name__es": "Preparación profesional"})
    assert response.status_code == 302
    with in_app(app):
        kind_id = _kind("career-readiness").id
    refused = client.post("/staff/kinds", data={"name": "career  READINESS"})
    assert refused.status_code == 422
    assert "A kind named Career readiness already exists." in refused.get_data(as_text=True)
    refused = client.post("/staff/kinds", data={"name": "x" * 81})
    assert refused.status_code == 422
    assert "The kind&#39;s name can be at most 80 characters." in refused.get_data(as_text=True)
    assert client.post("/staff/kinds", data={"name": "Bad\x00"}).status_code == 422
    assert client.post("/staff/kinds", data={"name": ""}).status_code == 422
    edited = client.post(f"/staff/kinds/{kind_id}/edit", data={"name": "Careers", "name__es": "Carreras"})
    assert edited.status_code == 302
    assert client.post(f"/staff/kinds/{kind_id}/move", data={"direction": "up"}).status_code == 302
    with in_app(app):
        kind = db.session.get(ProductKind, kind_id)
        assert (kind.name, kind.translation("es", "name"), kind.position) == ("Careers", "Carreras", 14)
        math_id = _kind("math").id
        factories.make_product(kind="math")
    assert client.post(f"/staff/kinds/{kind_id}/retire").status_code == 302
    with in_app(app):
        assert db.session.get(ProductKind, kind_id).is_retired
    client.post(f"/staff/kinds/{math_id}/delete")
    page = client.get("/staff/kinds").get_data(as_text=True)
    assert "Math is the kind of 1 product, so it stays" in page
    assert client.post(f"/staff/kinds/{kind_id}/delete").status_code == 302
    with in_app(app):
        assert db.session.get(ProductKind, kind_id) is None
        assert db.session.get(ProductKind, math_id) is not None
    assert client.get("/staff/kinds/999999/edit").status_code == 404


def test_the_product_form_offers_current_kinds_and_keeps_a_retired_one(app, officer_id):
    with in_app(app):
        product = factories.make_product(kind="science", name="Lab Sim")
        with unit_of_work():
            services.set_kind_retired(_kind("science"), None, retired=True)
        product_id = product.id
    client = client_as(app, officer_id)
    new = client.get("/staff/products/new").get_data(as_text=True)
    assert "Science" not in new
    assert "World languages" in new
    assert 'value="other" selected' in new or 'selected value="other"' in new
    edit = client.get(f"/staff/products/{product_id}/edit").get_data(as_text=True)
    assert "Science (retired)" in edit


@pytest.mark.parametrize("who", ["anonymous", "vendor", "requester"])
def test_only_officers_and_admins_reach_the_kinds_page(app, client, who, vendor_user_id, requester_id):
    if who != "anonymous":
        client = client_as(app, vendor_user_id if who == "vendor" else requester_id)
    with in_app(app):
        kind_id = _kind("math").id
    for method, path in [
        ("GET", "/staff/kinds"),
        ("POST", "/staff/kinds"),
        ("GET", f"/staff/kinds/{kind_id}/edit"),
        ("POST", f"/staff/kinds/{kind_id}/edit"),
        ("POST", f"/staff/kinds/{kind_id}/move"),
        ("POST", f"/staff/kinds/{kind_id}/retire"),
        ("POST", f"/staff/kinds/{kind_id}/unretire"),
        ("POST", f"/staff/kinds/{kind_id}/delete"),
    ]:
        response = client.open(path, method=method, data={"name": "Sneaky", "direction": "up"})
        if who == "anonymous":
            assert response.status_code == 302, (method, path)
            assert "/login" in response.headers["Location"], (method, path)
        else:
            assert response.status_code == 403, (method, path)
    with in_app(app):
        assert _kind("sneaky") is None
        assert _kind("math").position == 3
        assert not _kind("math").is_retired


# --- public pages, filters, API ---------------------------------------------------------------------


@pytest.fixture
def careers(app) -> dict:
    with in_app(app):
        kind = _add("Career readiness", "Preparación profesional")
        plain = _add("Robotics")  # no Spanish name
        vendor = factories.make_vendor(name="Path Co", slug="path-co")
        factories.make_product(vendor, name="Path Finder", slug="path-finder", kind=kind)
        factories.make_product(vendor, name="Robo Kit", slug="robo-kit", kind=plain)
        factories.make_product(vendor, name="Fraction Fox", slug="fraction-fox", kind="math")
        return {"kind": kind.slug, "plain": plain.slug}


def test_public_pages_name_the_kind_in_the_readers_language(app, client, careers):
    english = client.get("/products/path-finder").get_data(as_text=True)
    assert "Career readiness" in english
    spanish = client.get("/es/products/path-finder").get_data(as_text=True)
    assert "Preparación profesional" in spanish
    assert "Career readiness" not in spanish
    untranslated = client.get("/es/products/robo-kit").get_data(as_text=True)
    assert '<span lang="en">Robotics</span> <span class="fallback-note">(Texto disponible solo en inglés)' in (
        untranslated
    )
    listing = client.get("/es/directory").get_data(as_text=True)
    assert "Preparación profesional" in listing
    assert '<span lang="en">Robotics</span>' in listing
    assert "Matemáticas" in listing


def test_the_directory_filters_by_a_district_added_kind_in_both_languages(app, client, careers):
    page = client.get(f"/directory?kind={careers['kind']}").get_data(as_text=True)
    assert "Path Finder" in page
    assert "Fraction Fox" not in page
    assert "Robo Kit" not in page
    assert f'<option selected value="{careers["kind"]}">Career readiness</option>' in page
    spanish = client.get(f"/es/directory?kind={careers['kind']}").get_data(as_text=True)
    assert "Path Finder" in spanish
    assert "Fraction Fox" not in spanish
    assert f'<option selected value="{careers["kind"]}">Preparación profesional</option>' in spanish
    assert "Fraction Fox" in client.get("/directory?kind=math").get_data(as_text=True)


def test_the_api_keeps_the_kind_field_and_filters_by_kind(app, client, careers):
    body = client.get(f"/api/v1/products?kind={careers['kind']}").get_json()
    assert [(p["slug"], p["kind"], p["kind_label"]) for p in body["data"]] == [
        ("path-finder", "career-readiness", "Career readiness")
    ]
    math = client.get("/api/v1/products/fraction-fox").get_json()["data"]
    assert (math["kind"], math["kind_label"]) == ("math", "Math")
    assert client.get("/api/v1/products?kind=nothing-like-it").get_json()["data"] == []
    assert client.get("/api/v1/products?kind=bad%20kind").status_code == 400
    document = client.get("/api/v1/openapi.json").get_json()
    assert "enum" not in document["components"]["schemas"]["Product"]["properties"]["kind"]
    assert any(parameter["name"] == "kind" for parameter in document["paths"]["/products"]["get"]["parameters"])


def test_the_csv_export_names_the_kind(app, client, careers):
    csv = client.get("/directory.csv").get_data(as_text=True)
    assert "Career readiness" in csv
    assert "Math" in csv


def test_kind_names_cost_no_query_per_product(app, client, careers):
    urls = ("/directory", "/es/directory", "/schools", "/reports/", "/directory?kind=math", "/products/path-finder")

    def counts() -> dict[str, int]:
        found = {}
        for url in urls:
            forget_kept_answers(app)
            with count_queries(app) as statements:
                assert client.get(url).status_code == 200, url
            found[url] = len(statements)
        return found

    few = counts()
    with in_app(app):
        school = factories.make_school(name="Shared")
        for n in range(30):
            kind = _add(f"Kind {n}") if n % 3 else "math"
            factories.make_product(name=f"Filler {n}", kind=kind, schools=[school])
    assert counts() == few


# --- the migration --------------------------------------------------------------------------------


def test_the_migration_moves_products_and_requests_to_the_seeded_kinds_and_back(app):
    with in_app(app):
        flask_migrate.downgrade(revision=PREVIOUS)
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO vendor (name, name_key, slug, website, privacy_policy_url, "
                    "contact_email, description_md, internal_notes, is_retired, created_at, updated_at, "
                    "version, translations) VALUES ('Old Co', 'old co', 'old-co', '', '', '', '', '', "
                    "false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, '{}')"
                )
            )
            vendor_id = conn.scalar(sa.text("SELECT id FROM vendor"))
            for name, kind in (("Counter", "math"), ("Story", "reading"), ("Odd", "not-a-kind")):
                conn.execute(
                    sa.text(
                        "INSERT INTO product (vendor_id, name, name_key, slug, kind, status, status_note, "
                        "agreement_status, agreement_note, website, purpose_md, grade_bands, internal_notes, "
                        "category_text, created_at, updated_at, version, translations) VALUES (:vendor, :name, "
                        ":key, :slug, :kind, 'approved', '', 'none_on_file', '', '', '', '', '', '', "
                        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, '{}')"
                    ),
                    {"vendor": vendor_id, "name": name, "key": name.lower(), "slug": name.lower(), "kind": kind},
                )
        flask_migrate.upgrade()
        db.session.expire_all()
        kinds = {p.name: p.kind.slug for p in db.session.scalars(select(Product))}
        assert kinds == {"Counter": "math", "Story": "reading", "Odd": "other"}
        assert (
            db.session.get(Product, db.session.scalar(select(Product.id).where(Product.name == "Counter"))).kind.name
            == "Math"
        )
        db.session.remove()
        flask_migrate.downgrade(revision=PREVIOUS)
        with db.engine.connect() as conn:
            rows = dict(conn.execute(sa.text("SELECT name, kind FROM product")).all())
            assert rows == {"Counter": "math", "Story": "reading", "Odd": "other"}
            assert "product_kind" not in sa.inspect(conn).get_table_names()
        flask_migrate.upgrade()
