"""Configuration: defaults < instance/config.py < environment variables < test overrides."""

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask


class ConfigError(RuntimeError):
    """A configuration value is missing or malformed; start-up stops with this message."""


DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "MAX_UPLOAD_MB": 10,
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    "PREFERRED_URL_SCHEME": "http",
    "BASE_URL": "http://127.0.0.1:5000",
    "STORAGE_URL": "",  # empty: a directory under instance/; s3://bucket?endpoint_url=… for S3
    "SMTP_HOST": "127.0.0.1",
    "SMTP_PORT": 25,
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": False,
    "SMTP_TIMEOUT": 10,
    "REDIS_URL": "",
    "PROXY_FIX_HOPS": 0,
    "SCHEDULER_IN_PROCESS": False,
    "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
    "LOGIN_WINDOW_SECONDS": 15 * 60,
    "INVITATION_DAYS": 7,
    "PAGE_SIZE": 25,
    # The public pages' languages: the first at /, each other one under /<code>/ (clearinghouse.i18n).
    "LANGUAGES": "en,es",
}

# Environment variables and how to parse each; anything else in the environment is ignored.
ENV_VARS: dict[str, type] = {
    "DATABASE_URL": str,
    "SECRET_KEY": str,
    "BASE_URL": str,
    "STORAGE_URL": str,
    "SMTP_HOST": str,
    "SMTP_PORT": int,
    "SMTP_USERNAME": str,
    "SMTP_PASSWORD": str,
    "SMTP_STARTTLS": bool,
    "REDIS_URL": str,
    "MAX_UPLOAD_MB": int,
    "PROXY_FIX_HOPS": int,
    "SESSION_COOKIE_SECURE": bool,
    "SCHEDULER_IN_PROCESS": bool,
    "TRUSTED_ROOTS_PEM": str,
    "LANGUAGES": str,
}

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def parse_env_value(name: str, raw: str, kind: type) -> Any:
    if kind is bool:
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ConfigError(f"{name} must be true or false, not {raw!r}.")
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None
    return raw


def normalize_database_url(url: str) -> str:
    """Accept the common postgres:// spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def instance_secret_key(instance_path: Path) -> str:
    """The key kept in instance/secret_key, generated on first run."""
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    instance_path = Path(app.instance_path)
    instance_path.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(DEFAULTS)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance_path / 'clearinghouse.sqlite'}"
    app.config["UPLOAD_DIR"] = str(instance_path / "files")
    app.config.from_pyfile("config.py", silent=True)
    for name, kind in ENV_VARS.items():
        raw = os.environ.get(name)
        if raw is not None:
            key = "SQLALCHEMY_DATABASE_URI" if name == "DATABASE_URL" else name
            app.config[key] = parse_env_value(name, raw, kind)
    app.config.update(overrides or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(instance_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["MAX_CONTENT_LENGTH"] = (app.config["MAX_UPLOAD_MB"] + 1) * 1024 * 1024
    if app.config["MAX_UPLOAD_MB"] < 1:
        raise ConfigError("MAX_UPLOAD_MB must be at least 1.")
    roots = app.config.get("TRUSTED_ROOTS_PEM")
    if roots and not Path(roots).is_file():
        raise ConfigError(f"TRUSTED_ROOTS_PEM names {roots!r}, which is not a readable file.")
    if app.config["SESSION_COOKIE_SECURE"] or app.config["BASE_URL"].startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"
