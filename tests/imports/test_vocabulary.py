"""The words of real status, kind, grade and school columns, read as the officer would read them."""

import csv
import itertools
import json

import pytest
import yaml

from clearinghouse.imports import vocabulary
from clearinghouse.imports.readers import read_file
from clearinghouse.imports.vocabulary import (
    PERMISSIVENESS,
    SB29_PAIRS,
    AgreementStatus,
    Approval,
    GradesProposal,
    KindProposal,
    SchoolsProposal,
    StatusProposal,
    StatusRole,
    find_grades,
    read_grades,
    read_kind,
    read_schools,
    read_status,
    read_status_pair,
)
from tests.conftest import SHARED_DIR

DATA = SHARED_DIR / "data"
A, S = Approval, AgreementStatus
ON_FILE = S.ON_FILE


@pytest.mark.parametrize(
    ("text", "approval", "agreement"),
    [
        ("DPA Approved", A.APPROVED, ON_FILE),
        ("DPA Active", A.APPROVED, ON_FILE),
        ("DPA Pending", A.UNDER_REVIEW, S.REQUESTED),
        ("DPA Not on File", None, S.NONE_ON_FILE),
        ("DPA Expired", None, ON_FILE),
        ("DPA Refused by Vendor", None, S.DECLINED_BY_VENDOR),
        ("Approved w/ Guardian Release", A.APPROVED_WITH_CONDITIONS, None),
        ("Renewal Pending", None, S.REQUESTED),
        ("Not Approved / Declined", A.NOT_APPROVED, None),
        ("Received", None, ON_FILE),
        ("Requested", A.UNDER_REVIEW, S.REQUESTED),
        ("Denied", A.NOT_APPROVED, None),
        ("Not Required", None, S.NOT_REQUIRED),
        ("Pending", A.UNDER_REVIEW, None),
        ("Rejected", A.NOT_APPROVED, None),
        ("Approved", A.APPROVED, None),
        ("Approved (no student data)", A.APPROVED_NO_STUDENT_DATA, S.NOT_REQUIRED),
        ("Signed", None, ON_FILE),
        ("Retired", A.RETIRED, None),
        ("Under Review", A.UNDER_REVIEW, None),
        ("N/A", None, S.NOT_REQUIRED),
        ("Agreement signed", None, ON_FILE),
    ],
)
def test_real_status_words_are_read_as_an_approval_and_an_agreement_apart(text, approval, agreement):
    proposal = read_status(text)
    assert proposal.matched
    assert (proposal.approval, proposal.agreement) == (approval, agreement)


@pytest.mark.parametrize(
    "text",
    [
        "DPA Approved",
        "dpa approved",
        "DPA-Approved",
        "DPA_APPROVED",
        "  DPA   Approved  ",
        "2-DPA Approved",
        "03. DPA Approved",
        "1) DPA approved",
        "#4 - DPA Approved",
        "Agreement: approved",
        "Data Privacy Agreement approved",
        "DPA approved.",
    ],
)
def test_case_punctuation_numbering_and_spacing_do_not_matter(text):
    proposal = read_status(text)
    assert (proposal.approval, proposal.agreement, proposal.flag) == (A.APPROVED, ON_FILE, "")


def test_conditions_and_reasons_are_kept_from_the_words():
    guardian = read_status("Approved w/ Guardian Release")
    assert guardian.conditions == "Guardian Release"
    assert read_status("approved-with-conditions").conditions == ""
    assert read_status("Approved for grades 6-8 only").conditions == "grades 6-8 only"
    staff = read_status("Staff only")
    assert (staff.approval, staff.conditions) == (A.APPROVED_WITH_CONDITIONS, "Staff only")
    refused = read_status("Not approved - vendor refused to sign the DPA")
    assert (refused.approval, refused.agreement) == (A.NOT_APPROVED, S.DECLINED_BY_VENDOR)
    assert refused.reason == "vendor refused to sign the DPA"
    reasoned = read_status("Not Approved (reason: no deletion on request)")
    assert (reasoned.approval, reasoned.reason) == (A.NOT_APPROVED, "no deletion on request")


def test_active_flags_agree_with_any_approval_in_use():
    assert set(read_status("TRUE").also_agrees) == {A.APPROVED, A.APPROVED_WITH_CONDITIONS, A.APPROVED_NO_STUDENT_DATA}
    assert read_status("FALSE").approval is A.RETIRED
    assert set(read_status("No").also_agrees) == {A.RETIRED, A.NOT_APPROVED}


