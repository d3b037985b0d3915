"""Products and vendors proposed from the names real inventories write, and rows that are not products."""

import json

import pytest

from clearinghouse.imports.facts import FactKind
from clearinghouse.imports.names import (
    NameReading,
    VendorGroup,
    VendorIndex,
    VendorSource,
    group_vendors,
    read_name,
    registrable_name,
    vendor_key,
)
from clearinghouse.imports.readers import read_file
from tests.conftest import SHARED_DIR

DATA = SHARED_DIR / "data"
V = VendorSource


def products(text: str, **options) -> list[tuple[str, str, VendorSource]]:
    return [(p.name, p.vendor, p.vendor_source) for p in read_name(text, **options).products]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DyKnow (Securly, Inc.)", [("DyKnow", "Securly, Inc.", V.PARENTHESES)]),
        ("Linewize (Qoria) — DPA Approved 02/03/2025", [("Linewize", "Qoria", V.PARENTHESES)]),
        (
            "Aristotle K12 (Sergeant Laboratories) — 24/7 filtering",
            [("Aristotle K12", "Sergeant Laboratories", V.PARENTHESES)],
        ),
        ("i-Ready (Curriculum Associates)", [("i-Ready", "Curriculum Associates", V.PARENTHESES)]),
        ("Qustodio by Linewize", [("Qustodio", "Linewize", V.BY)]),
        ("Kahoot! / Blooket", [("Kahoot!", "", V.NONE), ("Blooket", "", V.NONE)]),
        ("Kahoot; Blooket; Gimkit", [("Kahoot", "", V.NONE), ("Blooket", "", V.NONE), ("Gimkit", "", V.NONE)]),
        (
            "Happy Numbers, Reflex Math and Mystery Science",
            [("Happy Numbers", "", V.NONE), ("Reflex Math", "", V.NONE), ("Mystery Science", "", V.NONE)],
        ),
        (
            "Blooket (Approved 09/23/2024, 'Review Games') and Kahoot! (Approved 12/11/2023)",
            [("Blooket", "", V.NONE), ("Kahoot!", "", V.NONE)],
        ),
        ("Khan Academy (free) and Turnitin", [("Khan Academy", "", V.NONE), ("Turnitin", "", V.NONE)]),
        ("IXL Learning, Diagnostics, and Analytics", [("IXL Learning, Diagnostics, and Analytics", "", V.NONE)]),
        ("Lexia (Core5, English, MyLexia)", [("Lexia", "", V.NONE)]),
        (
            "Read&Write + OrbitNote (Texthelp)",
            [("Read&Write", "Texthelp", V.PARENTHESES), ("OrbitNote", "Texthelp", V.PARENTHESES)],
        ),
        ("Securly, Inc.", [("Securly, Inc.", "", V.NONE)]),
    ],
)
def test_names_propose_products_and_their_vendors(text, expected):
    assert products(text) == expected


def test_aliases_and_notes_are_kept_apart_from_the_name():
    wayground, pltw, lexia = (
        read_name(text).products[0]
        for text in ("Wayground (formerly Quizizz)", "Project Lead The Way (PLTW)", "Lexia (Core5, English, MyLexia)")
    )
    assert (wayground.name, wayground.aliases) == ("Wayground", ("Quizizz",))
    assert (pltw.name, pltw.aliases, pltw.vendor) == ("Project Lead The Way", ("PLTW",), "")
    assert lexia.note == "Core5, English, MyLexia"
    goguardian = read_name("GoGuardian incl. GoGuardian Beacon (self-harm alerting), Admin, DNS").products[0]
    assert (goguardian.name, goguardian.note) == ("GoGuardian", "GoGuardian Beacon (self-harm alerting), Admin, DNS")


def test_each_product_of_a_cell_keeps_its_own_facts():
    reading = read_name("Blooket (DPA 09/23/2024); Kahoot! (DPA 12/11/2023); Gimkit (DPA 03/19/2025)")
    assert [p.name for p in reading.products] == ["Blooket", "Kahoot!", "Gimkit"]
    days = [facts.first(FactKind.SIGNED_ON).value.day.isoformat() for facts in reading.facts]
    assert days == ["2024-09-23", "2023-12-11", "2025-03-19"]
    for product in reading.products:
        assert reading.text[product.start : product.end].startswith(product.name)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Vendor declinations on privacy grounds", "heading of a list"),
        ("Chromebook lease (vendor unnamed)", "names no product or vendor"),
        ("Internet filtering on district laptops — vendor not disclosed", "names no product or vendor"),
        ("Classroom cellphone pouches at Attleboro High (unbranded, not Yondr)", "names no product or vendor"),
        ("Information Technology budget line", "budget or staffing line"),
        ("District technology budget (aggregate)", "budget or staffing line"),
        ("Educational Technology & Libraries staffing (not a vendor)", "budget or staffing line"),
        ("Cellphones banned in class without teacher permission (no Yondr found)", "reads as a sentence"),
        ("INSTRUCTIONAL TOOLS", "heading"),
        ("Assessment tools:", "heading"),
        ("N/A", "not a product name"),
    ],
)
def test_rows_that_are_not_products_are_flagged(text, reason):
    reading = read_name(text)
    assert reason in reading.not_a_product
    assert reading.products == ()


