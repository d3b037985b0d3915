"""Command-line commands that span domains: set-up, demo data, the daily sweep and its scheduler, the kept counts."""

from datetime import datetime

import click
from flask import Blueprint, current_app

from clearinghouse import kept_counts_check, scheduler, sweep
from clearinghouse.demo import loader as demo
from clearinghouse.directory.taxonomy import seed_taxonomy
from clearinghouse.extensions import unit_of_work
from clearinghouse.timeutil import district_today

bp = Blueprint("cli", __name__, cli_group=None)
kept_counts_bp = Blueprint("kept_counts", __name__, cli_group="kept-counts")
kept_counts_bp.cli.help = "The public counts triggers keep: compare them with the rows they count, repair them."
blueprints: list[Blueprint] = [bp, kept_counts_bp]


@bp.cli.command("seed-taxonomy")
def seed_taxonomy_command() -> None:
    """Load the NDPA Exhibit B data categories and elements. Safe to repeat."""
    with unit_of_work():
        result = seed_taxonomy()
    click.echo(result.summary())


@bp.cli.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has vendors.")
@click.option("--force", is_flag=True, help="Add the demo district even next to real (non-demo) vendors.")
@click.option(
    "--with-demo-accounts",
    is_flag=True,
    help="Also create a demo officer and a demo vendor user with random passwords (printed once).",
)
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Date the demo as if today were this date.")
def demo_data_command(if_empty: bool, force: bool, with_demo_accounts: bool, today: datetime | None) -> None:
    """Load a believable demo district (vendors, products, schools, agreements in every state, destruction
    requests) and run its first daily sweep. Safe to repeat."""
    if if_empty and demo.has_vendors():
        click.echo("The database already has vendors, so no demo data was added.")
        return
    real = demo.real_vendor_name()
    if real and not force:
        raise click.ClickException(
            f"This database holds vendors that are not demo data (for example {real!r}). Demo data is for trying "
            "the Clearinghouse on an empty database; use --force to add it anyway."
        )
    result = demo.load_demo(today.date() if today else district_today(), with_accounts=with_demo_accounts)
    click.echo(result.summary())
    for role, email, password in result.accounts:
        click.echo(f"{role}: {email}  password: {password}")
    if with_demo_accounts and not result.accounts:
        click.echo("The demo accounts already exist; their passwords were not changed.")


@bp.cli.command("sweep")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Run as if today were this date (YYYY-MM-DD).")
@click.option("--dry-run", is_flag=True, help="Report what would happen; change and send nothing.")
@click.option("--no-deliver", is_flag=True, help="Queue notices but leave them in the outbox.")
def sweep_command(today: datetime | None, dry_run: bool, no_deliver: bool) -> None:
    """Run the daily sweep once. Safe to repeat."""
    report = sweep.run(today.date() if today else district_today(), dry_run=dry_run, deliver=not no_deliver)
    click.echo(report.summary())


@bp.cli.command("scheduler")
def scheduler_command() -> None:
    """Run the daily sweep at the district's sweep time, and retry the outbox, until stopped."""
    scheduler.run_blocking(current_app._get_current_object())


@kept_counts_bp.cli.command("check")
def check_kept_counts_command() -> None:
    """Compare every kept count with the rows it counts; fail, listing them, when any drifted. Changes nothing."""
    drifts = kept_counts_check.check()
    if drifts:
        for drift in drifts:
            click.echo(f"  {drift.describe()}")
        raise click.ClickException(
            f"{len(drifts)} kept count(s) drifted from the rows they count; `flask kept-counts repair` rewrites them."
        )
    click.echo(f"Every kept count matches the rows it counts ({len(kept_counts_check.counts())} counts checked).")


@kept_counts_bp.cli.command("repair")
def repair_kept_counts_command() -> None:
    """Rewrite every kept count that drifted from the rows it counts, in one transaction, audited. Safe to repeat."""
    drifts = kept_counts_check.repair()
    if not drifts:
        click.echo("Nothing to repair: every kept count matches the rows it counts.")
        return
    click.echo(f"Repaired {len(drifts)} kept count(s):")
    for drift in drifts:
        click.echo(f"  {drift.describe()}")
