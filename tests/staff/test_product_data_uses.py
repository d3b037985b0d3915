"""The product form lists the product's own data uses; the others are added from closed lists by
category (no JavaScript needed) or copied from another product, all through the directory's
services (audited, disclosed, versioned)."""

import re

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.directory import services
from clearinghouse.directory.models import DataElement, DataUse, Product
from clearinghouse.directory.taxonomy import seed_taxonomy
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.locking import StaleVersion
from tests import factories
from tests.conftest import client_as, count_queries, in_app


def _elements(n: int) -> list[DataElement]:
    return list(db.session.scalars(select(DataElement).order_by(DataElement.id).limit(n)))


@pytest.fixture
def taxonomy(app) -> None:
    with in_app(app), unit_of_work():
        seed_taxonomy()


def _product_with(app, n_uses: int, **overrides) -> tuple[int, int]:
    with in_app(app):
        vendor = factories.make_vendor(name=overrides.pop("vendor_name", "Garden Learning"))
        product = factories.make_product(vendor, elements=_elements(n_uses), **overrides)
        return product.id, product.version


def _uses(product_id: int) -> dict[str, str]:
    return {use.element.name: use.purpose for use in db.session.get(Product, product_id).data_uses}


def _revisions() -> list[str]:
    return sorted(db.session.scalars(select(DisclosureRevision.kind)))


# --- services -----------------------------------------------------------------------------


def test_adding_keeps_the_existing_uses_and_adds_new_ones_without_a_purpose(app, taxonomy):
    product_id, version = _product_with(app, 2)
    with in_app(app):
        third, fourth = _elements(4)[2:]
        first = _elements(1)[0]
        with unit_of_work():
            added = services.add_data_uses(
                db.session.get(Product, product_id), None, version=version, element_ids=[third.id, fourth.id, first.id]
            )
        assert sorted(added) == sorted([third.name, fourth.name])
        uses = _uses(product_id)
        assert len(uses) == 4
        assert uses[first.name] == f"To provide the service ({first.name})."  # kept
        assert uses[third.name] == uses[fourth.name] == ""  # no purpose yet
        assert db.session.get(Product, product_id).version == version + 1
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "product.updated"))
        assert f"{third.name}: " in event.changes["data_uses"][1]
        assert _revisions() == ["data_use.added", "data_use.added"]


def test_copying_adds_the_other_products_uses_with_their_purposes_and_keeps_its_own(app, taxonomy):
    product_id, version = _product_with(app, 2)
    with in_app(app):
        _one, two, three, four, five = _elements(5)
        vendor = factories.make_vendor(name="Other Learning")
        source = factories.make_product(vendor, name="Source", elements=[two, three, four, five])
        source_use = next(use for use in source.data_uses if use.data_element_id == three.id)
        source_use.purpose = "To sort students into reading groups."
        source_use.set_translations({"es": {"purpose": "Para agrupar a los estudiantes por nivel de lectura."}})
        next(use for use in source.data_uses if use.data_element_id == two.id).purpose = "Not copied: it has its own."
        five.is_retired = True
        db.session.commit()
        with unit_of_work():
            added = services.copy_data_uses(
                db.session.get(Product, product_id), None, version=version, source=db.session.get(Product, source.id)
            )
        assert added == sorted([three.name, four.name])  # the retired element is not offered for new uses
        uses = _uses(product_id)
        assert uses[two.name] == f"To provide the service ({two.name})."
        assert uses[three.name] == "To sort students into reading groups."
        copied = db.session.scalar(
            select(DataUse).where(DataUse.product_id == product_id, DataUse.data_element_id == three.id)
        )
        assert copied.translation("es", "purpose") == "Para agrupar a los estudiantes por nivel de lectura."
        assert _revisions() == ["data_use.added", "data_use.added"]
        assert _uses(source.id)[three.name] == "To sort students into reading groups."  # the source is untouched


def test_a_stale_version_writes_nothing(app, taxonomy):
    product_id, version = _product_with(app, 1)
    with in_app(app):
        other = _elements(2)[1]
        product = db.session.get(Product, product_id)
        for call in (lambda: services.add_data_uses(product, None, version=version - 1, element_ids=[other.id]),):
            with pytest.raises(StaleVersion), unit_of_work():
                call()
        assert len(_uses(product_id)) == 1
        assert (
            db.session.scalar(
                select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action.like("product.%"))
            )
            == 0
        )


def test_copying_from_itself_is_refused(app, taxonomy):
    product_id, version = _product_with(app, 1)
    with in_app(app):
        product = db.session.get(Product, product_id)
        with pytest.raises(DomainError, match="Choose another product"), unit_of_work():
            services.copy_data_uses(product, None, version=version, source=product)


