"""A vendor's NDPA Exhibit B (schedule of data), read from the tables and checklists packets use.

A packet writes the schedule as a Markdown, CSV or pasted table (category, element, a ☑/☐, [x]/[ ],
X or yes/no mark, often a note) or as a checklist under category headings. Each checked row is
matched to the taxonomy by its words, the wording of real packets ("Meta data on user interaction",
"Provider/App assigned student ID", "Student generated content") and near spellings; an
"Other—specify" row is the category's "other" element with the vendor's words kept; a row with
no counterpart is proposed as a new element under "Other". Pure: the taxonomy is passed in as
plain data (category → element names), by default the seeded one.
"""

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from rapidfuzz import fuzz

from clearinghouse.directory.taxonomy import NOT_SEEDED, TAXONOMY
from clearinghouse.imports.readers import UnreadableFile, markdown_tables, read_text

OTHER = "Other"
TaxonomyData = Mapping[str, Sequence[str]]
DEFAULT_TAXONOMY: dict[str, tuple[str, ...]] = {
    category.name: tuple(element.name for element in category.elements) for category in TAXONOMY
}


class Mark(StrEnum):
    CHECKED = "checked"
    UNCHECKED = "unchecked"
    UNDECIDED = "undecided"  # the packet leaves the choice open ("DECISION REQUIRED")


class MatchHow(StrEnum):
    EXACT = "exact"  # the taxonomy's words
    SYNONYM = "synonym"  # a packet's known wording or an abbreviation
    SIMILAR = "similar"  # near enough in words (score shown)
    OTHER_SPECIFY = "other_specify"  # "Other—specify …": the category's "other" element, with the vendor's words
    WHOLE_CATEGORY = "whole_category"  # "all" or no element: every element of the category
    NEW = "new"  # no counterpart: proposed as a new element under "Other"


@dataclass(frozen=True)
class ScheduleRow:
    line: int  # the line of the packet the row is on
    category: str
    element: str
    mark: Mark
    specify: str = ""  # the vendor's own words for an "other" row, or a quoted note next to the mark
    note: str = ""  # the rest of the row (a basis, a comment)

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "category": self.category,
            "element": self.element,
            "mark": self.mark.value,
            "specify": self.specify,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ScheduleRow":
        return cls(data["line"], data["category"], data["element"], Mark(data["mark"]), data["specify"], data["note"])


@dataclass(frozen=True)
class ElementMatch:
    """One taxonomy element a checked row stands for (a row that lists several gives several matches)."""

    line: int
    category: str  # the taxonomy's category ("Other" for a new element)
    element: str  # the taxonomy's element, or the name proposed for a new one
    how: MatchHow
    score: float  # 100 for exact, synonym and "other" rows; the similarity for a similar one
    written: str  # the packet's words for it
    description: str = ""  # the vendor's own words ("Other—specify")

    @property
    def is_new(self) -> bool:
        return self.how is MatchHow.NEW

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "category": self.category,
            "element": self.element,
            "how": self.how.value,
            "score": self.score,
            "written": self.written,
            "description": self.description,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ElementMatch":
        return cls(
            data["line"],
            data["category"],
            data["element"],
            MatchHow(data["how"]),
            data["score"],
            data["written"],
            data["description"],
        )


@dataclass(frozen=True)
class ScheduleReading:
    rows: tuple[ScheduleRow, ...]
    matches: tuple[ElementMatch, ...]  # for checked rows only
    undecided: tuple[ScheduleRow, ...]  # rows the packet leaves open: the officer asks the vendor
    skipped: tuple[tuple[int, str], ...]  # (line, why) of rows that are not data ("Final review checkbox")
    no_student_data: bool  # the "None" row is checked

    @property
    def checked(self) -> tuple[ScheduleRow, ...]:
        skipped = {line for line, _ in self.skipped}
        return tuple(row for row in self.rows if row.mark is Mark.CHECKED and row.line not in skipped)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": [row.to_dict() for row in self.rows],
            "matches": [match.to_dict() for match in self.matches],
            "undecided": [row.to_dict() for row in self.undecided],
            "skipped": [list(item) for item in self.skipped],
            "no_student_data": self.no_student_data,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ScheduleReading":
        return cls(
            tuple(ScheduleRow.from_dict(row) for row in data["rows"]),
            tuple(ElementMatch.from_dict(match) for match in data["matches"]),
            tuple(ScheduleRow.from_dict(row) for row in data["undecided"]),
            tuple((line, why) for line, why in data["skipped"]),
            data["no_student_data"],
        )


