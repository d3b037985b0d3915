"""Reading every format a district keeps its inventory in, and refusing what is not a table, within limits."""

import io
import json
import zipfile
from datetime import date, datetime

import pytest

from clearinghouse.imports.readers import FileFormat, Limits, UnreadableFile, read_file, read_text
from tests.conftest import SHARED_DIR
from tests.imports.workbooks import ods, xlsx

DATA = SHARED_DIR / "data"
SB29 = DATA / "SB29-guard-chrome__example.csv"
TOOLKIT = DATA / "digital-toolkit__expected-data-template.csv"
LEGACY = DATA / "digital-toolkit__expected-data-template.legacy-headers.csv"
CATALOG = DATA / "software-catalog-public__software_directory.json"
POWER_MAP = DATA / "ma-power-map__edtech-services.json"
PACKET = DATA / "speddy__ca-ndpa-execution-packet.md"
SUBPROCESSORS = DATA / "speddy__subprocessors.md"
ICONS = DATA / "SB29-guard-chrome__icon-strategy.yaml"

APPS = [
    ["Product", "Vendor", "Signed", "Licences", "Active"],
    ["Seesaw", "Seesaw Learning", date(2024, 1, 15), 200, True],
    ["Desmos", "Amplify", datetime(2023, 9, 1, 14, 30), 2.5, False],  # noqa: DTZ001 - a sheet's cell has no zone
]


def refused(data: bytes, message: str, **options) -> UnreadableFile:
    with pytest.raises(UnreadableFile, match=message) as err:
        read_file(data, **options)
    return err.value


# --- the real inventories -------------------------------------------------------------------------


def test_the_sb29_sheet_reads_with_its_blanks_and_no_trailing_newline():
    table = read_file(SB29.read_bytes())
    assert table.format is FileFormat.CSV
    assert table.headers[:7] == [
        "id",
        "software_name",
        "vendor_name",
        "hostname",
        "resource_link",
        "current_tl_status",
        "current_dpa_status",
    ]
    assert len(table.rows) == 9
    assert table.rows[-1] == (
        10,
        [
            "9",
            "District Google App",
            "Google",
            "workspace.google.com",
            "https://workspace.google.com/marketplace/app/some_app/123456789",
            "Approved",
            "Received",
            "Specific Google Workspace Marketplace App.",
            "Productivity",
            "",
        ],
    )
    assert table.problems == []


@pytest.mark.parametrize(("path", "rows"), [(TOOLKIT, 11), (LEGACY, 10)])
def test_both_catalog_templates_read_with_quoted_lists(path, rows):
    table = read_file(path.read_bytes())
    assert len(table.rows) == rows
    grades = table.headers.index("grade_levels")
    assert table.rows[2][1][grades] in ("Grade 6, Grade 7, Grade 8", "6-12")


def test_a_json_catalog_is_a_table_with_its_tags_joined():
    table = read_file(CATALOG.read_bytes())
    assert table.format is FileFormat.JSON
    assert table.headers == ["name", "url", "tagline", "content", "categories", "logo", "featured"]
    assert table.rows[0] == (
        1,
        [
            "Example LMS",
            "https://www.example-lms.com",
            "A learning management system for delivering and tracking online coursework.",
            "Example LMS provides course hosting, grade tracking, and assignment management for staff and students.",
            "DPA Active; Paid by District; Clever; Instructional; LMS",
            "",
            "true",
        ],
    )
    assert table.choices == ("(top level)",)


def test_the_largest_list_of_records_in_a_json_document_is_found_with_its_parents_fields():
    table = read_file(POWER_MAP.read_bytes())
    assert table.name == "districts → notableServices"
    assert len(table.rows) == 305
    assert table.headers[:3] == ["name", "category", "source"]
    assert {"districts.districtName", "districts.dpaRegistry.url", "districts.oneToOne.grades"} <= set(table.headers)
    first = dict(zip(table.headers, table.rows[0][1], strict=True))
    assert first["name"].startswith("Aristotle K12 (Sergeant Laboratories)")
    assert first["districts.districtName"] == "Attleboro Public Schools"
    assert first["districts.dpaRegistry.url"] == "https://sdpc.a4l.org/district_listing.php?districtID=415"
    assert set(table.choices) == {
        "districts → notableServices",
        "districts",
        "districts → contracts",
        "districts → publicCommentary",
        "districts → aiTools",
    }


