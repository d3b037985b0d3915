"""Facts written into free text or a name: a status, the dates signed and expiring, grade bands.

"Linewize (Qoria) — DPA Approved 02/03/2025" holds a name, an approval, an agreement on file and
the day it was signed; "SDPC approved 07/09/2024 (expires 07/09/2027); data shared includes
conduct/behavioral data" holds an expiry too. Each fact is proposed with its kind, its value and
the span of text it was read from, so the preview can show it next to the original; `rest` is
the text without them (the name, or what is left of a note). Pure: no database.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from clearinghouse.imports.dates import DEFAULT_CALENDAR, Calendar, DateValue, FoundDate, Precision, find_dates
from clearinghouse.imports.vocabulary import (
    AgreementStatus,
    Approval,
    GradesProposal,
    StatusProposal,
    find_grades,
    read_status,
)


class FactKind(StrEnum):
    APPROVAL = "approval"
    AGREEMENT = "agreement"
    CONDITIONS = "conditions"
    REASON = "reason"
    SIGNED_ON = "signed_on"  # the day the agreement was signed or the product approved
    EFFECTIVE_ON = "effective_on"
    EXPIRES_ON = "expires_on"
    DATE = "date"  # a date whose role the text does not say
    GRADES = "grades"


FactValue = Approval | AgreementStatus | DateValue | GradesProposal | str


@dataclass(frozen=True)
class Fact:
    """One thing the text says, and where: `source` is `text[start:end]` of the text read."""

    kind: FactKind
    value: FactValue
    start: int
    end: int
    source: str

    def to_dict(self) -> dict[str, Any]:
        value: Any = self.value
        if isinstance(value, DateValue | GradesProposal):
            value = value.to_dict()
        elif isinstance(value, StrEnum):
            value = value.value
        return {"kind": self.kind.value, "value": value, "start": self.start, "end": self.end, "source": self.source}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Fact":
        kind = FactKind(data["kind"])
        raw = data["value"]
        value: FactValue
        if kind is FactKind.APPROVAL:
            value = Approval(raw)
        elif kind is FactKind.AGREEMENT:
            value = AgreementStatus(raw)
        elif kind in _DATE_KINDS:
            value = DateValue.from_dict(raw)
        elif kind is FactKind.GRADES:
            value = GradesProposal.from_dict(raw)
        else:
            value = raw
        return cls(kind, value, data["start"], data["end"], data["source"])


_DATE_KINDS = (FactKind.SIGNED_ON, FactKind.EFFECTIVE_ON, FactKind.EXPIRES_ON, FactKind.DATE)


@dataclass(frozen=True)
class TextFacts:
    text: str
    facts: tuple[Fact, ...]
    rest: str  # the text without its facts: the name, or what is left of a note
    status: StatusProposal  # the status words as read (unmatched when the text holds none)

    def first(self, kind: FactKind) -> Fact | None:
        return next((fact for fact in self.facts if fact.kind is kind), None)

    def of_kind(self, kind: FactKind) -> list[Fact]:
        return [fact for fact in self.facts if fact.kind is kind]

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "facts": [fact.to_dict() for fact in self.facts],
            "rest": self.rest,
            "status": self.status.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TextFacts":
        return cls(
            data["text"],
            tuple(Fact.from_dict(fact) for fact in data["facts"]),
            data["rest"],
            StatusProposal.from_dict(data["status"]),
        )


# The last of these words before a date says what the date is.
_CUES: tuple[tuple[FactKind, str], ...] = (
    (
        FactKind.EXPIRES_ON,
        r"expires?|expiring|expiration(?: date)?|expiry(?: date)?|exp\.?|valid (?:through|thru|until)|through|thru|"
        r"until|till|ends?|ending|end date|renews?|renewal(?: date)?|sunsets?",
    ),
    (FactKind.EFFECTIVE_ON, r"effective(?: date| from| on)?|starts?|starting|start date|begins?|beginning|from"),
    (
        FactKind.SIGNED_ON,
        r"approved|approval(?: date)?|signed|executed|dated|s?n?dpas?|agreements?|contracts?|since|accepted|on",
    ),
)
_CUE = re.compile(
    r"(?<![^\W_])(?:" + "|".join(f"(?P<{kind.value}>{words})" for kind, words in _CUES) + r")(?![^\W_])[\s:,(]*$",
    re.IGNORECASE,
)
_JOINED = re.compile(r"^\s*(?:,|and|&|;)?\s*(?:and\s+)?$", re.IGNORECASE)


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = [" "] * (end - start)
    return "".join(chars)


def _date_facts(text: str, dates: list[FoundDate], fence: list[int]) -> list[Fact]:
    """The role of each date from the cue word just before it ("expires 07/09/2027", "approved 07/09/2024")."""
    facts: list[Fact] = []
    previous_end, previous_kind = 0, None
    for found in dates:
        left = max([previous_end, *(point + 1 for point in fence if point < found.start)])
        window = text[left : found.start]
        cue = _CUE.search(window[-40:])
        start = found.start
        if found.value.open_ended:
            kind = FactKind.EXPIRES_ON
        elif cue:
            kind = FactKind(next(name for name, value in cue.groupdict().items() if value))
        elif previous_kind is not None and _JOINED.match(window):
            kind = previous_kind  # "DPAs 02/23/2024 and 11/13/2025"
        else:
            kind = FactKind.DATE
        if cue:  # the cue belongs to the date: "expires 07/09/2027", "DPAs 02/23/2024"
            start = found.start - len(window[-40:]) + cue.start()
        facts.append(Fact(kind, found.value, start, found.end, text[start : found.end]))
        previous_end, previous_kind = found.end, kind
    return facts


def _groups(text: str, spans: tuple[tuple[int, int], ...], taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Status words that belong together ("DPA Approved", "NOT approved ('Vendor refused…')") as one span each."""
    groups: list[list[int]] = []
    for start, end in sorted(spans):
        if groups:
            between = _masked(text, taken)[groups[-1][1] : start]
            if re.fullmatch(r"[\s'\"‘’“”(),:\-—–]*", between):
                groups[-1][1] = max(groups[-1][1], end)
                continue
        groups.append([start, end])
    trimmed = []
    for start, end in groups:
        piece = text[start:end]
        trimmed.append((start + len(piece) - len(piece.lstrip()), end - len(piece) + len(piece.rstrip())))
    return trimmed


