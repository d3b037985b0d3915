"""The application factory, configuration, error pages, headers, Markdown and time helpers."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from clearinghouse import timeutil
from clearinghouse.agreements.models import Agreement, AgreementState
from clearinghouse.app import create_app
from clearinghouse.config import ConfigError, instance_secret_key, normalize_database_url, parse_env_value
from clearinghouse.errors import NotFound
from clearinghouse.extensions import db
from clearinghouse.text import plain_text, render_markdown
from clearinghouse.timeutil import DEFAULT_ZONE, UTCDateTime, district_zone, format_datetime
from tests.conftest import client_as


def test_secret_key_is_generated_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)

    first = instance_secret_key(tmp_path)
    assert len(first) >= 40
    assert instance_secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_values_are_parsed_explicitly():
    assert parse_env_value("SMTP_STARTTLS", "yes", bool) is True
    assert parse_env_value("SMTP_STARTTLS", "0", bool) is False
    assert parse_env_value("SMTP_PORT", "587", int) == 587
    with pytest.raises(ConfigError, match="SMTP_PORT must be a whole number"):
        parse_env_value("SMTP_PORT", "five", int)
    with pytest.raises(ConfigError, match="true or false"):
        parse_env_value("SMTP_STARTTLS", "maybe", bool)


def test_bad_environment_value_stops_start_up(monkeypatch):
    monkeypatch.setenv("MAX_UPLOAD_MB", "lots")
    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_postgres_urls_use_psycopg():
    assert normalize_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_database_url("postgresql://h/db") == "postgresql+psycopg://h/db"
    assert normalize_database_url("sqlite:///x.sqlite") == "sqlite:///x.sqlite"


def test_https_base_url_makes_cookies_secure():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "BASE_URL": "https://privacy.district.example"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_every_response_has_security_headers_and_a_strict_csp(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_unknown_page_is_a_404_in_the_sites_look(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Page not found" in response.data
    assert b"skip-link" in response.data


def test_api_errors_are_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json["error"]["status"] == 404


def test_a_record_not_found_is_the_sites_404_page_or_json_under_the_api(app, database_url, tmp_path):
    own = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_DIR": str(tmp_path)})

    def missing():
        raise NotFound("That widget does not exist.")

    own.add_url_rule("/widgets/missing", "missing", missing)
    own.add_url_rule("/api/v1/widgets/missing", "api_missing", missing)
    page = own.test_client().get("/widgets/missing")
    assert page.status_code == 404
    assert "That widget does not exist." in page.text
    assert "skip-link" in page.text
    answer = own.test_client().get("/api/v1/widgets/missing")
    assert answer.status_code == 404
    assert answer.json["error"] == {"status": 404, "title": "Page not found", "message": "That widget does not exist."}
    with own.app_context():
        db.engine.dispose()


def test_a_missing_request_is_a_404_page_for_staff(app, officer_id):
    response = client_as(app, officer_id).get("/staff/requests/987654")
    assert response.status_code == 404
    assert "That destruction request does not exist." in response.text


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>hello",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        '<p onclick="steal()">text</p>',
        "<iframe src='https://evil.example'></iframe>",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        "<style>body{display:none}</style>",
    ],
)
def test_markdown_is_sanitized(source):
    html = str(render_markdown(source)).lower()
    for forbidden in ("<script", "onerror", "onclick", "javascript:", "<iframe", "<style", "<img"):
        assert forbidden not in html


def test_markdown_keeps_ordinary_formatting():
    html = str(render_markdown("**Bold** and [a link](https://example.org)\n\n- one\n- two"))
    assert "<strong>Bold</strong>" in html
    assert 'href="https://example.org"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert "<li>one</li>" in html


def test_plain_text_strips_markup_and_keeps_characters():
    assert plain_text("**Fish & chips** <b>now</b>") == "Fish & chips now"


def test_utc_datetime_refuses_naive_values():
    with pytest.raises(ValueError, match="aware"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), None)  # noqa: DTZ001 - the point of the test


def test_timeutil_asks_the_app_for_the_district_zone():
    bare = Flask("bare")
    with bare.app_context():
        assert district_zone() == ZoneInfo(DEFAULT_ZONE)  # no zone provider: the default
    timeutil.init_app(bare, district_zone_name=lambda: "Pacific/Honolulu")
    with bare.app_context():
        assert district_zone() == ZoneInfo("Pacific/Honolulu")
        assert format_datetime(datetime(2026, 7, 4, 16, 30, tzinfo=UTC)) == "July 4, 2026 at 6:30 AM HST"
    assert district_zone() == ZoneInfo(DEFAULT_ZONE)  # outside any app


def test_datetimes_are_shown_in_the_district_zone(app):
    with app.app_context():
        text = format_datetime(datetime(2026, 7, 4, 16, 30, tzinfo=UTC))
    assert text == "July 4, 2026 at 12:30 PM EDT"


@pytest.mark.parametrize(
    ("fields", "today", "state"),
    [
        ({"signed_on": None}, date(2026, 1, 1), AgreementState.DRAFT),
        ({"effective_on": date(2026, 3, 1)}, date(2026, 1, 1), AgreementState.UPCOMING),
        ({}, date(2026, 1, 1), AgreementState.ACTIVE),
        ({"expires_on": None}, date(2040, 1, 1), AgreementState.ACTIVE),
        ({}, date(2027, 5, 1), AgreementState.EXPIRING),
        ({}, date(2027, 7, 1), AgreementState.EXPIRED),
        ({"terminated_on": date(2026, 2, 1)}, date(2026, 3, 1), AgreementState.TERMINATED),
        ({"terminated_on": date(2026, 2, 1)}, date(2026, 1, 1), AgreementState.ACTIVE),
        ({"renewed_by_id": 9}, date(2027, 7, 1), AgreementState.RENEWED),
        ({"renewed_by_id": 9}, date(2026, 1, 1), AgreementState.ACTIVE),
        ({"auto_renews": True}, date(2029, 1, 1), AgreementState.ACTIVE),
        ({"auto_renews": True}, date(2029, 6, 1), AgreementState.EXPIRING),
    ],
)
def test_agreement_state_is_derived_from_its_dates(fields, today, state):
    values = {"signed_on": date(2025, 6, 1), "effective_on": date(2025, 7, 1), "expires_on": date(2027, 6, 30)}
    values.update(fields)
    assert Agreement(**values).state_on(today) is state


def test_auto_renewing_agreement_rolls_its_term_a_year_at_a_time():
    agreement = Agreement(signed_on=date(2024, 1, 1), expires_on=date(2025, 6, 30), auto_renews=True)
    assert agreement.term_ends_on(date(2026, 1, 10)) == date(2026, 6, 30)
    assert agreement.term_ends_on(date(2026, 7, 1)) == date(2027, 6, 30)
    assert agreement.ended_on(date(2026, 7, 1)) is None


def test_a_missing_trusted_roots_file_stops_start_up(tmp_path):
    with pytest.raises(ConfigError, match="TRUSTED_ROOTS_PEM"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TRUSTED_ROOTS_PEM": str(tmp_path / "none.pem")})
