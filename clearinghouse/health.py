"""/healthz: is the database reachable, is the file storage reachable. Public, and tells no secrets."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from clearinghouse.extensions import db
from clearinghouse.storage import storage

health_bp = Blueprint("health", __name__)


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not reachable"; the cause goes to the log, not the page
        current_app.logger.exception("Health check: the database is not reachable.")
        db.session.rollback()
        return False


def _storage_ok() -> bool:
    try:
        storage().check()
        return True
    except Exception:  # as above: the page says which part failed, the log says why
        current_app.logger.exception("Health check: the file storage is not reachable.")
        return False


@health_bp.get("/healthz")
def healthz():
    checks = {"database": "ok" if _database_ok() else "failed", "storage": "ok" if _storage_ok() else "failed"}
    healthy = all(value == "ok" for value in checks.values())
    response = jsonify({"status": "ok" if healthy else "failed", "checks": checks})
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
