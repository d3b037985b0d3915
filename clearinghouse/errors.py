"""Domain errors and the site's error pages (HTML, or JSON under /api/)."""

import werkzeug.exceptions
from flask import Flask, flash, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from clearinghouse.extensions import db


class DomainError(Exception):
    """A rule was broken; the message is safe to show to the person who asked."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(werkzeug.exceptions.NotFound):
    """The record does not exist, or is not visible to this user: the site's 404 page (JSON under /api/).

    Not a DomainError: a view that shows refusals on its form lets it through to the error handler.
    """

    def __init__(self, message: str):
        super().__init__(description=message)
        self.message = message


def show_domain_error(form: FlaskForm | None, err: DomainError) -> None:
    """Attach the error to its field when the form has one, otherwise flash it."""
    field = getattr(form, err.field, None) if (form is not None and err.field) else None
    if field is not None:
        field.errors = [*list(field.errors), err.message]
    else:
        flash(err.message, "error")


# Shown to the public in the page's language (the JSON errors under /api/ are English: no language there).
MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please check the address and try again.")),
    403: (_l("Not allowed"), _l("You do not have permission to see this page.")),
    404: (
        _l("Page not found"),
        _l("We could not find that page. It may have moved, or the address may be mistyped."),
    ),
    405: (_l("Not allowed"), _l("That action is not available on this page.")),
    413: (_l("File too large"), _l("That upload is larger than the limit.")),
    429: (_l("Too many attempts"), _l("Too many attempts. Please wait a few minutes and try again.")),
    500: (
        _l("Something went wrong"),
        _l("Something went wrong on our side. It has been logged; please try again later."),
    ),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(status: int, message: str | None = None, title: str | None = None):
    default_title, default_message = MESSAGES.get(status, MESSAGES[500])
    title = title or default_title
    message = message or default_message
    if _wants_json():
        return jsonify({"error": {"status": status, "title": str(title), "message": str(message)}}), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError):
        return _render(
            400,
            _("This form has expired or was sent from another page. Go back, reload the page and submit it again."),
            _("Form expired"),
        )

    @app.errorhandler(NotFound)
    def record_not_found(err: NotFound):
        return _render(404, err.message)

    @app.errorhandler(413)
    def too_large(err):
        limit = app.config["MAX_UPLOAD_MB"]
        return _render(
            413, _("That file is larger than the %(limit)s MB limit. Choose a smaller file and try again.", limit=limit)
        )

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        status = err.code or 500
        if status in (301, 302, 303, 307, 308):
            return err
        return _render(status)

    @app.errorhandler(Exception)
    def server_error(err: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _render(500)