# --- marks ------------------------------------------------------------------------------------------

_CHECKED = re.compile(
    r"^(?:[☑✓✔☒✅■▣✗✘]|\[[xX✓✔]\]|\([xX✓✔]\)|[xX](?=$|[\s\"“(—–-])|yes\b|y$|true\b|checked\b|collected\b|"
    r"required\b|optional\b|used\b)",
    re.IGNORECASE,
)
_UNCHECKED = re.compile(
    r"^(?:[☐□▢]|\[\s?\]|\(\s?\)|no\b|n$|false\b|unchecked\b|not collected\b|not used\b|n/a\b|[—–-]$|$)",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"[\"“]([^\"”]+)[\"”]")


def read_mark(cell: str) -> tuple[Mark, str]:
    """The mark a cell starts with, and the words after it."""
    text = cell.strip().removeprefix("- ").strip()
    for pattern, mark in ((_CHECKED, Mark.CHECKED), (_UNCHECKED, Mark.UNCHECKED)):
        found = pattern.match(text)
        if found:
            return mark, text[found.end() :].strip()
    return Mark.UNDECIDED, text


# --- reading the rows out of a packet ---------------------------------------------------------------

_HEADER_WORDS = {
    "category": ("category", "data category", "category of data"),
    "element": ("element", "elements", "data element", "data elements", "item", "data"),
    "mark": ("check", "check?", "checked", "collected", "used", "mark", "selected", "yes/no", "x", "in use"),
}


def _column(headers: list[str], role: str) -> int | None:
    words = _HEADER_WORDS[role]
    for position, header in enumerate(headers):
        key = header.strip().lower().rstrip(":")
        if key in words or any(key.startswith(word + " ") for word in words if len(word) > 2):
            return position
    return None


def _rows_of_table(headers: list[str], rows: list[tuple[int, list[str]]]) -> list[ScheduleRow]:
    """The schedule rows of a table, when its columns are a category, an element and a mark."""
    category, element, mark = (_column(headers, role) for role in ("category", "element", "mark"))
    if mark is None:  # a table without a titled mark column: the column whose cells are marks
        for position in range(len(headers)):
            cells = [cells[position] for _, cells in rows if position < len(cells)]
            marked = sum(read_mark(cell)[0] is not Mark.UNDECIDED and cell.strip(" —–-") != "" for cell in cells)
            if position not in (category, element) and cells and marked * 2 >= len(cells):
                mark = position
                break
    if mark is None or (category is None and element is None):
        return []
    found: list[ScheduleRow] = []
    last_category = ""
    for line, cells in rows:
        cells = cells + [""] * (len(headers) - len(cells))
        category_text = cells[category].strip() if category is not None else ""
        last_category = category_text or last_category
        marked, after = read_mark(cells[mark])
        quoted = _QUOTED.match(after)
        note = " ".join(
            cell for position, cell in enumerate(cells) if position not in (category, element, mark) and cell.strip()
        )
        found.append(
            ScheduleRow(
                line,
                last_category,
                cells[element].strip() if element is not None else "",
                marked,
                quoted.group(1).strip() if quoted else "",
                " ".join(part for part in ((after if not quoted else ""), note) if part).strip(),
            )
        )
    return found


_HEADING_LINE = re.compile(r"^\s*(?:#{1,6}\s*)?(?P<name>[^\[\]☐☑✓✔☒:|]+?)\s*:?\s*$")
_CHECKLIST_LINE = re.compile(
    r"^\s*(?:[-*]\s+)?(?P<mark>[☑✓✔☒✅☐□]|\[[ xX✓]?\]|\([ xX]?\))\s*(?P<element>.+?)\s*$"
    r"|^\s*(?:[-*]\s+)?(?P<element2>[^:|]+?)\s*:\s*(?P<answer>yes|no|y|n|x|true|false)\b\s*(?P<after>.*)$",
    re.IGNORECASE,
)