@pytest.mark.parametrize("text", ["Maybe", "Blue", "See notes", "42"])
def test_a_value_nothing_matches_is_unmatched_never_a_default(text):
    proposal = read_status(text)
    assert (proposal.matched, proposal.approval, proposal.agreement) == (False, None, None)


def test_a_blank_cell_is_read_as_saying_nothing():
    assert read_status("  ") == StatusProposal("  ", matched=True)


def test_mixed_words_take_the_least_permissive_reading_and_say_so():
    mixed = read_status("Approved, pending DPA")
    assert (mixed.approval, mixed.agreement) == (A.UNDER_REVIEW, S.REQUESTED)
    assert "least permissive" in mixed.flag
    assert read_status("Approved / Not approved").approval is A.NOT_APPROVED
    assert "Words not understood: “Math dept”" in read_status("Approved Math dept").flag
    assert "add its dates" in read_status("DPA Expired").flag
    assert "earlier agreement may still be on file" in read_status("Renewal Pending").flag


@pytest.mark.parametrize(
    ("text", "role", "approval", "agreement"),
    [
        ("Approved", StatusRole.AGREEMENT, None, ON_FILE),
        ("Denied", StatusRole.AGREEMENT, None, S.DECLINED_BY_VENDOR),
        ("Pending", StatusRole.AGREEMENT, None, S.REQUESTED),
        ("Not Required", StatusRole.AGREEMENT, None, S.NOT_REQUIRED),
        ("Not Required", StatusRole.APPROVAL, None, None),
        ("Requested", StatusRole.APPROVAL, A.UNDER_REVIEW, None),
        ("Approved", StatusRole.APPROVAL, A.APPROVED, None),
    ],
)
def test_a_column_that_speaks_of_one_status_reads_its_words_for_that_status(text, role, approval, agreement):
    proposal = read_status(text, role)
    assert (proposal.matched, proposal.approval, proposal.agreement) == (True, approval, agreement)


def test_free_text_ignores_common_words_unless_they_speak_of_the_agreement():
    assert not read_status("Active learning, yes, for new students", strict=True).matched
    assert read_status("SDPC DPA received", strict=True).agreement is ON_FILE
    chatgpt = read_status("AI — NOT approved ('Vendor refused to sign the DPA')", strict=True)
    assert (chatgpt.approval, chatgpt.agreement, chatgpt.reason) == (
        A.NOT_APPROVED,
        S.DECLINED_BY_VENDOR,
        "Vendor refused to sign the DPA",
    )


def test_the_catalogs_status_tag_is_found_among_its_other_tags():
    table = read_file((DATA / "software-catalog-public__software_directory.json").read_bytes())
    tags = table.headers.index("categories")
    readings = {cells[0]: read_status(cells[tags], strict=True) for _, cells in table.rows}
    assert {name: reading.agreement for name, reading in readings.items()} == {
        "Example LMS": ON_FILE,
        "QuickAssess": ON_FILE,
        "MathWorld Online": ON_FILE,
        "ReadAlong": ON_FILE,
        "ClassChat": S.NONE_ON_FILE,
        "DataDash": ON_FILE,
        "CreativeCanvas": S.NONE_ON_FILE,
        "SecureTest Pro": ON_FILE,
        "TechTicket": S.DECLINED_BY_VENDOR,
        "VideoLearn": ON_FILE,
    }
    assert "add its dates" in readings["ReadAlong"].flag  # "DPA Expired"
    assert readings["DataDash"].approval is A.APPROVED_WITH_CONDITIONS  # "staff only"
    assert readings["Example LMS"].approval is A.APPROVED


# --- two status columns (Ohio SB 29) -----------------------------------------------------------------

_YAML_CLASS_RANK = {"approved": 3, "staff_only": 2, "pending": 1, "denied": 0}


def _yaml_class(rules: list, first: str, second: str) -> str:
    """The district's own reading of a pair: the first icon case whose state-combo fits (URL known)."""
    for case in rules:
        (name, spec), *_ = case.items()
        for combo in spec.get("state-combos", []):
            one, two, url = combo
            if one in ("*", first) and two in ("*", second) and url in ("*", "url_known"):
                return name
    raise AssertionError(f"no rule for {first} × {second}")


