"""The Clearinghouse: a district's public register of who receives student data, and why."""

import logging
from importlib import import_module
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from clearinghouse import errors, security, storage, text, timeutil
from clearinghouse.config import load_config
from clearinghouse.extensions import csrf, db, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Each domain package exposes `blueprints`; the order is the order of registration.
DOMAINS = (
    "clearinghouse.directory",
    "clearinghouse.accounts",
    "clearinghouse.settings",
    "clearinghouse.agreements",
    "clearinghouse.audit",
    "clearinghouse.imports",
    "clearinghouse.notices",
    "clearinghouse.destruction",
    "clearinghouse.portal",
    "clearinghouse.api",
    "clearinghouse.reports",
    "clearinghouse.cli",
)


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the application. Starts nothing: no scheduler, no threads, no migrations."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    load_config(app, overrides)
    if app.config["PROXY_FIX_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    timeutil.init_app(app)
    text.init_app(app)
    security.init_app(app)
    storage.init_app(app)
    errors.register_error_handlers(app)

    for name in DOMAINS:
        for blueprint in import_module(name).blueprints:
            app.register_blueprint(blueprint)

    from clearinghouse import context

    context.init_app(app)
    from clearinghouse import request_log, scheduler

    request_log.init_app(app)
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    scheduler.init_app(app)  # only with SCHEDULER_IN_PROCESS (make run); never in gunicorn workers
    return app


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite enforces foreign keys only when asked, on every connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
