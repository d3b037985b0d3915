"""What the words of a district's status, kind, grade and school columns mean.

A district writes a product's approval and the state of its data-privacy agreement in its own
words: "DPA Approved", "03. Pending", "Approved w/ Guardian Release", "Not Approved / Declined",
or two columns whose pairs its own rules explain (an Ohio SB 29 sheet). Each matcher returns a
proposal the officer confirms or changes; a value nothing matches comes back unmatched, never as
a default. Every result is plain data (`to_dict`/`from_dict`), so a district's choices can be
remembered. Pure: no database; the district's schools and kinds are passed in.
"""

import itertools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process

from clearinghouse.agreements.status import ProductAgreementStatus
from clearinghouse.directory.models import ProductStatus

# The domain's two statuses, one to one: a product's approval for use, and where its agreement
# stands (their labels are the domain's).
Approval = ProductStatus
AgreementStatus = ProductAgreementStatus


# How much use an approval allows; a combined reading never allows more than its least permissive part.
PERMISSIVENESS = {
    Approval.APPROVED: 3,
    Approval.APPROVED_WITH_CONDITIONS: 2,
    Approval.APPROVED_NO_STUDENT_DATA: 2,
    Approval.UNDER_REVIEW: 1,
    Approval.NOT_APPROVED: 0,
    Approval.RETIRED: 0,
}
# When one text names several agreement states, the one that asks the most of the officer wins.
_AGREEMENT_PRECEDENCE = (
    AgreementStatus.DECLINED_BY_VENDOR,
    AgreementStatus.NONE_ON_FILE,
    AgreementStatus.REQUESTED,
    AgreementStatus.ON_FILE,
    AgreementStatus.SIGNED,
    AgreementStatus.NOT_REQUIRED,
)


class StatusRole(StrEnum):
    """What a column speaks of: one status column, or one of the two a district keeps apart."""

    EITHER = "either"
    APPROVAL = "approval"
    AGREEMENT = "agreement"


@dataclass(frozen=True)
class StatusProposal:
    """What a status text says: the approval and the agreement state (None: the text does not say).

    `also_agrees` lists approvals that already agree with the text (an "Active: TRUE" column
    leaves an approval with conditions alone). `spans` are the (start, end) of the words read.
    """

    text: str
    matched: bool
    approval: Approval | None = None
    agreement: AgreementStatus | None = None
    conditions: str = ""
    reason: str = ""
    also_agrees: tuple[Approval, ...] = ()
    flag: str = ""  # why the officer should look again ("" when nothing needs a second look)
    spans: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "matched": self.matched,
            "approval": self.approval.value if self.approval else None,
            "agreement": self.agreement.value if self.agreement else None,
            "conditions": self.conditions,
            "reason": self.reason,
            "also_agrees": [approval.value for approval in self.also_agrees],
            "flag": self.flag,
            "spans": [list(span) for span in self.spans],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "StatusProposal":
        return cls(
            text=data["text"],
            matched=data["matched"],
            approval=Approval(data["approval"]) if data["approval"] else None,
            agreement=AgreementStatus(data["agreement"]) if data["agreement"] else None,
            conditions=data["conditions"],
            reason=data["reason"],
            also_agrees=tuple(Approval(value) for value in data["also_agrees"]),
            flag=data["flag"],
            spans=tuple((start, end) for start, end in data["spans"]),
        )


# --- reading status words -----------------------------------------------------------------------

_GAP = r"[\s_\-.]+"  # between the words of a phrase: "not approved", "Not-Approved", "not_approved"


def _phrase(*alternatives: str) -> str:
    """Phrases whose words may be joined by spaces, hyphens, underscores or dots; matched as whole words."""
    return "|".join(alternative.replace(" ", _GAP) for alternative in alternatives)


@dataclass(frozen=True)
class _Sense:
    """How one phrase reads: on its own, next to "DPA"/"agreement", and in a column of one kind."""

    plain: tuple[Approval | None, AgreementStatus | None]
    about_agreement: tuple[Approval | None, AgreementStatus | None]
    in_approval_column: tuple[Approval | None, AgreementStatus | None]
    in_agreement_column: tuple[Approval | None, AgreementStatus | None]
    weak: bool = False  # too common a word to read in free text unless "DPA"/"agreement" is next to it
    also_agrees: tuple[Approval, ...] = ()
    flag: str = ""


def _same(approval: Approval | None, agreement: AgreementStatus | None, **extra: Any) -> _Sense:
    return _Sense((approval, agreement), (approval, agreement), (approval, agreement), (approval, agreement), **extra)


