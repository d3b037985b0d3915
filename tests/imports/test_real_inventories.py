"""Every real inventory of ../shared/data through the import, with the statuses, dates and vendors it states
and nothing it does not; then what a parent sees of it on the public pages."""

import json
import re

import pytest
from sqlalchemy import select

from clearinghouse.agreements.models import Agreement
from clearinghouse.directory.models import Product, ProductStatus, StatedAgreementStatus
from clearinghouse.extensions import db
from tests.conftest import SHARED_DIR, client_as, in_app
from tests.imports.conftest import SB29, TOOLKIT, plan_token, preview, web_import

DATA = SHARED_DIR / "data"
STATEWIDE = DATA / "ma-power-map__edtech-services.json"
CATALOG = DATA / "software-catalog-public__software_directory.json"
LEGACY = DATA / "digital-toolkit__expected-data-template.legacy-headers.csv"


@pytest.fixture
def officer(app, officer_id):
    return client_as(app, officer_id)


def _plan(runner, path, *options: str) -> dict:
    result = runner.invoke(args=["import-inventory", str(path), "--plan-json", *options])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_statewide_file_states_few_facts_and_the_plan_invents_none(app, runner):
    plan = _plan(runner, STATEWIDE)
    assert plan["columns"] == {"name": "product"}
    names = {record["name"] for district in json.loads(STATEWIDE.read_text())["districts"] for record in
             district.get("notableServices", [])}  # fmt: skip
    rows = {row["product"]: row for row in plan["rows"]}
    linewize = rows["Linewize"]
    assert (linewize["vendor"], linewize["values"]["status"], linewize["agreement_status"]) == (
        "Qoria",
        "approved",
        "signed",
    )
    # Every agreement comes from a date written in a name, next to the words that say what it is.
    assert plan["agreements"]
    for agreement in plan["agreements"]:
        month, day, year = agreement["signed_on"][5:7], agreement["signed_on"][8:], agreement["signed_on"][:4]
        assert any(f"{month}/{day}/{year}" in name for name in names), agreement
    # No vendor is made up from a product's own name: a name that names no company leaves it to the officer.
    for row in plan["rows"]:
        assert row["vendor"], row
    nameless = [p for p in plan["problems"] if "Nobody has named the vendor" in p["message"]]
    assert len(nameless) > 100
    # "ChatGPT (OpenAI) — status 'Not Approved,' declined reasoning: 'ChatGPT refused to sign the DPA'" is
    # listed again as plain "ChatGPT": the repeat is set aside with its reason, never silently dropped.
    reasons = [entry["reason"] for entry in plan["set_aside"]]
    assert any(reason.startswith("“ChatGPT” of OpenAI is listed 2 times") for reason in reasons)
    assert any(reason.startswith("Not a product:") for reason in reasons)


def test_the_statewide_file_imports_what_it_can_and_sets_the_rest_aside(app, runner, tmp_path):
    aside = tmp_path / "aside.csv"
    result = runner.invoke(
        args=["import-inventory", str(STATEWIDE), "--yes", "--skip-problems", "--set-aside-csv", str(aside)]
    )
    assert result.exit_code == 0, result.output
    with in_app(app):
        linewize = db.session.scalar(select(Product).where(Product.name == "Linewize"))
        assert linewize.vendor.name == "Qoria"
        assert linewize.status is ProductStatus.APPROVED
        assert [a.signed_on.isoformat() for a in linewize.agreements] == ["2025-02-03"]
        for product in db.session.scalars(select(Product)):
            assert product.vendor.name != product.name, product.name  # never one vendor per product
    assert aside.read_text().splitlines()[0].endswith(",reason")


def test_the_json_catalog_reads_its_dpa_tag_among_the_categories(app, runner):
    plan = _plan(runner, CATALOG, "--mapping", "categories=status", "--mapping", "tagline=purpose")
    meanings = {value["value"]: value["meaning"] for value in plan["values"]["status"]}
    active = next(meaning for value, meaning in meanings.items() if "DPA Active" in value)
    assert active.endswith("/on_file")
    refused = next(meaning for value, meaning in meanings.items() if "DPA Refused by Vendor" in value)
    assert refused.endswith("/declined_by_vendor")
    not_on_file = next(meaning for value, meaning in meanings.items() if "DPA Not on File" in value)
    assert not_on_file == "/none_on_file"  # the tag says nothing of the approval: nothing is made up
    # "DPA Active" and "DPA Expired" say an agreement is on file, never its dates: none is made up
    assert all(a["signed_on"] is None and a["expires_on"] is None for a in plan["agreements"])


def test_the_legacy_headers_map_like_the_new_ones(app, runner):
    new, old = _plan(runner, TOOLKIT), _plan(runner, LEGACY)
    assert sorted(new["columns"].values()) == sorted(old["columns"].values())
    assert {row["product"] for row in old["rows"]} <= {row["product"] for row in new["rows"]}
    assert len(old["rows"]) == 10


def test_a_parent_sees_the_imported_statuses_in_plain_words_and_no_invented_agreement(app, officer, client):
    assert web_import(officer, SB29.read_bytes()).status_code == 302
    with in_app(app):
        slugs = {name: slug for name, slug in db.session.execute(select(Product.name, Product.slug))}
        # "Received": an agreement on file, one per vendor, with no date the file does not give
        on_file = list(db.session.scalars(select(Agreement)))
        assert len(on_file) == 4
        assert all(not a.dates_recorded and a.signed_on is None and a.expires_on is None for a in on_file)
    canvas = client.get(f"/products/{slugs['Canvas LMS']}")
    assert canvas.status_code == 200
    assert "Approved" in canvas.text
    assert "dates not recorded" in canvas.text
    rejected = client.get(f"/products/{slugs['Cool Math Games']}")
    assert re.search(r"Not approved", rejected.text)
    pending = client.get(f"/products/{slugs['New AI Tool']}")
    assert "Under review" in pending.text


def test_an_sb29_pair_that_means_staff_only_keeps_its_condition_as_the_status_note(app, officer, client):
    """The sheet's icon strategy: any teacher-level status with the DPA "Denied" is staff only (the yellow
    triangle). The example sheet has no such row, so one of its rows is written that way, as the sheet
    would: the product is approved with conditions, and the condition is its (public) status note."""
    sheet = SB29.read_bytes().decode()
    assert "6,Google Classroom,Google,classroom.google.com,https://classroom.google.com,Approved,Received," in sheet
    sheet = sheet.replace(
        "https://classroom.google.com,Approved,Received,", "https://classroom.google.com,Approved,Denied,"
    )
    shown, base = preview(officer, sheet.encode())
    assert "New: Approved with conditions (Staff use only; not for students)" in shown.text
    values = officer.get(f"{base}/values")
    assert "Conditions, kept as the status note: Staff use only; not for students" in values.text
    assert officer.post(f"{base}/confirm", data={"plan": plan_token(shown.text)}).status_code == 302
    with in_app(app):
        products = {product.name: product for product in db.session.scalars(select(Product))}
        classroom = products["Google Classroom"]
        assert classroom.status is ProductStatus.APPROVED_WITH_CONDITIONS
        assert classroom.status_note == "Staff use only; not for students"
        assert classroom.agreement_status is StatedAgreementStatus.DECLINED_BY_VENDOR
        assert products["Canvas LMS"].status_note == ""  # approved outright: no conditions
        slug = classroom.slug
    assert "Staff use only; not for students" in client.get(f"/products/{slug}").text
