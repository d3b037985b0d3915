"""`flask import-inventory`: the same import as the staff pages, from a terminal, with the same choices as options."""

import csv
import json
from pathlib import Path

import click
from sqlalchemy import func, select

from clearinghouse.accounts.models import STAFF_ROLES, User
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.imports import files, queries, services
from clearinghouse.imports.blueprint import bp
from clearinghouse.imports.choices import PROPOSAL_KINDS, DuplicatePolicy, PlanChoices
from clearinghouse.imports.mapping import FIELDS, mapping_problems
from clearinghouse.imports.values import VALUE_FIELDS, check_meaning, describe, pair_key, value_key

NOT_IMPORTED_WORDS = ("", "-", "none", "ignore")


def _apply_pairs(mapping: dict[str, str], pairs: tuple[str, ...], headers: list[str]) -> None:
    by_lower = {header.lower(): header for header in headers}
    for pair in pairs:
        header, sep, field = pair.partition("=")
        header, field = header.strip(), field.strip().lower()
        if not sep or header.lower() not in by_lower:
            raise click.ClickException(
                f"--mapping {pair!r}: the file has no column {header!r}. Its columns are: {', '.join(headers)}."
            )
        if field not in FIELDS and field not in NOT_IMPORTED_WORDS:
            raise click.ClickException(
                f"--mapping {pair!r}: {field!r} is not a field. Use one of: {', '.join(FIELDS)}, or 'none'."
            )
        mapping[by_lower[header.lower()]] = field if field in FIELDS else ""


def _apply_values(choices: PlanChoices, values: tuple[str, ...], mapping: dict[str, str]) -> None:
    """--value COLUMN:RAW=MEANING (RAW of two status columns read together: "FIRST × SECOND"; a kind's
    MEANING is a kind's key or name, `new` or `new:NAME` to add it as a kind, or `text` to keep it as text)."""
    kinds = queries.kind_names()
    by_lower = {header.lower(): name for header, name in mapping.items() if name}
    for given in values:
        column, sep, rest = given.partition(":")
        raw, sep2, meaning = rest.rpartition("=")
        if not sep or not sep2:
            raise click.ClickException(f"--value {given!r}: write it as COLUMN:VALUE=MEANING.")
        name = by_lower.get(column.strip().lower())
        if name is None and column.strip().lower() in VALUE_FIELDS:
            name = column.strip().lower()
        if name not in VALUE_FIELDS:
            raise click.ClickException(
                f"--value {given!r}: {column!r} is not a status, kind, grade or school column of the mapping."
            )
        try:
            meaning = check_meaning(name, meaning, raw=raw.strip(), kinds=kinds)
        except ValueError as err:
            raise click.ClickException(f"--value {given!r}: {err}") from None
        first, times, second = raw.partition("×")
        key = pair_key(first.strip(), second.strip()) if times else value_key(raw)
        choices.values.setdefault(name, {})[key] = meaning


@bp.cli.command("import-inventory")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sheet", help="The sheet of a workbook (or the table of a JSON or Markdown file) to import.")
@click.option(
    "--mapping",
    "pairs",
    multiple=True,
    metavar="HEADER=FIELD",
    help="Match a column to a field (repeatable); FIELD 'none' skips the column.",
)
@click.option(
    "--value",
    "values",
    multiple=True,
    metavar="COLUMN:RAW=MEANING",
    help="What a value of a status, kind, grade or school column means (repeatable), e.g. "
    "'Status:DPA Pending=under_review/requested'; a kind: its key, 'new' (or 'new:NAME') to add it as a kind, "
    "'text' to keep it as the product's text, e.g. 'Category:Career Readiness=new'.",
)
@click.option(
    "--accept",
    "accepted",
    multiple=True,
    type=click.Choice(list(PROPOSAL_KINDS)),
    help="Take this kind of fact from names and notes (repeatable; all are taken unless declined).",
)
@click.option(
    "--decline",
    "declined",
    multiple=True,
    type=click.Choice([*PROPOSAL_KINDS, "split", "parent", "groups", "infer"]),
    help="Do not take this kind of fact from names and notes, or do not follow this vendor or name proposal "
    "(split: one name, several products; parent: the company in brackets; groups: spellings of one vendor; "
    "infer: the vendor from the name or website). Repeatable.",
)
@click.option(
    "--duplicates",
    type=click.Choice(DuplicatePolicy.ALL),
    default=DuplicatePolicy.KEEP_FIRST,
    show_default=True,
    help="What to do with a product listed more than once.",
)
@click.option(
    "--keep",
    "kept",
    multiple=True,
    metavar="HEADER=tags|notes|links",
    help="Keep a column with no field with each product: as tags, staff notes, or (unpublished) evidence links.",
)
@click.option("--skip-problems", is_flag=True, help="Set aside every row with a problem and import the rest.")
@click.option("--plan-json", is_flag=True, help="Print the plan as JSON and import nothing.")
@click.option(
    "--set-aside-csv",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the rows set aside, with a reason column, to this CSV file.",
)
@click.option("--yes", is_flag=True, help="Accept the preview's proposals and import without asking.")
@click.option("--actor", "actor_email", metavar="EMAIL", help="The staff user the audit log names.")
def import_inventory_command(
    path: Path,
    sheet: str | None,
    pairs: tuple[str, ...],
    values: tuple[str, ...],
    accepted: tuple[str, ...],
    declined: tuple[str, ...],
    duplicates: str,
    kept: tuple[str, ...],
    skip_problems: bool,
    plan_json: bool,
    set_aside_csv: Path | None,
    yes: bool,
    actor_email: str | None,
) -> None:
    """Import an inventory (CSV, workbook, JSON): preview it, then import it in one transaction, or nothing."""
    actor = None
    if actor_email:
        actor = db.session.scalar(select(User).where(func.lower(User.email) == actor_email.strip().lower()))
        if actor is None or actor.role not in STAFF_ROLES:
            raise click.ClickException(f"No admin or privacy officer has the e-mail address {actor_email}.")
    try:
        table = files.read_table(path.read_bytes(), filename=path.name, sheet=sheet)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    mapping = queries.suggested_mapping(table.headers)
    _apply_pairs(mapping, pairs, table.headers)
    problems = mapping_problems(mapping)
    if problems:
        raise click.ClickException(" ".join(problems.values()) + " Use --mapping HEADER=FIELD.")
    choices = PlanChoices(sheet=sheet, mapping=mapping, duplicates=duplicates)
    _apply_values(choices, values, mapping)
    choices.keep = _keep_choices(kept, mapping, table.headers)
    both = set(accepted) & set(declined)
    if both:
        raise click.ClickException(f"--accept and --decline both name {', '.join(sorted(both))}.")
    for kind in declined:
        if kind in PROPOSAL_KINDS:
            choices.proposals[kind] = False
        else:
            setattr(choices.vendors, kind, False)
    try:
        plan = services.plan_import(table, mapping, choices, skip_problems=skip_problems)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    if plan_json:
        click.echo(json.dumps(services.plan_as_dict(plan), indent=2, ensure_ascii=False))
        return
    _echo_plan(plan, mapping, choices.keep)
    if set_aside_csv is not None:
        _write_set_aside(set_aside_csv, table.headers, plan)
    if plan.errors:
        raise click.ClickException(
            "Nothing was imported. Fix the rows above (or set them aside with --skip-problems) and run the "
            "import again."
        )
    if not plan.has_changes:
        click.echo("Nothing to import: the directory already says all of this.")
        return
    if not yes:
        click.confirm("Import all of it?", abort=True)
    choices = _with_set_aside(choices, plan)
    del plan  # applying plans the file again: holding the preview's plan too would add its memory to the peak
    try:
        with unit_of_work():
            applied = services.apply_import(table, mapping, choices, actor=actor)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    click.echo(f"Imported. {services.outcome(applied)}")


