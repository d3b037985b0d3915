"""A results page reads its products as plain rows (`queries.CardProduct`, with their agreements'
terms as `AgreementTerms`), where the vendor and data element pages load ORM objects: both must give
the same card, word for word, in every language. What a card names of the data a product receives
comes from the kept `queries.sensitive_elements`, in taxonomy order, and follows the data.
Run on PostgreSQL with TEST_DATABASE_URL as well.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from clearinghouse.directory import queries
from clearinghouse.directory.cards import Addresses, Wording, listing_card
from clearinghouse.directory.models import DataElement, Product, ProductStatus, StatedAgreementStatus
from clearinghouse.directory.queries import DirectoryFilters, search_products
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app


@pytest.fixture
def catalogue(app):
    """Products whose agreements stand in every way a card says, one of a retired vendor, a kind and
    a sensitive data element named only in English, a purpose translated into Spanish."""
    with in_app(app):
        today = district_today()
        day = timedelta(days=1)
        vendor = factories.make_vendor(name="Harbor & Sons", slug="harbor")
        retired = factories.make_vendor(name="Gone Ltd", slug="gone", is_retired=True)
        kind = factories.make_kind(name="Quizzes", slug="quizzes")
        kind.translations = {"es": {"name": "Cuestionarios"}}
        untranslated = factories.make_kind(name="Planners", slug="planners")
        category = factories.make_category(name="Identity")
        birth = factories.make_element(category, name="Date of birth", is_sensitive=True)
        grade = factories.make_element(category, name="Grade", translations={"es": {"name": "Curso"}})

        def product(name: str, **overrides) -> Product:
            return factories.make_product(
                overrides.pop("vendor", vendor), name=name, elements=[birth, grade], **overrides
            )

        several = product("Several", kind=kind, purpose_md="Quizzes in *class*.")
        several.translations = {"es": {"purpose_md": "Cuestionarios en clase."}}
        factories.make_agreement(vendor, [several], signed_on=today - 400 * day, expires_on=today + 200 * day)
        factories.make_agreement(vendor, [several], signed_on=today - 900 * day, expires_on=today - 300 * day)
        factories.make_agreement(vendor, [several], signed_on=None)
        renews = product("Renews", kind=untranslated)
        factories.make_agreement(vendor, [renews], expires_on=today + 20 * day, auto_renews=True)
        expiring = product("Expiring")
        factories.make_agreement(vendor, [expiring], expires_on=today + 20 * day)
        upcoming = product("Upcoming")
        factories.make_agreement(vendor, [upcoming], effective_on=today + 30 * day, expires_on=today + 400 * day)
        terminated = product("Terminated")
        factories.make_agreement(vendor, [terminated], terminated_on=today - 5 * day)
        open_ended = product("Open ended")
        factories.make_agreement(vendor, [open_ended], expires_on=None)
        renewed = product("Renewed")
        successor = factories.make_agreement(vendor, [], expires_on=today + 700 * day)
        factories.make_agreement(vendor, [renewed], expires_on=today - 10 * day, renewed_by_id=successor.id)
        expired = product("Expired")
        factories.make_agreement(vendor, [expired], expires_on=today - 10 * day)
        requested = product("Requested")
        factories.make_agreement(vendor, [requested], signed_on=None)
        product("Declined", agreement_status=StatedAgreementStatus.DECLINED_BY_VENDOR)
        product("Nothing on file")
        product("Of a retired vendor", vendor=retired)
        product("Retired", status=ProductStatus.RETIRED)
        db.session.commit()


def _rows_and_loaded(filters: DirectoryFilters) -> list[tuple[queries.CardProduct, Product]]:
    rows = search_products(filters, 1, 50, district_today()).items
    loaded = db.session.scalars(
        select(Product)
        .where(Product.id.in_([row.id for row in rows]))
        .options(selectinload(Product.agreements), selectinload(Product.vendor), selectinload(Product.kind))
    )
    by_id = {product.id: product for product in loaded}
    return [(row, by_id[row.id]) for row in rows]


@pytest.mark.parametrize("prefix", ["", "/es"])
def test_a_product_read_as_a_row_gives_the_card_of_the_loaded_product(app, catalogue, prefix):
    today = district_today()
    with app.test_request_context(f"{prefix}/directory"):
        app.preprocess_request()  # the URL's language, as a request sets it
        pairs = _rows_and_loaded(DirectoryFilters()) + _rows_and_loaded(DirectoryFilters(status=ProductStatus.RETIRED))
        assert len(pairs) == 13
        assert all(len(row.agreements) == len(product.agreements) for row, product in pairs)
        urls, words = Addresses(), Wording()
        rows = queries.listings([row for row, _ in pairs], today)
        loaded = queries.listings([product for _, product in pairs], today)
        labels = set()
        for from_row, from_model in zip(rows, loaded, strict=True):
            assert from_row.standing.label == from_model.standing.label
            assert from_row.standing.badge == from_model.standing.badge
            assert listing_card(from_row, "h3", urls, words) == listing_card(from_model, "h3", urls, Wording())
            # A card words its agreement's phrase as the label says it.
            assert words.agreement(from_row.standing) == words.gettext(
                "Agreement: %(state)s", state=from_model.standing.label
            )
            labels.add(from_row.standing.label)
        db.session.remove()
    # Every way a card says where an agreement stands: each signed state, stated, none, requested.
    assert len(labels) == 11, labels
    assert any("renews on" in label or "se renueva" in label for label in labels), labels


def _cards(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_card_names_sensitive_data_in_taxonomy_order_and_follows_a_rename(app, client):
    with in_app(app):
        later, first = factories.make_category(name="Later"), factories.make_category(name="First")
        later.position, first.position = 9, 1
        elements = [
            factories.make_element(later, name="Zeta", is_sensitive=True),
            factories.make_element(first, name="Alpha", is_sensitive=True),
            factories.make_element(first, name="Middle", is_sensitive=True),
            factories.make_element(first, name="Plain"),
        ]
        for element, position in zip(elements, [1, 5, 2, 0], strict=True):
            element.position = position
        factories.make_product(name="Ordered", elements=elements)
        db.session.commit()
    html = _cards(client, "/directory?q=ordered")
    assert re.search(
        r"4 kinds of student data, including 3 sensitive: "
        r"<strong>Middle</strong>, <strong>Alpha</strong>, <strong>Zeta</strong>\.",
        html,
    )
    with in_app(app):
        db.session.scalar(select(DataElement).where(DataElement.name == "Zeta")).name = "Omega"
        db.session.commit()
    assert "<strong>Omega</strong>" in _cards(client, "/directory?q=ordered&page=1")
