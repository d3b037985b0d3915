"""From the file's rows to the rows the plan reads, following the officer's choices step by step.

Each row's cells are taken by field; rows the officer set aside are kept apart with their reason;
each value of a status, kind, grade or school column is replaced by its meaning (chosen on the
values step, else the district's earlier choice, else the app's reading), and a value nobody gave
a meaning to is a problem of its row, never a default. Pure: no database; what the district has
(schools, remembered choices) is passed in.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from clearinghouse.imports import values as vals
from clearinghouse.imports.choices import DuplicatePolicy, PlanChoices
from clearinghouse.imports.dates import Precision
from clearinghouse.imports.facts import FactKind, TextFacts, read_facts, tidy
from clearinghouse.imports.names import (
    NameProposal,
    VendorGroup,
    VendorIndex,
    VendorSource,
    group_vendors,
    inferred_vendor,
    read_name,
    vendor_key,
)
from clearinghouse.imports.readers import Table
from clearinghouse.imports.vocabulary import PERMISSIVENESS, Approval
from clearinghouse.text import name_key as _name_key


@lru_cache(maxsize=65_536)
def name_key(text: str) -> str:
    return _name_key(text)


@dataclass
class PreparedRow:
    number: int  # the row of the file a person finds it under
    cells: dict[str, str]  # field → value, with the values step's meanings in place
    problems: list[str] = field(default_factory=list)
    part: int = 0  # the n-th product of a name that holds several (0: the only one)

    @property
    def ident(self) -> str:
        return f"{self.number}.{self.part}" if self.part else str(self.number)


@dataclass
class SetAside:
    number: int
    raw: list[str]  # the row as the file has it
    reason: str


def cells_by_field(table: Table, mapping: Mapping[str, str]) -> list[tuple[int, list[str], dict[str, str]]]:
    positions = [(table.headers.index(header), name) for header, name in mapping.items() if name]
    return [(number, raw, {name: raw[position] for position, name in positions}) for number, raw in table.rows]


def value_readings(
    rows: Sequence[Mapping[str, str]],
    mapping: Mapping[str, str],
    *,
    schools: Sequence[str] = (),
    kinds: Mapping[str, str] | None = None,
    remembered: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, list[vals.ValueRow]]:
    fields = [name for name in vals.VALUE_FIELDS if name in mapping.values()]
    paired = "status" in fields and "agreement_status" in fields
    if paired:
        fields.remove("agreement_status")  # two status columns: their pairs are read together
    return vals.distinct_values(rows, fields, paired=paired, schools=schools, kinds=kinds, remembered=remembered)


def _apply_meaning(cells: dict[str, str], name: str, meaning: str) -> None:
    if name == "status":
        approval, agreement = vals.split_status(meaning)
        cells["status"] = approval.value if approval else ""
        if agreement is not None or "agreement_status" in cells:
            cells["agreement_status"] = agreement.value if agreement else ""
    elif name == "schools":
        cells["schools"] = "all schools" if meaning == vals.EVERY_SCHOOL else meaning
    elif name == "kind" and meaning == vals.KEEP_AS_TEXT:  # kept for staff; the product gets the default kind
        cells["category_text"] = cells.get("kind", "").strip()
        cells["kind"] = ""
    else:
        cells[name] = meaning


@dataclass
class FactRow:
    """What the text of one row proposes (shown next to the original on the proposals step)."""

    number: int
    column: str  # the header the text comes from
    text: str
    facts: TextFacts
    name: str = ""  # the product name without the facts ("" for a notes column)


@dataclass
class NameRow:
    """How one name cell was read on the vendors and names step."""

    number: int
    text: str
    products: list[NameProposal]
    not_a_product: str = ""
    kept: bool = False  # flagged "not a product" but kept by the officer


@dataclass
class DuplicateGroup:
    key: str
    vendor: str
    product: str
    rows: list[PreparedRow]
    differing: list[str]  # the fields whose values differ between the rows
    choice: str  # keep:<row> | merge | set-aside


@dataclass
class Prepared:
    rows: list[PreparedRow]
    set_aside: list[SetAside]
    values: dict[str, list[vals.ValueRow]]  # field → distinct values and their proposed meanings
    facts: list[FactRow] = field(default_factory=list)
    names: list[NameRow] = field(default_factory=list)
    vendor_groups: list[VendorGroup] = field(default_factory=list)
    without_vendor: list[PreparedRow] = field(default_factory=list)  # rows nobody could name a vendor for
    duplicates: list[DuplicateGroup] = field(default_factory=list)
    merged: dict[int, list[int]] = field(default_factory=dict)  # kept row → rows merged into it


@dataclass
class District:
    """What the district already has that the rows are read against (names only)."""

    schools: Sequence[str] = ()
    vendors: Sequence[str] = ()
    vendor_of_product: Mapping[str, Sequence[str]] = field(default_factory=dict)  # product key → vendor names
    remembered: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    kinds: Mapping[str, str] | None = None  # the kinds of product offered, slug → name


def prepare(
    table: Table, mapping: Mapping[str, str], choices: PlanChoices, district: District | None = None
) -> Prepared:
    """The rows to plan, the rows set aside, and what each step shows: values, facts, names, vendors, repeats."""
    district = district or District()
    by_field = cells_by_field(table, mapping)
    raw_of = {number: raw for number, raw, _ in by_field}
    set_aside_rows = choices.set_aside_rows
    kept = [(number, cells) for number, _, cells in by_field if number not in set_aside_rows]
    aside = [
        SetAside(number, raw, choices.set_aside[str(number)]) for number, raw, _ in by_field if number in set_aside_rows
    ]
    readings = value_readings(
        [cells for _, cells in kept],
        mapping,
        schools=district.schools,
        kinds=district.kinds,
        remembered=district.remembered,
    )
    rows = _apply_values(kept, mapping, choices, readings)
    prepared = Prepared([], aside, readings)
    rows = _read_names(rows, mapping, choices, district, prepared, raw_of)
    rows = _group_vendors(rows, choices, district, prepared)
    prepared.rows = _resolve_duplicates(rows, choices, prepared, raw_of)
    prepared.set_aside.sort(key=lambda entry: entry.number)
    return prepared


def _apply_values(
    kept: list[tuple[int, dict[str, str]]],
    mapping: Mapping[str, str],
    choices: PlanChoices,
    readings: dict[str, list[vals.ValueRow]],
) -> list[PreparedRow]:
    proposed = {
        name: {row.key: row.proposed for row in rows if row.proposed is not None} for name, rows in readings.items()
    }
    paired = "status" in mapping.values() and "agreement_status" in mapping.values()
    conditions = {row.key: row.conditions for row in readings.get("status", []) if row.conditions}
    headers = {name: header for header, name in mapping.items() if name}
    out: list[PreparedRow] = []
    for number, cells in kept:
        row = PreparedRow(number, dict(cells))
        for name in readings:
            written = cells.get(name, "")
            if not written and not (name == "status" and paired and cells.get("agreement_status")):
                continue
            meaning = vals.meaning_of(name, cells, choices.values, paired, proposed)
            if meaning is None:
                if name == "status" and paired:
                    shown = f"{written or '(blank)'}{vals.PAIR_JOIN}{cells.get('agreement_status') or '(blank)'}"
                    row.problems.append(
                        f"Nobody has said what “{shown}” in {headers['status']} and {headers['agreement_status']} "
                        "means. Choose it on the values step."
                    )
                else:
                    row.problems.append(
                        f"Nobody has said what “{written}” in {headers[name]} means. Choose it on the values step."
                    )
                row.cells[name] = ""  # the problem above says it all; the plan does not read it again
                continue
            _apply_meaning(row.cells, name, meaning)
            if name == "status" and row.cells["status"] == Approval.APPROVED_WITH_CONDITIONS.value:
                # The conditions the status words state ("Staff use only; not for students": an SB 29 sheet's
                # pair with the DPA denied; "Guardian Release") become the approval's status note.
                key = vals.pair_key(written, cells.get("agreement_status", "")) if paired else vals.value_key(written)
                if conditions.get(key) and not row.cells.get("status_note"):
                    row.cells["status_note"] = conditions[key]
        out.append(row)
    return out


# --- facts in the name and the notes ------------------------------------------------------------------


def _take_facts(cells: dict[str, str], facts: TextFacts, accepted: Mapping[str, bool]) -> None:
    """Fill the row's empty cells with what the text says, for each kind of proposal the officer accepted."""
    approval, agreement = facts.first(FactKind.APPROVAL), facts.first(FactKind.AGREEMENT)
    if accepted.get("status"):
        if approval is not None and not cells.get("status"):
            cells["status"] = approval.value.value
        if agreement is not None and not cells.get("agreement_status"):
            cells["agreement_status"] = agreement.value.value
        conditions, reason = facts.first(FactKind.CONDITIONS), facts.first(FactKind.REASON)
        if conditions is not None and not cells.get("status_note"):
            cells["status_note"] = conditions.value  # "Guardian Release": the approval's conditions
        if reason is not None:
            note = "agreement_note" if cells.get("agreement_status") == "declined_by_vendor" else "status_note"
            if not cells.get(note):
                cells[note] = reason.value  # why it was declined, as the text says
    signed = next(
        (fact.value for fact in facts.of_kind(FactKind.SIGNED_ON) if fact.value.precision is Precision.DAY), None
    )
    if accepted.get("signed_on") and signed is not None and not cells.get("signed_on"):
        cells["signed_on"] = signed.first.isoformat()
    expires = facts.first(FactKind.EXPIRES_ON)
    if (
        accepted.get("expires_on")
        and expires is not None
        and cells.get("signed_on")  # an expiry alone would make an unsigned agreement
        and not cells.get("expires_on")
        and not expires.value.open_ended
        and expires.value.last is not None
    ):
        cells["expires_on"] = expires.value.last.isoformat()
    grades = facts.first(FactKind.GRADES)
    if accepted.get("grades") and grades is not None and not cells.get("grade_bands"):
        cells["grade_bands"] = grades.value.bands


