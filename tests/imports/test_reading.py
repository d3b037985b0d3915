"""Reading the words and files of real inventories: headers, statuses, dates, grades, encodings."""

import re
from datetime import date

import pytest

from clearinghouse.agreements.models import AgreementKind
from clearinghouse.directory.models import ProductStatus
from clearinghouse.errors import DomainError
from clearinghouse.imports import files
from clearinghouse.imports.mapping import (
    FIELDS,
    format_grades,
    guess_mapping,
    header_signature,
    mapping_problems,
    normalize_url,
    parse_agreement_kind,
    parse_date,
    parse_grades,
    parse_status,
)
from tests.conftest import SHARED_DIR, in_app

SB29 = SHARED_DIR / "data" / "SB29-guard-chrome__example.csv"
TOOLKIT = SHARED_DIR / "data" / "digital-toolkit__expected-data-template.csv"


def test_headers_of_both_real_inventories_are_guessed():
    headers = SB29.read_text().splitlines()[0].split(",")
    assert {h: f for h, f in guess_mapping(headers).items() if f} == {
        "software_name": "product",
        "vendor_name": "vendor",
        "resource_link": "website",
        "current_tl_status": "status",
        "current_dpa_status": "agreement_status",
        "purpose": "purpose",
        "privacy_policy_link": "privacy_policy_url",
    }
    headers = TOOLKIT.read_text().splitlines()[0].split(",")
    assert {h: f for h, f in guess_mapping(headers).items() if f} == {
        "active": "status",
        "product_name": "product",
        "division": "schools",
        "grade_levels": "grade_bands",
        "website": "website",
        "description": "purpose",
    }


def test_our_own_export_headers_map_to_themselves():
    assert guess_mapping(list(FIELDS)) == {name: name for name in FIELDS}


def test_a_remembered_mapping_wins_over_guesses_and_can_skip_a_column():
    headers = ["Name", "Description", "Colour"]
    assert guess_mapping(headers, {"Name": "vendor", "Description": ""}) == {
        "Name": "vendor",
        "Description": "",
        "Colour": "",
    }


def test_the_header_signature_ignores_order_case_and_spacing():
    assert header_signature(["Product Name", "Vendor"]) == header_signature(["vendor", " product_name"])
    assert header_signature(["Product Name"]) != header_signature(["Product Name", "Vendor"])


def test_a_mapping_needs_a_product_column_and_each_field_once():
    assert mapping_problems({"A": "vendor"})[""].startswith("Choose the column that holds the product name")
    problems = mapping_problems({"A": "product", "B": "purpose", "C": "purpose"})
    assert list(problems) == ["C"]
    assert "“B” is already imported as Purpose" in problems["C"]


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("Approved", ProductStatus.APPROVED),
        ("approved with conditions", ProductStatus.APPROVED_WITH_CONDITIONS),
        ("approved_with_conditions", ProductStatus.APPROVED_WITH_CONDITIONS),
        ("Rejected", ProductStatus.NOT_APPROVED),
        ("Denied", ProductStatus.NOT_APPROVED),
        ("Pending", ProductStatus.UNDER_REVIEW),
        ("In Review", ProductStatus.UNDER_REVIEW),
        ("TRUE", ProductStatus.APPROVED),
        ("FALSE", ProductStatus.RETIRED),
        ("Retired", ProductStatus.RETIRED),
    ],
)
def test_status_words_of_real_inventories(word, status):
    assert parse_status(word)[0] is status


def test_active_true_accepts_an_approval_with_conditions():
    _, accepted = parse_status("TRUE")
    assert ProductStatus.APPROVED_WITH_CONDITIONS in accepted
    with pytest.raises(ValueError, match=re.escape("“Maybe” is not a status we know. Use one of: Approved")):
        parse_status("Maybe")


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-15",
        "1/15/2024",
        "01/15/24",
        "01/15/2024",
        "2024/01/15",
        "15-Jan-24",
        "Jan 15, 2024",
        "January 15, 2024",
        "1/15/2024 0:00",
        "2024-01-15 00:00:00",
    ],
)
def test_dates_in_us_and_iso_formats(text):
    assert parse_date(text) == date(2024, 1, 15)