A, S = Approval, AgreementStatus
_ON_FILE = S.ON_FILE
_IN_USE = (A.APPROVED, A.APPROVED_WITH_CONDITIONS, A.APPROVED_NO_STUDENT_DATA)
_NOT_IN_USE = (A.RETIRED, A.NOT_APPROVED)
_EXPIRED = "The agreement has ended: add its dates, so that the sweep can act on them."
_RENEWAL = "A renewal is pending: an earlier agreement may still be on file; add it with its dates if so."

# (key, pattern, sense), tried in this order; a phrase never overlaps one found before it.
_VOCABULARY: tuple[tuple[str, str, _Sense], ...] = (
    (
        "reason",
        r"(?:declined |denial |rejection )?reason(?:ing|s)?\s*[:=]\s*(?P<rest>[^;()\n]+)",
        _same(None, None),
    ),
    (
        "vendor_declined",
        _phrase(
            "refused by the vendor",
            "refused by vendor",
            "declined by the vendor",
            "declined by vendor",
            "vendor refused",
            "vendor declined",
            "vendor would not sign",
            "vendor will not sign",
            "refused to sign",
            "declined to sign",
            "would not sign",
            "won't sign",
            "will not sign",
            "can't sign",
            "cannot sign",
        ),
        _same(None, S.DECLINED_BY_VENDOR),
    ),
    (
        "no_student_data",
        _phrase(
            "approved no student data",
            "approved no pii",
            "no student data collected",
            "no student data",
            "no student pii",
            "no pii collected",
            "no pii",
        ),
        _Sense(
            (A.APPROVED_NO_STUDENT_DATA, S.NOT_REQUIRED),
            (A.APPROVED_NO_STUDENT_DATA, S.NOT_REQUIRED),
            (A.APPROVED_NO_STUDENT_DATA, None),
            (None, S.NOT_REQUIRED),
        ),
    ),
    (
        "none_on_file",
        _phrase("not on file", "none on file", "not signed", "not received", "not in place", "unsigned", "no dpa")
        + r"|\bno agreements?\b|\bno contract\b",
        _same(None, S.NONE_ON_FILE),
    ),
    (
        "none_word",
        _phrase("none", "missing"),
        _same(None, S.NONE_ON_FILE, weak=True),
    ),
    (
        "not_required",
        _phrase("not required", "not needed", "not applicable", "no dpa required", "no dpa needed", "exempt")
        + r"|\bn/a\b|\bna\b",
        _Sense((None, S.NOT_REQUIRED), (None, S.NOT_REQUIRED), (None, None), (None, S.NOT_REQUIRED), weak=True),
    ),
    (
        "renewal",
        _phrase("renewal pending", "renewal requested", "renewal in progress", "pending renewal", "up for renewal"),
        _same(None, S.REQUESTED, flag=_RENEWAL),
    ),
    (
        "rejected",
        _phrase(
            "not approved",
            "unapproved",
            "disapproved",
            "rejected",
            "denied",
            "declined",
            "refused",
            "blocked",
            "prohibited",
            "banned",
            "do not use",
            "not allowed",
            "not permitted",
        ),
        _Sense(
            (A.NOT_APPROVED, None),
            (None, S.DECLINED_BY_VENDOR),
            (A.NOT_APPROVED, None),
            (None, S.DECLINED_BY_VENDOR),
        ),
    ),
    (
        "conditional",
        r"(?:approved|allowed)[\s_\-.]*(?:w/|(?:with|only|for|under|if|when|subject to)\b)[\s:_\-]*"
        r"(?P<rest>[^;()\n]*(?:\([^()\n]*\))?)"
        r"|" + _phrase("conditionally approved", "approved conditionally", "conditional approval", "limited approval"),
        _Sense(
            (A.APPROVED_WITH_CONDITIONS, None),
            (A.APPROVED_WITH_CONDITIONS, _ON_FILE),
            (A.APPROVED_WITH_CONDITIONS, None),
            (None, _ON_FILE),
        ),
    ),
    (
        "condition_marker",
        r"\b(?:with|w/)\s+(?:\w+\s+)?(?:restrictions?|conditions?|limitations?)\b[\s:]*(?P<rest>[^;()\n]*(?:\([^()\n]*\))?)"
        r"|\bonly (?:when|if|for)\b\s*(?P<rest2>[^;()\n]*)|\b(?:restricted|limited) to\b\s*(?P<rest3>[^;()\n]*)",
        _Sense((A.APPROVED_WITH_CONDITIONS, None), (A.APPROVED_WITH_CONDITIONS, None), (None, None), (None, None)),
    ),
    (
        "staff_only",
        _phrase("staff use only", "staff only", "teacher use only", "teachers only", "teacher only", "no student use"),
        _Sense(
            (A.APPROVED_WITH_CONDITIONS, None),
            (A.APPROVED_WITH_CONDITIONS, None),
            (A.APPROVED_WITH_CONDITIONS, None),
            (None, None),
        ),
    ),
    (
        "conditional_word",
        _phrase("conditional", "restricted", "limited"),
        _Sense(
            (A.APPROVED_WITH_CONDITIONS, None),
            (A.APPROVED_WITH_CONDITIONS, _ON_FILE),
            (A.APPROVED_WITH_CONDITIONS, None),
            (None, _ON_FILE),
            weak=True,
        ),
    ),
    (
        "approved",
        _phrase("approved", "approve", "accepted", "allowed", "vetted", "compliant"),
        _Sense((A.APPROVED, None), (A.APPROVED, _ON_FILE), (A.APPROVED, None), (None, _ON_FILE)),
    ),
    (
        "on_file",
        _phrase("fully executed", "executed", "signed", "on file", "in place", "on record"),
        _same(None, _ON_FILE),
    ),
    (
        "received",
        _phrase("received", "completed", "complete"),
        _same(None, _ON_FILE, weak=True),
    ),
    (
        "expired",
        _phrase("expired", "lapsed", "terminated", "out of date"),
        _same(None, _ON_FILE, flag=_EXPIRED),
    ),
    (
        "requested",
        _phrase(
            "requested", "request sent", "sent to vendor", "awaiting vendor", "awaiting signature", "out for signature"
        ),
        _Sense(
            (A.UNDER_REVIEW, S.REQUESTED), (A.UNDER_REVIEW, S.REQUESTED), (A.UNDER_REVIEW, None), (None, S.REQUESTED)
        ),
    ),
    (
        "pending",
        _phrase(
            "pending review",
            "pending approval",
            "pending",
            "under review",
            "in review",
            "awaiting review",
            "being evaluated",
            "evaluating",
            "reviewing",
            "in progress",
            "submitted",
            "to be determined",
            "tbd",
        ),
        _Sense((A.UNDER_REVIEW, None), (A.UNDER_REVIEW, S.REQUESTED), (A.UNDER_REVIEW, None), (None, S.REQUESTED)),
    ),
    (
        "review_word",
        _phrase("review", "new request", "new"),
        _Sense(
            (A.UNDER_REVIEW, None),
            (A.UNDER_REVIEW, S.REQUESTED),
            (A.UNDER_REVIEW, None),
            (None, S.REQUESTED),
            weak=True,
        ),
    ),
    (
        "retired",
        _phrase(
            "retired",
            "discontinued",
            "decommissioned",
            "archived",
            "sunsetted",
            "sunset",
            "no longer used",
            "no longer in use",
            "no longer supported",
            "removed",
            "not in use",
            "not active",
            "inactive",
        ),
        _Sense((A.RETIRED, None), (None, _ON_FILE), (A.RETIRED, None), (None, _ON_FILE), flag=""),
    ),
    (
        "active",
        _phrase("active", "in use", "current", "valid", "in effect", "live"),
        _Sense(
            (A.APPROVED, None),
            (A.APPROVED, _ON_FILE),
            (A.APPROVED, None),
            (None, _ON_FILE),
            weak=True,
            also_agrees=_IN_USE,
        ),
    ),
    (
        "yes",
        r"\b(?:true|yes|y)\b|(?<![\w./-])1(?![\w./-])|[✓✔☑✅]",
        _Sense(
            (A.APPROVED, None), (None, _ON_FILE), (A.APPROVED, None), (None, _ON_FILE), weak=True, also_agrees=_IN_USE
        ),
    ),
    (
        "no",
        r"\b(?:false|no|n)\b|(?<![\w./-])0(?![\w./-])|[✗✘☐]",
        _Sense(
            (A.RETIRED, None),
            (None, S.NONE_ON_FILE),
            (A.RETIRED, None),
            (None, S.NONE_ON_FILE),
            weak=True,
            also_agrees=_NOT_IN_USE,
        ),
    ),
)
_PATTERNS = tuple(
    (
        key,
        re.compile(rf"(?<![^\W_/])(?:{pattern})(?![^\W_])" if key not in ("yes", "no") else pattern, re.IGNORECASE),
        sense,
    )
    for key, pattern, sense in _VOCABULARY
)
# A word stem of every phrase free text is read for (the weak ones need "DPA" or "agreement", whose
# stems are here too): a text without any is not searched phrase by phrase. tests/imports check it.
_STRICT_STEMS = (
    "approv", "accept", "allowed", "vetted", "compliant", "reject", "denied", "declin", "refus", "block", "prohib",
    "bann", "do not use", "not permitted", "sign", "execut", "file", "place", "record", "receiv", "no student",
    "no pii", "student use", "staff", "teacher", "restrict", "condition", "limit", "only ", "renew", "expir", "lapse",
    "terminat", "out of date", "request", "sent to", "await", "pending", "review", "evaluat", "in progress",
    "submitted", "determined", "tbd", "retir", "discontinu", "decommission", "archiv", "sunset", "no longer",
    "not in use", "not active", "inactive", "removed", "reason", "dpa", "agreement", "contract", "sdpc", "nda",
)  # fmt: skip
_ANY_PHRASE = re.compile(
    "|".join(f"(?:{re.sub(r'[(][?]P<[a-z0-9]+>', '(?:', pattern.pattern)})" for _, pattern, _ in _PATTERNS),
    re.IGNORECASE,
)
_SUBJECT = re.compile(
    r"(?<![^\W_])(?:(?:data[\s_\-]+)?privacy[\s_\-]+agreements?|s?n?dpas?|sdpc|ndpa|nda|agreements?|contracts?)(?![^\W_])",
    re.IGNORECASE,
)
# Clauses: a phrase reads "about the agreement" only when "DPA" or "agreement" is in its own clause.
_CLAUSE_BREAK = re.compile(r"[;,()\[\]|—–]|(?<![\s/wWnN\d])/(?![\d])|\s/\s|\s-\s|\.(?:\s|$)|\band\b|\bbut\b")
_NUMBERING = re.compile(r"^\s*(?:#\s*)?\(?\d{1,3}[a-z]?\)?\s*(?:[.):\-–]\s*|\s+)(?=\D)", re.IGNORECASE)
_FILLER = {
    "the", "a", "an", "is", "was", "has", "been", "by", "on", "of", "for", "to", "status", "and", "or", "but", "with",
    "vendor", "district", "student", "students", "data", "privacy", "w", "per",
}  # fmt: skip
_QUOTES = "'\"‘’“”"


