"""Absolute links come from BASE_URL, never from a request's Host header; without BASE_URL they follow
the port the site is served on (`PORT`, which `make run` and `make serve` pass on); a newcomer reads
outgoing e-mail on the console of `make run`; a 405 says which methods are allowed."""

import subprocess
from pathlib import Path

import flask_migrate
import pytest

from clearinghouse.app import create_app
from clearinghouse.config import ConfigError
from clearinghouse.extensions import db
from tests import factories
from tests.conftest import client_as, in_app

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_api_links_ignore_a_forged_host_header(app):
    with in_app(app):
        vendor = factories.make_vendor(name="Acme")
        factories.make_product(vendor, name="Reader")
    client = app.test_client()
    for path in ("/api/v1/vendors", "/api/v1/products", "/api/v1/vendors/acme"):
        response = client.get(path, headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        assert "evil.example" not in body, path
        assert "http://localhost/api/v1/" in body, path
    page = client.get("/api/", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "evil.example" not in page


def test_a_405_page_says_which_methods_are_allowed(app):
    response = app.test_client().post("/changes")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}
    assert 'class="error-page"' in response.get_data(as_text=True)
    api = app.test_client().delete("/api/v1/vendors")
    assert api.status_code == 405
    assert "GET" in api.headers["Allow"]


def test_without_base_url_links_follow_the_port(monkeypatch, tmp_path):
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "8000")
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["BASE_URL"] == "http://127.0.0.1:8000"
    monkeypatch.setenv("BASE_URL", "https://privacy.district.example/")
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["BASE_URL"] == "https://privacy.district.example"
    for bad in ("privacy.district.example", "javascript:alert(1)", "https://a.example/\r\nX: y"):
        monkeypatch.setenv("BASE_URL", bad)
        with pytest.raises(ConfigError, match="BASE_URL must be an address"):
            create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_make_run_passes_its_port_and_prints_mail():
    dry_run = subprocess.run(
        ["make", "-n", "run", "PORT=8000"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout
    (serve_line,) = [line for line in dry_run.splitlines() if "flask run" in line]
    assert "PORT=8000" in serve_line
    assert "MAIL_TO_CONSOLE=1" in serve_line
    assert "--port 8000" in serve_line


@pytest.fixture
def newcomer_app(tmp_path, monkeypatch):
    """The app as `PORT=8000 make run` builds it: no BASE_URL, e-mail to the console."""
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "8000")
    monkeypatch.setenv("MAIL_TO_CONSOLE", "1")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'run.sqlite'}",
            "UPLOAD_DIR": str(tmp_path / "files"),
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_newcomers_first_invitation_is_printed_with_a_link_to_the_served_port(newcomer_app, capsys):
    with in_app(newcomer_app):
        officer_id = factories.make_user(role="officer", email="officer@district.example").id
        vendor_id = factories.make_vendor(name="Acme").id
    response = client_as(newcomer_app, officer_id).post(
        "/staff/users/invite", data={"vendor_id": vendor_id, "email": "pat@acme.example", "name": "Pat"}
    )
    assert response.status_code == 302
    printed = capsys.readouterr().out
    assert "----- e-mail printed, not sent (MAIL_TO_CONSOLE) -----" in printed
    assert "To: pat@acme.example" in printed
    assert "http://127.0.0.1:8000/invitations/" in printed
    link = next(word for word in printed.split() if word.startswith("http://127.0.0.1:8000/invitations/"))
    page = newcomer_app.test_client().get(link.removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200
    assert "Set password and sign in" in page.get_data(as_text=True)
    outbox = client_as(newcomer_app, officer_id).get("/staff/outbox/?status=sent").get_data(as_text=True)
    assert "pat@acme.example" in outbox


def test_the_feed_and_the_api_use_the_served_port_too(newcomer_app):
    with in_app(newcomer_app):
        factories.make_vendor(name="Acme")
    client = newcomer_app.test_client()
    assert "http://127.0.0.1:8000/changes" in client.get("/changes.atom").get_data(as_text=True)
    assert client.get("/api/v1/vendors").json["links"]["self"].startswith("http://127.0.0.1:8000/api/v1/vendors")
