"""Importing an inventory through the staff pages: upload → match columns → preview → confirm."""

import re
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from clearinghouse import sweep
from clearinghouse.agreements.models import Agreement
from clearinghouse.audit.models import AuditEvent, DisclosureRevision
from clearinghouse.destruction.models import DestructionRequest, RequestOrigin
from clearinghouse.directory.models import DataUse, Product, ProductStatus, School, StatedAgreementStatus, Vendor
from clearinghouse.extensions import db
from clearinghouse.imports.models import ImportMapping
from clearinghouse.timeutil import district_today
from tests import factories
from tests.conftest import client_as, in_app
from tests.imports.conftest import (
    SB29,
    TOOLKIT,
    plan_token,
    preview,
    selected_mapping,
    through_values,
    to_preview,
    upload,
    web_import,
)


def _counts() -> dict[str, int]:
    """Rows per table of the directory: an import in progress and the values' remembered meanings are the
    officer's work on the import, saved step by step, not the directory."""
    own = ("import_draft", "import_value_choice")
    tables = [table for table in db.metadata.sorted_tables if table.name not in own]
    counts = {table.name: db.session.scalar(select(func.count()).select_from(table)) for table in tables}
    counts["audit_event"] = db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.record_type.not_in(own))
    )
    return counts


@pytest.fixture
def officer(app, officer_id):
    return client_as(app, officer_id)


@pytest.fixture
def taxonomy(runner):
    assert runner.invoke(args=["seed-taxonomy"]).exit_code == 0


def test_officer_imports_the_sb29_inventory_step_by_step(app, officer, officer_id, import_dir):
    page = officer.get("/staff/import")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    uploaded = upload(officer, SB29.read_bytes())
    columns_url = uploaded.headers["Location"]
    base = columns_url.removesuffix("/columns")
    mapping_page = officer.get(columns_url)
    assert "<h1>Match the columns</h1>" in mapping_page.text
    assert "Canvas LMS" in mapping_page.text  # example values help the officer
    chosen = selected_mapping(mapping_page.text)
    assert sorted(v for v in chosen.values() if v) == sorted(
        ["product", "vendor", "website", "status", "agreement_status", "purpose", "privacy_policy_url"]
    )
    saved = officer.post(columns_url, data=chosen)
    assert saved.headers["Location"] == f"{base}/values"
    assert selected_mapping(officer.get(columns_url).text) == chosen  # the step keeps the choice

    values_page = officer.get(f"{base}/values")
    assert "current_tl_status with current_dpa_status" in values_page.text  # read as pairs
    # Approved × Received: approved, the agreement on file; Approved × Requested would be under review
    assert "Approved; On file, dates not recorded" in values_page.text
    assert "Not approved; Declined by the vendor" in values_page.text
    assert through_values(officer, f"{base}/values").headers["Location"] == f"{base}/proposals"
    assert to_preview(officer, f"{base}/proposals") == f"{base}/preview"

    shown = officer.get(f"{base}/preview")
    assert shown.status_code == 200
    assert "9</span> new products" in shown.text
    assert "Not imported (no field chosen): id, hostname, resource_type." in shown.text
    with in_app(app):
        assert db.session.scalar(select(func.count(Vendor.id))) == 0  # nothing written before confirming
    (kept,) = [path for path in import_dir.glob("*.upload") if path.read_bytes() == SB29.read_bytes()]
    assert kept.stat().st_mode & 0o777 == 0o600  # the upload waits server-side, readable by the service alone

    done = officer.post(f"{base}/confirm", data={"plan": plan_token(shown.text)})
    assert done.status_code == 302
    followed = officer.get(done.headers["Location"])
    assert "Imported. 9 products created, 0 updated, 0 unchanged; 8 new vendors" in followed.text
    assert officer.get(f"{base}/preview").headers["Location"] == f"{base}/done"  # it cannot be imported twice
    assert not kept.exists()  # nothing was set aside: the file is not kept
    with in_app(app):
        products = {p.name: p for p in db.session.scalars(select(Product))}
        assert len(products) == 9
        assert products["Cool Math Games"].status is ProductStatus.NOT_APPROVED
        assert products["New AI Tool"].status is ProductStatus.UNDER_REVIEW
        assert products["Canvas LMS"].status is ProductStatus.APPROVED
        # The DPA column is kept apart from the approval: requested, declined, not required, on file
        assert products["New AI Tool"].agreement_status is StatedAgreementStatus.REQUESTED
        assert products["Cool Math Games"].agreement_status is StatedAgreementStatus.DECLINED_BY_VENDOR
        assert products["Desmos Graphing Calculator"].agreement_status is StatedAgreementStatus.NOT_REQUIRED
        assert [a.dates_recorded for a in products["Canvas LMS"].agreements] == [False]
        assert products["Canvas LMS"].website == "https://canvas.instructure.com"
        assert products["Canvas LMS"].purpose_md == "Primary Learning Management System for the district."
        google = db.session.scalar(select(Vendor).where(Vendor.name == "Google"))
        assert google.privacy_policy_url == "https://policies.google.com/privacy"
        assert sorted(p.name for p in google.products) == ["District Google App", "Google Classroom"]
        actions = db.session.execute(
            select(AuditEvent.action, func.count()).where(AuditEvent.actor_id == officer_id).group_by(AuditEvent.action)
        ).all()
        assert dict(actions) == {
            "vendor.created": 8,
            "product.created": 9,
            "import_mapping.created": 1,
            "import_value.remembered": 4,
            "agreement.created": 4,  # "Received": on file, dates not recorded, for each of the four vendors
        }
        revisions = db.session.scalars(select(DisclosureRevision)).all()
        assert {r.kind for r in revisions} >= {"product.added"}
        assert sum(r.kind == "product.added" for r in revisions) == 9


