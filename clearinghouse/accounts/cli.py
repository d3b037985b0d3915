"""`flask create-admin`: the first administrator, from the command line."""

import os

import click

from clearinghouse.accounts import services
from clearinghouse.accounts.blueprint import bp
from clearinghouse.accounts.models import Role
from clearinghouse.errors import DomainError
from clearinghouse.extensions import unit_of_work

PASSWORD_ENV = "CLEARINGHOUSE_ADMIN_PASSWORD"  # noqa: S105 - the name of a variable, not a password


@bp.cli.command("create-admin")
@click.option("--email", required=True, help="The administrator's e-mail address (their sign-in name).")
@click.option("--name", default="", help="The administrator's name.")
def create_admin_command(email: str, name: str) -> None:
    """Create an administrator. Asks for the password twice (not shown), or reads CLEARINGHOUSE_ADMIN_PASSWORD."""
    password = os.environ.get(PASSWORD_ENV) or click.prompt(
        "Password", hide_input=True, confirmation_prompt="Type the password again"
    )
    try:
        with unit_of_work():
            user = services.create_user_with_password(email, name, password, role=Role.ADMIN)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    click.echo(f"Created administrator {user.email}.")
