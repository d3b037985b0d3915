"""The import's steps keep the officer's choices: paste, sheets, values remembered for the district, set-aside rows."""

import csv
import io

import pytest
from sqlalchemy import func, select

from clearinghouse.directory.models import Product, ProductStatus
from clearinghouse.extensions import db
from clearinghouse.imports.models import ImportDraft, ImportValueChoice
from tests.conftest import SHARED_DIR, client_as, in_app
from tests.imports.conftest import (
    form_values,
    plan_token,
    preview,
    selected_mapping,
    through_values,
    to_preview,
    upload,
)
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
    assert "Approved; On file, dates not recorded" in page.text  # 01. DPA Approved
    assert "Under review; Requested" in page.text  # 2-DPA Pending
    assert "Declined by the vendor" in page.text
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
    assert officer.post(f"{base}/values", data=chosen).headers["Location"] == f"{base}/proposals"
    to_preview(officer, f"{base}/proposals")
    again = officer.get(f"{base}/values")  # going back shows what was chosen
    assert form_values(again.text)["status_5_approval"] == "approved_with_conditions"

    shown = officer.get(f"{base}/preview")
    assert "6</span> new products" in shown.text
    officer.post(f"{base}/confirm", data={"plan": plan_token(shown.text)})
    with in_app(app):
        products = {p.name: p for p in db.session.scalars(select(Product))}
        assert products["Acme Math"].status is ProductStatus.APPROVED
        assert products["Acme Read"].status is ProductStatus.UNDER_REVIEW
        assert products["Acme Read"].kind.slug == "reading"
        assert products["Beta Pass"].status is ProductStatus.APPROVED_WITH_CONDITIONS
        assert products["Beta Tube"].status is ProductStatus.NOT_APPROVED
        assert products["Gamma Quiz"].kind.slug == "assessment"
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
    data = (
        b"vendor,product,status\nGood Co,Good App,Approved\nGood Co,,Approved\nGood Co,Good App,Approved\n"
        b"Good Co,Bad App,Approved\xe2\x80\xae\n"
    )
    shown, base = preview(officer, data)
    assert shown.status_code == 422
    assert plan_token(shown.text) is None
    assert "1</span> rows set aside" in shown.text  # row 4 repeats row 2, which is kept (the default)
    aside = officer.post(f"{base}/set-aside", data={"rows": "3"})
    assert aside.status_code == 302
    shown = officer.get(f"{base}/preview")
    assert "2</span> rows set aside" in shown.text
    assert shown.status_code == 422  # row 5 still has a problem
    officer.post(f"{base}/set-aside", data={"set_aside_all": "1"})
    shown = officer.get(f"{base}/preview")
    assert shown.status_code == 200
    assert "3</span> rows set aside" in shown.text
    download = officer.get(f"{base}/set-aside.csv")
    assert download.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert [row["product"] for row in rows] == ["", "Good App", "Bad App"]
    assert rows[0]["reason"] == "The product name is empty. Every row needs one."
    assert rows[1]["reason"] == "“Good App” of Good Co is listed 2 times; row 2 was imported instead."
    assert rows[2]["reason"].startswith("Status (approval for use): Remove the invisible")
    done = officer.post(f"{base}/confirm", data={"plan": plan_token(shown.text)})
    assert done.headers["Location"] == f"{base}/done"
    assert "3 rows were set aside" in officer.get(f"{base}/done").text
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


NAMES = (
    "Product,Website,Notes\n"
    "Linewize (Qoria) — DPA Approved 02/03/2025,https://www.linewize.com,\n"
    "Turnitin — NOT approved,https://www.turnitin.com,\n"
    "Kahoot! / Blooket,,\n"
    "Vendor declinations on privacy grounds,,\n"
    "3Doodler,https://the3doodler.com,\n"
    "Mystery App,,\n"
    "Seesaw,https://web.seesaw.me,SDPC approved 07/09/2024 (expires 07/09/2027); grades PK-5\n"
    "Seesaw,https://app.seesaw.me,DPA Pending\n"
)


