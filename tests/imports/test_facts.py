"""Facts written in free text and names: each proposed with its kind, value and the words it came from."""

import json
from datetime import date

import pytest

from clearinghouse.imports.dates import Calendar, DateValue, Precision
from clearinghouse.imports.facts import FactKind, TextFacts, read_facts, tidy
from clearinghouse.imports.readers import read_file
from clearinghouse.imports.vocabulary import AgreementStatus, Approval, GradesProposal
from tests.conftest import SHARED_DIR

K = FactKind


def summary(facts: TextFacts) -> list[tuple[str, object, str]]:
    """(kind, plain value, source words) of each fact, for readable assertions."""
    out = []
    for fact in facts.facts:
        value = fact.value
        if isinstance(value, DateValue):
            value = value.first if value.precision is not Precision.OPEN else "open-ended"
        elif isinstance(value, GradesProposal):
            value = value.bands
        elif isinstance(value, Approval | AgreementStatus):
            value = value.value
        out.append((fact.kind.value, value, fact.source))
    return out


@pytest.mark.parametrize(
    ("text", "facts", "rest"),
    [
        (
            "Linewize (Qoria) — DPA Approved 02/03/2025",
            [
                ("approval", "approved", "DPA Approved"),
                ("agreement", "signed", "DPA Approved"),
                ("signed_on", date(2025, 2, 3), "Approved 02/03/2025"),
            ],
            "Linewize (Qoria)",
        ),
        ("Turnitin — NOT approved", [("approval", "not_approved", "NOT approved")], "Turnitin"),
        (
            "SDPC approved 07/09/2024 (expires 07/09/2027); data shared includes conduct/behavioral data",
            [
                ("approval", "approved", "SDPC approved"),
                ("agreement", "signed", "SDPC approved"),
                ("signed_on", date(2024, 7, 9), "approved 07/09/2024"),
                ("expires_on", date(2027, 7, 9), "expires 07/09/2027"),
            ],
            "data shared includes conduct/behavioral data",
        ),
        (
            "ClassDojo — DPA Approved (05/26/2020, no expiry)",
            [
                ("approval", "approved", "DPA Approved"),
                ("agreement", "signed", "DPA Approved"),
                ("signed_on", date(2020, 5, 26), "Approved (05/26/2020"),
                ("expires_on", "open-ended", "no expiry"),
            ],
            "ClassDojo",
        ),
        (
            "gamified quizzes (DPA approved 2023-08-18, expires 2026-08-18)",
            [
                ("approval", "approved", "DPA approved"),
                ("agreement", "signed", "DPA approved"),
                ("signed_on", date(2023, 8, 18), "approved 2023-08-18"),
                ("expires_on", date(2026, 8, 18), "expires 2026-08-18"),
            ],
            "gamified quizzes",
        ),
        (
            "students and staff (approved PK-12; SDPC DPA approved 01/02/2024, expires 01/02/2027)",
            [
                ("approval", "approved", "approved"),
                ("agreement", "signed", "approved"),
                ("grades", "PK-12", "PK-12"),
                ("signed_on", date(2024, 1, 2), "approved 01/02/2024"),
                ("expires_on", date(2027, 1, 2), "expires 01/02/2027"),
            ],
            "students and staff",
        ),
        (
            "Prodigy Math — status 'Not Approved,' declined reasoning: 'Per TPS Curriculum Leadership'",
            [
                ("approval", "not_approved", "Not Approved,' declined reasoning: 'Per TPS Curriculum Leadership'"),
                ("reason", "Per TPS Curriculum Leadership", "Per TPS Curriculum Leadership"),
            ],
            "Prodigy Math",
        ),
        (
            "Paper (24/7 online tutoring, grades 6-12)",
            [("grades", "6-12", "grades 6-12")],
            "Paper (24/7 online tutoring)",
        ),
        (
            "assessment / interactive lessons (DPAs 02/23/2024 and 11/13/2025)",
            [("signed_on", date(2024, 2, 23), "DPAs 02/23/2024"), ("signed_on", date(2025, 11, 13), "11/13/2025")],
            "assessment / interactive lessons",
        ),
        (
            "contract 07/01/2025 through FY27",
            [("signed_on", date(2025, 7, 1), "contract 07/01/2025"), ("expires_on", date(2026, 7, 1), "through FY27")],
            "",
        ),
        ("Renewal due July 2026", [("date", date(2026, 7, 1), "July 2026")], "Renewal due"),
        ("Google Workspace for Education Core Services", [], "Google Workspace for Education Core Services"),
        ("Aristotle K12 — 24/7 filtering AND monitoring", [], "Aristotle K12 — 24/7 filtering AND monitoring"),
    ],
)
def test_facts_in_real_names_and_notes(text, facts, rest):
    read = read_facts(text)
    assert summary(read) == facts
    assert read.rest == rest
    for fact in read.facts:
        assert text[fact.start : fact.end] == fact.source