_GENERIC_CONDITION = re.compile(r"^(?:the\s+)?(?:conditions?|restrictions?|limitations?)\b[\s:]*", re.IGNORECASE)


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    key: str
    sense: _Sense
    rest: str = ""
    rest_start: int = 0


def _hits(text: str) -> list[_Hit]:
    hits: list[_Hit] = []
    if not _ANY_PHRASE.search(text):  # most names and notes hold no status word: one search says so
        return hits
    for key, pattern, sense in _PATTERNS:
        for match in pattern.finditer(text):
            if any(match.start() < hit.end and hit.start < match.end() for hit in hits):
                continue
            rest_group = next((name for name in ("rest", "rest2", "rest3") if match.groupdict().get(name)), None)
            rest = _GENERIC_CONDITION.sub("", match.group(rest_group)) if rest_group else ""
            rest = ": ".join(part.strip(" )") for part in rest.split("(", 1) if part.strip(" )"))
            hits.append(
                _Hit(
                    match.start(),
                    match.end(),
                    key,
                    sense,
                    rest.strip().strip(_QUOTES).strip(),
                    match.start(rest_group) if rest_group else 0,
                )
            )
    return sorted(hits, key=lambda hit: hit.start)


def _clause_of(position: int, breaks: list[int]) -> int:
    return sum(1 for point in breaks if point <= position)


