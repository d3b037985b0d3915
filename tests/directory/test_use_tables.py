"""The product page's tables of the data it receives are drawn from view models (`directory.use_tables`),
and must stay exactly what the template's macros drew, in every language, fallbacks marked.
Run on PostgreSQL with TEST_DATABASE_URL as well.
"""

import re
from pathlib import Path

import pytest
from flask import render_template_string

from clearinghouse.directory import queries
from clearinghouse.extensions import db
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import in_app

TABLES = re.compile(r'<div class="table-scroll">\s*<table class="data-uses">.*?</table>\s*</div>', re.DOTALL)
# The tables as templates/directory/product.html drew them before (its macros, a row at a time).
MACROS_BEFORE = (Path(__file__).parent / "drawn_before" / "product_use_tables.html").read_text()


@pytest.fixture
def product_slug(app) -> str:
    """A product receiving data of two categories: a sensitive element, a name and a purpose translated
    and others not (said in English on the Spanish page), a purpose not stated, a name to escape."""
    with in_app(app):
        health = factories.make_category(name="Health & care", translations={"es": {"name": "Salud"}})
        other = factories.make_category(name="Other <data>")
        elements = [
            factories.make_element(category=health, name="Allergies", is_sensitive=True),
            factories.make_element(category=health, name="Height", translations={"es": {"name": "Altura"}}),
            factories.make_element(category=other, name="Shoe size"),
        ]
        product = factories.make_product(elements=elements)
        first, second, third = product.data_uses
        first.translations = {"es": {"purpose": "Para <avisar> a la enfermera."}}
        second.purpose = ""
        third.purpose = "Fitting <boots> & more"
        db.session.commit()
        return product.slug


@pytest.mark.parametrize("prefix", ["", "/es"])
def test_the_data_tables_are_what_the_macros_drew(app, client, product_slug, prefix):
    response = client.get(f"{prefix}/products/{product_slug}")
    assert response.status_code == 200
    drawn = TABLES.findall(response.get_data(as_text=True))
    with app.test_request_context(f"{prefix}/products/{product_slug}"):
        app.preprocess_request()
        page = queries.product_page(product_slug, district_today())
        before = TABLES.findall(render_template_string(MACROS_BEFORE, page=page))
    assert len(drawn) == 2
    assert drawn == before
    assert "badge--sensitive" in drawn[0]
    assert "&lt;boots&gt; &amp; more" in drawn[1]
    if prefix:
        assert '<span lang="en">Allergies</span>' in drawn[0]
        assert 'class="fallback-note"' in drawn[1]
        assert "Para &lt;avisar&gt; a la enfermera." in drawn[0]
        assert "<caption>Salud</caption>" in drawn[0]
        assert 'href="/es/data/' in drawn[0]
