"""From the file's rows to the rows the plan reads, following the officer's choices step by step.

Each row's cells are taken by field; rows the officer set aside are kept apart with their reason;
each value of a status, kind, grade or school column is replaced by its meaning (chosen on the
values step, else the district's earlier choice, else the app's reading), and a value nobody gave
a meaning to is a problem of its row, never a default. Pure: no database; what the district has
(schools, remembered choices) is passed in.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from clearinghouse.imports import values as vals
from clearinghouse.imports.choices import PlanChoices
from clearinghouse.imports.readers import Table


@dataclass
class PreparedRow:
    number: int  # the row of the file a person finds it under
    cells: dict[str, str]  # field → value, with the values step's meanings in place
    problems: list[str] = field(default_factory=list)
    part: int = 0  # the n-th product of a name that holds several (0: the only one)


@dataclass
class SetAside:
    number: int
    raw: list[str]  # the row as the file has it
    reason: str


@dataclass
class Prepared:
    rows: list[PreparedRow]
    set_aside: list[SetAside]
    values: dict[str, list[vals.ValueRow]]  # field → distinct values and their proposed meanings


def cells_by_field(table: Table, mapping: Mapping[str, str]) -> list[tuple[int, list[str], dict[str, str]]]:
    positions = [(table.headers.index(header), name) for header, name in mapping.items() if name]
    return [(number, raw, {name: raw[position] for position, name in positions}) for number, raw in table.rows]


def value_readings(
    rows: Sequence[Mapping[str, str]],
    mapping: Mapping[str, str],
    *,
    schools: Sequence[str] = (),
    remembered: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, list[vals.ValueRow]]:
    fields = [name for name in vals.VALUE_FIELDS if name in mapping.values()]
    paired = "status" in fields and "agreement_status" in fields
    if paired:
        fields.remove("agreement_status")  # two status columns: their pairs are read together
    return vals.distinct_values(rows, fields, paired=paired, schools=schools, remembered=remembered)


def _apply_meaning(cells: dict[str, str], name: str, meaning: str) -> None:
    if name == "status":
        approval, agreement = vals.split_status(meaning)
        cells["status"] = approval.value if approval else ""
        if agreement is not None or "agreement_status" in cells:
            cells["agreement_status"] = agreement.value if agreement else ""
    elif name == "schools":
        cells["schools"] = "all schools" if meaning == vals.EVERY_SCHOOL else meaning
    else:
        cells[name] = meaning


def prepare(
    table: Table,
    mapping: Mapping[str, str],
    choices: PlanChoices,
    *,
    schools: Sequence[str] = (),
    remembered: Mapping[str, Mapping[str, str]] | None = None,
) -> Prepared:
    """The rows to plan, the rows set aside, and the distinct values with their meanings."""
    by_field = cells_by_field(table, mapping)
    set_aside_rows = choices.set_aside_rows
    kept = [(number, raw, cells) for number, raw, cells in by_field if number not in set_aside_rows]
    readings = value_readings([cells for _, _, cells in kept], mapping, schools=schools, remembered=remembered)
    proposed = {
        name: {row.key: row.proposed for row in rows if row.proposed is not None} for name, rows in readings.items()
    }
    paired = "status" in mapping.values() and "agreement_status" in mapping.values()
    headers = {name: header for header, name in mapping.items() if name}
    out: list[PreparedRow] = []
    for number, _raw, cells in kept:
        row = PreparedRow(number, dict(cells))
        for name in readings:
            written = cells.get(name, "")
            if not written and not (name == "status" and paired and cells.get("agreement_status")):
                continue
            meaning = vals.meaning_of(name, cells, choices.values, paired, proposed)
            if meaning is None:
                shown = written
                if name == "status" and paired:
                    shown = f"{written or '(blank)'}{vals.PAIR_JOIN}{cells.get('agreement_status') or '(blank)'}"
                    row.problems.append(
                        f"Nobody has said what “{shown}” in {headers['status']} and {headers['agreement_status']} "
                        "means. Choose it on the values step."
                    )
                else:
                    row.problems.append(
                        f"Nobody has said what “{shown}” in {headers[name]} means. Choose it on the values step."
                    )
                row.cells[name] = ""  # the problem above says it all; the plan does not read it again
                continue
            _apply_meaning(row.cells, name, meaning)
        out.append(row)
    aside = [
        SetAside(number, raw, choices.set_aside[str(number)]) for number, raw, _ in by_field if number in set_aside_rows
    ]
    return Prepared(out, aside, readings)