@lru_cache(maxsize=16_384)  # a column repeats its few values; every result is immutable
def read_status(text: str, role: StatusRole = StatusRole.EITHER, *, strict: bool = False) -> StatusProposal:
    """What a status text says. `strict`: read free text, where common words ("yes", "active") mean nothing alone.

    Tolerant of case, punctuation, numbering ("2-…", "03. "), "w/", hyphens and spaces; "DPA" and
    "agreement" make the words next to them speak of the agreement.
    """
    if not text.strip():
        return StatusProposal(text, matched=True)  # a blank cell says nothing, and that is a reading too
    if strict and not any(stem in text.lower() for stem in _STRICT_STEMS):
        return StatusProposal(text, matched=False)  # most names and notes hold no status word
    numbering = _NUMBERING.match(text) if not strict else None
    offset = numbering.end() if numbering else 0
    body = text[offset:]
    breaks = [match.start() for match in _CLAUSE_BREAK.finditer(body)]
    subjects = [(match.start(), match.end()) for match in _SUBJECT.finditer(body)]
    subject_clauses = {_clause_of(start, breaks) for start, _ in subjects}
    readings: list[tuple[Approval | None, AgreementStatus | None, _Hit]] = []
    used: list[tuple[int, int]] = []
    for hit in _hits(body):
        about_agreement = _clause_of(hit.start, breaks) in subject_clauses
        if hit.sense.weak and strict and not about_agreement:
            continue
        if role is StatusRole.APPROVAL:
            approval, agreement = hit.sense.in_approval_column
            if about_agreement and hit.sense.about_agreement[1] is not None:
                agreement = hit.sense.about_agreement[1]
        elif role is StatusRole.AGREEMENT:
            approval, agreement = hit.sense.in_agreement_column
        else:
            approval, agreement = hit.sense.about_agreement if about_agreement else hit.sense.plain
        readings.append((approval, agreement, hit))
        used.append((hit.start, hit.end))
    if not readings:
        return StatusProposal(text, matched=False)
    used += [span for span in subjects if any(_clause_of(span[0], breaks) == _clause_of(s, breaks) for s, _ in used)]
    return _combine(text, offset, body, readings, used, breaks, strict)