def _find(text: str, piece: str) -> tuple[int, int] | None:
    position = text.find(piece) if piece else -1
    return (position, position + len(piece)) if position >= 0 else None


def read_facts(text: str, *, calendar: Calendar = DEFAULT_CALENDAR, zone: ZoneInfo | None = None) -> TextFacts:
    """The status, dates and grade bands written in a text cell or a name, and the text without them."""
    dates = find_dates(text, calendar=calendar, zone=zone)
    date_spans = [(found.start, found.end) for found in dates]
    grades = [
        found
        for found in find_grades(text)
        if not any(found.start < end and start < found.end for start, end in date_spans)
    ]
    grade_spans = [(found.start, found.end) for found in grades]
    status = read_status(_masked(text, date_spans + grade_spans), strict=True)
    status = StatusProposal(**{**status.__dict__, "text": text})
    fence = [match.start() for match in re.finditer(r"[;]|\.\s", text)]
    facts = _date_facts(text, dates, fence)
    facts += [
        Fact(FactKind.GRADES, found.proposal, found.start, found.end, text[found.start : found.end]) for found in grades
    ]
    taken = [(fact.start, fact.end) for fact in facts]
    groups = _groups(text, status.spans, taken) if status.matched else []
    if groups:
        start, end = groups[0]
        signed = any(fact.kind is FactKind.SIGNED_ON and fact.value.precision is Precision.DAY for fact in facts)
        agreement = status.agreement
        if agreement is AgreementStatus.ON_FILE and signed:
            agreement = AgreementStatus.SIGNED
        if status.approval is not None:
            facts.append(Fact(FactKind.APPROVAL, status.approval, start, end, text[start:end]))
        if agreement is not None:
            facts.append(Fact(FactKind.AGREEMENT, agreement, start, end, text[start:end]))
        for kind, piece in ((FactKind.CONDITIONS, status.conditions), (FactKind.REASON, status.reason)):
            if piece:
                span = _find(text, piece) or (start, end)
                facts.append(Fact(kind, piece, *span, text[span[0] : span[1]]))
                groups.append(span)
    removed = taken + groups
    rest = tidy(_masked(text, removed)) if removed else " ".join(text.split())
    return TextFacts(text, tuple(sorted(facts, key=lambda fact: fact.start)), rest, status)


def _balanced(text: str) -> str:
    """The text without brackets left open or closed alone once words inside them were taken out."""
    keep = [True] * len(text)
    opened: list[int] = []
    for position, char in enumerate(text):
        if char == "(":
            opened.append(position)
        elif char == ")":
            if opened:
                opened.pop()
            else:
                keep[position] = False
    for position in opened:
        keep[position] = False
    return "".join(char for char, kept in zip(text, keep, strict=True) if kept)


_EMPTY_BRACKETS = re.compile(r"\(\s*[,;:\-—–]*\s*(?:and|or|&)?\s*\)|\[\s*[,;:]*\s*\]")
_EMPTY_QUOTES = re.compile(r"(['\"‘’“”])[\s,;.]*\1|‘[\s,;.]*’|“[\s,;.]*”")
_AFTER_OPENING = re.compile(r"\(\s*[,;:]\s*")
_BEFORE_CLOSING = re.compile(r"\s*[,;:]\s*\)")
_REPEATED = re.compile(r"\s*([,;])(?:\s*[,;])+")
_SPACE_BEFORE = re.compile(r"\s+([,;:)])")
_DANGLING_END = re.compile(
    r"(?:\s+(?:status|on|with|and|since|until|through|dated|as of|incl\.?)|[\s,;:—–\-/'\"‘’“”])+$", re.IGNORECASE
)
_DANGLING_START = re.compile(r"^[\s,;:—–\-/.]+")


_NEEDS_TIDYING = re.compile(
    r"[()\[\]'\"‘’“”,;:—–\-/.]|\s(?:status|on|with|and|since|until|through|dated|as of|incl)$", re.I
)


def tidy(text: str) -> str:
    """What is left of a text once words were taken out of it: no empty brackets, quotes or separators."""
    if not _NEEDS_TIDYING.search(text):
        return " ".join(text.split())
    previous = None
    while previous != text:
        previous = text
        text = " ".join(_balanced(text).split())
        text = _EMPTY_BRACKETS.sub("", text)
        text = _EMPTY_QUOTES.sub("", text)
        text = _AFTER_OPENING.sub("(", text)
        text = _BEFORE_CLOSING.sub(")", text)
        text = _REPEATED.sub(r"\1", text)
        text = _SPACE_BEFORE.sub(r"\1", text)
        text = _DANGLING_END.sub("", text)
        text = _DANGLING_START.sub("", text)
    return text