def test_digital_toolkit_inventory_without_a_vendor_column(app, officer):
    done = web_import(officer, TOOLKIT.read_bytes())
    assert done.status_code == 302
    with in_app(app):
        products = {p.name: p for p in db.session.scalars(select(Product))}
        assert len(products) == 11
        classroom = products["Google Classroom"]
        assert classroom.vendor.name == "Google"  # from the website's domain, never one vendor per product
        assert classroom.grade_bands == "PK-12"
        assert classroom.status is ProductStatus.APPROVED
        assert products["Example Inactive App"].status is ProductStatus.RETIRED
        schools = set(db.session.scalars(select(School.name)))
        assert schools == {
            "SAS Central",
            "SAS Early Learning Center",
            "SAS Elementary School",
            "SAS High School",
            "SAS Middle School",
        }
        assert {s.name for s in classroom.schools} == schools  # "Whole School"
        assert [s.name for s in products["Desmos"].schools] == ["SAS Middle School"]
        assert products["Desmos"].grade_bands == "6-8"
        # "date_added" and "renewal_date" are a catalog's dates, not an agreement's: no agreement is invented
        assert db.session.scalar(select(func.count(Agreement.id))) == 0


TOOLKIT_DATES = {"column_12": "signed_on", "column_13": "expires_on"}  # date_added, renewal_date


def test_a_date_column_becomes_an_agreement_date_only_when_the_officer_chooses_it(app, officer):
    page = officer.get(upload(officer, TOOLKIT.read_bytes()).headers["Location"])
    assert selected_mapping(page.text)["column_12"] == ""  # hinted at, never chosen for the officer
    assert "choose it only if these are the dates of the data-privacy agreement" in page.text
    shown, base = preview(officer, TOOLKIT.read_bytes(), TOOLKIT_DATES)
    # Both example.com apps are Example's, with the same start and two ends: one agreement, said two ways
    assert "This row describes the same agreement as row 5" in shown.text
    officer.post(f"{base}/set-aside", data={"rows": "12"})
    shown = officer.get(f"{base}/preview")
    assert "Agreements it would add (10)" in shown.text
    assert "<td>2024-01-15</td>" in shown.text  # each agreement is listed with its dates
    assert "Already ended" in shown.text
    officer.post(f"{base}/confirm", data={"plan": plan_token(shown.text)})
    with in_app(app):
        classroom = db.session.scalar(select(Product).where(Product.name == "Google Classroom"))
        (agreement,) = classroom.agreements
        assert (agreement.signed_on, agreement.expires_on) == (date(2024, 1, 15), date(2025, 12, 31))
        desmos = db.session.scalar(select(Product).where(Product.name == "Desmos"))
        assert desmos.agreements[0].expires_on is None  # no renewal date: open-ended
        assert db.session.scalar(select(func.count(Agreement.id))) == 10


def test_reimporting_the_same_file_changes_nothing(app, officer):
    for path in (SB29, TOOLKIT):
        web_import(officer, path.read_bytes())
        with in_app(app):
            before = _counts()
        shown, _ = preview(officer, path.read_bytes())
        assert shown.status_code == 200
        assert "Nothing to import" in shown.text
        assert plan_token(shown.text) is None
        with in_app(app):
            assert _counts() == before


