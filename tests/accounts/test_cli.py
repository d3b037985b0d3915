"""`flask create-admin`: the first administrator, with a password typed twice or from the environment."""

from sqlalchemy import select

from clearinghouse.accounts.models import Role, User
from clearinghouse.extensions import db
from tests.accounts.conftest import sign_in
from tests.conftest import in_app

PASSWORD = "tidal marble crayon 7"


def test_create_admin_asks_for_the_password_twice(app, runner):
    result = runner.invoke(
        args=["create-admin", "--email", "Head@District.example", "--name", "Ada Head"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created administrator head@district.example." in result.output
    assert PASSWORD not in result.output  # not echoed
    with in_app(app):
        user = db.session.scalar(select(User).where(User.email == "head@district.example"))
        assert (user.role, user.name, user.is_active) == (Role.ADMIN, "Ada Head", True)
    assert sign_in(app.test_client(), "head@district.example", PASSWORD).status_code == 302


def test_create_admin_asks_again_when_the_two_differ(app, runner):
    result = runner.invoke(
        args=["create-admin", "--email", "head@district.example"],
        input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Error: The two entered values do not match." in result.output


def test_create_admin_reads_the_password_from_the_environment(app, runner, monkeypatch):
    monkeypatch.setenv("CLEARINGHOUSE_ADMIN_PASSWORD", PASSWORD)
    result = runner.invoke(args=["create-admin", "--email", "ops@district.example"])
    assert result.exit_code == 0, result.output
    assert sign_in(app.test_client(), "ops@district.example", PASSWORD).status_code == 302


def test_create_admin_refuses_weak_passwords_and_taken_emails(app, runner, monkeypatch):
    monkeypatch.setenv("CLEARINGHOUSE_ADMIN_PASSWORD", "password123")
    result = runner.invoke(args=["create-admin", "--email", "ops@district.example"])
    assert result.exit_code == 1
    assert "Use at least 12 characters." in result.output
    monkeypatch.setenv("CLEARINGHOUSE_ADMIN_PASSWORD", PASSWORD)
    assert runner.invoke(args=["create-admin", "--email", "ops@district.example"]).exit_code == 0
    result = runner.invoke(args=["create-admin", "--email", "OPS@district.example"])
    assert result.exit_code == 1
    assert "A user with this e-mail address already exists." in result.output
    result = runner.invoke(args=["create-admin", "--email", "not-an-email"])
    assert "Enter a valid e-mail address" in result.output
