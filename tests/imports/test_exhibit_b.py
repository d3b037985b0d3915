"""A vendor's Exhibit B schedule of data, read from real and written packets and matched to the taxonomy."""

import json

import pytest

from clearinghouse.imports.exhibit_b import (
    DEFAULT_TAXONOMY,
    Mark,
    MatchHow,
    ScheduleReading,
    read_mark,
    read_schedule,
)
from tests.conftest import SHARED_DIR

PACKET = SHARED_DIR / "data" / "speddy__ca-ndpa-execution-packet.md"


def _naive_matches(reading: ScheduleReading) -> int:
    """Checked rows whose words are a taxonomy element of their category as written (what matched before)."""
    taxonomy = {category.lower(): [name.lower() for name in names] for category, names in DEFAULT_TAXONOMY.items()}
    return sum(row.element.lower() in taxonomy.get(row.category.lower(), []) for row in reading.checked)


def test_every_checked_row_of_the_real_packet_that_has_a_counterpart_is_matched():
    reading = read_schedule(PACKET.read_text())
    assert len(reading.rows) == 38
    assert len(reading.checked) == 26
    assert _naive_matches(reading) == 15  # the packet's own words alone: 15 of 26
    matched_rows = {match.line for match in reading.matches if not match.is_new}
    new_rows = {match.line for match in reading.matches if match.is_new}
    assert len(matched_rows) == 25  # after: every checked row with a real counterpart
    assert [row.category for row in reading.checked if row.line in new_rows] == ["Other"]  # "Other — Please list"
    assert {match.element for match in reading.matches if match.is_new} == {
        "Provider-authored session/progress notes and CARE meeting notes/action items (free text about students)",
        "student absence reasons",
        "derived AI analysis of submitted student work (populated only if AI features are enabled — "
        "currently disabled)",
    }


def test_the_packets_own_wording_is_matched_with_how_it_was_matched():
    reading = read_schedule(PACKET.read_text())
    by_words = {(match.written, match.element): match.how for match in reading.matches}
    assert (
        by_words[
            (
                "Application Use Statistics — Meta data on user interaction",
                "Metadata on user interaction with the application",
            )
        ]
        is MatchHow.SYNONYM
    )
    assert (
        by_words[("Student Identifiers — Provider/App assigned student ID", "Provider/app-assigned student ID number")]
        is MatchHow.SYNONYM
    )
    assert by_words[
        ("Student work — Student generated content", "Student-generated content (writing, pictures, etc.)")
    ] in (MatchHow.EXACT, MatchHow.SYNONYM)
    combined = [
        m.element for m in reading.matches if m.written.endswith("Local district ID / app username / app passwords")
    ]
    assert combined == ["Local (school district) ID number", "Student app username", "Student app passwords"]


def test_other_specify_rows_keep_the_vendors_words_on_the_categorys_other_element():
    reading = read_schedule(PACKET.read_text())
    others = {m.category: m for m in reading.matches if m.how is MatchHow.OTHER_SPECIFY}
    assert set(others) == {"Application Technology Meta Data", "Assessment", "Special Indicator", "Student Work"}
    assert others["Application Technology Meta Data"].element == "Other application technology metadata"
    assert others["Application Technology Meta Data"].description.startswith("Browser user agent, device type")


def test_open_choices_and_rows_that_are_not_data_are_reported_not_matched():
    reading = read_schedule(PACKET.read_text())
    assert [(row.category, row.mark) for row in reading.undecided] == [("Parent/Guardian Contact, ID", Mark.UNDECIDED)]
    assert [why for _, why in reading.skipped] == [
        "“None” says no student data is collected; it is not an element.",
        "The row is not a data element of the schedule.",
    ]
    assert not reading.no_student_data


NDPA_PERFORMANCE = (
    "Program/application performance (typing program-student types 60 wpm, "
    "reading program-student reads below grade level)"
)
NDPA_CSV = f"""Category of Data,Elements,Check if Used by Your System
Application Technology Meta Data,"IP Addresses of users, Use of cookies, etc.",X
,Other application technology meta data-Please specify:,
Application Use Statistics,Meta data on user interaction with application,X
Assessment,Standardized test scores,
,Observation data,X
Demographics,Date of Birth,X
,Language information (native or primary language spoken by student),X
Parent/Guardian Contact Information,Email,X
Student Identifiers,Local (School district) ID number,X
,Provider/App assigned student ID number,X
Student In App Performance,"{NDPA_PERFORMANCE}",X
Student work,"Student generated content; writing, pictures, etc.",X
Transportation,Student pick up and/or drop off location,
Other,Please list each additional data element used,X
None,No Student Data collected at this time,
"""


def test_the_ndpa_forms_own_wording_in_a_csv_with_x_marks():
    reading = read_schedule(NDPA_CSV)
    assert len(reading.checked) == 11
    matched = [(m.category, m.element, m.how) for m in reading.matches]
    assert (
        "Demographics",
        "Language information (native or primary language spoken by the student)",
        MatchHow.EXACT,
    ) in matched
    assert ("Parent/Guardian Contact Information", "Email", MatchHow.EXACT) in matched  # not the student's e-mail
    assert ("Assessment", "Observation data", MatchHow.EXACT) in matched  # its category from the row above
    assert sum(not m.is_new for m in reading.matches) == 10
    assert [m.element for m in reading.matches if m.is_new] == ["Please list each additional data element used"]


CHECKLIST = """Exhibit B — Schedule of Data (Example Reading App)

Application Technology Meta Data
[x] IP addresses of users, use of cookies, etc.
[ ] Other application technology metadata

Demographics:
[X] DOB
[ ] Gender
☑ Ethnicity

Special Indicator
- [x] ELL
- [ ] Low income status
- [x] Other — specify "reading intervention tier"

Student Work
✓ Student-generated content (writing, pictures, etc.)

Other
[x] Voice recordings of students reading aloud
"""


