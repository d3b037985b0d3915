"""Configuration: defaults < instance/config.py < environment variables < test overrides."""

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask


class ConfigError(RuntimeError):
    """A configuration value is missing or malformed; start-up stops with this message."""


DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "MAX_UPLOAD_MB": 10,
    # Limits for reading one uploaded PDF (clearinghouse/pdf.py): wall-clock and CPU seconds, and
    # the memory the checking process may add to what it started with.
    "PDF_CHECK_SECONDS": 20,
    "PDF_CHECK_MEMORY_MB": 512,
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    "PREFERRED_URL_SCHEME": "http",
    "BASE_URL": "",  # empty: http://127.0.0.1:<PORT>, the address `make run` and `make serve` listen on
    "PORT": 5000,
    "STORAGE_URL": "",  # empty: a directory under instance/; s3://bucket?endpoint_url=… for S3
    "SMTP_HOST": "127.0.0.1",
    "SMTP_PORT": 25,
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": False,
    "SMTP_TIMEOUT": 10,
    "PROXY_FIX_HOPS": 0,
    "SCHEDULER_IN_PROCESS": False,
    # How often the scheduler retries the outbox, and how often a scheduler not in charge checks
    # whether the one in charge is gone (clearinghouse/scheduler.py).
    "SCHEDULER_OUTBOX_SECONDS": 180,
    "SCHEDULER_LEADER_SECONDS": 15,
    "MAIL_TO_CONSOLE": False,  # print e-mail on the console instead of sending it (`make run`)
    "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
    "LOGIN_WINDOW_SECONDS": 15 * 60,
    "INVITATION_DAYS": 7,
    # The follow-by-e-mail form (clearinghouse.subscriptions): requests per client address and per
    # e-mail address in the window; past them a client is refused and an address gets no e-mail.
    "SUBSCRIBE_MAX_PER_CLIENT": 10,
    "SUBSCRIBE_MAX_PER_ADDRESS": 3,
    "SUBSCRIBE_WINDOW_SECONDS": 3600,
    "PAGE_SIZE": 25,
    # The public pages' languages: the first at /, each other one under /<code>/ (clearinghouse.i18n).
    "LANGUAGES": "en,es",
    # District sign-in (OpenID Connect): off while OIDC_ISSUER is empty.
    "OIDC_ISSUER": "",
    "OIDC_CLIENT_ID": "",
    "OIDC_CLIENT_SECRET": "",
    "OIDC_ALLOWED_DOMAINS": (),
    "OIDC_ADMIN_EMAILS": (),
    "OIDC_OFFICER_EMAILS": (),
    "OIDC_GROUPS_CLAIM": "groups",
    "OIDC_ADMIN_GROUPS": (),
    "OIDC_OFFICER_GROUPS": (),
    "OIDC_TIMEOUT_SECONDS": 10,
    # The public answers' cache (clearinghouse/page_cache.py): in each worker's memory within
    # PAGE_CACHE_MAX_MB, or in Redis at REDIS_URL (shared by every worker and host; each worker then
    # keeps a near copy within the same bound). A full cache adds the bound and 3-6 MB to a worker's
    # resident memory (bench/cache_memory.py): 32 MB holds ~1,000 pages, more than a burst's hot set,
    # and keeps 5 workers (2 cores) near 1 GB in all. README, "Public answers' cache".
    "PAGE_CACHE": True,
    "PAGE_CACHE_MAX_MB": 32,
    "PAGE_CACHE_ENTRY_MAX_MB": 4,
    "PAGE_CACHE_SECONDS": 24 * 3600,  # an entry's life; any change makes it unreachable long before
    "REDIS_URL": "",
    "REDIS_TIMEOUT_SECONDS": 0.25,
    "REDIS_RETRY_SECONDS": 5,  # after Redis fails, answer without it this long before trying again
}