def test_every_sb29_pair_reads_as_the_districts_icon_rules_say_and_never_more_permissively():
    rules = yaml.safe_load((DATA / "SB29-guard-chrome__icon-strategy.yaml").read_text())["case"]
    firsts = ["Pending", "Approved", "Rejected", "Not Required", "(blank)"]
    seconds = ["Requested", "Received", "Denied", "Not Required", "(blank)"]
    for first, second in itertools.product(firsts, seconds):
        expected = _yaml_class(rules, first, second)
        cell = ("" if first == "(blank)" else first, "" if second == "(blank)" else second)
        proposal = read_status_pair(*cell)
        assert proposal.approval is not None
        assert PERMISSIVENESS[proposal.approval] == _YAML_CLASS_RANK[expected], (first, second, expected)
        assert proposal.approval is SB29_PAIRS.outcomes[expected][0]
        assert not proposal.flag


def test_the_sb29_sheets_rows_keep_both_statuses():
    with (DATA / "SB29-guard-chrome__example.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    readings = {
        row["software_name"]: read_status_pair(row["current_tl_status"], row["current_dpa_status"]) for row in rows
    }
    assert (readings["Canvas LMS"].approval, readings["Canvas LMS"].agreement) == (A.APPROVED, ON_FILE)
    assert (readings["Cool Math Games"].approval, readings["Cool Math Games"].agreement) == (
        A.NOT_APPROVED,
        S.DECLINED_BY_VENDOR,
    )
    assert (readings["New AI Tool"].approval, readings["New AI Tool"].agreement) == (A.UNDER_REVIEW, S.REQUESTED)
    assert (readings["Desmos Graphing Calculator"].approval, readings["Desmos Graphing Calculator"].agreement) == (
        A.APPROVED,
        S.NOT_REQUIRED,
    )


def test_a_pair_outside_the_rules_is_under_review_and_flagged():
    proposal = read_status_pair("Approved with conditions", "Received")
    assert (proposal.approval, proposal.agreement) == (A.UNDER_REVIEW, ON_FILE)
    assert "is not a pair the rules of SB 29" in proposal.flag
    assert read_status_pair("approved", "RECEIVED").approval is A.APPROVED  # case and spacing are not new values


# --- kinds, grades, schools ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "exact"),
    [
        ("LMS", "learning_platform", True),
        ("Learning platform", "learning_platform", True),
        ("learning_platform", "learning_platform", True),
        ("Learning Management", "learning_platform", True),
        ("SIS/parent portal", "student_information", False),
        ("adaptive literacy", "reading", False),
        ("assessment/adaptive", "assessment", False),
        ("adaptive/gamified math", "math", False),
        ("monitoring/filtering", "safety", False),
        ("Math Tools", "math", False),
        ("Design & Media", "creativity", False),
        ("communication (district app + website platform)", "communication", False),
        ("AI tool (approved via DPA)", None, False),
        ("Engagement", None, False),
        ("", None, False),
    ],
)
def test_categories_propose_a_kind_or_stay_text(text, kind, exact):
    proposal = read_kind(text)
    assert (proposal.kind, proposal.exact) == (kind, exact)


def test_a_districts_own_kinds_are_matched_too():
    kinds = {"gamified_review": "Gamified review", "other": "Other"}
    assert read_kind("Gamified Review", kinds).kind == "gamified_review"
    assert read_kind("gamified quiz", kinds, {"gamified_review": ("gamified",)}).kind == "gamified_review"


def test_real_categories_propose_kinds_and_the_rest_stay_text():
    table = read_file((DATA / "ma-power-map__edtech-services.json").read_bytes())
    readings = {cells[1]: read_kind(cells[1]) for _, cells in table.rows}
    assert {
        text: readings[text].kind for text in ("monitoring/filtering", "adaptive literacy", "SIS/parent portal")
    } == {
        "monitoring/filtering": "safety",
        "adaptive literacy": "reading",
        "SIS/parent portal": "student_information",
    }
    assert readings["gamified quizzes (DPA approved 2023-07-26)"].kind == "assessment"
    assert readings["tech support ticketing"].kind == "operations"
    unmatched = {text for text, reading in readings.items() if not reading.matched}
    assert {"AI", "tutoring", "college/career planning"} <= unmatched  # no such kind: kept as text
    assert len(unmatched) < len(readings) / 2