def _combine(
    text: str,
    offset: int,
    body: str,
    readings: list[tuple[Approval | None, AgreementStatus | None, _Hit]],
    used: list[tuple[int, int]],
    breaks: list[int],
    strict: bool,
) -> StatusProposal:
    approvals = [approval for approval, _, _ in readings if approval is not None]
    agreements = {agreement for _, agreement, _ in readings if agreement is not None}
    flags = [hit.sense.flag for _, _, hit in readings if hit.sense.flag]
    approval = min(approvals, key=lambda a: (PERMISSIVENESS[a], a != A.APPROVED_WITH_CONDITIONS)) if approvals else None
    distinct = set(approvals)
    refined = approval in (A.APPROVED_WITH_CONDITIONS, A.APPROVED_NO_STUDENT_DATA) and distinct <= {
        A.APPROVED,
        approval,
    }
    if len(distinct) > 1 and not refined:
        named = ", ".join(dict.fromkeys(hit.key.replace("_", " ") for a, _, hit in readings if a is not None))
        flags.append(f"The text says several things ({named}); the least permissive reading was taken.")
    agreement = next((status for status in _AGREEMENT_PRECEDENCE if status in agreements), None)
    conditions = "; ".join(dict.fromkeys(hit.rest for a, _, hit in readings if hit.rest and hit.key not in ("reason",)))
    if approval is A.APPROVED_WITH_CONDITIONS and not conditions:
        staff = [hit for _, _, hit in readings if hit.key == "staff_only"]
        conditions = body[staff[0].start : staff[0].end] if staff else ""
    reason = "; ".join(hit.rest for _, _, hit in readings if hit.key == "reason" and hit.rest)
    if strict:
        if not reason:
            declined = [hit for _, _, hit in readings if hit.key == "vendor_declined"]
            reason = _clause_text(body, declined[0].start, breaks) if declined else ""
    else:
        clauses, words = _leftover(body, used, breaks)
        if not reason and (approval is A.NOT_APPROVED or agreement is S.DECLINED_BY_VENDOR):
            reason, words = clauses, ""
        if approval is A.APPROVED_WITH_CONDITIONS and not conditions and clauses:
            conditions, words = clauses, ""
        if words:
            flags.append(f"Words not understood: “{words}”.")
    also = ()
    if len(readings) == 1:
        also = readings[0][2].sense.also_agrees
    spans = tuple(sorted((start + offset, end + offset) for start, end in used))
    return StatusProposal(
        text,
        matched=True,
        approval=approval,
        agreement=agreement,
        conditions=conditions,
        reason=reason,
        also_agrees=also,
        flag=" ".join(dict.fromkeys(flags)),
        spans=spans,
    )


def _clause_text(body: str, position: int, breaks: list[int]) -> str:
    clause = _clause_of(position, breaks)
    edges = [0, *breaks, len(body)]
    return body[edges[clause] : edges[clause + 1]].strip(" ;,()[]|:—–-/." + _QUOTES)


def _leftover(body: str, used: list[tuple[int, int]], breaks: list[int]) -> tuple[str, str]:
    """The clauses that hold words no phrase read, as written (for a reason or a condition), and those words."""
    kept = list(body)
    for start, end in used:
        kept[start:end] = [" "] * (end - start)
    masked = "".join(kept)
    clauses: list[str] = []
    unread: list[str] = []
    edges = [0, *breaks, len(body)]
    for left, right in itertools.pairwise(edges):
        words = [word for word in re.findall(r"[^\W\d_]+", masked[left:right]) if word.lower() not in _FILLER]
        if words:
            clauses.append(body[left:right].strip(" ;,()[]|:—–-/." + _QUOTES))
            unread.extend(words)
    return "; ".join(dict.fromkeys(clause for clause in clauses if clause)), " ".join(unread)


# --- two status columns -------------------------------------------------------------------------


@dataclass(frozen=True)
class PairRule:
    """One line of a district's table of status pairs: "*" is any value, "" a blank cell."""

    first: str
    second: str
    outcome: str


@dataclass(frozen=True)
class PairVocabulary:
    """A district's two status columns and its own rules for their pairs, first rule that fits wins."""

    name: str
    first_values: tuple[str, ...]
    second_values: tuple[str, ...]
    rules: tuple[PairRule, ...]
    outcomes: Mapping[str, tuple[Approval, str]]  # outcome → approval, conditions
    agreement_of_second: Mapping[str, AgreementStatus | None]


def pair_value_key(text: str) -> str:
    word = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return "" if word in ("(blank)", "blank") else word