@lru_cache(maxsize=16_384)  # notes repeat ("staff only", the same registry sentence on many rows)
def _notes_facts(text: str) -> TextFacts:
    return read_facts(text)


_BRACKETS = re.compile(r"\([^()]*\)")
_SEPARATOR_BEFORE = re.compile(r"[—–\-(:;,|/\[]\s*$")
_NAME_WORD = re.compile(r"[^\W_]")


def facts_at_the_edge(facts: TextFacts) -> bool:
    """Whether the facts of a name are written apart from it ("Turnitin — NOT approved", "Linewize (Qoria) — DPA
    Approved 02/03/2025"), not as a word of it ("Example Inactive App")."""
    if not facts.facts:
        return True
    text = facts.text
    covered = [False] * len(text)
    for fact in facts.facts:
        for position in range(fact.start, fact.end):
            covered[position] = True
    for fact in facts.facts:
        after = "".join(char for position, char in enumerate(text[fact.end :], fact.end) if not covered[position])
        before = text[: fact.start]
        if _NAME_WORD.search(after.split(")")[0]) and not _SEPARATOR_BEFORE.search(before):
            return False
    return True


def _read_names(
    rows: list[PreparedRow],
    mapping: Mapping[str, str],
    choices: PlanChoices,
    district: District,
    prepared: Prepared,
    raw_of: Mapping[int, list[str]],
) -> list[PreparedRow]:
    has_vendor = "vendor" in mapping.values()
    headers = {name: header for header, name in mapping.items() if name}
    file_vendors = [row.cells.get("vendor", "") for row in rows] if has_vendor else []
    index = VendorIndex.of([*district.vendors, *(name for name in file_vendors if name)])
    picks = choices.vendors
    out: list[PreparedRow] = []
    for row in rows:
        text = row.cells.get("product", "")
        if not text:
            out.append(row)
            continue
        known = name_key(text) in district.vendor_of_product  # a product the district has keeps its name whole
        reading = read_name(text, vendors=index, website=row.cells.get("website", ""), split=picks.split and not known)
        kept_anyway = row.number in picks.keep_rows
        if reading.not_a_product:
            prepared.names.append(NameRow(row.number, text, [], reading.not_a_product, kept_anyway))
            if not kept_anyway:
                prepared.set_aside.append(
                    SetAside(row.number, list(raw_of[row.number]), f"Not a product: {reading.not_a_product}")
                )
                continue
            reading = read_name(text, vendors=index, website=row.cells.get("website", ""), split=False)
            if not reading.products:
                out.append(row)
                continue
        if len(reading.products) > 1 or any(
            p.vendor_source in (VendorSource.PARENTHESES, VendorSource.BY) for p in reading.products
        ):
            prepared.names.append(NameRow(row.number, text, list(reading.products)))
        notes = _notes_facts(row.cells["notes"]) if row.cells.get("notes") else None
        for part, (proposal, facts) in enumerate(zip(reading.products, reading.facts, strict=True), start=1):
            cells = dict(row.cells)
            piece = " ".join(text[proposal.start : proposal.end].split()) or text
            if not facts_at_the_edge(facts):
                # "Example Inactive App", "Refused App": words inside a name are part of it, not facts
                facts = TextFacts(facts.text, (), facts.text, facts.status)
                proposal = replace(proposal, name=tidy(_BRACKETS.sub(" ", piece)) if proposal.vendor else piece)
            cells["product"] = proposal.name if choices.proposals.get("name") else piece
            if facts.facts or proposal.name != piece:
                prepared.facts.append(FactRow(row.number, headers["product"], piece, facts, proposal.name))
            _take_facts(cells, facts, choices.proposals)
            if notes is not None:
                _take_facts(cells, notes, choices.proposals)
            problems = list(row.problems)
            written = picks.vendor_of_row.get(f"{row.number}.{part}") or picks.vendor_of_row.get(str(row.number))
            if has_vendor and cells.get("vendor"):
                pass  # the file's vendor column says it
            elif written:
                cells["vendor"] = written
            elif picks.parent and proposal.vendor_source in (VendorSource.PARENTHESES, VendorSource.BY):
                cells["vendor"] = proposal.vendor
            elif not has_vendor and len(set(district.vendor_of_product.get(name_key(cells["product"]), ()))) == 1:
                cells["vendor"] = district.vendor_of_product[name_key(cells["product"])][0]
            elif picks.infer and proposal.vendor_source not in (VendorSource.PARENTHESES, VendorSource.BY):
                cells["vendor"] = proposal.vendor
            elif picks.infer:  # the officer declined the company in brackets: the name or the website says
                cells["vendor"] = inferred_vendor(proposal.name, index, row.cells.get("website", ""))[0]
            prepared_row = PreparedRow(row.number, cells, problems, part if len(reading.products) > 1 else 0)
            if not cells.get("vendor"):
                cells["vendor"] = ""
                prepared.without_vendor.append(prepared_row)
                problems.append(
                    f"Nobody has named the vendor of “{cells['product']}”. Write it on the vendors step, or set the "
                    "row aside."
                )
            out.append(prepared_row)
        if notes is not None and notes.facts:
            prepared.facts.append(FactRow(row.number, headers["notes"], row.cells["notes"], notes))
    return out