def test_another_json_table_can_be_chosen_and_nested_objects_become_dotted_columns():
    table = read_file(POWER_MAP.read_bytes(), sheet="districts")
    assert len(table.rows) == 21
    row = dict(zip(table.headers, table.rows[0][1], strict=True))
    assert row["dpaRegistry.found"] == "true"
    assert row["lms"].startswith("Google Workspace for Education; Clever (SSO portal); ")
    assert "notableServices" not in table.headers  # a list of records is a table of its own
    refused(
        POWER_MAP.read_bytes(), "The file has no table named “schools”. Its tables are: “districts → ", sheet="schools"
    )


def test_markdown_tables_are_read_without_their_emphasis_and_struck_words():
    table = read_file(PACKET.read_bytes())
    assert table.format is FileFormat.MARKDOWN
    assert table.name == "3. Draft — Exhibit B: Schedule of Data"
    assert table.headers[:3] == ["Category", "Element", "Check?"]
    assert table.rows[0] == (
        149,
        [
            "Application Technology Meta Data",
            "IP Addresses of users, Use of cookies, etc.",
            "☑",
            "sign_in_logs.ip_address, analytics_events; first-party auth cookies — data-inventory.md §C",
        ],
    )
    subprocessors = read_file(SUBPROCESSORS.read_bytes(), sheet="Removed / not in use (no student data)")
    assert subprocessors.rows[0][1][0] == "OpenAI"
    assert all("~~" not in cell and "**" not in cell for _, cells in subprocessors.rows for cell in cells)


def test_the_yaml_status_rules_are_not_a_table():
    refused(ICONS.read_bytes(), "This file is a YAML document, not a table")


# --- workbooks ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "file_format"), [(xlsx, FileFormat.XLSX), (ods, FileFormat.ODS)])
def test_a_workbooks_first_sheet_is_read_with_dates_numbers_and_booleans_as_text(make, file_format):
    table = read_file(make({"Apps": APPS, "Notes": [["note"], ["kept apart"]]}), filename="inventory.bin")
    assert table.format is file_format
    assert (table.name, table.choices) == ("Apps", ("Apps", "Notes"))
    assert table.headers == APPS[0]
    assert table.rows == [
        (2, ["Seesaw", "Seesaw Learning", "2024-01-15", "200", "TRUE"]),
        (3, ["Desmos", "Amplify", "2023-09-01 14:30:00", "2.5", "FALSE"]),
    ]


@pytest.mark.parametrize("make", [xlsx, ods])
def test_another_sheet_can_be_chosen_by_name(make):
    data = make({"Apps": APPS, "Notes": [["note"], ["kept apart"]]})
    assert read_file(data, sheet="Notes").rows == [(2, ["kept apart"])]
    refused(data, "The file has no sheet named “Budget”. Its sheets are: “Apps”, “Notes”.", sheet="Budget")


def test_a_sheet_whose_table_starts_lower_down_keeps_the_spreadsheets_row_numbers():
    data = xlsx({"Apps": [[None], [None], *APPS]})
    table = read_file(data)
    assert table.headers == APPS[0]
    assert [number for number, _ in table.rows] == [4, 5]


def test_the_extension_does_not_decide_the_format():
    assert read_file(xlsx({"Apps": APPS}), filename="inventory.csv").format is FileFormat.XLSX
    assert read_file(CATALOG.read_bytes(), filename="catalog.txt").format is FileFormat.JSON
    assert read_file(SB29.read_bytes(), filename="sb29.json").format is FileFormat.CSV


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused_before_it_is_read():
    data = xlsx({"Apps": [["Product", "Notes"], *[[f"App {n}", "x" * 500] for n in range(200)]]})
    refused(
        data,
        "This workbook unpacks to .* an import reads workbooks of at most",
        limits=Limits(max_unpacked_bytes=50_000),
    )


