"""The import's steps keep the officer's choices: paste, sheets, values remembered for the district, set-aside rows."""

import csv
import io

import pytest
from sqlalchemy import func, select

from clearinghouse.directory.models import Product, ProductKind, ProductStatus
from clearinghouse.extensions import db
from clearinghouse.imports.models import ImportDraft, ImportValueChoice
from tests.conftest import SHARED_DIR, client_as, in_app
from tests.imports.conftest import form_values, plan_token, preview, selected_mapping, through_values, upload
from tests.imports.workbooks import xlsx

CATALOG = SHARED_DIR / "data" / "software-catalog-public__software_directory.json"

CODED = (
    "Vendor\tProduct\tDPA Status\tCategory\n"
    "Acme\tAcme Math\t01. DPA Approved\tMath\n"
    "Acme\tAcme Read\t2-DPA Pending\tLiteracy\n"
    "Beta Co\tBeta Pass\tApproved w/ Guardian Release\tHall pass\n"
    "Beta Co\tBeta Tube\tNot Approved / Declined\tVideo\n"
    "Gamma\tGamma Quiz\tDPA Refused by Vendor\tQuizzes\n"
    "Gamma\tGamma Odd\tSpecial Arrangement\tWidgets\n"
)


@pytest.fixture
def officer(app, officer_id):
    return client_as(app, officer_id)


def _paste(client, text: str):
    return client.post("/staff/import", data={"pasted": text}, content_type="multipart/form-data")


def test_a_pasted_table_goes_through_every_step_and_values_are_remembered(app, officer):
    pasted = _paste(officer, CODED)
    assert pasted.status_code == 302
    base = pasted.headers["Location"].removesuffix("/columns")
    columns = officer.get(f"{base}/columns")
    assert "table pasted from a spreadsheet" in columns.text
    mapping = selected_mapping(columns.text)
    assert mapping == {"column_0": "vendor", "column_1": "product", "column_2": "status", "column_3": ""}
    mapping["column_3"] = "kind"
    assert officer.post(f"{base}/columns", data=mapping).headers["Location"] == f"{base}/values"

    page = officer.get(f"{base}/values")
    assert "Approved; Agreement on file, dates not recorded" in page.text  # 01. DPA Approved
    assert "Under review; Agreement requested" in page.text  # 2-DPA Pending
    assert "Vendor declined to sign" in page.text
    assert page.text.count("Not understood") == 2  # "Special Arrangement" and "Widgets"
    refused = officer.post(f"{base}/values", data=form_values(page.text))
    assert refused.status_code == 422  # nothing unmatched becomes a default
    assert refused.text.count("Choose what this value says.</p>") == 2  # approval and agreement of one value
    assert refused.text.count("Choose what this value means.</p>") == 1
    with in_app(app):
        assert db.session.scalar(select(func.count(ImportValueChoice.id))) == 0

    chosen = form_values(page.text)
    chosen.update({"status_5_approval": "approved_with_conditions", "status_5_agreement": "none_on_file"})
    chosen.update({"kind_5": "other", "kind_1": "reading"})
    assert officer.post(f"{base}/values", data=chosen).headers["Location"] == f"{base}/preview"
    again = officer.get(f"{base}/values")  # going back shows what was chosen
    assert form_values(again.text)["status_5_approval"] == "approved_with_conditions"

    shown = officer.get(f"{base}/preview")
    assert "6</span> new products" in shown.text
    officer.post(f"{base}/confirm", data={"plan": plan_token(shown.text)})
    with in_app(app):
        products = {p.name: p for p in db.session.scalars(select(Product))}
        assert products["Acme Math"].status is ProductStatus.APPROVED
        assert products["Acme Read"].status is ProductStatus.UNDER_REVIEW
        assert products["Acme Read"].kind is ProductKind.READING
        assert products["Beta Pass"].status is ProductStatus.APPROVED_WITH_CONDITIONS
        assert products["Beta Tube"].status is ProductStatus.NOT_APPROVED
        assert products["Gamma Quiz"].kind is ProductKind.ASSESSMENT
        assert products["Gamma Odd"].status is ProductStatus.APPROVED_WITH_CONDITIONS

    # The next file with the same values is read with the district's choices.
    nxt = _paste(officer, CODED.replace("Acme Math", "Acme Science"))
    base = nxt.headers["Location"].removesuffix("/columns")
    officer.post(f"{base}/columns", data=mapping)
    page = officer.get(f"{base}/values")
    assert "Not understood" not in page.text
    assert page.text.count("Your earlier choice") == 12
    assert form_values(page.text)["status_5_approval"] == "approved_with_conditions"


