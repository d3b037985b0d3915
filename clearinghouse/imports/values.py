"""The values step: every distinct value of the status, kind, grade and school columns, and what it means.

The app proposes a meaning for each value (what the district chose last time, else what the
vocabulary reads); the officer confirms or changes it. A meaning is a short string, the same in
the saved choices, the district's remembered choices and the command line's `--value`:

- status: "approval/agreement", either part empty when the value does not say ("approved/",
  "/requested", "under_review/none_on_file");
- agreement_status: an agreement state ("requested");
- kind: a kind of product's slug ("learning_platform"), "new:NAME" to add the kind NAME (the value as
  written when NAME is left out), or "text:" to keep the value as the product's category text (staff
  only) and give it the default kind;
- grade_bands: grade bands ("K-5, 9-12"), empty for none;
- schools: "*" for every school, else school names separated by "; ", empty for none.

A value with no meaning is never read as a default: its rows get a problem until one is chosen.
Pure: no database; the district's schools, kinds and remembered choices are passed in.
"""

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from clearinghouse.directory.models import KIND_NAME_MAX
from clearinghouse.imports.vocabulary import (
    SB29_PAIRS,
    AgreementStatus,
    Approval,
    StatusRole,
    pair_value_key,
    read_grades,
    read_kind,
    read_schools,
    read_status,
    read_status_pair,
)
from clearinghouse.text import UnsafeText, clean_name, name_key

VALUE_FIELDS = ("status", "agreement_status", "kind", "grade_bands", "schools")
EVERY_SCHOOL = "*"
NEW_KIND = "new:"  # "new:Career readiness": add this kind
KEEP_AS_TEXT = "text:"  # keep the value as the product's category text
PAIR_JOIN = " × "


def value_key(text: str) -> str:
    """How two spellings of one value are compared: case, compatibility forms and spacing folded."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def pair_key(first: str, second: str) -> str:
    return f"{value_key(first)}{PAIR_JOIN}{value_key(second)}"


@dataclass(frozen=True)
class Reading:
    """What the app makes of one value: a meaning (None when it cannot tell) and a note for the officer."""

    meaning: str | None
    note: str = ""
    conditions: str = ""  # the conditions of an approval with conditions the value states ("Staff use only; …")


def status_meaning(approval: Approval | None, agreement: AgreementStatus | None) -> str:
    return f"{approval.value if approval else ''}/{agreement.value if agreement else ''}"


def split_status(meaning: str) -> tuple[Approval | None, AgreementStatus | None]:
    """ "approved/requested" → (Approval.APPROVED, AgreementStatus.REQUESTED); ValueError for anything else."""
    approval, sep, agreement = meaning.partition("/")
    if not sep:
        raise ValueError(meaning)
    return (Approval(approval) if approval else None, AgreementStatus(agreement) if agreement else None)


def follows_pair_rules(pairs: Sequence[tuple[str, str]]) -> bool:
    """Whether two status columns are written in the vocabulary of a district's rules for their pairs."""
    return any(second.strip() for _, second in pairs) and all(
        pair_value_key(first) in SB29_PAIRS.first_values and pair_value_key(second) in SB29_PAIRS.second_values
        for first, second in pairs
    )


def read_value(
    field: str,
    raw: str,
    *,
    schools: Sequence[str] = (),
    kinds: Mapping[str, str] | None = None,
    second: str | None = None,
    pair_rules: bool = False,
) -> Reading:
    """The proposed meaning of one value of a column (`second`: the value of the agreement column beside it;
    `pair_rules`: the two columns follow the district's rules for their pairs; `kinds`: the district's
    kinds, slug → name, else those every district starts with)."""
    if field == "status" and second is not None:
        if pair_rules:
            proposal = read_status_pair(raw, second)  # the district's own rules for the pairs
            return Reading(status_meaning(proposal.approval, proposal.agreement), proposal.flag, proposal.conditions)
        first = read_status(raw, StatusRole.APPROVAL) if raw.strip() else None
        other = read_status(second, StatusRole.AGREEMENT) if second.strip() else None
        if (first is not None and first.approval is None) or (other is not None and other.agreement is None):
            return Reading(None)
        flags = " ".join(reading.flag for reading in (first, other) if reading is not None and reading.flag)
        meaning = status_meaning(first.approval if first else None, other.agreement if other else None)
        return Reading(meaning, flags, first.conditions if first else "")
    if field == "status":
        proposal = read_status(raw, StatusRole.EITHER)
        if not proposal.matched or (proposal.approval is None and proposal.agreement is None):
            return Reading(None)
        return Reading(status_meaning(proposal.approval, proposal.agreement), proposal.flag, proposal.conditions)
    if field == "agreement_status":
        proposal = read_status(raw, StatusRole.AGREEMENT)
        if not proposal.matched or proposal.agreement is None:
            return Reading(None)
        return Reading(proposal.agreement.value, proposal.flag)
    if field == "kind":
        kind = read_kind(raw, kinds) if kinds is not None else read_kind(raw)
        if kind.kind is None:
            return Reading(None)
        return Reading(kind.kind, "" if kind.exact else "Read from a word in the category; check it.")
    if field == "grade_bands":
        grades = read_grades(raw)
        return Reading(grades.bands) if grades.matched else Reading(None)
    if field == "schools":
        found = read_schools(raw, schools)
        if found.whole_district:
            return Reading(EVERY_SCHOOL)
        if found.matched:
            return Reading("; ".join(found.schools))
        if not schools:  # the district has no schools yet: the names become new schools
            return Reading("; ".join(part for part in found.unmatched), "New schools.")
        return Reading(None)
    raise ValueError(field)