def test_conditions_are_proposed_with_the_approval():
    read = read_facts(
        "Prodigy — DPA Approved 12/01/2024 with restriction 'DPA only applies when Prodigy is used in the SCHOOL mode'"
    )
    assert read.first(K.APPROVAL).value is Approval.APPROVED_WITH_CONDITIONS
    assert read.first(K.AGREEMENT).value is AgreementStatus.SIGNED
    assert read.first(K.CONDITIONS).value == "DPA only applies when Prodigy is used in the SCHOOL mode"
    assert read.rest == "Prodigy"
    ferpa = read_facts("SchooLinks — Approved 10/31/2023 with FERPA restriction (district must opt out of PII sharing)")
    assert ferpa.first(K.CONDITIONS).value == "FERPA restriction: district must opt out of PII sharing"
    assert ferpa.rest == "SchooLinks"


def test_a_refusal_by_the_vendor_is_the_agreement_declined_with_its_reason():
    read = read_facts("ChatGPT (OpenAI) — NOT approved ('Vendor refused to sign the DPA')")
    assert read.first(K.APPROVAL).value is Approval.NOT_APPROVED
    assert read.first(K.AGREEMENT).value is AgreementStatus.DECLINED_BY_VENDOR
    assert read.first(K.REASON).value == "Vendor refused to sign the DPA"
    assert read.rest == "ChatGPT (OpenAI)"


def test_an_agreement_on_file_without_a_day_stays_without_dates():
    assert read_facts("DPA on file").first(K.AGREEMENT).value is AgreementStatus.ON_FILE
    month = read_facts("DPA approved July 2024")  # a month is not the day it was signed
    assert month.first(K.AGREEMENT).value is AgreementStatus.ON_FILE
    assert month.first(K.SIGNED_ON).value.precision is Precision.MONTH


def test_a_placeholder_expiry_is_open_ended():
    read = read_facts("DPA signed 08/01/2024, expires 01/01/2099")
    expiry = read.first(K.EXPIRES_ON).value
    assert expiry.open_ended
    assert expiry.day == date(2099, 1, 1)


def test_school_and_fiscal_years_follow_the_calendar_given():
    read = read_facts("Contract through FY27", calendar=Calendar(fiscal_year_start_month=1))
    assert (read.first(K.EXPIRES_ON).value.first, read.first(K.EXPIRES_ON).value.last) == (
        date(2027, 1, 1),
        date(2027, 12, 31),
    )


def test_facts_are_plain_data():
    for text in (
        "Linewize (Qoria) — DPA Approved 02/03/2025",
        "ClassDojo — DPA Approved (05/26/2020, no expiry)",
        "students and staff (approved PK-12; SDPC DPA approved 01/02/2024, expires 01/02/2027)",
        "Turnitin",
    ):
        read = read_facts(text)
        assert TextFacts.from_dict(json.loads(json.dumps(read.to_dict()))) == read


def test_every_real_service_name_and_category_is_read():
    table = read_file((SHARED_DIR / "data" / "ma-power-map__edtech-services.json").read_bytes())
    name, category = table.headers.index("name"), table.headers.index("category")
    signed = expiring = graded = 0
    for _, cells in table.rows:
        for text in (cells[name], cells[category]):
            read = read_facts(text)
            for fact in read.facts:
                assert text[fact.start : fact.end] == fact.source
            signed += bool(read.of_kind(K.SIGNED_ON))
            expiring += bool(read.of_kind(K.EXPIRES_ON))
            graded += bool(read.of_kind(K.GRADES))
    assert (signed, expiring, graded) >= (60, 3, 10)


def test_tidy_leaves_no_empty_brackets_quotes_or_dangling_separators():
    assert tidy("Prodigy Math — status '   ,' ") == "Prodigy Math"
    assert tidy("IXL (KP   , 'to supplement';   )") == "IXL (KP, 'to supplement')"
    assert tidy("  ; (and) data shared ( ) ") == "data shared"
