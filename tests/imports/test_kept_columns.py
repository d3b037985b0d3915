"""Columns with no field are kept with the product when the officer says how: as tags, staff notes
or (unpublished) evidence links, written through the directory's services; a second import of the
same file adds nothing."""

from sqlalchemy import select

from clearinghouse.directory.models import EvidenceLink, Product, ProductNote
from clearinghouse.extensions import db
from tests.conftest import client_as, in_app
from tests.imports.conftest import TOOLKIT, web_import

KEEP = ["--keep", "subjects=tags", "--keep", "licence_count=notes", "--keep", "tutorial_link=links"]


def test_the_toolkit_keeps_subjects_as_tags_licences_as_notes_and_tutorials_as_links(app, runner, client):
    result = runner.invoke(args=["import-inventory", str(TOOLKIT), *KEEP, "--yes"])
    assert result.exit_code == 0, result.output
    assert "Kept with each product: subjects as tags; licence_count as notes; tutorial_link as links" in result.output
    assert "tutorial_link" not in result.output.split("Not imported: ")[1].splitlines()[0]
    with in_app(app):
        canva = db.session.scalar(select(Product).where(Product.name == "Canva for Education"))
        assert [tag.name for tag in canva.tags] == ["Arts"]
        assert [(note.label, note.body) for note in canva.notes] == [("licence_count", "500")]
        assert [(link.label, link.url, link.is_public) for link in canva.links] == [
            ("tutorial_link", "https://www.canva.com/learn/", False)
        ]
        classroom = db.session.scalar(select(Product).where(Product.name == "Google Classroom"))
        assert [tag.name for tag in classroom.tags] == ["All Subjects"]
        slug = canva.slug
        notes = db.session.scalar(select(db.func.count()).select_from(ProductNote))
        links = db.session.scalar(select(db.func.count()).select_from(EvidenceLink))
    page = client.get(f"/products/{slug}").get_data(as_text=True)
    assert "Arts" in page  # the tag is public
    assert "canva.com/learn" not in page  # the link waits for an officer to publish it
    assert "licence_count" not in page  # notes are for staff
    again = runner.invoke(args=["import-inventory", str(TOOLKIT), *KEEP, "--yes"])
    assert "Nothing to import: the directory already says all of this." in again.output, again.output
    with in_app(app):
        assert db.session.scalar(select(db.func.count()).select_from(ProductNote)) == notes
        assert db.session.scalar(select(db.func.count()).select_from(EvidenceLink)) == links


def test_keep_refuses_a_mapped_or_unknown_column_and_an_unknown_way(app, runner):
    for pair, message in (
        ("nope=tags", "the file has no column 'nope'"),
        ("website=links", "'website' is imported as"),
        ("subjects=colours", "keep it as tags, notes, links"),
    ):
        result = runner.invoke(args=["import-inventory", str(TOOLKIT), "--keep", pair, "--yes"])
        assert result.exit_code != 0
        assert message in result.output
    with in_app(app):
        assert db.session.scalar(select(db.func.count()).select_from(Product)) == 0


def test_the_columns_step_keeps_a_column_with_each_product(app, officer_id, import_dir):
    officer = client_as(app, officer_id)
    # subjects, licence_count and tutorial_link: the toolkit's 6th, 11th and 19th columns
    changes = {"column_5": "keep:tags", "column_10": "keep:notes", "column_18": "keep:links"}
    done = web_import(officer, TOOLKIT.read_bytes(), changes, name=TOOLKIT.name)
    assert done.status_code == 302, done.text
    with in_app(app):
        canva = db.session.scalar(select(Product).where(Product.name == "Canva for Education"))
        assert [tag.name for tag in canva.tags] == ["Arts"]
        assert [(note.label, note.body) for note in canva.notes] == [("licence_count", "500")]
        assert [(link.url, link.is_public) for link in canva.links] == [("https://www.canva.com/learn/", False)]