def describe(field: str, meaning: str | None, kinds: Mapping[str, str] | None = None) -> str:
    """A meaning in plain words, for the values step and the command line (`kinds`: slug → name)."""
    if meaning is None:
        return "Not understood: choose what it means"
    if field == "status":
        approval, agreement = split_status(meaning)
        parts = [str(approval.label) if approval else "", str(agreement.label) if agreement else ""]
        return "; ".join(part for part in parts if part) or "Says nothing (left as it is)"
    if field == "agreement_status":
        return str(AgreementStatus(meaning).label) if meaning else "Says nothing (left as it is)"
    if field == "kind":
        if meaning.startswith(NEW_KIND):
            return f"A new kind: {meaning.removeprefix(NEW_KIND)}"
        if meaning == KEEP_AS_TEXT:
            return "Kept as text for staff (the product gets the default kind)"
        return (kinds or {}).get(meaning, meaning)
    if field == "grade_bands":
        return f"Grades {meaning}" if meaning else "No grade bands"
    if field == "schools":
        return "Every school" if meaning == EVERY_SCHOOL else (meaning or "No schools")
    raise ValueError(field)


def check_meaning(field: str, meaning: str, *, raw: str = "", kinds: Mapping[str, str] | None = None) -> str:
    """The meaning in its usual form; ValueError with a message when it is not one this field can have.

    `raw`: the value as the file writes it (a new kind is named after it unless named otherwise);
    `kinds`: the district's kinds, slug → name (else those every district starts with).
    """
    meaning = meaning.strip()
    if field == "status":
        try:
            approval, agreement = split_status(meaning)
        except ValueError:
            approvals = ", ".join(a.value for a in Approval)
            agreements = ", ".join(a.value for a in AgreementStatus)
            raise ValueError(
                f"“{meaning}” is not a status. Write APPROVAL/AGREEMENT with APPROVAL one of {approvals} and "
                f"AGREEMENT one of {agreements} (either may be empty)."
            ) from None
        return status_meaning(approval, agreement)
    if field == "agreement_status":
        if meaning and meaning not in {a.value for a in AgreementStatus}:
            raise ValueError(
                f"“{meaning}” is not an agreement state. Use one of: {', '.join(a.value for a in AgreementStatus)}."
            )
        return meaning
    if field == "kind":
        return check_kind(meaning, raw=raw, kinds=kinds)
    if field == "grade_bands":
        if not meaning or value_key(meaning) in ("none", "-"):
            return ""
        grades = read_grades(meaning)
        if not grades.matched:
            raise ValueError(f"“{meaning}” is not a list of grades. Write them like K-5, 9-12, or “none”.")
        return grades.bands
    if field == "schools":
        if value_key(meaning) in ("", "none", "-"):
            return ""
        if value_key(meaning) in ("*", "all", "all schools", "every school"):
            return EVERY_SCHOOL
        return "; ".join(part.strip() for part in meaning.replace(",", ";").split(";") if part.strip())
    raise ValueError(f"“{field}” is not a column whose values are checked.")


