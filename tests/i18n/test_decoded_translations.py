"""A `translations` column read as text and decoded once a record (`i18n.decoded_translations`) gives what the
JSON column gives, so `localize` words it the same. Run on PostgreSQL with TEST_DATABASE_URL as well."""

from sqlalchemy import Text, cast, select

from clearinghouse.directory.models import DataElement
from clearinghouse.extensions import db
from clearinghouse.i18n import decoded_translations
from tests import factories
from tests.conftest import in_app


def test_translations_read_as_text_decode_to_what_the_json_column_gives(app):
    with in_app(app):
        category = factories.make_category(name="Health")
        translated = factories.make_element(
            category=category, name="Allergies", translations={"es": {"name": "Alergias «graves» & más"}}
        )
        untranslated = factories.make_element(category=category, name="Height")
        db.session.commit()
        for element in (translated, untranslated):
            as_json, as_text = db.session.execute(
                select(
                    DataElement.translations.label("as_json"), cast(DataElement.translations, Text).label("as_text")
                ).where(DataElement.id == element.id)
            ).one()
            assert isinstance(as_text, str)
            assert decoded_translations(as_text) == as_json
        assert decoded_translations(None) is None
