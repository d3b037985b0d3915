"""`flask import-inventory`: the same import from a terminal, with a preview and all-or-nothing."""

import csv
import json

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
    assert "Not imported: id, hostname, resource_type" in result.output
    assert "  value    status: “Approved × Received” ×5 → Approved; On file, dates not recorded" in (result.output)
    assert "  new      row 2: Instructure — Canvas LMS" in result.output
    assert result.output.strip().endswith(
        "Imported. 9 products created, 0 updated, 0 unchanged; 8 new vendors, 0 new schools, 4 new agreements."
    )
    result = runner.invoke(args=["import-inventory", str(TOOLKIT), "--yes"])
    assert result.exit_code == 0, result.output
    assert "changed  row 2: Google — Google Classroom: Purpose reworded; Grade bands: none → PK-12" in result.output
    assert "  new      row 3: Canva — Canva for Education" in result.output  # the vendor from the website
    assert (
        "Imported. 10 products created, 1 updated, 0 unchanged; 8 new vendors, 5 new schools, "
        "0 new agreements." in result.output  # "date added" and "renewal date" are no agreement's dates
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
    assert "  value    status: “Perhaps” ×1 → Not understood: choose what it means" in refused.output
    assert "problem  row 3: Nobody has said what “Perhaps” in status means." in refused.output
    assert "Nothing was imported. Fix the rows above (or set them aside with --skip-problems)" in refused.output
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


def test_values_skipped_problems_and_the_plan_as_json(app, runner, tmp_path):
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(
        "vendor,product,status\n"
        "Good Co,Good App,01. DPA Approved\n"
        "Good Co,Odd App,Perhaps\n"
        "Good Co,,Approved\n"
        "Good Co,Third App,2-DPA Pending\n"
    )
    shown = runner.invoke(args=["import-inventory", str(inventory), "--plan-json"])
    assert shown.exit_code == 0, shown.output
    plan = json.loads(shown.output)
    assert plan["values"]["status"][0] == {
        "value": "01. DPA Approved",
        "rows": 1,
        "meaning": "approved/on_file",
        "remembered": False,
    }
    assert [problem["row"] for problem in plan["problems"]] == [3, 4]
    assert _vendors(app) == 0

    aside = tmp_path / "aside.csv"
    done = runner.invoke(
        args=[
            "import-inventory",
            str(inventory),
            "--yes",
            "--skip-problems",
            "--set-aside-csv",
            str(aside),
            "--value",
            "status:2-DPA Pending=under_review/requested",
        ]
    )
    assert done.exit_code == 0, done.output
    assert "Imported. 2 products created" in done.output
    rows = list(csv.DictReader(aside.open()))
    assert [(row["product"], row["reason"][:30]) for row in rows] == [
        ("Odd App", "Nobody has said what “Perhaps”"),
        ("", "The product name is empty. Eve"),
    ]
    with in_app(app):
        assert sorted(db.session.scalars(select(Product.name))) == ["Good App", "Third App"]
    wrong = runner.invoke(args=["import-inventory", str(inventory), "--value", "status:Perhaps=maybe"])
    assert wrong.exit_code == 1
    assert "is not a status. Write APPROVAL/AGREEMENT" in wrong.output


def test_proposals_and_repeats_follow_the_options(app, runner, tmp_path):
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(
        "product,website\n"
        "Linewize (Qoria) — DPA Approved 02/03/2025,https://www.linewize.com\n"
        "Seesaw,https://web.seesaw.me\n"
        "Seesaw,https://app.seesaw.me\n"
    )
    plan = json.loads(runner.invoke(args=["import-inventory", str(inventory), "--plan-json"]).output)
    assert [(row["product"], row["vendor"]) for row in plan["rows"]] == [("Linewize", "Qoria"), ("Seesaw", "Seesaw")]
    assert [entry["row"] for entry in plan["set_aside"]] == [4]  # keep-first: the repeat is set aside
    assert plan["agreements"][0]["signed_on"] == "2025-02-03"
    declined = json.loads(
        runner.invoke(
            args=["import-inventory", str(inventory), "--plan-json", "--decline", "signed_on", "--decline", "parent"]
        ).output
    )
    assert [(a["signed_on"], a["expires_on"]) for a in declined["agreements"]] == [(None, None)]  # on file only
    assert declined["rows"][0]["vendor"] == "Linewize"  # from the website, not the brackets
    merged = json.loads(
        runner.invoke(args=["import-inventory", str(inventory), "--plan-json", "--duplicates", "merge"]).output
    )
    assert merged["set_aside"] == []
    assert len(merged["rows"]) == 2
    both = runner.invoke(args=["import-inventory", str(inventory), "--accept", "name", "--decline", "name"])
    assert "--accept and --decline both name name" in both.output