def test_a_sheet_with_too_many_columns_is_refused():
    data = xlsx({"Wide": [[f"c{n}" for n in range(300)], ["x"] * 300]})
    refused(data, "The sheet “Wide” has 300 columns; an import reads at most 200.")


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_zip({"word/document.xml": b"<w/>", "[Content_Types].xml": b"<x/>"}), "This file is a Word document"),
        (_zip({"ppt/presentation.xml": b"<p/>"}), "This file is a PowerPoint presentation"),
        (_zip({"mimetype": b"application/vnd.oasis.opendocument.text"}), "This file is an OpenDocument text"),
        (_zip({"photos/cat.jpg": b"\xff\xd8\xff"}), "This file is a ZIP archive, not a table"),
        (_zip({"xl/workbook.xml": b"<broken", "[Content_Types].xml": b"<x/>"}), "could not be read. Save it again"),
        (b"PK\x03\x04 damaged", "it is damaged"),
        (b"%PDF-1.7\n...", "This file is a PDF document, not a table"),
        (b"\x89PNG\r\n\x1a\n...", "This file is a PNG image, not a table"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 600, "This file looks like an old Office document, but it could not be read"),
        (b"<!DOCTYPE html><html><table></table></html>", "This file is a web page \\(HTML\\), not a table"),
        (b"# Our apps\n\nWe use many apps.\n", "This file is a Markdown document with no table in it"),
        (b"A long paragraph of prose about the apps our district uses " * 3 + b"\nmore prose\n", "plain text"),
        (b"[1, 2, 3]", "This file is a JSON list of single values, not a table. A table in JSON is a list of objects"),
        (b'{"district": "Newton", "count": 3}', "This file is a JSON object with 2 fields and no list of records"),
        (b'[{"name": "A"},\n {"name": }]', "This file looks like JSON but line 2 cannot be read"),
        (b"\x00\x01\x02binary", "This file is binary data we do not recognise, not a table"),
        (b"   \n\n", "This file is empty"),
    ],
)
def test_what_is_not_a_table_is_named(data, message):
    refused(data, message)


# --- pasted text and CSV ------------------------------------------------------------------------------


def test_a_range_pasted_from_a_spreadsheet_is_tab_separated():
    table = read_text("Product\tVendor\tStatus\nSeesaw\tSeesaw Learning\tDPA Approved\n\nKahoot!\tKahoot! ASA\t\n")
    assert table.format is FileFormat.PASTED
    assert table.rows == [(2, ["Seesaw", "Seesaw Learning", "DPA Approved"]), (4, ["Kahoot!", "Kahoot! ASA", ""])]


def test_a_pasted_markdown_table_is_read_too():
    table = read_text(
        "| Product | Status |\n|---|---|\n| **Seesaw** | DPA Approved |\n| Kahoot! \\| Blooket | Pending |\n"
    )
    assert table.rows == [(3, ["Seesaw", "DPA Approved"]), (4, ["Kahoot! | Blooket", "Pending"])]


def test_trailing_columns_with_neither_a_name_nor_a_value_are_dropped():
    assert read_file(b"product,vendor,,,\nA,B,,,\n").headers == ["product", "vendor"]


# --- limits (issue 10 item 7): the same for every format, in bounded time -------------------------


def test_a_csv_with_100000_columns_is_refused_at_its_header():
    data = (",".join(f"c{n}" for n in range(100_000)) + "\n" + ",".join("x" * 100_000) + "\n").encode()
    refused(data, "Line 1 is longer than 100,000 characters", limits=Limits(max_bytes=10_000_000))
    refused(
        data,
        "The first row has 100,000 columns; an import reads at most 200",
        limits=Limits(max_bytes=10_000_000, max_row_chars=10**6),
    )


def test_a_csv_with_10000_columns_is_refused_with_the_limit():
    data = (",".join(f"c{n}" for n in range(10_000)) + "\n" + ",".join("x" for _ in range(10_000)) + "\n").encode()
    error = refused(data, "The first row has 10,000 columns; an import reads at most 200.")
    assert error.line == 1