def _checklist_rows(lines: list[str]) -> list[ScheduleRow]:
    """ "Demographics" then "[x] Date of birth" / "☐ Gender" / "Gender: no" lines."""
    found: list[ScheduleRow] = []
    category = ""
    for number, line in enumerate(lines, start=1):
        item = _CHECKLIST_LINE.match(line)
        if item:
            mark_text = item.group("mark") or item.group("answer")
            element = item.group("element") or item.group("element2")
            marked, _ = read_mark(mark_text)
            after = item.group("after") or ""
            quoted = _QUOTED.search(element + " " + after)
            element = _QUOTED.sub("", element).strip(" :—–-")
            found.append(ScheduleRow(number, category, element, marked, quoted.group(1) if quoted else "", after))
            continue
        heading = _HEADING_LINE.match(line)
        if heading and line.strip():
            category = heading.group("name").strip()
    return found


def read_schedule_rows(text: str) -> list[ScheduleRow]:
    """Every row of the schedule of data in a packet: its tables with a mark column, else its checklist lines."""
    lines = text.splitlines()
    rows: list[ScheduleRow] = []
    for _, _, table in markdown_tables(lines):
        (_, headers), *body = table
        rows += _rows_of_table(headers, body)
    if rows:
        return rows
    if "\t" in text or "," in (lines[0] if lines else ""):
        try:
            table = read_text(text)
        except UnreadableFile:
            table = None
        if table is not None:
            rows = _rows_of_table(table.headers, table.rows)
            if rows:
                return rows
    return _checklist_rows(lines)


# --- matching rows to the taxonomy ------------------------------------------------------------------

_STOP = {"of", "the", "and", "or", "a", "an", "etc", "e", "g", "eg", "by", "to", "in", "on", "for", "with", "s"}
_EXPANSIONS = (
    (r"\bmeta ?data\b", "metadata"),
    (r"\be-?mails?\b", "email"),
    (r"\bell\b", "english language learner"),
    (r"\bdob\b", "date of birth"),
    (r"\biep\b", "iep"),
    (r"\bssid\b", "state id"),
    (r"\bpii\b", "personal information"),
    (r"\bmedical[- ]health\b", "medical alerts health data"),
    (r"\bid\b", "id"),
)
# The wording of real packets (NDPA v1 and v2 forms, state versions, vendors' drafts) where the
# taxonomy words it otherwise: normalized wording → (category, element).
SYNONYMS: dict[str, tuple[str, str]] = {}


def _key(text: str, *, expand: bool = True) -> str:
    value = unicodedata.normalize("NFKC", text).casefold()
    value = re.sub(r"\(([^)]*)\)", r" \1 ", value)
    for pattern, replacement in _EXPANSIONS if expand else ():
        value = re.sub(pattern, replacement, value)
    return " ".join(word for word in re.findall(r"[^\W_]+", value) if word not in _STOP)


def _head_key_raw(text: str) -> str:
    return _key(re.sub(r"\([^)]*\)", " ", text), expand=False)


def _head_key(text: str) -> str:
    """The key of a name without its parenthetical: "Local (school district) ID number" → "local id number"."""
    return _key(re.sub(r"\([^)]*\)", " ", text))


