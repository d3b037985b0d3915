"""The application factory: configuration, extensions, blueprints, error pages and commands.

Importing a domain package runs nothing (its `__init__` is a docstring); this module is the one
place that imports every domain's views, so their routes exist before the blueprints are
registered. `wsgi.py`, the tests and the benchmarks call `create_app`.
"""

import logging
from collections import ChainMap
from collections.abc import Callable, KeysView, MutableMapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask
from flask.templating import Environment
from psycopg import _queries as psycopg_queries
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from clearinghouse import (
    cli,
    context,
    errors,
    health,
    i18n,
    models,  # noqa: F401 - every domain's tables, before the first query
    page_cache,
    request_log,
    scheduler,
    security,
    sessions,
    site_files,
    storage,
    text,
    timeutil,
    urls,
    visibility,
)
from clearinghouse.accounts import admin_views as accounts_admin_views
from clearinghouse.accounts import cli as accounts_cli
from clearinghouse.accounts import oidc as accounts_oidc
from clearinghouse.accounts import oidc_views as accounts_oidc_views
from clearinghouse.accounts import views as accounts_views
from clearinghouse.accounts.blueprint import blueprints as accounts_blueprints
from clearinghouse.agreements import views as agreements_views
from clearinghouse.agreements.blueprint import blueprints as agreements_blueprints
from clearinghouse.api import views as api_views
from clearinghouse.api.blueprint import blueprints as api_blueprints
from clearinghouse.audit import views as audit_views
from clearinghouse.audit.blueprint import blueprints as audit_blueprints
from clearinghouse.config import load_config
from clearinghouse.destruction import review_views as destruction_review_views
from clearinghouse.destruction import views as destruction_views
from clearinghouse.destruction.blueprint import blueprints as destruction_blueprints
from clearinghouse.directory import staff_views as directory_staff_views
from clearinghouse.directory import views as directory_views
from clearinghouse.directory.blueprint import blueprints as directory_blueprints
from clearinghouse.extensions import csrf, db, login_manager, migrate, set_outside_transaction
from clearinghouse.imports import cli as imports_cli
from clearinghouse.imports import views as imports_views
from clearinghouse.imports.blueprint import blueprints as imports_blueprints
from clearinghouse.intake import staff_views as intake_staff_views
from clearinghouse.intake import views as intake_views
from clearinghouse.intake.blueprint import blueprints as intake_blueprints
from clearinghouse.notices import views as notices_views
from clearinghouse.notices.blueprint import blueprints as notices_blueprints
from clearinghouse.portal import views as portal_views
from clearinghouse.portal.blueprint import blueprints as portal_blueprints
from clearinghouse.reports import views as reports_views
from clearinghouse.reports.blueprint import blueprints as reports_blueprints
from clearinghouse.settings import queries as settings_queries
from clearinghouse.settings import views as settings_views
from clearinghouse.settings.blueprint import blueprints as settings_blueprints
from clearinghouse.subscriptions import views as subscriptions_views
from clearinghouse.subscriptions.blueprint import blueprints as subscriptions_blueprints

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LONGEST_KEPT_STATEMENT = 65_536  # characters: psycopg keeps the conversion of statements this long
PLAIN_FUNCTIONS_MAX = 1_000  # views and hooks `Clearinghouse.ensure_sync` remembers as plain functions

# The modules that attach routes and commands to the blueprints below (imported for that alone).
ROUTE_MODULES = (
    accounts_admin_views,
    accounts_cli,
    accounts_oidc_views,
    accounts_views,
    agreements_views,
    api_views,
    audit_views,
    destruction_review_views,
    destruction_views,
    directory_staff_views,
    directory_views,
    imports_cli,
    imports_views,
    intake_staff_views,
    intake_views,
    notices_views,
    portal_views,
    reports_views,
    settings_views,
    subscriptions_views,
)

# In the order of registration.
BLUEPRINTS: tuple[Blueprint, ...] = (
    *directory_blueprints,
    *accounts_blueprints,
    *settings_blueprints,
    *agreements_blueprints,
    *audit_blueprints,
    *imports_blueprints,
    *notices_blueprints,
    *destruction_blueprints,
    *intake_blueprints,
    *portal_blueprints,
    *api_blueprints,
    health.health_bp,
    site_files.site_files_bp,
    *reports_blueprints,
    *subscriptions_blueprints,
    *cli.blueprints,
)


