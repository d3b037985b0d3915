"""Plain-language disclosure revisions: what a parent is told when a product's public facts change."""

from sqlalchemy import select

from clearinghouse.audit.models import DisclosureRevision
from clearinghouse.directory.disclosure import describe_changes, disclose_changes, public_snapshot
from clearinghouse.directory.models import DataUse, Product, ProductStatus
from clearinghouse.extensions import db, unit_of_work
from tests import factories
from tests.conftest import in_app


def _product(**overrides) -> Product:
    category = factories.make_category(name="Demographics")
    birth = factories.make_element(category, name="Date of birth")
    grades = factories.make_element(factories.make_category(name="Transcript"), name="Course grades")
    school = factories.make_school(name="Adams Elementary")
    return factories.make_product(
        factories.make_vendor(), name="ReadWell", elements=[birth, grades], schools=[school], **overrides
    )


def _changes(product: Product, change) -> list[tuple[str, str]]:
    """Snapshot, change the product in memory, and describe the difference."""
    before = public_snapshot(product)
    change(product)
    db.session.flush()
    db.session.expire(product, ["data_uses", "schools"])
    return describe_changes(before, public_snapshot(product))


def test_a_new_product_lists_what_it_receives(app):
    with in_app(app):
        product = _product()
        assert describe_changes(None, public_snapshot(product)) == [
            ("product.added", "ReadWell was added to the directory. It receives: Course grades, Date of birth.")
        ]


def test_an_added_data_element_is_named_with_its_purpose(app):
    with in_app(app):
        product = _product()
        email = factories.make_element(name="Student e-mail")
        changes = _changes(
            product, lambda p: p.data_uses.append(DataUse(data_element_id=email.id, purpose="To sign in"))
        )
        assert changes == [("data_use.added", "ReadWell now receives Student e-mail (To sign in).")]


def test_a_removed_data_element_is_named(app):
    with in_app(app):
        product = _product()
        changes = _changes(
            product,
            lambda p: p.data_uses.remove(next(use for use in p.data_uses if use.element.name == "Date of birth")),
        )
        assert changes == [("data_use.removed", "ReadWell no longer receives Date of birth.")]


def test_a_reworded_data_use_purpose_is_reported_without_internal_detail(app):
    with in_app(app):
        product = _product()

        def reword(p: Product) -> None:
            next(use for use in p.data_uses if use.element.name == "Course grades").purpose = "To report progress"

        assert _changes(product, reword) == [
            ("data_use.purpose_changed", "ReadWell: why it receives Course grades was reworded.")
        ]


def test_a_reworded_product_purpose_is_reported(app):
    with in_app(app):
        product = _product()
        changes = _changes(product, lambda p: setattr(p, "purpose_md", "Reading practice for grades K-2."))
        assert changes == [("purpose.changed", "ReadWell: the description of why it is used was reworded.")]


def test_a_status_change_uses_the_status_labels(app):
    with in_app(app):
        product = _product(status=ProductStatus.UNDER_REVIEW)
        changes = _changes(product, lambda p: setattr(p, "status", ProductStatus.APPROVED_WITH_CONDITIONS))
        assert changes == [
            ("status.changed", "ReadWell: status changed from Under review to Approved with conditions.")
        ]


def test_schools_and_grade_bands_are_reported_together(app):
    with in_app(app):
        product = _product()
        lincoln = factories.make_school(name="Lincoln Middle")

        def move(p: Product) -> None:
            p.schools.append(lincoln)
            p.grade_bands = "K-8"

        assert _changes(product, move) == [
            ("schools.changed", "ReadWell: now used at Adams Elementary, Lincoln Middle (grades K-8).")
        ]


def test_rename_website_and_kind_changes_are_each_reported(app):
    with in_app(app):
        product = _product()

        def edit(p: Product) -> None:
            p.name = "ReadWell Plus"
            p.website = "https://readwell.example"
            p.kind = factories.kind_named("math")

        kinds = [kind for kind, _ in _changes(product, edit)]
        assert kinds == ["product.renamed", "kind.changed", "website.changed"]


def test_internal_fields_make_no_public_change(app):
    with in_app(app):
        product = _product()

        def internal(p: Product) -> None:
            p.internal_notes = "Contract owner: Pat. Renegotiate price."
            p.version += 1

        assert _changes(product, internal) == []


def test_two_elements_with_the_same_name_are_told_apart_by_category(app):
    with in_app(app):
        product = _product()
        other_a = factories.make_element(factories.make_category(name="Assessment"), name="Other")
        other_b = factories.make_element(factories.make_category(name="Enrollment"), name="Other")

        def add_both(p: Product) -> None:
            p.data_uses.append(DataUse(data_element_id=other_a.id, purpose=""))
            p.data_uses.append(DataUse(data_element_id=other_b.id, purpose=""))

        assert _changes(product, add_both) == [
            ("data_use.added", "ReadWell now receives Other (Assessment)."),
            ("data_use.added", "ReadWell now receives Other (Enrollment)."),
        ]


def test_disclose_changes_writes_one_public_revision_per_change_in_the_callers_transaction(app):
    with in_app(app):
        product = _product(status=ProductStatus.UNDER_REVIEW)
        before = public_snapshot(product)
        with unit_of_work():
            product.status = ProductStatus.APPROVED
            product.purpose_md = "New words."
            product.internal_notes = "Private."
            db.session.flush()
            disclose_changes(product, before)
        product_id, vendor_id = product.id, product.vendor_id

    with in_app(app):
        revisions = db.session.scalars(select(DisclosureRevision).order_by(DisclosureRevision.id)).all()
        assert [(r.kind, r.product_id, r.vendor_id) for r in revisions] == [
            ("status.changed", product_id, vendor_id),
            ("purpose.changed", product_id, vendor_id),
        ]
        assert revisions[0].details == {
            "before": {"status": "under_review", "status_note": ""},
            "after": {"status": "approved", "status_note": ""},
            # The facts its sentence is made of, so each language can word it (audit.wording).
            "wording": {
                "key": "status.changed",
                "facts": {"product": "ReadWell", "old": "under_review", "new": "approved"},
            },
        }
        assert "Private" not in repr([r.details for r in revisions])


def test_disclose_changes_for_an_unchanged_product_writes_nothing(app):
    with in_app(app):
        product = _product()
        with unit_of_work():
            assert disclose_changes(product, public_snapshot(product)) == []
        assert db.session.scalars(select(DisclosureRevision)).all() == []