for _written, _category, _element in (
    (
        "Meta data on user interaction with application",
        "Application Use Statistics",
        "Metadata on user interaction with the application",
    ),
    (
        "Meta data on user interaction",
        "Application Use Statistics",
        "Metadata on user interaction with the application",
    ),
    ("Provider/App assigned student ID number", "Student Identifiers", "Provider/app-assigned student ID number"),
    ("Provider/App assigned student ID", "Student Identifiers", "Provider/app-assigned student ID number"),
    ("Local district ID", "Student Identifiers", "Local (school district) ID number"),
    ("District student ID", "Student Identifiers", "Local (school district) ID number"),
    ("App username", "Student Identifiers", "Student app username"),
    ("App passwords", "Student Identifiers", "Student app passwords"),
    ("Student generated content", "Student Work", "Student-generated content (writing, pictures, etc.)"),
    (
        "Student generated content; writing, pictures, etc.",
        "Student Work",
        "Student-generated content (writing, pictures, etc.)",
    ),
    ("Online communications captured", "Communications", "Online communications captured (emails, blog entries)"),
    (
        "Program/application performance",
        "Student In-App Performance",
        "Program/application performance (e.g. typing speed, reading level)",
    ),
    (
        "Program/application performance (typing program-student types 60 wpm, "
        "reading program-student reads below grade level)",
        "Student In-App Performance",
        "Program/application performance (e.g. typing speed, reading level)",
    ),
    (
        "Activities",
        "Student Program Membership",
        "Academic or extracurricular activities a student may belong to or participate in",
    ),
    ("ELL", "Special Indicator", "English language learner information"),
    ("Low income", "Special Indicator", "Low income status"),
    ("Medical-health", "Special Indicator", "Medical alerts / health data"),
    ("Health data", "Special Indicator", "Medical alerts / health data"),
    ("Living situations", "Special Indicator", "Living situations (homeless / foster care)"),
    ("Language", "Demographics", "Language information (native or primary language spoken by the student)"),
    ("Ethnicity", "Demographics", "Ethnicity or race"),
    ("Race", "Demographics", "Ethnicity or race"),
    ("Student pick up and/or drop off location", "Transportation", "Student pick-up and/or drop-off location"),
    ("Survey responses", "Student Survey Responses", "Student responses to surveys or questionnaires"),
    ("Daily attendance", "Attendance", "Student school (daily) attendance data"),
    ("Class attendance", "Attendance", "Student class attendance data"),
    ("Grade level", "Enrollment", "Student grade level"),
    ("Graduation year", "Enrollment", "Year of graduation"),
):
    SYNONYMS[_key(_written)] = (_category, _element)

CATEGORY_SYNONYMS = {
    _key(written): category
    for written, category in (
        ("Parent/Guardian Contact", "Parent/Guardian Contact Information"),
        ("Parent Contact Information", "Parent/Guardian Contact Information"),
        ("Student Contact", "Student Contact Information"),
        ("Student In App Performance", "Student In-App Performance"),
        ("Application Technology Metadata", "Application Technology Meta Data"),
        ("Student Identifier", "Student Identifiers"),
        ("Special Indicators", "Special Indicator"),
        ("Other Data", OTHER),
    )
}
_OTHER_ROW = re.compile(r"^(?:other\b.*|please (?:list|specify)\b.*|specify\b.*)$", re.IGNORECASE)
_WHOLE = re.compile(r"^(?:all|all elements|everything|any|—|–|-|)$", re.IGNORECASE)
SIMILAR_SCORE = 82


def _match_category(text: str, taxonomy: TaxonomyData) -> list[str]:
    """The taxonomy categories a category cell names ("Parent/Guardian Contact, ID" names two)."""
    keys = {_key(name): name for name in taxonomy}
    key = _key(text)
    if key in keys:
        return [keys[key]]
    if key in CATEGORY_SYNONYMS and CATEGORY_SYNONYMS[key] in taxonomy:
        return [CATEGORY_SYNONYMS[key]]
    best = max(keys, key=lambda name: fuzz.token_sort_ratio(key, name), default="")
    if best and fuzz.token_sort_ratio(key, best) >= 90:
        return [keys[best]]
    if "," in text:
        first, *others = (part.strip() for part in text.split(","))
        qualifier = first.split()[0] if first.split() else ""
        found = _match_category(first, taxonomy)
        for other in others:
            found += _match_category(other, taxonomy) or _match_category(f"{qualifier} {other}", taxonomy)
        return found if len(found) == len(others) + 1 else []
    return []


def _other_element(category: str, taxonomy: TaxonomyData) -> str | None:
    return next((name for name in taxonomy.get(category, ()) if name.lower().startswith("other")), None)