def test_a_use_with_no_purpose_yet_says_so_on_the_public_page(app, client, taxonomy):
    product_id, version = _product_with(app, 0, slug="garden-learning-word-garden", name="Word Garden")
    with in_app(app):
        element = _elements(1)[0]
        with unit_of_work():
            services.add_data_uses(db.session.get(Product, product_id), None, version=version, element_ids=[element.id])
        slug, name = db.session.get(Product, product_id).slug, element.name
    page = client.get(f"/products/{slug}").get_data(as_text=True)
    assert name in page
    assert "Purpose not yet stated" in page


# --- the pages ----------------------------------------------------------------------------


def test_the_form_of_a_product_with_three_uses_has_no_open_box_for_the_other_elements(app, officer_id, taxonomy):
    product_id, _ = _product_with(app, 3)
    with in_app(app):
        total = db.session.scalar(select(sa.func.count()).select_from(DataElement))
        own = [e.id for e in _elements(3)]
    assert total == 59
    html = client_as(app, officer_id).get(f"/staff/products/{product_id}/edit").get_data(as_text=True)
    # Three uses, each with its purpose in English and Spanish, and the product's own few boxes.
    assert len(re.findall(r'<textarea[^>]* name="purpose_\d+', html)) == 3 * 2
    assert html.count("<textarea") < 20
    assert len(re.findall(r'name="use_\d+"', html)) == 59  # the others are checkboxes to tick…
    assert html.count("<details") == html.count("<summary>")  # …in closed lists by category
    assert "<details open" not in html
    for element_id in own:
        assert f'name="purpose_{element_id}"' in html
    assert len(html) < 60_000


def test_without_javascript_ticking_an_element_and_saving_adds_it_and_unticking_removes_one(app, officer_id, taxonomy):
    product_id, version = _product_with(app, 2, name="Word Garden", purpose_md="Reading practice.")
    with in_app(app):
        keep, drop, new = _elements(3)
        keep_id, drop_id, new_id = keep.id, drop.id, new.id
    client = client_as(app, officer_id)
    data = {
        "name": "Word Garden",
        "kind": "learning_platform",
        "status": "approved",
        "purpose_md": "Reading practice.",
        "version": version,
        f"use_{keep_id}": "y",
        f"purpose_{keep_id}": "To sign students in.",
        f"use_{new_id}": "y",
    }
    response = client.post(f"/staff/products/{product_id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    with in_app(app):
        uses = {use.data_element_id: use.purpose for use in db.session.get(Product, product_id).data_uses}
        assert uses == {keep_id: "To sign students in.", new_id: ""}
    page = client.get(f"/staff/products/{product_id}/edit").get_data(as_text=True)
    assert f'name="purpose_{new_id}"' in page  # now asked for its purpose
    assert f'name="purpose_{drop_id}"' not in page


def test_copying_from_the_form_adds_the_uses_and_a_stale_copy_is_refused(app, officer_id, taxonomy):
    product_id, version = _product_with(app, 1, name="Word Garden")
    with in_app(app):
        source = factories.make_product(
            factories.make_vendor(name="Other Co"), name="Math Trail", elements=_elements(3)
        )
        source_id = source.id
        names = [e.name for e in _elements(3)]
    client = client_as(app, officer_id)
    page = client.get(f"/staff/products/{product_id}/edit").get_data(as_text=True)
    assert "Math Trail (Other Co), 3 data uses" in page
    response = client.post(
        f"/staff/products/{product_id}/copy-data-uses", data={"source_id": source_id, "version": version}
    )
    assert response.status_code == 302
    with in_app(app):
        assert sorted(_uses(product_id)) == sorted(names)
    stale = client.post(
        f"/staff/products/{product_id}/copy-data-uses", data={"source_id": source_id, "version": version}
    )
    assert stale.status_code == 422
    assert "Someone else changed this product while you were editing." in stale.get_data(as_text=True)
    assert client.post(f"/staff/products/{product_id}/copy-data-uses", data={"version": version + 1}).status_code == 422


def test_the_product_form_runs_a_constant_number_of_queries(app, officer_id, taxonomy):
    small, _ = _product_with(app, 2)
    large, _ = _product_with(app, 20, vendor_name="Big Vendor")
    client = client_as(app, officer_id)
    counts = []
    for product_id in (small, large):
        client.get(f"/staff/products/{product_id}/edit")
        with count_queries(app) as statements:
            assert client.get(f"/staff/products/{product_id}/edit").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
