"""`flask import-inventory`: the same import from a terminal, with a preview and all-or-nothing."""

from sqlalchemy import func, select

from clearinghouse.audit.models import AuditEvent
from clearinghouse.directory.models import Product, Vendor
from clearinghouse.extensions import db
from tests.conftest import in_app
from tests.imports.conftest import SB29, TOOLKIT


def _vendors(app) -> int:
    with in_app(app):
        return db.session.scalar(select(func.count(Vendor.id)))


def test_both_real_inventories_import_from_the_command_line(app, runner):
    result = runner.invoke(args=["import-inventory", str(SB29), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Columns: software_name → Product name; vendor_name → Vendor (company)" in result.output
    assert "Not imported: id, hostname, current_dpa_status, resource_type" in result.output
    assert "  new      row 2: Instructure — Canvas LMS" in result.output
    assert result.output.strip().endswith(
        "Imported. 9 products created, 0 updated, 0 unchanged; 8 new vendors, 0 new schools, 0 new agreements."
    )
    result = runner.invoke(args=["import-inventory", str(TOOLKIT), "--yes"])
    assert result.exit_code == 0, result.output
    assert "changed  row 2: Google — Google Classroom: Purpose reworded; Grade bands: none → PK-12" in result.output
    assert (
        "Imported. 10 products created, 1 updated, 0 unchanged; 9 new vendors, 5 new schools, "
        "11 new agreements." in result.output
    )
    again = runner.invoke(args=["import-inventory", str(TOOLKIT), "--yes"])
    assert "Nothing to import: the directory already says all of this." in again.output
    with in_app(app):
        assert db.session.scalar(select(func.count(Product.id))) == 19
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.actor_id.is_not(None))) == 0


def test_mapping_options_override_the_guesses(app, runner):
    result = runner.invoke(
        args=[
            "import-inventory",
            str(SB29),
            "--yes",
            "--mapping",
            "hostname=website",
            "--mapping",
            "Resource_Link=none",
        ]
    )
    assert result.exit_code == 0, result.output
    with in_app(app):
        assert (
            db.session.scalar(select(Product.website).where(Product.name == "Canvas LMS")) == "https://instructure.com"
        )
    bad = runner.invoke(args=["import-inventory", str(SB29), "--mapping", "colour=website"])
    assert bad.exit_code == 1
    assert "the file has no column 'colour'" in bad.output
    bad = runner.invoke(args=["import-inventory", str(SB29), "--mapping", "hostname=colour"])
    assert "'colour' is not a field" in bad.output
    bad = runner.invoke(args=["import-inventory", str(SB29), "--mapping", "software_name=none"])
    assert "Choose the column that holds the product name" in bad.output


def test_nothing_is_imported_without_confirmation_or_with_a_bad_row(app, runner, tmp_path):
    declined = runner.invoke(args=["import-inventory", str(SB29)], input="n\n")
    assert declined.exit_code == 1
    assert "Import all of it? [y/N]" in declined.output
    assert _vendors(app) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("vendor,product,status\nGood Co,Good App,Approved\nGood Co,Odd App,Perhaps\n")
    refused = runner.invoke(args=["import-inventory", str(bad), "--yes"])
    assert refused.exit_code == 1
    assert "problem  row 3: “Perhaps” is not a status we know" in refused.output
    assert "Nothing was imported. Fix the rows above and run the import again." in refused.output
    assert _vendors(app) == 0
    accepted = runner.invoke(args=["import-inventory", str(SB29)], input="y\n")
    assert accepted.exit_code == 0
    assert _vendors(app) == 8


def test_the_audit_log_names_the_officer_given(app, runner, officer_id):
    unknown = runner.invoke(args=["import-inventory", str(SB29), "--yes", "--actor", "nobody@district.example"])
    assert unknown.exit_code == 1
    assert "No admin or privacy officer has the e-mail address nobody@district.example" in unknown.output
    result = runner.invoke(args=["import-inventory", str(SB29), "--yes", "--actor", "Officer@District.example"])
    assert result.exit_code == 0, result.output
    with in_app(app):
        actors = set(db.session.scalars(select(AuditEvent.actor_id)))
        assert actors == {officer_id}