def _match_element(text: str, categories: list[str], taxonomy: TaxonomyData) -> tuple[str, str, MatchHow, float] | None:
    key, head = _key(text), _head_key(text)
    scope = [(category, name) for category in categories for name in taxonomy.get(category, ())]
    if not scope:  # an unknown category: look among every element, more strictly
        scope = [(category, name) for category, names in taxonomy.items() for name in names]
    for category, name in scope:
        if key in (_key(name), _head_key(name)) or (head and head in (_key(name), _head_key(name))):
            raw = {_key(text, expand=False), _head_key_raw(text)}
            how = MatchHow.EXACT if raw & {_key(name, expand=False), _head_key_raw(name)} else MatchHow.SYNONYM
            return category, name, how, 100.0
    synonym = SYNONYMS.get(key) or SYNONYMS.get(head)
    if synonym and synonym[1] in taxonomy.get(synonym[0], ()) and (not categories or synonym[0] in categories):
        return synonym[0], synonym[1], MatchHow.SYNONYM, 100.0
    best: tuple[float, str, str] | None = None
    for category, name in scope:
        score = max(fuzz.token_set_ratio(key, _key(name)), fuzz.token_sort_ratio(head, _head_key(name)))
        if best is None or score > best[0]:
            best = (score, category, name)
    threshold = SIMILAR_SCORE if categories else 92
    if best and best[0] >= threshold:
        return best[1], best[2], MatchHow.SIMILAR, float(best[0])
    return None


def _split_other(words: str) -> list[str]:
    return [part.strip(" .") for part in re.split(r";\s+", words) if part.strip(" .")]


def match_row(row: ScheduleRow, taxonomy: TaxonomyData = DEFAULT_TAXONOMY) -> list[ElementMatch]:
    """The taxonomy elements a row stands for; a row with no counterpart is proposed under "Other"."""
    categories = _match_category(row.category, taxonomy) if row.category else []
    element = row.element.strip()
    written = " — ".join(part for part in (row.category, element) if part)
    if _OTHER_ROW.match(element) or (categories == [OTHER] and element):
        other = _other_element(categories[0], taxonomy) if len(categories) == 1 else None
        if other:
            return [ElementMatch(row.line, categories[0], other, MatchHow.OTHER_SPECIFY, 100.0, written, row.specify)]
        names = _split_other(row.specify) or [element or row.category]
        return [ElementMatch(row.line, OTHER, name, MatchHow.NEW, 0.0, written, row.specify) for name in names]
    if _WHOLE.match(element) and categories:
        return [
            ElementMatch(row.line, category, name, MatchHow.WHOLE_CATEGORY, 100.0, written)
            for category in categories
            for name in taxonomy.get(category, ())
        ]
    found = _match_element(element, categories, taxonomy)
    if found:
        return [ElementMatch(row.line, found[0], found[1], found[2], found[3], written, row.specify)]
    parts = [part.strip() for part in re.split(r"\s+/\s+|\s*;\s*", element) if part.strip()]
    if len(parts) > 1:
        matches: list[ElementMatch] = []
        for part in parts:
            matches += match_row(ScheduleRow(row.line, row.category, part, row.mark, row.specify, row.note), taxonomy)
        return [replace(match, written=written) for match in matches]
    return [ElementMatch(row.line, OTHER, element or row.category, MatchHow.NEW, 0.0, written, row.specify)]


def _not_data(row: ScheduleRow, taxonomy: TaxonomyData) -> str:
    if not row.category and not row.element:
        return "The row names no category or element."
    if not _match_category(row.category, taxonomy) and _WHOLE.match(row.element.strip()):
        return "The row is not a data element of the schedule."
    return ""


def read_schedule(text: str, taxonomy: TaxonomyData = DEFAULT_TAXONOMY) -> ScheduleReading:
    """A packet's schedule of data: its rows, the taxonomy elements its checked rows stand for, and what is open."""
    rows = read_schedule_rows(text)
    matches: list[ElementMatch] = []
    undecided: list[ScheduleRow] = []
    skipped: list[tuple[int, str]] = []
    no_student_data = False
    for row in rows:
        if _key(row.category) in ("none", *(_key(name) for name in NOT_SEEDED)) and row.category:
            no_student_data = no_student_data or row.mark is Mark.CHECKED
            skipped.append((row.line, "“None” says no student data is collected; it is not an element."))
            continue
        reason = _not_data(row, taxonomy)
        if reason:
            skipped.append((row.line, reason))
        elif row.mark is Mark.UNDECIDED:
            undecided.append(row)
        elif row.mark is Mark.CHECKED:
            matches += match_row(row, taxonomy)
    return ScheduleReading(tuple(rows), tuple(matches), tuple(undecided), tuple(skipped), no_student_data)