# Ohio SB 29 Guard (requirements/icon-strategy.yaml): teacher-level status × DPA status. The rules
# are the yaml's state-combos in its order; "staff only" is the yellow triangle (staff may use it).
SB29_PAIRS = PairVocabulary(
    name="SB 29 teacher-level status × DPA status",
    first_values=("pending", "approved", "rejected", "not required", ""),
    second_values=("requested", "received", "denied", "not required", ""),
    rules=(
        PairRule("approved", "received", "approved"),
        PairRule("approved", "not required", "approved"),
        PairRule("not required", "received", "approved"),
        PairRule("not required", "not required", "approved"),
        PairRule("rejected", "*", "denied"),
        PairRule("*", "denied", "staff_only"),
        PairRule("approved", "requested", "pending"),
        PairRule("approved", "", "pending"),
        PairRule("not required", "requested", "pending"),
        PairRule("not required", "", "pending"),
        PairRule("pending", "*", "pending"),
        PairRule("", "*", "pending"),
    ),
    outcomes={
        "approved": (A.APPROVED, ""),
        "denied": (A.NOT_APPROVED, ""),
        "staff_only": (A.APPROVED_WITH_CONDITIONS, "Staff use only; not for students"),
        "pending": (A.UNDER_REVIEW, ""),
    },
    agreement_of_second={
        "requested": S.REQUESTED,
        "received": _ON_FILE,
        "denied": S.DECLINED_BY_VENDOR,
        "not required": S.NOT_REQUIRED,
        "": None,
    },
)


def read_status_pair(first: str, second: str, vocabulary: PairVocabulary = SB29_PAIRS) -> StatusProposal:
    """The approval and agreement two status columns give together, by the district's own pair rules.

    A pair outside the rules is "under review" and flagged: never more permissive than the district.
    """
    text = f"{first} × {second}"
    one, two = pair_value_key(first), pair_value_key(second)
    if one in vocabulary.first_values and two in vocabulary.second_values:
        for rule in vocabulary.rules:
            if rule.first in ("*", one) and rule.second in ("*", two):
                approval, conditions = vocabulary.outcomes[rule.outcome]
                return StatusProposal(
                    text,
                    matched=True,
                    approval=approval,
                    agreement=vocabulary.agreement_of_second[two],
                    conditions=conditions,
                )
    agreement = read_status(second, StatusRole.AGREEMENT).agreement if second.strip() else None
    return StatusProposal(
        text,
        matched=True,
        approval=A.UNDER_REVIEW,
        agreement=agreement,
        flag=f"“{first}” with “{second}” is not a pair the rules of {vocabulary.name} list; "
        "it is read as under review.",
    )


# --- kinds of product ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KindProposal:
    """The kind a category text proposes, or None: an unmatched category is kept as its text."""

    text: str
    kind: str | None
    exact: bool = False  # the whole text is the kind's value, label or one of its words (else a word within it)

    @property
    def matched(self) -> bool:
        return self.kind is not None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "kind": self.kind, "exact": self.exact}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "KindProposal":
        return cls(data["text"], data["kind"], data["exact"])


# The kinds every district starts with (migration 20261126_product_kinds seeds them), by slug: what the
# reader matches when it is not given the district's own (tests, the bench).
STARTING_KINDS: dict[str, str] = {
    "learning_platform": "Learning platform",
    "reading": "Reading and literacy",
    "math": "Math",
    "science": "Science",
    "assessment": "Assessment",
    "communication": "Communication",
    "student_information": "Student information",
    "productivity": "Productivity",
    "creativity": "Creativity and media",
    "language": "World languages",
    "special_education": "Special education",
    "safety": "Safety and wellness",
    "operations": "School operations",
    "other": "Other",
}

# Words of real catalogs' categories, by the kind they name; the first kind whose word comes first wins.
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "learning_platform": ("lms", "learning management", "learning platform", "portfolio", "courseware", "classroom"),
    "student_information": (
        "sis",
        "student information",
        "parent portal",
        "student data platform",
        "data warehouse",
        "dashboard",
        "analytics",
    ),
    "reading": ("literacy", "reading", "phonics", "ela", "english language arts", "library", "books"),
    "math": ("math", "mathematics", "algebra", "geometry"),
    "science": ("science", "stem", "biology", "chemistry", "physics", "simulation"),
    "assessment": (
        "assessment",
        "screener",
        "screening",
        "testing",
        "diagnostic",
        "benchmark",
        "plagiarism",
        "quiz",
        "quizzes",
        "quizzing",
    ),
    "communication": ("communication", "messaging", "notification", "family", "newsletter", "website", "cms"),
    "productivity": ("productivity", "office", "collaboration", "documents", "suite"),
    "creativity": ("design", "media", "creativity", "creation", "art", "video", "music", "coding", "3d"),
    "language": ("language", "world language", "spanish", "french", "esl", "ell"),
    "special_education": ("special education", "sped", "iep", "504", "intervention"),
    "safety": ("safety", "filtering", "monitoring", "security", "hall pass", "phone", "camera", "sel", "wellness"),
    "operations": (
        "operations",
        "helpdesk",
        "ticketing",
        "administration",
        "payroll",
        "hr",
        "facilities",
        "rostering",
        "sso",
        "device management",
        "payments",
        "insurance",
    ),
}


