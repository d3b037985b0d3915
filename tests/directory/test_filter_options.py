"""The directory's filter lists and the sensitive data elements a card names are read with statements made
once (`queries.filter_options`, `queries.sensitive_elements`): each read still follows the data, and
reads the names in the reader's language. Read outside the page cache (each read is afresh), compared
with what the models hold. Run on PostgreSQL with TEST_DATABASE_URL as well.
"""

from sqlalchemy import select

from clearinghouse.directory import queries
from clearinghouse.directory.models import DataElement, Product, ProductKind, School, Tag
from clearinghouse.extensions import db
from clearinghouse.i18n import localize
from tests import factories
from tests.conftest import count_queries, in_app


def _taxonomy() -> list[DataElement]:
    return sorted(
        db.session.scalars(select(DataElement)),
        key=lambda element: (element.category.position, element.category.name, element.position, element.name),
    )


def _expected(sensitive_only: bool = False) -> dict:
    """What the lists should hold, read from the models: names in the reader's language, taxonomy order."""
    elements = [element for element in _taxonomy() if element.is_sensitive or not sensitive_only]
    used = set(db.session.scalars(select(Product.kind_id)))
    kinds = [kind for kind in db.session.scalars(select(ProductKind)) if not kind.is_retired or kind.id in used]
    return {
        "elements": [(element.slug, localize(element.name, element.translations, "name").text) for element in elements],
        "categories": list(
            dict.fromkeys(
                (element.category.slug, localize(element.category.name, element.category.translations, "name").text)
                for element in elements
            )
        ),
        "schools": sorted((school.slug, school.name) for school in db.session.scalars(select(School))),
        "tags": sorted((tag.slug, tag.name) for tag in db.session.scalars(select(Tag))),
        "kinds": [
            (kind.slug, localize(kind.name, kind.translations, "name").text)
            for kind in sorted(kinds, key=lambda kind: (kind.position, kind.name))
        ],
    }


def _read(app, prefix: str) -> tuple[dict, list[str], list[tuple[str, str]], list[str]]:
    with app.test_request_context(f"{prefix}/directory"):
        app.preprocess_request()  # the URL's language, as a request sets it
        with count_queries(app) as statements:
            options = queries.filter_options()
            sensitive = queries.sensitive_elements()
        expected = _expected()
        by_id = {element.id: element for element in _taxonomy()}
        named = [
            (by_id[id_].slug, name.text) for id_, (_, name) in sorted(sensitive.items(), key=lambda item: item[1][0])
        ]
        expected_sensitive = _expected(sensitive_only=True)["elements"]
        read = {
            "elements": [(choice.slug, choice.name) for choice in options.elements],
            "categories": [(choice.slug, choice.name) for choice in options.categories],
            "schools": sorted((choice.slug, choice.name) for choice in options.schools),
            "tags": sorted((choice.slug, choice.name) for choice in options.tags),
            "kinds": [(choice.slug, choice.name) for choice in options.kinds],
        }
        assert read == expected
        assert named == expected_sensitive
        db.session.remove()
        return read, list(statements), named, [slug for slug, _ in expected["elements"]]


def test_filter_lists_follow_the_data_and_the_readers_language(app):
    with in_app(app):
        identity = factories.make_category(name="Identity", translations={"es": {"name": "Identidad"}})
        factories.make_element(identity, name="Grade", translations={"es": {"name": "Curso"}})
        factories.make_element(identity, name="Date of birth", is_sensitive=True)
        factories.make_school(name="Lincoln Elementary")
        db.session.commit()

    english, statements, named, _ = _read(app, "")
    assert len(statements) == 3  # the elements, the kinds, schools and tags, the sensitive elements
    spanish, spanish_statements, spanish_named, _ = _read(app, "/es")
    assert len(spanish_statements) == 3
    assert any(name == "Grade" for _, name in english["elements"])
    assert any(name == "Curso" for _, name in spanish["elements"])
    assert any(name == "Identidad" for _, name in spanish["categories"])
    assert [name for _, name in named] == [name for _, name in spanish_named] == ["Date of birth"]

    # The same statements, read again after the data changed: new rows, a new translation, a new
    # sensitive element, a new kind.
    with in_app(app):
        health = factories.make_category(name="Health")
        allergy = factories.make_element(health, name="Allergies", is_sensitive=True)
        allergy.translations = {"es": {"name": "Alergias"}}
        factories.make_school(name="Adams Middle")
        factories.make_kind(name="Planners", translations={"es": {"name": "Agendas"}})
        grade = db.session.scalar(select(DataElement).where(DataElement.name == "Grade"))
        grade.translations = {"es": {"name": "Calificación"}}
        db.session.add(Tag(name="Reading", slug="reading"))
        db.session.commit()

    english_after, _, named_after, slugs = _read(app, "")
    spanish_after, _, spanish_named_after, _ = _read(app, "/es")
    assert len(english_after["elements"]) == len(english["elements"]) + 1
    assert any(name == "Adams Middle" for _, name in english_after["schools"])
    assert any(name == "Calificación" for _, name in spanish_after["elements"])
    assert any(name == "Agendas" for _, name in spanish_after["kinds"])
    assert any(name == "Planners" for _, name in english_after["kinds"])
    assert english_after["tags"] == spanish_after["tags"] == [("reading", "Reading")]
    assert {name for _, name in named_after} == {"Date of birth", "Allergies"}
    assert {name for _, name in spanish_named_after} == {"Date of birth", "Alergias"}
    assert len(slugs) == len(set(slugs))