def test_an_unclosed_quote_is_refused_with_the_line_it_opens_on():
    data = b'product,vendor\nSeesaw,Seesaw Learning\n"Kahoot!,Kahoot ASA\nBlooket,Blooket LLC\nDesmos,Amplify\n'
    error = refused(data, "Line 3 opens a quotation mark that is never closed")
    assert error.line == 3


def test_a_quote_inside_a_quoted_cell_is_refused_with_its_line():
    data = b'product,notes\nSeesaw,"the "best" app"\n'
    assert refused(data, "Line 2 has a quotation mark inside a quoted cell. Double the quotation marks").line == 2


def test_a_quoted_cell_that_swallowed_rows_is_flagged():
    data = b'product,vendor\n"Seesaw,Seesaw Learning\nKahoot!,Kahoot ASA\nBlooket",Blooket LLC\nDesmos,Amplify\n'
    table = read_file(data)
    assert table.problems == [
        (
            2,
            "A cell of this row starts on line 2 and runs over several lines that look like rows of their own. "
            "Check that its quotation marks are closed where they should be.",
        )
    ]
    assert read_file(b'product,notes\nSeesaw,"line one\nline two"\n').problems == []
    two_lines = read_file(b'product,vendor,status\n"Seesaw,Seesaw Learning,Approved\nKahoot!",Kahoot ASA,Pending\n')
    assert [number for number, _ in two_lines.problems] == [2]


def test_a_cell_over_the_limit_is_refused_with_its_row_and_column():
    data = b"product,notes\nSeesaw," + b"x" * 10_001 + b"\n"
    assert refused(data, "Row 2, “notes”: the cell holds 10,001 characters; a cell can hold at most 10,000").line == 2


def test_a_line_or_a_row_over_the_limit_is_refused():
    limits = Limits(max_row_chars=20_000)
    line = b"a,b,c\n" + b",".join([b"x" * 9000] * 3) + b"\n"
    assert refused(line, "Line 2 is longer than 20,000 characters", limits=limits).line == 2
    quoted = b"a,b,c\n" + b",".join([b'"' + b"xx\n" * 3000 + b'"'] * 3) + b"\n"
    refused(quoted, "Row 2 holds 26,997 characters; a row can hold at most 20,000", limits=limits)
    sheet = xlsx({"Apps": [["a", "b", "c"], ["x" * 9000] * 3]})
    refused(sheet, "Row 2 holds 27,000 characters; a row can hold at most 20,000", limits=limits)


@pytest.mark.parametrize(
    "data",
    [
        b"product\n" + b"".join(b"App %d\n" % n for n in range(11)),
        json.dumps([{"product": f"App {n}"} for n in range(11)]).encode(),
        xlsx({"Apps": [["product"], *[[f"App {n}"] for n in range(11)]]}),
        ods({"Apps": [["product"], *[[f"App {n}"] for n in range(11)]]}),
        ("| product |\n|---|\n" + "".join(f"| App {n} |\n" for n in range(11))).encode(),
    ],
    ids=["csv", "json", "xlsx", "ods", "markdown"],
)
def test_every_format_stops_at_the_row_limit(data):
    refused(data, "more than 10 (rows|records); an import takes at most 10", limits=Limits(max_rows=10))
    assert len(read_file(data, limits=Limits(max_rows=11)).rows) == 11


def test_json_records_with_too_many_fields_are_refused():
    data = json.dumps([{f"field{n}": n for n in range(201)}]).encode()
    refused(data, "have more than 200 different fields")


def test_deeply_nested_json_is_refused():
    refused(b"[" * 5000 + b"]" * 5000, "nested too deeply")
    document: dict = {"apps": [{"product": "Seesaw"}]}
    for _ in range(40):
        document = {"level": document}
    refused(json.dumps(document).encode(), "nested too deeply")
    assert read_file(json.dumps(document).encode(), limits=Limits(max_json_depth=50)).rows == [(1, ["Seesaw"])]


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read():
    refused(
        b"product\n" + b"x\n" * 1000, "This file is larger than the 1 KB an import reads", limits=Limits(max_bytes=1024)
    )