def test_facts_names_vendors_and_repeats_are_proposed_then_decided(app, officer):
    uploaded = _paste(officer, NAMES.replace(",", "\t"))
    base = uploaded.headers["Location"].removesuffix("/columns")
    officer.post(f"{base}/columns", data=selected_mapping(officer.get(f"{base}/columns").text))
    through_values(officer, f"{base}/values")

    facts = officer.get(f"{base}/proposals")
    assert "Linewize (Qoria) — <mark>DPA Approved 02/03/2025</mark>" in facts.text  # the words read, marked
    assert "Signed or approved: 2025-02-03" in facts.text
    assert "Expires: 2027-07-09" in facts.text
    assert "Grades: PK-5" in facts.text
    declined = form_values(facts.text)
    declined.pop("grades")  # the officer declines one kind
    assert officer.post(f"{base}/proposals", data=declined).headers["Location"] == f"{base}/vendors"

    names = officer.get(f"{base}/vendors")
    assert "Linewize — by Qoria" in names.text
    assert "<li>Kahoot!</li><li>Blooket</li>" in names.text
    assert "Vendor declinations on privacy grounds" in names.text  # flagged, set aside unless kept
    assert "Rows without a vendor (3)" in names.text  # Kahoot!, Blooket, Mystery App: nothing names them
    chosen = form_values(names.text)
    chosen.update({"vendor_4_1": "Kahoot! ASA", "vendor_4_2": "Blooket LLC", "vendor_7": "Mystery Co"})
    assert officer.post(f"{base}/vendors", data=chosen).headers["Location"] == f"{base}/duplicates"

    repeats = officer.get(f"{base}/duplicates")
    assert 'Row 8</th><th scope="col">Row 9' in repeats.text  # the two Seesaw rows side by side
    assert "<mark>https://web.seesaw.me</mark>" in repeats.text  # the values that differ
    data = form_values(repeats.text)
    data["group_0"] = "merge"
    assert officer.post(f"{base}/duplicates", data=data).headers["Location"] == f"{base}/preview"

    shown = officer.get(f"{base}/preview")
    assert shown.status_code == 200, shown.text
    assert "Agreements it would add (2)" in shown.text  # Linewize's and Seesaw's, with their dates
    officer.post(f"{base}/confirm", data={"plan": plan_token(shown.text)})
    with in_app(app):
        products = {p.name: p for p in db.session.scalars(select(Product))}
        assert sorted(products) == ["3Doodler", "Blooket", "Kahoot!", "Linewize", "Mystery App", "Seesaw", "Turnitin"]
        assert products["Linewize"].vendor.name == "Qoria"
        assert products["Linewize"].status is ProductStatus.APPROVED
        (agreement,) = products["Linewize"].agreements
        assert agreement.signed_on.isoformat() == "2025-02-03"
        assert products["Turnitin"].status is ProductStatus.NOT_APPROVED
        assert products["Turnitin"].vendor.name == "Turnitin"  # from turnitin.com
        assert products["3Doodler"].vendor.name == "The3doodler"  # from the website: never "3Doodler by 3Doodler"
        assert products["Kahoot!"].vendor.name == "Kahoot! ASA"
        seesaw = products["Seesaw"]
        assert seesaw.status is ProductStatus.UNDER_REVIEW  # merged: the least approved of the two rows
        assert seesaw.grade_bands == ""  # grades were declined
        assert (seesaw.agreements[0].signed_on.isoformat(), seesaw.agreements[0].expires_on.isoformat()) == (
            "2024-07-09",
            "2027-07-09",
        )
        assert "Vendor declinations" not in " ".join(products)


def test_conditions_and_reasons_in_a_name_go_to_the_statuses_notes(app, officer):
    text = (
        "Product\tVendor\n"
        "Kami — Approved w/ Guardian Release\tKami\n"
        "ChatGPT — status 'Not Approved,' declined reasoning: 'ChatGPT refused to sign the DPA'\tOpenAI\n"
    )
    base = _paste(officer, text).headers["Location"].removesuffix("/columns")
    officer.post(f"{base}/columns", data=selected_mapping(officer.get(f"{base}/columns").text))
    shown = officer.get(to_preview(officer, f"{base}/values"))
    officer.post(f"{base}/confirm", data={"plan": plan_token(shown.text)})
    with in_app(app):
        products = {p.name: p for p in db.session.scalars(select(Product))}
        assert products["Kami"].status is ProductStatus.APPROVED_WITH_CONDITIONS
        assert products["Kami"].status_note == "Guardian Release"
        assert products["ChatGPT"].status is ProductStatus.NOT_APPROVED
        assert products["ChatGPT"].status_note == "ChatGPT refused to sign the DPA"