def test_without_a_vendor_column_the_vendor_comes_from_a_known_vendor_or_the_website_or_nobody():
    assert products("Google Classroom", vendors=VendorIndex.of(["Google", "Instructure"])) == [
        ("Google Classroom", "Google", V.EXISTING)
    ]
    assert products("Khan Academy", website="https://www.khanacademy.org/") == [
        ("Khan Academy", "Khan Academy", V.WEBSITE)
    ]
    assert products(
        "Canvas LMS", website="https://canvas.instructure.com", vendors=VendorIndex.of(["Instructure"])
    ) == [("Canvas LMS", "Instructure", V.WEBSITE)]
    assert products("New AI Tool", website="new-ai-writer.io") == [("New AI Tool", "New Ai Writer", V.WEBSITE)]
    assert products("Turnitin") == [("Turnitin", "", V.NONE)]


@pytest.mark.parametrize(
    ("website", "name"),
    [
        ("https://classroom.google.com/u/0", "google"),
        ("workspace.google.com", "google"),
        ("https://web.seesaw.me", "seesaw"),
        ("https://www.bbc.co.uk/bitesize", "bbc"),
        ("https://newton.k12.ma.us/ai", "newton"),
        ("https://someapp.github.io", "someapp"),
        ("http://127.0.0.1:5000", ""),
        ("", ""),
        ("not a web address", ""),
    ],
)
def test_the_registrable_name_of_a_website(website, name):
    assert registrable_name(website) == name


def test_the_sb29_sheets_websites_propose_most_of_its_vendors():
    table = read_file((DATA / "SB29-guard-chrome__example.csv").read_bytes())
    column = {header: position for position, header in enumerate(table.headers)}
    agree = 0
    for _, cells in table.rows:
        proposed = read_name(cells[column["software_name"]], website=cells[column["hostname"]]).products[0]
        agree += vendor_key(proposed.vendor) == vendor_key(cells[column["vendor_name"]])
    assert agree >= 5  # Instructure, Khan Academy, Google ×2, Desmos; Coolmath and Discovery are not their domains


@pytest.mark.parametrize(
    ("spellings", "existing", "groups"),
    [
        (["IXL", "IXL Learning", "IXL Learning, Inc."], [], [("IXL", ("IXL", "IXL Learning", "IXL Learning, Inc."))]),
        (["Incident IQ", "IncidentIQ"], [], [("Incident IQ", ("Incident IQ", "IncidentIQ"))]),
        (["Securly"], ["Securly, Inc."], [("Securly, Inc.", ("Securly",))]),
        (["Instructure", "Instucture Inc"], [], [("Instructure", ("Instructure", "Instucture Inc"))]),
        (
            ["Renaissance Learning", "Renaissance"],
            [],
            [("Renaissance Learning", ("Renaissance Learning", "Renaissance"))],
        ),
        (["IXL", "IXI"], [], [("IXL", ("IXL",)), ("IXI", ("IXI",))]),
        (["Google", "Goguardian"], [], [("Google", ("Google",)), ("Goguardian", ("Goguardian",))]),
    ],
)
def test_vendor_spellings_are_grouped_and_matched_to_the_districts_vendors(spellings, existing, groups):
    assert [(group.name, group.spellings) for group in group_vendors(spellings, existing)] == groups


def test_the_most_written_spelling_names_a_new_vendor_and_an_existing_one_wins():
    (group,) = group_vendors(["IXL Learning", "IXL", "IXL"])
    assert group.name == "IXL"
    (group,) = group_vendors(["IXL Learning", "IXL", "IXL"], existing=["IXL Learning, Inc."])
    assert (group.name, group.existing) == ("IXL Learning, Inc.", "IXL Learning, Inc.")


def test_every_real_name_is_read_and_its_vendors_group():
    table = read_file((DATA / "ma-power-map__edtech-services.json").read_bytes())
    readings = [read_name(cells[table.headers.index("name")]) for _, cells in table.rows]
    flagged = [reading for reading in readings if reading.not_a_product]
    proposed = [product for reading in readings for product in reading.products]
    assert len(proposed) > len(readings)  # cells that name several products are split
    assert 3 <= len(flagged) <= 20
    vendors = [product.vendor for product in proposed if product.vendor_source is V.PARENTHESES]
    groups = {group.name: group for group in group_vendors(vendors)}
    assert {"Renaissance", "Curriculum Associates", "Sergeant Laboratories"} <= set(groups)
    assert len(groups) < len(vendors)
    contracts = read_file((DATA / "ma-power-map__edtech-services.json").read_bytes(), sheet="districts → contracts")
    flagged_contracts = [cells[0] for _, cells in contracts.rows if read_name(cells[0]).not_a_product]
    assert "Information Technology budget line" in flagged_contracts


def test_readings_are_plain_data():
    for text in ("Linewize (Qoria) — DPA Approved 02/03/2025", "Kahoot! / Blooket", "Vendor declinations"):
        reading = read_name(text)
        assert NameReading.from_dict(json.loads(json.dumps(reading.to_dict()))) == reading
    group = group_vendors(["IXL", "IXL Learning"])[0]
    assert VendorGroup.from_dict(json.loads(json.dumps(group.to_dict()))) == group