@pytest.mark.parametrize("text", ["15/01/2024", "2024-13-01", "soon", "1/15"])
def test_a_date_in_an_unknown_format_is_refused_with_an_example(text):
    message = "a date in a format we don't know. Write it as 2024-01-15 or 1/15/2024"
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "bands"),
    [
        (
            "Pre-K, Kindergarten, Grade 1, Grade 2, Grade 3, Grade 4, Grade 5, Grade 6, Grade 7, Grade 8, Grade 9, "
            "Grade 10, Grade 11, Grade 12",
            "PK-12",
        ),
        ("Grade 6, Grade 7, Grade 8", "6-8"),
        ("K-5, 9–12", "K-5, 9-12"),
        ("Grades 6 to 8", "6-8"),
        ("1st grade, 3rd", "1, 3"),
        ("K-5; 6-8", "K-8"),
    ],
)
def test_grade_levels_become_compact_bands(text, bands):
    assert format_grades(parse_grades(text)) == bands
    assert parse_grades(bands) == parse_grades(text)


def test_an_unknown_grade_is_refused():
    with pytest.raises(ValueError, match="“Staff” is not a grade we understand"):
        parse_grades("Staff")
    with pytest.raises(ValueError, match="runs backwards"):
        parse_grades("8-6")


def test_web_addresses_and_agreement_kinds():
    assert normalize_url("www.example.org/privacy") == "https://www.example.org/privacy"
    assert normalize_url("http://example.org") == "http://example.org"
    with pytest.raises(ValueError, match="is not a web address"):
        normalize_url("javascript:alert(1)")
    with pytest.raises(ValueError, match="is not a web address"):
        normalize_url("not a url")
    assert parse_agreement_kind("NDPA") is AgreementKind.NDPA
    assert parse_agreement_kind("Vendor's own terms") is AgreementKind.VENDOR_TERMS


# --- files ---------------------------------------------------------------------------------


def _table(app, data: bytes) -> files.Table:
    with in_app(app):
        return files.read_table(data)


def test_excel_csv_with_bom_crlf_and_quoted_commas_and_newlines(app):
    data = (
        '\ufeffproduct,purpose\r\n"Math, Plus","Line one\r\nline two, with a comma"\r\n"Quote ""Reader""",plain\r\n'
    ).encode()
    table = _table(app, data)
    assert table.headers == ["product", "purpose"]
    assert table.rows == [(2, ["Math, Plus", "Line one\r\nline two, with a comma"]), (3, ['Quote "Reader"', "plain"])]


def test_windows_1252_files_are_read_when_not_utf8(app):
    table = _table(app, "product,vendor\r\nCafé Math,Señor Numbers — Inc.\r\n".encode("cp1252"))
    assert table.rows[0][1] == ["Café Math", "Señor Numbers — Inc."]


def test_utf16_semicolon_and_blank_lines(app):
    assert _table(app, "product\tvendor\nA\tB\n".encode("utf-16")).rows == [(2, ["A", "B"])]
    assert _table(app, b"product;vendor\n\nA;B\n;\n").rows == [(3, ["A", "B"])]


def test_duplicate_and_empty_headers_get_distinct_names(app):
    assert _table(app, b"product,notes,notes,\nA,1,2,3\n").headers == ["product", "notes", "notes (2)", "Column 4"]


def test_a_row_with_more_cells_than_columns_is_a_problem(app):
    table = _table(app, b"product,vendor\nA,B,extra\nC,D\n")
    assert table.problems == [
        (2, "This row has 3 cells but the file has 2 columns. Check for a stray comma or an unclosed quotation mark.")
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "That file is empty"),
        (b"product,vendor\n", "no rows to import"),
        (b"\n\nproduct\nA\n", "The first line of the file should hold the column names"),
        (b"PK\x03\x04\x14\x00binary", "This file looks like a workbook or another ZIP archive, but it is damaged"),
        (b"prod\x00uct\nA\n", "This file is binary data we do not recognise, not a table"),
    ],
)
def test_files_that_cannot_be_imported_say_why(app, data, message):
    with in_app(app), pytest.raises(DomainError, match=message) as err:
        files.read_table(data)
    assert err.value.field == "file"


def test_files_over_the_limit_are_refused_with_the_limit(app):
    app.config["IMPORT_MAX_BYTES"] = 1024
    try:
        with in_app(app), pytest.raises(DomainError, match="larger than the 1 KB limit for imports"):
            files.read_table(b"product\n" + b"x" * 2000)
    finally:
        del app.config["IMPORT_MAX_BYTES"]


def test_export_formula_guard_is_removed_on_import(app):
    table = _table(app, b"product,purpose\nA,'=not a formula\nB,'- a list\nC,it's fine\n")
    assert [cells[1] for _, cells in table.rows] == ["=not a formula", "- a list", "it's fine"]