# --- one vendor, several spellings ----------------------------------------------------------------


def _group_vendors(
    rows: list[PreparedRow], choices: PlanChoices, district: District, prepared: Prepared
) -> list[PreparedRow]:
    spellings = [row.cells.get("vendor", "") for row in rows if row.cells.get("vendor")]
    groups = group_vendors(spellings, district.vendors)
    renamed: dict[str, str] = {}
    for group in groups:
        others = [spelling for spelling in group.spellings if spelling != group.name]
        if not others:
            continue
        prepared.vendor_groups.append(group)
        if choices.vendors.groups:
            renamed.update(dict.fromkeys(others, group.name))
    if renamed:
        for row in rows:
            vendor = row.cells.get("vendor", "").strip()
            if vendor in renamed:
                row.cells["vendor"] = renamed[vendor]
    return rows


# --- the same product twice ---------------------------------------------------------------------------

_LISTS = ("schools", "data_elements")


def duplicate_key(row: PreparedRow) -> str:
    return f"{vendor_key(row.cells.get('vendor', ''))}|{name_key(row.cells.get('product', ''))}"


def _merge(rows: list[PreparedRow]) -> dict[str, str]:
    """One row of several: the first value of each field, lists joined, and the least permissive status."""
    cells = dict(rows[0].cells)
    for other in rows[1:]:
        for name, value in other.cells.items():
            if not value:
                continue
            if not cells.get(name):
                cells[name] = value
            elif name in _LISTS and value != cells[name]:
                cells[name] = f"{cells[name]}; {value}"
    approvals = [row.cells["status"] for row in rows if row.cells.get("status") in Approval.__members__.values()]
    if approvals:
        cells["status"] = min(approvals, key=lambda value: PERMISSIVENESS[Approval(value)])
    return cells