def check_kind(meaning: str, *, raw: str = "", kinds: Mapping[str, str] | None = None) -> str:
    """A kind's meaning: an existing kind's slug (named by its slug, its name or a catalog's word for it),
    "new:NAME" (an existing kind when one has that name) or "text:"; ValueError naming the choices."""
    word = value_key(meaning)
    if word in ("text", KEEP_AS_TEXT, "keep as text"):
        return KEEP_AS_TEXT
    if word == "new" or meaning.casefold().startswith(NEW_KIND):
        try:
            name = clean_name(meaning[len(NEW_KIND) :] if ":" in meaning else "") or clean_name(raw)
        except UnsafeText as err:
            raise ValueError(f"A new kind's name: {err.message}") from None
        if not name:
            raise ValueError("Name the new kind: new:NAME.")
        if len(name) > KIND_NAME_MAX:
            raise ValueError(f"A kind's name can be at most {KIND_NAME_MAX} characters: “{name[:40]}…”.")
        existing = next((slug for slug, each in (kinds or {}).items() if name_key(each) == name_key(name)), None)
        return existing or f"{NEW_KIND}{name}"
    proposal = read_kind(meaning, kinds) if kinds is not None else read_kind(meaning)
    if proposal.kind is None or not proposal.exact:
        known = ", ".join(kinds) if kinds is not None else "a kind's key"
        raise ValueError(
            f"“{meaning}” is not a kind of product. Use one of: {known}; or new:NAME to add a kind, "
            "or text: to keep the value as text."
        )
    return proposal.kind


@dataclass(frozen=True)
class ValueRow:
    """One distinct value of a column, how often it occurs, and what it means (proposed or chosen)."""

    field: str
    key: str
    raw: str  # as first written in the file
    count: int
    proposed: str | None  # what the app or the district's earlier choice says it means
    remembered: bool  # the proposal is the district's earlier choice
    note: str = ""
    conditions: str = ""  # what the value says an approval with conditions is subject to (goes to the status note)

    @property
    def matched(self) -> bool:
        return self.proposed is not None


def value_columns(mapping: Mapping[str, str]) -> dict[str, str]:
    """field → header of the columns whose values are checked."""
    return {field: header for header, field in mapping.items() if field in VALUE_FIELDS}


def distinct_values(
    rows: Sequence[Mapping[str, str]],
    fields: Sequence[str],
    *,
    paired: bool = False,
    schools: Sequence[str] = (),
    kinds: Mapping[str, str] | None = None,
    remembered: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, list[ValueRow]]:
    """field → its distinct values (first seen first), each with the meaning proposed for it.

    `rows` are cells by field. `paired`: the file has both status columns, so the status values are
    their pairs, read by the district's rules for pairs ("Approved" with "Requested" is under review).
    """
    remembered = remembered or {}
    found: dict[str, dict[str, list]] = {field: {} for field in fields}
    for cells in rows:
        for field in fields:
            raw = cells.get(field, "")
            if field == "status" and paired:
                second = cells.get("agreement_status", "")
                if not raw and not second:
                    continue
                key, shown = pair_key(raw, second), (raw, second)
            else:
                if not raw:
                    continue
                key, shown = value_key(raw), (raw, None)
            entry = found[field].get(key)
            if entry is None:
                found[field][key] = [shown, 1]
            else:
                entry[1] += 1
    pair_rules = paired and follows_pair_rules([pair for pair, _ in found.get("status", {}).values()])
    result: dict[str, list[ValueRow]] = {}
    for field in fields:
        rows_out = []
        for key, ((raw, second), count) in found[field].items():
            earlier = remembered.get(field, {}).get(key)
            if earlier is not None and field == "kind" and earlier.startswith(NEW_KIND) and kinds is not None:
                earlier = check_kind(earlier, kinds=kinds)  # the kind added by the last file is one now
            reading = None
            if earlier is None or field == "status":  # a remembered status's words still state its conditions
                reading = read_value(field, raw, schools=schools, kinds=kinds, second=second, pair_rules=pair_rules)
            was_remembered = earlier is not None
            if was_remembered:
                reading = Reading(earlier, conditions=reading.conditions if reading else "")
            shown = raw if second is None else f"{raw or '(blank)'}{PAIR_JOIN}{second or '(blank)'}"
            rows_out.append(
                ValueRow(field, key, shown, count, reading.meaning, was_remembered, reading.note, reading.conditions)
            )
        result[field] = rows_out
    return result


def meaning_of(
    field: str, cells: Mapping[str, str], chosen: Mapping[str, Mapping[str, str]], paired: bool, proposals: dict
) -> str | None:
    """The meaning of a row's value: the officer's choice, else the proposal; None when neither says."""
    raw = cells.get(field, "")
    key = pair_key(raw, cells.get("agreement_status", "")) if field == "status" and paired else value_key(raw)
    if key in chosen.get(field, {}):
        return chosen[field][key]
    return proposals.get(field, {}).get(key)