def test_the_second_file_updates_what_the_first_created(app, officer):
    web_import(officer, SB29.read_bytes())
    shown, _ = preview(officer, TOOLKIT.read_bytes(), TOOLKIT_DATES)
    assert "1</span> products changed" in shown.text
    assert "Grade bands: none → PK-12" in shown.text
    assert "New agreement (Custom agreement): signed on 2024-01-15, expires 2025-12-31" in shown.text


BAD_ROWS = (
    "vendor,product,status,data_elements,signed_on\r\n"
    "Good Co,Good App,Approved,Date of birth; Student app username,2024-01-15\r\n"
    "Good Co,Shoe App,Approved,Shoe size,\r\n"
    "Good Co,Late App,Approved,,31/01/2024\r\n"
    "Good Co,,Approved,,\r\n"
    "Good Co,Good App,Approved,,\r\n"
    "Good Co,Maybe App,Perhaps,,\r\n"
    "Good Co,Mail App,Approved,Email,\r\n"
    ",Orphan App,Approved,,\r\n"
)


def test_each_bad_row_gets_an_error_a_person_understands_and_nothing_is_written(app, officer, taxonomy):
    with in_app(app):
        before = _counts()
    shown, _ = preview(officer, BAD_ROWS.encode(), values={"status_1_approval": "", "status_1_agreement": ""})
    assert shown.status_code == 422
    assert plan_token(shown.text) is None  # no confirmation while a row has a problem
    assert "Agreements it would add (1)" in shown.text  # row 2's, not the one with a bad date
    listed = shown.text[shown.text.index('id="problems-heading"') : shown.text.index('id="aside-heading"')]
    problems = dict(re.findall(r"<td>(\d+)</td><td>(.*?)</td></tr>", listed))
    assert problems == {
        "3": "“Shoe size” is not a data element in the directory. Use the names on the Data elements page (for "
        "example “Date of birth”), or add the element first.",
        "4": "“31/01/2024” is a date in a format we don&#39;t know. Write it as 2024-01-15 or 1/15/2024.",
        "5": "The product name is empty. Every row needs one.",
        "8": "“Email” is in more than one category. Write “Parent/Guardian Contact Information: Email” or "
        "“Student Contact Information: Email”.",
        "9": "The vendor name is empty. Write the company&#39;s name.",
    }
    assert "Good App” of Good Co is listed 2 times; row 2 was imported instead." in shown.text  # row 6, set aside
    with in_app(app):
        assert _counts() == before