def default_choice(first: PreparedRow, policy: str) -> str:
    """What happens to a group of repeated rows the officer did not decide alone."""
    return {DuplicatePolicy.MERGE: "merge", DuplicatePolicy.SET_ASIDE: "set-aside"}.get(policy, f"keep:{first.number}")


def _resolve_duplicates(
    rows: list[PreparedRow], choices: PlanChoices, prepared: Prepared, raw_of: Mapping[int, list[str]]
) -> list[PreparedRow]:
    groups: dict[str, list[PreparedRow]] = {}
    for row in rows:
        if row.cells.get("product") and row.cells.get("vendor"):
            groups.setdefault(duplicate_key(row), []).append(row)
    dropped: set[int] = set()  # id() of the rows that do not go on
    for key, members in groups.items():
        if len(members) < 2:
            continue
        names = sorted({name for row in members for name in row.cells})
        differing = [name for name in names if len({row.cells.get(name, "") for row in members}) > 1]
        first = members[0]
        choice = choices.duplicate_groups.get(key) or default_choice(first, choices.duplicates)
        prepared.duplicates.append(
            DuplicateGroup(key, first.cells["vendor"], first.cells["product"], members, differing, choice)
        )
        if choice == "merge":
            first.cells = _merge(members)
            for other in members[1:]:
                dropped.add(id(other))
            prepared.merged[first.number] = [other.number for other in members[1:]]
            continue
        if choice == "set-aside":
            keep = None
        else:
            wanted = choice.removeprefix("keep:")
            keep = next((row for row in members if str(row.number) == wanted), first)
        for row in members:
            if row is keep:
                continue
            dropped.add(id(row))
            reason = f"“{row.cells['product']}” of {row.cells['vendor']} is listed {len(members)} times; " + (
                f"row {keep.number} was imported instead." if keep else "the rows were set aside to decide."
            )
            if not any(entry.number == row.number for entry in prepared.set_aside):
                prepared.set_aside.append(SetAside(row.number, list(raw_of[row.number]), reason))
    return [row for row in rows if id(row) not in dropped]
