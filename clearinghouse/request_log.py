"""The request log: one line per request with method, path, status and duration in milliseconds.

(Not named `logging.py`: importing `clearinghouse.logging` would replace the standard `logging`
module that clearinghouse/__init__.py uses under the same name.)
"""

import logging
import time

from flask import Flask, Response, g, request

logger = logging.getLogger("clearinghouse.request")
PATH_MAX = 500


def init_app(app: Flask) -> None:
    """Log every request of the app once; safe to call twice."""
    if app.extensions.get("clearinghouse_request_log"):
        return
    app.extensions["clearinghouse_request_log"] = True

    @app.before_request
    def _start_clock() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response: Response) -> Response:
        started = g.pop("request_started", None)
        duration_ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        log_request(request.method, request.path, response.status_code, duration_ms)
        return response


def log_request(method: str, path: str, status: int, duration_ms: float) -> None:
    """The one line of a request (also for answers the page cache serves before Flask)."""
    if logger.isEnabledFor(logging.INFO):
        logger.info("method=%s path=%s status=%d duration_ms=%.1f", method, printable_path(path), status, duration_ms)


def printable_path(path: str) -> str:
    """The path, shortened, with control characters escaped so that one request stays one line.

    Only the path: a query string may hold what someone searched for.
    """
    path = path[:PATH_MAX]
    if path.isprintable() and " " not in path:  # nearly every path: nothing to escape
        return path
    return "".join(ch if ch.isprintable() and ch != " " else f"\\x{ord(ch):02x}" for ch in path)