@pytest.mark.parametrize(
    ("text", "bands"),
    [
        (
            "Pre-K, Kindergarten, Grade 1, Grade 2, Grade 3, Grade 4, Grade 5, Grade 6, Grade 7, Grade 8, Grade 9, "
            "Grade 10, Grade 11, Grade 12",
            "PK-12",
        ),
        ("grades 5-12", "5-12"),
        ("PK-12", "PK-12"),
        ("JK-12", "PK-12"),
        ("TK-5", "PK-5"),
        ("9,10,11,12", "9-12"),
        ("K-5; 6-8", "K-8"),
        ("Grades 2-12+", "2-12"),
        ("gr. 7-12", "7-12"),
        ("1st grade, 3rd", "1, 3"),
        ("All grades", "PK-12"),
    ],
)
def test_grades_as_districts_write_them(text, bands):
    proposal = read_grades(text)
    assert (proposal.bands, proposal.matched) == (bands, True)


def test_what_is_not_a_grade_is_kept_unmatched():
    proposal = read_grades("Adult Education, 9-12")
    assert (proposal.bands, proposal.unmatched, proposal.matched) == ("9-12", ("Adult Education",), False)
    assert read_grades("8-6").unmatched == ("8-6",)


def test_grade_bands_are_found_in_free_text():
    text = "IXL (KP gr. 7-12); approved PK-12, gr JK-12; Aristotle K12 K-8 subscription; grades 9, 10, 11 in 2023-2025"
    found = [(text[f.start : f.end], f.proposal.bands) for f in find_grades(text)]
    assert found == [
        ("gr. 7-12", "7-12"),
        ("PK-12", "PK-12"),
        ("gr JK-12", "PK-12"),
        ("K-8", "K-8"),
        ("grades 9, 10, 11", "9-11"),
    ]


SCHOOLS = ["Mason High School", "Mason Middle School", "Western Row Elementary", "SAS Early Learning Center"]


@pytest.mark.parametrize(
    ("text", "whole", "schools", "unmatched"),
    [
        ("Whole School", True, (), ()),
        ("All schools", True, (), ()),
        ("MHS,MMS", False, ("Mason High School", "Mason Middle School"), ()),
        ("Mason High", False, ("Mason High School",), ()),
        (
            "western row elementary; SAS Early Learning Center",
            False,
            ("Western Row Elementary", "SAS Early Learning Center"),
            (),
        ),
        ("Central Office", False, (), ("Central Office",)),
    ],
)
def test_schools_are_matched_to_the_districts_own(text, whole, schools, unmatched):
    proposal = read_schools(text, SCHOOLS)
    assert (proposal.whole_district, proposal.schools, proposal.unmatched) == (whole, schools, unmatched)


def test_every_reading_is_plain_data_that_can_be_remembered():
    for proposal in (
        read_status("Approved w/ Guardian Release"),
        read_status("DPA Refused by Vendor"),
        read_status_pair("Maybe", "Received"),
        read_status("Maybe"),
    ):
        assert StatusProposal.from_dict(json.loads(json.dumps(proposal.to_dict()))) == proposal
    kind = read_kind("LMS")
    assert KindProposal.from_dict(json.loads(json.dumps(kind.to_dict()))) == kind
    grades = read_grades("Adult Education, 9-12")
    assert GradesProposal.from_dict(json.loads(json.dumps(grades.to_dict()))) == grades
    schools = read_schools("MHS, Central Office", SCHOOLS)
    assert SchoolsProposal.from_dict(json.loads(json.dumps(schools.to_dict()))) == schools


def _top_level_alternatives(pattern: str) -> list[str]:
    alternatives, depth, current = [], 0, ""
    for char in pattern:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            alternatives.append(current)
            current = ""
        else:
            current += char
    return [*alternatives, current]


def test_every_phrase_free_text_is_read_for_has_a_stem_that_lets_it_through():
    """read_status(strict=True) skips texts without any of _STRICT_STEMS: no strong phrase may lack one."""
    phrases = [
        alternative.replace(vocabulary._GAP, " ").lower()
        for _, pattern, sense in vocabulary._VOCABULARY
        if not sense.weak
        for alternative in _top_level_alternatives(pattern)
    ]
    assert len(phrases) > 80
    missing = [phrase for phrase in phrases if not any(stem in phrase for stem in vocabulary._STRICT_STEMS)]
    assert missing == []