# Environment variables and how to parse each; anything else in the environment is ignored.
ENV_VARS: dict[str, type] = {
    "DATABASE_URL": str,
    "SECRET_KEY": str,
    "BASE_URL": str,
    "PORT": int,
    "STORAGE_URL": str,
    "SMTP_HOST": str,
    "SMTP_PORT": int,
    "SMTP_USERNAME": str,
    "SMTP_PASSWORD": str,
    "SMTP_STARTTLS": bool,
    "MAX_UPLOAD_MB": int,
    "PROXY_FIX_HOPS": int,
    "SESSION_COOKIE_SECURE": bool,
    "SCHEDULER_IN_PROCESS": bool,
    "SCHEDULER_OUTBOX_SECONDS": int,
    "SCHEDULER_LEADER_SECONDS": int,
    "MAIL_TO_CONSOLE": bool,
    "TRUSTED_ROOTS_PEM": str,
    "LANGUAGES": str,
    "OIDC_ISSUER": str,
    "OIDC_CLIENT_ID": str,
    "OIDC_CLIENT_SECRET": str,
    "OIDC_ALLOWED_DOMAINS": tuple,
    "OIDC_ADMIN_EMAILS": tuple,
    "OIDC_OFFICER_EMAILS": tuple,
    "OIDC_GROUPS_CLAIM": str,
    "OIDC_ADMIN_GROUPS": tuple,
    "OIDC_OFFICER_GROUPS": tuple,
    "PAGE_CACHE": bool,
    "PAGE_CACHE_MAX_MB": int,
    "PAGE_CACHE_ENTRY_MAX_MB": int,
    "REDIS_URL": str,
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
    if kind is tuple:
        return comma_list(raw)
    return raw


def comma_list(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated setting as a tuple of its non-empty items (a list from instance/config.py too)."""
    items = value.split(",") if isinstance(value, str) else value
    return tuple(item.strip() for item in items if item.strip())


LOOPBACK_HOSTS = {"localhost"}


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_oidc(config: dict[str, Any]) -> None:
    """District sign-in is either off (no OIDC_* setting) or complete and consistent.

    Lists are normalized in place: e-mail addresses and domains lower-case, a domain without its "@".
    """
    for name in ("OIDC_ALLOWED_DOMAINS", "OIDC_ADMIN_EMAILS", "OIDC_OFFICER_EMAILS"):
        config[name] = tuple(item.lower().lstrip("@") for item in comma_list(config[name]))
    for name in ("OIDC_ADMIN_GROUPS", "OIDC_OFFICER_GROUPS"):
        config[name] = comma_list(config[name])
    config["OIDC_ISSUER"] = (config["OIDC_ISSUER"] or "").strip()
    issuer = config["OIDC_ISSUER"]
    if not issuer:
        others = [
            name for name in ENV_VARS if name.startswith("OIDC_") and name != "OIDC_GROUPS_CLAIM" and config[name]
        ]
        if others:
            raise ConfigError(f"{', '.join(others)} set without OIDC_ISSUER: set OIDC_ISSUER too, or remove them.")
        return
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"OIDC_ISSUER must be the provider's https:// address, not {issuer!r}.")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError("OIDC_ISSUER must use https:// (plain http is accepted only on this machine's loopback).")
    for name in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_ALLOWED_DOMAINS"):
        if not config[name]:
            raise ConfigError(f"OIDC_ISSUER is set, so {name} must be set too.")
    domains = set(config["OIDC_ALLOWED_DOMAINS"])
    for domain in domains:
        if "@" in domain or "." not in domain or any(ch.isspace() or ch == "/" for ch in domain):
            raise ConfigError(
                f"OIDC_ALLOWED_DOMAINS holds {domain!r}, which is not an e-mail domain like district.org."
            )
    for name in ("OIDC_ADMIN_EMAILS", "OIDC_OFFICER_EMAILS"):
        for email in config[name]:
            local, at, domain = email.rpartition("@")
            if not (local and at):
                raise ConfigError(f"{name} holds {email!r}, which is not an e-mail address.")
            if domain not in domains:
                raise ConfigError(f"{name} lists {email}, whose domain is not in OIDC_ALLOWED_DOMAINS.")
    if (config["OIDC_ADMIN_GROUPS"] or config["OIDC_OFFICER_GROUPS"]) and not config["OIDC_GROUPS_CLAIM"].strip():
        raise ConfigError("OIDC_ADMIN_GROUPS or OIDC_OFFICER_GROUPS is set, so OIDC_GROUPS_CLAIM must name the claim.")
    if config["OIDC_TIMEOUT_SECONDS"] < 1:
        raise ConfigError("OIDC_TIMEOUT_SECONDS must be at least 1.")


def normalize_database_url(url: str) -> str:
    """Accept the common postgres:// spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def database_connect_args(config: dict[str, Any]) -> dict[str, Any]:
    """The driver settings an operator gave every connection to the database (`connect_args` in
    SQLALCHEMY_ENGINE_OPTIONS: TLS files, timeouts, an application name). The app's own engines beside
    Flask-SQLAlchemy's (the page cache's version reader, the scheduler's lock) start from them and add
    their own, so that no connection of the app leaves them out."""
    return dict(config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args") or {})


def checked_base_url(base_url: str | None, port: int) -> str:
    """The site's public address: BASE_URL as given, else the loopback address on PORT.

    Absolute links (e-mails, the Atom feed, the API) are built from it, never from a request's
    Host header. Refuses what is not an http(s) address with a host.
    """
    if not base_url:
        if not 0 < port < 65536:
            raise ConfigError(f"PORT must be between 1 and 65535, not {port}.")
        return f"http://127.0.0.1:{port}"
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(ch.isspace() for ch in base_url):
        raise ConfigError(f"BASE_URL must be an address like https://privacy.district.org, not {base_url!r}.")
    return base_url.rstrip("/")


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
    for name in ("SCHEDULER_OUTBOX_SECONDS", "SCHEDULER_LEADER_SECONDS"):
        if app.config[name] < 1:
            raise ConfigError(f"{name} must be at least 1.")
    roots = app.config.get("TRUSTED_ROOTS_PEM")
    if roots and not Path(roots).is_file():
        raise ConfigError(f"TRUSTED_ROOTS_PEM names {roots!r}, which is not a readable file.")
    check_oidc(app.config)
    app.config["BASE_URL"] = checked_base_url(app.config["BASE_URL"], app.config["PORT"])
    if app.config["SESSION_COOKIE_SECURE"] or app.config["BASE_URL"].startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"