class TemplateGlobals(ChainMap):
    """A template's globals (its own over the environment's), whose `keys()` is a dict's: each
    `{% from "…" import … %}` takes the rendering context's global names minus the imported template's
    (Jinja's `Template._get_default_module`), and against a ChainMap's Python-level keys view that
    difference cost about 300 Python calls (four for each of ~75 globals) per import, a page having one
    to three. The keys are read when asked, so a global added later is seen, as with a ChainMap."""

    def keys(self) -> KeysView[str]:  # type: ignore[override]
        merged: dict[str, Any] = {}
        for names in reversed(self.maps):
            merged.update(names)
        return merged.keys()


class TemplateEnvironment(Environment):
    """Flask's Jinja environment, its templates' globals a `TemplateGlobals`."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return TemplateGlobals(d if d is not None else {}, self.globals)


class Clearinghouse(Flask):
    """Flask with the site's URL map, whose converters refuse addresses that could name no record,
    templates whose imports cost less (`TemplateEnvironment`) and a session that costs nothing to a
    reader without a cookie (`sessions.CookieSessionInterface`)."""

    url_map_class = urls.SafeMap
    jinja_environment = TemplateEnvironment
    session_interface = sessions.CookieSessionInterface()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's, remembering which functions are plain: it asks `inspect` again for each view and
        hook (about 16 a page) on every request, and the app has no `async def` view or hook."""
        known = self.__dict__.setdefault("_plain_functions", set())
        try:
            if func in known:
                return func
        except TypeError:  # unhashable: asked each time
            return super().ensure_sync(func)
        made = super().ensure_sync(func)
        if made is func and len(known) < PLAIN_FUNCTIONS_MAX:
            known.add(func)
        return made


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the application. Starts nothing: no scheduler, no threads, no migrations."""
    app = Clearinghouse(
        "clearinghouse",
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    load_config(app, overrides)

    db.init_app(app)
    _keep_long_statements_converted()
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app, PROJECT_ROOT / "translations")  # before the blueprints: their localized rules
    timeutil.init_app(app, district_zone_name=settings_queries.district_zone_name)
    text.init_app(app)
    visibility.init_app(app)
    security.init_app(app)
    storage.init_app(app)
    accounts_oidc.init_app(app)
    urls.init_app(app)
    errors.register_error_handlers(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    context.init_app(app)
    request_log.init_app(app)
    page_cache.init_app(app)  # wraps the WSGI app: a hit is answered before Flask
    if app.config["PROXY_FIX_HOPS"]:  # outermost: the cache sees the client's scheme
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    scheduler.init_app(app)  # only with SCHEDULER_IN_PROCESS (make run); never in gunicorn workers
    return app


def _keep_long_statements_converted() -> None:
    """psycopg turns a statement's %(name)s placeholders into PostgreSQL's $1 once and keeps the result,
    but only for statements of up to 4,096 characters: a longer one is scanned again on every run. The
    agreement states written in SQL make statements of 5,000-13,000 characters (the reports' status
    counts, about 5,800; a directory page filtered by agreement state, up to about 12,000), each built
    once per worker (per day) and run again and again. psycopg keeps 128 conversions (least recently
    used out), so a worker keeps at most 8 MB of them."""
    psycopg_queries.MAX_CACHED_STATEMENT_LENGTH = max(
        psycopg_queries.MAX_CACHED_STATEMENT_LENGTH, LONGEST_KEPT_STATEMENT
    )


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite enforces foreign keys only when asked, on every connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


@event.listens_for(Engine, "connect")
def _postgresql_without_jit(dbapi_connection, connection_record) -> None:
    """PostgreSQL's JIT compiler, on by default, spent 17 s compiling the reports' agreement-status
    count (a large CASE over 25,000 products) that runs in 0.2 s without it; the app's queries are
    short lookups that never win it back. Off for every connection (once per pooled connection)."""
    if type(dbapi_connection).__module__.startswith("psycopg"):
        set_outside_transaction(dbapi_connection, "SET jit = off")