def _keep_choices(kept: tuple[str, ...], mapping: dict[str, str], headers: list[str]) -> dict[str, str]:
    """--keep HEADER=tags|notes|links, for columns the mapping leaves out."""
    keep = {}
    for pair in kept:
        header, _, how = pair.rpartition("=")
        header, how = header.strip(), how.strip().lower()
        if header not in headers:
            raise click.ClickException(f"--keep {pair}: the file has no column {header!r}.")
        if mapping.get(header):
            raise click.ClickException(f"--keep {pair}: {header!r} is imported as {mapping[header]}.")
        if how not in services.KEEP_AS:
            raise click.ClickException(f"--keep {pair}: keep it as {', '.join(services.KEEP_AS)}.")
        keep[header] = how
    return keep


def _with_set_aside(choices: PlanChoices, plan: services.ImportPlan) -> PlanChoices:
    choices.set_aside = {str(entry.number): entry.reason for entry in plan.set_aside}
    return choices


def _echo_plan(plan: services.ImportPlan, mapping: dict[str, str], keep: dict[str, str] | None = None) -> None:
    used = [f"{header} → {FIELDS[field]}" for header, field in mapping.items() if field]
    click.echo("Columns: " + "; ".join(used))
    keep = keep or {}
    if keep:
        click.echo("Kept with each product: " + "; ".join(f"{header} as {how}" for header, how in keep.items()))
    ignored = [header for header in plan.ignored_headers if header not in keep]
    if ignored:
        click.echo("Not imported: " + ", ".join(ignored))
    kinds = queries.kind_names()
    for name, rows in plan.values.items():
        for row in rows:
            source = " (your earlier choice)" if row.remembered else ""
            click.echo(f"  value    {name}: “{row.raw}” ×{row.count} → {describe(name, row.proposed, kinds)}{source}")
    if plan.new_kinds:
        click.echo("New kinds of product: " + ", ".join(plan.new_kinds))
    for row in plan.created:
        click.echo(f"  new      row {row.row}: {row.vendor_name} — {row.product_name}")
    for row in plan.updated:
        click.echo(f"  changed  row {row.row}: {row.vendor_name} — {row.product_name}: {'; '.join(row.changes)}")
    for vendor, target, products in services.new_agreements(plan):
        click.echo(f"  agreement {vendor}: {'; '.join(target.changes())} ({', '.join(products)})")
    for entry in plan.set_aside:
        click.echo(f"  set aside row {entry.number}: {entry.reason}")
    for error in plan.errors:
        click.echo(f"  problem  row {error.row}: {error.message}", err=True)
    click.echo(plan.summary())


def _write_set_aside(target: Path, headers: list[str], plan: services.ImportPlan) -> None:
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([*headers, "reason"])
        for entry in plan.set_aside:
            writer.writerow([*(queries.guard_cell(cell) for cell in entry.raw), queries.guard_cell(entry.reason)])
    click.echo(f"{len(plan.set_aside)} rows set aside, written to {target}.")
