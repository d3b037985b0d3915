"""`flask sweep` (run the daily sweep once) and `flask scheduler` (run it every day, in this process)."""

from datetime import datetime

import click
from flask import current_app

from clearinghouse import scheduler
from clearinghouse.destruction import sweep
from clearinghouse.destruction.blueprint import bp
from clearinghouse.timeutil import district_today


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
