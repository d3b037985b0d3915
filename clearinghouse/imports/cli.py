"""`flask import-inventory`: the same import as the staff pages, from a terminal."""

from pathlib import Path

import click
from sqlalchemy import func, select

from clearinghouse.accounts.models import STAFF_ROLES, User
from clearinghouse.errors import DomainError
from clearinghouse.extensions import db, unit_of_work
from clearinghouse.imports import files, queries, services
from clearinghouse.imports.blueprint import bp
from clearinghouse.imports.mapping import FIELDS, mapping_problems

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


@bp.cli.command("import-inventory")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    "pairs",
    multiple=True,
    metavar="HEADER=FIELD",
    help="Match a column to a field (repeatable); FIELD 'none' skips the column.",
)
@click.option("--yes", is_flag=True, help="Import without asking for confirmation.")
@click.option("--actor", "actor_email", metavar="EMAIL", help="The staff user the audit log names.")
def import_inventory_command(path: Path, pairs: tuple[str, ...], yes: bool, actor_email: str | None) -> None:
    """Import an inventory CSV: preview it, then import all of it or nothing."""
    actor = None
    if actor_email:
        actor = db.session.scalar(select(User).where(func.lower(User.email) == actor_email.strip().lower()))
        if actor is None or actor.role not in STAFF_ROLES:
            raise click.ClickException(f"No admin or privacy officer has the e-mail address {actor_email}.")
    try:
        table = files.read_table(path.read_bytes())
    except DomainError as err:
        raise click.ClickException(err.message) from None
    mapping = queries.suggested_mapping(table.headers)
    _apply_pairs(mapping, pairs, table.headers)
    problems = mapping_problems(mapping)
    if problems:
        raise click.ClickException(" ".join(problems.values()) + " Use --mapping HEADER=FIELD.")
    used = [f"{header} → {FIELDS[field]}" for header, field in mapping.items() if field]
    click.echo("Columns: " + "; ".join(used))
    skipped = [header for header, field in mapping.items() if not field]
    if skipped:
        click.echo("Not imported: " + ", ".join(skipped))
    plan = services.plan_import(table, mapping)
    for row in plan.created:
        click.echo(f"  new      row {row.row}: {row.vendor_name} — {row.product_name}")
    for row in plan.updated:
        click.echo(f"  changed  row {row.row}: {row.vendor_name} — {row.product_name}: {'; '.join(row.changes)}")
    for error in plan.errors:
        click.echo(f"  problem  row {error.row}: {error.message}", err=True)
    click.echo(plan.summary())
    if plan.errors:
        raise click.ClickException("Nothing was imported. Fix the rows above and run the import again.")
    if not plan.has_changes:
        click.echo("Nothing to import: the directory already says all of this.")
        return
    if not yes:
        click.confirm("Import all of it?", abort=True)
    try:
        with unit_of_work():
            plan = services.apply_import(table, mapping, actor=actor)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    click.echo(f"Imported. {services.outcome(plan)}")