def test_a_workbook_sheet_is_chosen_and_the_choice_is_kept(app, officer):
    data = xlsx(
        {
            "Notes": [["Read me"], ["This sheet is notes"]],
            "Apps": [["Product", "Vendor"], ["Alpha", "Alpha Inc"], ["Beta", "Beta Inc"], ["Gamma", "Gamma Inc"]],
        }
    )
    base = upload(officer, data, "inventory.xlsx").headers["Location"].removesuffix("/columns")
    page = officer.get(f"{base}/columns")
    assert "Excel workbook, “Notes”, 1 rows" in page.text  # the first sheet first
    chose = officer.post(f"{base}/columns", data={"sheet-sheet": "Apps", "sheet-choose": "1"})
    assert chose.status_code == 302
    page = officer.get(f"{base}/columns")
    assert "“Apps”, 3 rows" in page.text
    assert selected_mapping(page.text) == {"column_0": "product", "column_1": "vendor"}
    with in_app(app):
        assert db.session.scalar(select(ImportDraft)).choices["sheet"] == "Apps"


def test_json_is_read_as_a_table(app, officer):
    base = upload(officer, CATALOG.read_bytes(), "software_directory.json").headers["Location"]
    page = officer.get(base)
    assert "JSON file" in page.text
    assert "10 rows" in page.text
    assert ">categories</label>" in page.text


def test_a_text_that_is_not_a_table_is_refused_with_a_reason(app, officer):
    refused = _paste(officer, "<html><body><p>Our apps</p></body></html>")
    assert refused.status_code == 422
    assert "This file is a web page (HTML), not a table." in refused.text


def test_problem_rows_are_set_aside_and_download_with_their_reason(app, officer):
    data = b"vendor,product,status\nGood Co,Good App,Approved\nGood Co,,Approved\nGood Co,Good App,Approved\n"
    shown, base = preview(officer, data)
    assert shown.status_code == 422
    assert plan_token(shown.text) is None
    aside = officer.post(f"{base}/set-aside", data={"rows": "3"})
    assert aside.status_code == 302
    shown = officer.get(f"{base}/preview")
    assert "1</span> rows set aside" in shown.text
    assert shown.status_code == 422  # row 4 still repeats row 2
    officer.post(f"{base}/set-aside", data={"set_aside_all": "1"})
    shown = officer.get(f"{base}/preview")
    assert shown.status_code == 200
    assert "2</span> rows set aside" in shown.text
    download = officer.get(f"{base}/set-aside.csv")
    assert download.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert [(row["product"], row["reason"]) for row in rows] == [
        ("", "The product name is empty. Every row needs one."),
        (
            "Good App",
            "This row repeats row 2: the same product of the same vendor is listed twice. Keep one of the two rows.",
        ),
    ]
    done = officer.post(f"{base}/confirm", data={"plan": plan_token(shown.text)})
    assert done.headers["Location"] == f"{base}/done"
    assert "2 rows were set aside" in officer.get(f"{base}/done").text
    assert officer.get(f"{base}/set-aside.csv").status_code == 200  # still there to fix and import again
    with in_app(app):
        assert list(db.session.scalars(select(Product.name))) == ["Good App"]


def test_a_confirmation_from_an_older_preview_is_refused(app, officer):
    shown, base = preview(officer, b"vendor,product\nA,One\nA,Two\n")
    token = plan_token(shown.text)
    officer.post(f"{base}/set-aside", data={"rows": "2"})  # no problem on row 2: nothing set aside
    through_values(officer, f"{base}/values")
    with in_app(app):
        draft = db.session.scalar(select(ImportDraft))
        draft.choices = {**draft.choices, "set_aside": {"3": "Set aside by the officer."}}
        db.session.commit()
    refused = officer.post(f"{base}/confirm", data={"plan": token})
    assert refused.status_code == 302
    assert "changed since that preview" in officer.get(refused.headers["Location"]).text
    with in_app(app):
        assert db.session.scalar(select(func.count(Product.id))) == 0