def test_a_database_failure_mid_way_leaves_nothing_behind(app, officer, taxonomy):
    """A real trigger makes the database refuse the fourth product, after three were written."""
    rows = ["vendor,product,status,data_elements"] + [
        f"Vendor {n},{name},Approved,Student app username"
        for n, name in enumerate(["First App", "Second App", "Third App", "Refused App", "Fifth App"])
    ]
    with in_app(app):
        before = _counts()
        dialect = db.engine.dialect.name
        with db.engine.begin() as conn:
            if dialect == "sqlite":
                conn.execute(
                    sa.text(
                        "CREATE TRIGGER refuse_app BEFORE INSERT ON product WHEN NEW.name = 'Refused App' "
                        "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                    )
                )
            else:
                conn.execute(
                    sa.text(
                        "CREATE FUNCTION refuse_app() RETURNS trigger AS $$ BEGIN IF NEW.name = 'Refused App' THEN "
                        "RAISE EXCEPTION 'refused' USING ERRCODE = 'unique_violation'; END IF; RETURN NEW; END $$ "
                        "LANGUAGE plpgsql"
                    )
                )
                conn.execute(
                    sa.text(
                        "CREATE TRIGGER refuse_app BEFORE INSERT ON product FOR EACH ROW EXECUTE FUNCTION refuse_app()"
                    )
                )
    try:
        shown, base = preview(officer, "\r\n".join(rows).encode())
        assert "5</span> new products" in shown.text
        refused = officer.post(f"{base}/confirm", data={"plan": plan_token(shown.text)})
        assert refused.status_code == 422
        assert "Nothing was imported: the new products could not be saved." in refused.text
        assert "The directory may have changed since the preview" in refused.text
        with in_app(app):
            assert _counts() == before
            assert db.session.scalar(select(func.count(ImportMapping.id))) == 0
    finally:
        with in_app(app), db.engine.begin() as conn:
            conn.execute(sa.text("DROP TRIGGER refuse_app" + ("" if dialect == "sqlite" else " ON product")))
            if dialect != "sqlite":
                conn.execute(sa.text("DROP FUNCTION refuse_app()"))


def test_us_dates_bom_crlf_and_lists_in_one_cell(app, officer, taxonomy):
    with in_app(app):
        factories.make_school(name="North Elementary", grade_band="K-5")
        factories.make_school(name="South High", grade_band="9-12")
    data = (
        "\ufeffVendor Name,Product Name,Status,Data Elements,Date Signed,Expiration Date,Schools,Grades\r\n"
        'Acme Learning,Acme Math,Approved,"Date of birth; student-app-username\r\nStudent Name: First and/or last,'
        ' Gender",1/15/2024,01/15/27,North Elementary; South High,"Grade 1, Grade 2"\r\n'
        "Acme Learning,Acme Read,pending,none,,,Whole School,K-5\r\n"
    ).encode()
    assert web_import(officer, data, {"column_4": "signed_on", "column_5": "expires_on"}).status_code == 302
    with in_app(app):
        math = db.session.scalar(select(Product).where(Product.name == "Acme Math"))
        assert sorted(use.element.name for use in math.data_uses) == [
            "Date of birth",
            "First and/or last",
            "Gender",
            "Student app username",
        ]
        assert all(use.purpose == "" for use in math.data_uses)
        assert (math.agreements[0].signed_on, math.agreements[0].expires_on) == (date(2024, 1, 15), date(2027, 1, 15))
        assert math.grade_bands == "1-2"
        read = db.session.scalar(select(Product).where(Product.name == "Acme Read"))
        assert read.status is ProductStatus.UNDER_REVIEW
        assert read.data_uses == []
        assert {s.name for s in read.schools} == {"North Elementary", "South High"}
        assert db.session.scalar(select(func.count(DataUse.id))) == 4


def test_the_mapping_is_remembered_for_a_file_with_the_same_headers(app, officer):
    web_import(officer, SB29.read_bytes(), {"column_3": "website", "column_4": ""})  # hostname, not resource_link
    with in_app(app):
        assert (
            db.session.scalar(select(Product.website).where(Product.name == "Canvas LMS")) == "https://instructure.com"
        )
    again = officer.get(upload(officer, SB29.read_bytes()).headers["Location"])
    chosen = selected_mapping(again.text)
    assert (chosen["column_3"], chosen["column_4"]) == ("website", "")
    assert "the last file with the same columns" in again.text


def test_a_mapping_without_a_product_column_or_with_a_field_twice_is_refused(app, officer):
    columns_url = upload(officer, SB29.read_bytes()).headers["Location"]
    chosen = selected_mapping(officer.get(columns_url).text)
    no_product = {name: ("" if value == "product" else value) for name, value in chosen.items()}
    refused = officer.post(columns_url, data=no_product)
    assert refused.status_code == 422
    assert "Choose the column that holds the product name" in refused.text
    twice = dict(chosen, column_0="vendor")
    refused = officer.post(columns_url, data=twice)
    assert refused.status_code == 422
    assert "is already imported as Vendor (company). Choose one column for it." in refused.text
    assert 'aria-invalid="true"' in refused.text


def test_uploads_that_cannot_be_imported_are_refused_with_a_reason(app, officer):
    refused = upload(officer, b"PK\x03\x04workbook", "inventory.xlsx")
    assert refused.status_code == 422
    assert "This file looks like a workbook or another ZIP archive, but it is damaged" in refused.text
    missing = officer.post("/staff/import", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422
    assert "Choose a file, or paste the table from your spreadsheet." in missing.text
    app.config["IMPORT_MAX_BYTES"] = 512
    try:
        refused = upload(officer, SB29.read_bytes())
    finally:
        del app.config["IMPORT_MAX_BYTES"]
    assert refused.status_code == 422
    assert "larger than the 0.5 KB limit for imports" in refused.text


def test_an_upload_belongs_to_the_officer_who_made_it(app, officer, admin_id):
    columns_url = upload(officer, SB29.read_bytes()).headers["Location"]
    other = client_as(app, admin_id)
    response = other.get(columns_url)
    assert response.status_code == 404
    assert "That import is not in progress any more" in response.text
    assert other.post(columns_url, data={"column_1": "product"}).status_code == 404
    assert other.get(columns_url.replace("/columns", "/set-aside.csv")).status_code == 404
    assert other.get("/staff/import/not-a-number/columns").status_code == 404


def test_only_staff_may_import(app, client, vendor_user_id):
    assert client.get("/staff/import").status_code == 302
    assert "/login" in client.get("/staff/import").headers["Location"]
    assert client_as(app, vendor_user_id).get("/staff/import").status_code == 403


def test_every_import_form_needs_its_csrf_token(app, officer, csrf):
    """With CSRF on, every step refuses a POST without the form's token (the page explains it expired)."""
    assert upload(officer, SB29.read_bytes()).status_code == 400
    app.config["WTF_CSRF_ENABLED"] = False  # reach the later steps, then check each of them with CSRF on
    shown, base = preview(officer, SB29.read_bytes())
    token = plan_token(shown.text)
    app.config["WTF_CSRF_ENABLED"] = True
    assert officer.post(f"{base}/columns", data={"column_1": "product"}).status_code == 400
    assert officer.post(f"{base}/values", data={}).status_code == 400
    assert officer.post(f"{base}/set-aside", data={"set_aside_all": "1"}).status_code == 400
    assert officer.post(f"{base}/confirm", data={"plan": token}).status_code == 400
    with in_app(app):
        assert db.session.scalar(select(func.count(Vendor.id))) == 0


def test_agreements_that_ended_before_the_import_open_a_request_only_when_the_officer_says(app, officer):
    data = (
        b"vendor,product,signed_on,expires_on\r\n"
        b"Old Co,Old App,2020-01-15,2023-06-30\r\n"
        b"Gone Co,Gone App,2019-03-01,2022-06-30\r\n"
        b"Live Co,Live App,2024-01-15,2099-06-30\r\n"
    )
    shown, base = preview(officer, data, {"column_2": "signed_on", "column_3": "expires_on"})
    assert "2 of them ended before today. Nothing is sent to their vendors by itself" in shown.text
    assert shown.text.count('name="open"') == 2  # a decision for each ended agreement, none for the live one
    gone_key = re.search(r'value="([^"]*2019-03-01[^"]*)"', shown.text).group(1)
    assert officer.post(f"{base}/destruction", data={"open": gone_key}).status_code == 302
    shown = officer.get(f"{base}/preview")
    assert re.search(r'value="[^"]*2019-03-01[^"]*"[^>]*checked', shown.text)
    officer.post(f"{base}/confirm", data={"plan": plan_token(shown.text)})
    with in_app(app):
        requests = list(db.session.scalars(select(DestructionRequest)))
        assert [(r.vendor.name, r.origin) for r in requests] == [("Gone Co", RequestOrigin.DISTRICT_REQUEST)]
        old = db.session.scalar(select(Agreement).join(Agreement.vendor).where(Vendor.name == "Old Co"))
        assert old.destruction_not_requested
        report = sweep.run(district_today(), deliver=False)
        assert report.opened == []  # the sweep opens nothing for the agreements the officer decided about
        assert db.session.scalar(select(func.count(DestructionRequest.id))) == 1


def test_a_status_with_conditions_keeps_them_as_the_status_note(app, officer):
    data = b"Vendor,Product,Status\nKami,Kami,Approved w/ Guardian Release\nAcme,Acme Math,Approved\n"
    shown, base = preview(officer, data)
    assert "New: Approved with conditions (Guardian Release)" in shown.text
    assert officer.post(f"{base}/confirm", data={"plan": plan_token(shown.text)}).status_code == 302
    with in_app(app):
        notes = dict(db.session.execute(select(Product.name, Product.status_note)).all())
        assert notes == {"Kami": "Guardian Release", "Acme Math": ""}


def test_the_preview_pages_through_many_agreements_and_keeps_each_pages_decisions(app, officer):
    rows = ["Vendor,Product,Status,Signed,Expires"]
    rows += [f"Vendor {n:03d},App {n},Approved,2020-01-{n % 28 + 1:02d},2021-01-01" for n in range(130)]
    shown, base = preview(officer, "\n".join(rows).encode(), {"column_3": "signed_on", "column_4": "expires_on"})
    assert "Agreements it would add (130)" in shown.text
    assert "Agreements 1–100 of 130" in shown.text
    assert shown.text.count('name="shown"') == 100
    second = officer.get(f"{base}/preview?agreements_page=2")
    assert "Agreements 101–130 of 130" in second.text
    assert second.text.count('name="shown"') == 30
    first_keys = re.findall(r'name="shown" value="([^"]*)"', shown.text)
    second_keys = re.findall(r'name="shown" value="([^"]*)"', second.text)
    officer.post(f"{base}/destruction", data={"shown": first_keys, "open": [first_keys[0]]})
    officer.post(f"{base}/destruction", data={"shown": second_keys, "open": [second_keys[-1]]})
    assert officer.get(f"{base}/preview").text.count(" checked>") == 1  # page 1's choice, kept
    assert officer.get(f"{base}/preview?agreements_page=2").text.count(" checked>") == 1
