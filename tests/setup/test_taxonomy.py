"""The NDPA taxonomy in taxonomy.py agrees with the reference, and seeding it is idempotent."""

import re

from sqlalchemy import func, select

from clearinghouse.audit.models import AuditEvent
from clearinghouse.directory.models import DataCategory, DataElement
from clearinghouse.directory.taxonomy import NOT_SEEDED, TAXONOMY
from clearinghouse.extensions import db
from tests.conftest import SHARED_DIR, in_app

REFERENCE = SHARED_DIR / "reference" / "ndpa-data-elements.md"
# Exhibit B rows whose cell describes the category instead of listing elements (see taxonomy.py).
DESCRIBED_NOT_LISTED = {"Other", "None"}
# Phrases of the reference's sensitivity paragraph that name elements in other words.
SENSITIVE_ALIASES = {
    "date and place of birth": ["Date of birth", "Place of birth"],
    "precise pick-up/drop-off locations": ["Student pick-up and/or drop-off location"],
}


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def reference_table() -> list[tuple[str, list[str]]]:
    rows = []
    for line in REFERENCE.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 2 and cells[0] not in ("category", "---"):
            # The reference lists elements in a sentence ("date of birth; place of birth"); names start upper-case.
            rows.append((cells[0], [_capitalized(element.strip()) for element in cells[1].split(";")]))
    return rows


def reference_sensitive() -> set[tuple[str, str]]:
    text = REFERENCE.read_text()
    paragraph = re.search(r"Sensitive by their nature.*?:(.*?)\.\n", text, re.S).group(1)
    phrases = [p.strip() for p in re.split(r",|\band\b(?= precise)", " ".join(paragraph.split())) if p.strip()]
    categories = {category.name: category for category in TAXONOMY}
    wanted: set[tuple[str, str]] = set()
    for phrase in phrases:
        phrase = phrase.removeprefix("everything under ").strip()
        if phrase in categories:
            wanted |= {(phrase, element.name) for element in categories[phrase].elements}
            continue
        names = SENSITIVE_ALIASES.get(phrase) or [
            element.name
            for category in TAXONOMY
            for element in category.elements
            if element.name.lower().startswith(phrase.lower())
        ]
        assert names, f"the reference's phrase {phrase!r} names no element"
        wanted |= {(c.name, e.name) for c in TAXONOMY for e in c.elements if e.name in names}
    return wanted


def test_every_reference_category_and_element_is_in_the_taxonomy_in_order():
    reference = reference_table()
    assert len(reference) == 24
    seeded = [(name, elements) for name, elements in reference if name not in NOT_SEEDED]
    assert [category.name for category in TAXONOMY] == [name for name, _ in seeded]
    for category, (name, elements) in zip(TAXONOMY, seeded, strict=True):
        if name in DESCRIBED_NOT_LISTED:
            assert category.elements == ()
        else:
            assert [element.name for element in category.elements] == elements, name


def test_sensitive_elements_are_exactly_the_ones_the_reference_marks():
    marked = {(c.name, e.name) for c in TAXONOMY for e in c.elements if e.is_sensitive}
    expected = reference_sensitive()
    assert ("Demographics", "Date of birth") in expected
    assert ("Student Identifiers", "Student app passwords") in expected
    assert len(expected) == 14
    assert marked == expected


def test_every_element_has_a_plain_language_description():
    for category in TAXONOMY:
        for element in category.elements:
            assert element.description.endswith("."), element.name
            assert 10 < len(element.description) < 200


def _rows():
    categories = db.session.execute(
        select(DataCategory.id, DataCategory.name, DataCategory.slug, DataCategory.position).order_by(DataCategory.id)
    ).all()
    elements = db.session.execute(
        select(
            DataElement.id,
            DataElement.name,
            DataElement.slug,
            DataElement.description,
            DataElement.is_sensitive,
            DataElement.position,
        ).order_by(DataElement.id)
    ).all()
    return categories, elements


def test_seed_taxonomy_loads_everything_once_and_again_changes_nothing(app, runner):
    first = runner.invoke(args=["seed-taxonomy"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "Data taxonomy: 23 categories (23 new), 59 elements (59 new, 0 updated)."
    with in_app(app):
        before = _rows()
        audits = db.session.scalar(select(func.count(AuditEvent.id)))
        assert audits == 23 + 59
        assert len(before[1]) == 59
        slugs = {name: slug for _, name, slug, *_ in before[1]}
        assert slugs["Date of birth"] == "date-of-birth"
        email_slugs = set(db.session.scalars(select(DataElement.slug).where(DataElement.name == "Email")))
        assert email_slugs == {"student-contact-information-email", "parent-guardian-contact-information-email"}
    second = runner.invoke(args=["seed-taxonomy"])
    assert second.output.strip() == "Data taxonomy: 23 categories (0 new), 59 elements (0 new, 0 updated)."
    with in_app(app):
        assert _rows() == before
        assert db.session.scalar(select(func.count(AuditEvent.id))) == audits


def test_seeding_again_restores_changed_descriptions_and_never_unmarks_sensitive(app, runner):
    runner.invoke(args=["seed-taxonomy"])
    with in_app(app):
        dob = db.session.scalar(select(DataElement).where(DataElement.name == "Date of birth"))
        gender = db.session.scalar(select(DataElement).where(DataElement.name == "Gender"))
        dob.description = "An old wording."
        dob.is_sensitive = False
        gender.is_sensitive = True  # an officer's decision the seed keeps
        db.session.commit()
    result = runner.invoke(args=["seed-taxonomy"])
    assert "(0 new, 1 updated)" in result.output
    with in_app(app):
        dob = db.session.scalar(select(DataElement).where(DataElement.name == "Date of birth"))
        assert dob.description == "The student's birthday."
        assert dob.is_sensitive is True
        assert db.session.scalar(select(DataElement.is_sensitive).where(DataElement.name == "Gender")) is True
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "data_element.updated"))
        assert event.record_label == "Date of birth"
        assert event.actor_id is None
        assert event.changes["description"] == ["An old wording.", "The student's birthday."]
