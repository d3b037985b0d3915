"""The request log: one line per request with method, path, status and duration in milliseconds."""

import logging
import re

from clearinghouse import request_log
from clearinghouse.app import create_app

LINE = re.compile(r"^method=(\S+) path=(\S+) status=(\d{3}) duration_ms=(\d+\.\d)$")


def logged_app(database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_DIR": str(tmp_path / "files"),
        }
    )
    request_log.init_app(app)
    request_log.init_app(app)  # a second call (e.g. from create_app as well) logs nothing twice
    return app


def test_each_request_logs_one_line_with_method_path_status_and_duration(
    app, database_url, tmp_path, caplog, monkeypatch
):
    # migrations/env.py calls logging.config.fileConfig(), which disables every logger that exists
    # when the session's migrations run; a process that only serves never runs it.
    monkeypatch.setattr(request_log.logger, "disabled", False)
    client = logged_app(database_url, tmp_path).test_client()
    with caplog.at_level(logging.INFO, logger="clearinghouse.request"):
        client.get("/healthz")
        client.get("/api/v1/products?q=secret+search")
        client.get("/api/v1/products/no-such-product")
        client.post("/healthz")
    lines = [r.getMessage() for r in caplog.records if r.name == "clearinghouse.request"]
    assert len(lines) == 4
    parsed = [LINE.match(line).groups() for line in lines]
    assert [(m, p, s) for m, p, s, _ in parsed] == [
        ("GET", "/healthz", "200"),
        ("GET", "/api/v1/products", "200"),  # the path only: no query string, so no search words
        ("GET", "/api/v1/products/no-such-product", "404"),
        ("POST", "/healthz", "405"),
    ]
    assert all(float(duration) >= 0 for *_, duration in parsed)


def test_control_characters_cannot_forge_a_second_log_line():
    assert request_log.printable_path("/a\nmethod=GET path=/forged") == "/a\\x0amethod=GET\\x20path=/forged"
    assert len(request_log.printable_path("/" + "x" * 5000)) == request_log.PATH_MAX
