"""The NDPA schedule of data is seeded with its Spanish names and descriptions, and staff's own words win."""

from lxml import html as lxml_html
from sqlalchemy import select

from clearinghouse.directory.models import DataCategory, DataElement
from clearinghouse.directory.taxonomy import TAXONOMY
from clearinghouse.extensions import db
from tests.conftest import in_app


def test_every_seeded_category_and_element_has_its_spanish_name(app, runner):
    assert runner.invoke(args=["seed-taxonomy"]).exit_code == 0
    with in_app(app):
        categories = db.session.scalars(select(DataCategory)).all()
        elements = db.session.scalars(select(DataElement)).all()
        assert len(categories) == len(TAXONOMY)
        assert all(category.translation("es", "name") for category in categories)
        assert all(
            element.translation("es", "name") and element.translation("es", "description") for element in elements
        )
        birth = db.session.scalar(select(DataElement).where(DataElement.name == "Date of birth"))
        assert birth.translations["es"] == {
            "name": "Fecha de nacimiento",
            "description": "El cumpleaños del estudiante.",
        }


def test_seeding_again_keeps_a_translation_staff_changed(app, runner):
    assert runner.invoke(args=["seed-taxonomy"]).exit_code == 0
    with in_app(app):
        birth = db.session.scalar(select(DataElement).where(DataElement.name == "Date of birth"))
        birth.set_translations({"es": {"name": "Fecha de nacimiento del estudiante"}})
        db.session.commit()
    result = runner.invoke(args=["seed-taxonomy"])
    assert result.exit_code == 0
    assert "0 new, 0 updated" in result.output
    with in_app(app):
        birth = db.session.scalar(select(DataElement).where(DataElement.name == "Date of birth"))
        assert birth.translation("es", "name") == "Fecha de nacimiento del estudiante"


def test_the_spanish_data_pages_show_the_seeded_names_unmarked(app, client, runner):
    assert runner.invoke(args=["seed-taxonomy"]).exit_code == 0
    page = lxml_html.fromstring(client.get("/es/data").get_data(as_text=True))
    assert page.xpath("//main//*[@lang='en']") == []
    text = " ".join(page.text_content().split())
    assert "Datos demográficos" in text
    assert "Fecha de nacimiento" in text
