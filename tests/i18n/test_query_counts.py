"""The Spanish pages run the same number of SQL queries as the English ones, with 5 rows as with 50:
translations are read with the rows they belong to."""

from sqlalchemy import select

from clearinghouse.directory.models import DataCategory, DataElement, DataUse, Product, Vendor
from clearinghouse.extensions import db
from tests.conftest import in_app
from tests.directory.test_query_counts import _grow, counts_of_pages


def _translate_everything() -> None:
    for model, field in ((Product, "purpose_md"), (Vendor, "description_md"), (DataUse, "purpose")):
        for record in db.session.scalars(select(model)):
            record.set_translations({"es": {field: f"Texto {record.id}."}})
    for model in (DataElement, DataCategory):
        for record in db.session.scalars(select(model)):
            record.set_translations({"es": {"name": f"Nombre {record.id}"}})
    db.session.commit()


def test_spanish_pages_run_as_many_queries_as_english_ones_whatever_the_rows(app, client):
    with in_app(app):
        _grow(5)
        _translate_everything()
    small = counts_of_pages(app, client, "/es")
    assert small == counts_of_pages(app, client, "")
    with in_app(app):
        _grow(50)
        _translate_everything()
    assert counts_of_pages(app, client, "/es") == small