def read_kind(
    text: str,
    kinds: Mapping[str, str] = STARTING_KINDS,
    words: Mapping[str, tuple[str, ...]] = KIND_WORDS,
) -> KindProposal:
    """The kind of product a category names. `kinds`: the district's kinds (slug → name); the words of
    real catalogs (`words`) name the kinds that have kept their first slugs."""
    return _read_kind(text, tuple((str(value), str(label)) for value, label in kinds.items()), _kind_words(words))


def _kind_words(words: Mapping[str, tuple[str, ...]]) -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    return _compiled_kind_words(tuple((value, tuple(phrases)) for value, phrases in words.items()))


@lru_cache(maxsize=64)
def _compiled_kind_words(
    words: tuple[tuple[str, tuple[str, ...]], ...],
) -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    return tuple(
        (value, phrase, re.compile(rf"\b{re.escape(phrase)}\b")) for value, phrases in words for phrase in phrases
    )


@lru_cache(maxsize=16_384)
def _read_kind(
    text: str, kinds: tuple[tuple[str, str], ...], words: tuple[tuple[str, str, re.Pattern[str]], ...]
) -> KindProposal:
    normal = _key(text)
    if not normal:
        return KindProposal(text, None)
    for value, label in kinds:
        if normal in (_key(value), _key(label)):
            return KindProposal(text, value, exact=True)
    known = {value for value, _ in kinds}
    first: tuple[int, str] | None = None
    for value, phrase, pattern in words:
        if value not in known:
            continue
        if normal == phrase:
            return KindProposal(text, value, exact=True)
        found = pattern.search(normal)
        if found and (first is None or found.start() < first[0]):
            first = (found.start(), value)
    return KindProposal(text, first[1] if first else None)


def _key(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKC", text).casefold()))


# --- grades -------------------------------------------------------------------------------------

GRADES = ("PK", "K", *(str(n) for n in range(1, 13)))
_GRADE_WORDS = {
    "pk": "PK",
    "prek": "PK",
    "pre k": "PK",
    "pre kindergarten": "PK",
    "prekindergarten": "PK",
    "preschool": "PK",
    "jk": "PK",  # junior kindergarten: the year before kindergarten, as PK
    "tk": "PK",  # transitional kindergarten (California): the year before kindergarten, as PK
    "k": "K",
    "kg": "K",
    "kinder": "K",
    "kindergarten": "K",
}
_ALL_GRADES = ("all grades", "all", "k 12 and pk", "whole school")


@dataclass(frozen=True)
class GradesProposal:
    text: str
    grades: tuple[str, ...]  # in order, from GRADES
    unmatched: tuple[str, ...] = ()

    @property
    def matched(self) -> bool:
        return bool(self.grades) and not self.unmatched

    @property
    def bands(self) -> str:
        return format_grades(self.grades)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "grades": list(self.grades), "unmatched": list(self.unmatched)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "GradesProposal":
        return cls(data["text"], tuple(data["grades"]), tuple(data["unmatched"]))


_JOINERS = re.compile(r"[_\-]+")
_GRADE_PREFIX = re.compile(r"^(?:grades?|gr|year)\s*")
_GRADE_SUFFIX = re.compile(r"\s*grade$")
_ORDINAL = re.compile(r"(?<=\d)(st|nd|rd|th)$")


def _words(text: str) -> str:
    return " ".join(_JOINERS.sub(" ", unicodedata.normalize("NFKC", text).lower()).split())


def _grade(token: str) -> str | None:
    word = _words(token.replace(".", " "))
    word = _GRADE_PREFIX.sub("", word)
    word = _GRADE_SUFFIX.sub("", word)
    word = _ORDINAL.sub("", word).strip()
    if word in _GRADE_WORDS:
        return _GRADE_WORDS[word]
    if word.isdigit() and 1 <= int(word) <= 12:
        return str(int(word))
    return None


@lru_cache(maxsize=16_384)
def read_grades(text: str) -> GradesProposal:
    """ "Pre-K, Kindergarten, Grade 1" / "K-5, 9–12" / "grades 5-12" / "JK-12" / "9,10,11,12" → grades."""
    grades: set[str] = set()
    unmatched: list[str] = []
    if _words(text).strip(" .") in _ALL_GRADES:
        return GradesProposal(text, GRADES)
    for part in re.split(r"[,;/\n&+]|\band\b", text):
        part = part.strip().rstrip("+")
        if not part:
            continue
        single = _grade(part)
        span = grade_range(part)
        if single is not None:
            grades.add(single)
        elif span and GRADES.index(span[0]) <= GRADES.index(span[1]):
            grades.update(GRADES[GRADES.index(span[0]) : GRADES.index(span[1]) + 1])
        else:
            unmatched.append(part)
    return GradesProposal(text, tuple(grade for grade in GRADES if grade in grades), tuple(unmatched))


def grade_range(text: str) -> tuple[str, str] | None:
    """ "K-5", "grades 6 to 8", "12-9" → the first and last grade as written (which may run backwards)."""
    span = re.fullmatch(
        r"(?:grades?\s*|gr\.?\s*)?(.+?)\s*(?:-|–|—|\bto\b|\bthrough\b|\bthru\b)\s*(.+)", text.strip(), re.IGNORECASE
    )
    if span is None:
        return None
    first, last = _grade(span.group(1)), _grade(span.group(2))
    return (first, last) if first and last else None


def format_grades(grades: Sequence[str] | set[str] | frozenset[str]) -> str:
    """{"K", "1", "2", "9"} → "K-2, 9"."""
    runs: list[list[str]] = []
    for grade in GRADES:
        if grade not in grades:
            continue
        if runs and GRADES.index(runs[-1][-1]) == GRADES.index(grade) - 1:
            runs[-1].append(grade)
        else:
            runs.append([grade])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)