def test_a_checklist_under_category_headings():
    reading = read_schedule(CHECKLIST)
    assert [(row.category, row.element, row.mark) for row in reading.rows[:3]] == [
        ("Application Technology Meta Data", "IP addresses of users, use of cookies, etc.", Mark.CHECKED),
        ("Application Technology Meta Data", "Other application technology metadata", Mark.UNCHECKED),
        ("Demographics", "DOB", Mark.CHECKED),
    ]
    matched = {(m.category, m.element, m.how) for m in reading.matches}
    assert matched == {
        ("Application Technology Meta Data", "IP addresses of users, use of cookies, etc.", MatchHow.EXACT),
        ("Demographics", "Date of birth", MatchHow.SYNONYM),
        ("Demographics", "Ethnicity or race", MatchHow.SYNONYM),
        ("Special Indicator", "English language learner information", MatchHow.SYNONYM),
        ("Special Indicator", "Other indicator information", MatchHow.OTHER_SPECIFY),
        ("Student Work", "Student-generated content (writing, pictures, etc.)", MatchHow.EXACT),
        ("Other", "Voice recordings of students reading aloud", MatchHow.NEW),
    }
    assert (
        next(m for m in reading.matches if m.how is MatchHow.OTHER_SPECIFY).description == "reading intervention tier"
    )


MARKDOWN_YES_NO = """| Category | Data element | Collected? | Notes |
|---|---|---|---|
| Student Name | First and/or last | Yes | roster sync |
| Student Contact | Email | yes | |
| Enrollment | Grade level | Yes | |
| Enrollment | Homeroom | No | |
| Conduct | all | Yes | behaviour points |
| Student Survey Responses | — | yes | wellbeing check-ins |
| Biometrics | Face geometry | Yes | login by face |
| Transcript | all | no | |
"""


def test_a_markdown_table_with_yes_and_no_and_whole_categories():
    reading = read_schedule(MARKDOWN_YES_NO)
    matched = [(m.category, m.element, m.how) for m in reading.matches]
    assert matched == [
        ("Student Name", "First and/or last", MatchHow.EXACT),
        ("Student Contact Information", "Email", MatchHow.EXACT),
        ("Enrollment", "Student grade level", MatchHow.SYNONYM),
        ("Conduct", "Conduct or behavioral data", MatchHow.WHOLE_CATEGORY),
        ("Student Survey Responses", "Student responses to surveys or questionnaires", MatchHow.WHOLE_CATEGORY),
        ("Other", "Face geometry", MatchHow.NEW),
    ]
    assert reading.rows[0].note == "roster sync"


def test_a_table_pasted_from_a_spreadsheet_with_ticks_and_blanks():
    pasted = (
        "Category\tElement\tUsed\nAttendance\tClass attendance\t✓\nAttendance\tDaily attendance\t\n"
        "Schedule\tTeacher names\t✓\n"
    )
    reading = read_schedule(pasted)
    assert [(m.element, m.how) for m in reading.matches] == [
        ("Student class attendance data", MatchHow.SYNONYM),
        ("Teacher names", MatchHow.EXACT),
    ]


def test_near_spellings_match_with_their_score_and_far_ones_are_new():
    reading = read_schedule(
        "| Category | Element | ☑ |\n|---|---|---|\n| Transcript | Student course grade | ☑ |\n"
        "| Transcript | Favourite colour | ☑ |\n"
    )
    near, far = reading.matches
    assert (near.element, near.how) == ("Student course grades", MatchHow.SIMILAR)
    assert 90 <= near.score < 100
    assert (far.category, far.element, far.how) == ("Other", "Favourite colour", MatchHow.NEW)


def test_the_taxonomy_is_plain_data_a_district_can_extend():
    taxonomy = {**DEFAULT_TAXONOMY, "Biometrics": ("Face geometry", "Voice print")}
    reading = read_schedule(MARKDOWN_YES_NO, taxonomy)
    assert ("Biometrics", "Face geometry", MatchHow.EXACT) in [(m.category, m.element, m.how) for m in reading.matches]


@pytest.mark.parametrize(
    ("cell", "mark"),
    [
        ("☑", Mark.CHECKED),
        ('☑ "Browser user agent"', Mark.CHECKED),
        ("[x]", Mark.CHECKED),
        ("[X] note", Mark.CHECKED),
        ("X", Mark.CHECKED),
        ("x", Mark.CHECKED),
        ("✓", Mark.CHECKED),
        ("☒", Mark.CHECKED),
        ("Yes", Mark.CHECKED),
        ("Required", Mark.CHECKED),
        ("Optional", Mark.CHECKED),
        ("☐", Mark.UNCHECKED),
        ("☐ — not collected", Mark.UNCHECKED),
        ("[ ]", Mark.UNCHECKED),
        ("[]", Mark.UNCHECKED),
        ("No", Mark.UNCHECKED),
        ("", Mark.UNCHECKED),
        ("—", Mark.UNCHECKED),
        ("DECISION REQUIRED — do not leave ☐ by default.", Mark.UNDECIDED),
        ("Xylophone", Mark.UNDECIDED),
    ],
)
def test_marks_as_packets_write_them(cell, mark):
    assert read_mark(cell)[0] is mark


def test_a_reading_is_plain_data():
    reading = read_schedule(PACKET.read_text())
    assert ScheduleReading.from_dict(json.loads(json.dumps(reading.to_dict()))) == reading