_GRADE_WORD = r"(?:pre[\s-]?k|pk|jk|tk|k|\d{1,2})"
_GRADES_IN_TEXT = re.compile(
    rf"\b(?:grades?|gr\.?)\s*{_GRADE_WORD}(?:\s*(?:-|–|to|through)\s*\d{{1,2}}\+?|(?:\s*,\s*\d{{1,2}})+)?(?![\w-])"
    rf"|\b(?:pre[\s-]?k|pk|jk|tk|k)\s*[-–]\s*\d{{1,2}}\+?(?![\w-])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FoundGrades:
    start: int
    end: int
    proposal: GradesProposal


def find_grades(text: str) -> list[FoundGrades]:
    """Grade bands written in free text: "grades 5-12", "gr. 7-12", "PK-12", "JK-12", "TK-5", "K-8"."""
    found: list[FoundGrades] = []
    if not any(char.isdigit() for char in text):
        return found
    for match in _GRADES_IN_TEXT.finditer(text):
        proposal = read_grades(match.group(0))
        if proposal.matched:
            found.append(FoundGrades(match.start(), match.end(), proposal))
    return found


# --- schools ------------------------------------------------------------------------------------

_WHOLE_DISTRICT = (
    "whole school",
    "whole district",
    "all schools",
    "all campuses",
    "all buildings",
    "district wide",
    "districtwide",
    "all",
    "everyone",
)


@dataclass(frozen=True)
class SchoolsProposal:
    """The district's schools a cell names (by their names as given), or every school ("Whole School")."""

    text: str
    whole_district: bool = False
    schools: tuple[str, ...] = ()
    unmatched: tuple[str, ...] = field(default=())

    @property
    def matched(self) -> bool:
        return (self.whole_district or bool(self.schools)) and not self.unmatched

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "whole_district": self.whole_district,
            "schools": list(self.schools),
            "unmatched": list(self.unmatched),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SchoolsProposal":
        return cls(data["text"], data["whole_district"], tuple(data["schools"]), tuple(data["unmatched"]))


def _initials(name: str) -> str:
    return "".join(word[0] for word in re.findall(r"[A-Za-z]+", name) if word[0].isupper() or len(word) > 3).upper()


def read_schools(text: str, schools: Sequence[str], *, threshold: float = 85) -> SchoolsProposal:
    """The schools a cell names ("MHS,MMS", "SAS Middle School", "Whole School"), matched to the district's."""
    if _words(text).strip(" .") in _WHOLE_DISTRICT:
        return SchoolsProposal(text, whole_district=True)
    keys = {name: _words(name) for name in schools}
    matched: list[str] = []
    unmatched: list[str] = []
    for part in re.split(r"[,;\n/]|\band\b", text):
        part = part.strip()
        if not part:
            continue
        initials = [name for name in schools if _initials(name) == part.upper() and part.isupper()]
        if len(initials) == 1:
            matched.append(initials[0])
            continue
        best = process.extractOne(_words(part), keys, scorer=fuzz.token_set_ratio, score_cutoff=threshold)
        if best is not None:
            matched.append(best[2])
        else:
            unmatched.append(part)
    return SchoolsProposal(text, False, tuple(dict.fromkeys(matched)), tuple(unmatched))
