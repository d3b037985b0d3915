"""Domain errors and the site's error pages (HTML, or JSON under /api/).

Besides the HTTP errors: the database unreachable is a 503 page (drawn without touching the
database), the file store unreachable a 503, a stored file gone missing a 404, and a value the
database refuses (`DataError`: a number out of range, a NUL byte that slipped past the forms) a
400. If an error page cannot be drawn, a plain page in the site's look is sent instead, so a
visitor never sees the server's bare error page.
"""

from collections.abc import Iterator
from contextlib import contextmanager, suppress

import werkzeug.exceptions
from flask import Flask, Response, current_app, flash, g, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DataError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from clearinghouse.extensions import db, login_manager
from clearinghouse.i18n import current_language


class DomainError(Exception):
    """A rule was broken; the message is safe to show to the person who asked."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ItemRefused(DomainError):
    """A core that writes many records at once (`directory.services.create_products`) refused one of
    them: the same refusal, and the item's place in the list (`index`)."""

    def __init__(self, error: DomainError, index: int):
        super().__init__(error.message, field=error.field)
        self.index = index


@contextmanager
def refused(index: int) -> Iterator[None]:
    """A DomainError raised in the block becomes the ItemRefused of the item at `index`."""
    try:
        yield
    except DomainError as err:
        raise ItemRefused(err, index) from None


class NotFound(werkzeug.exceptions.NotFound):
    """The record does not exist, or is not visible to this user: the site's 404 page (JSON under /api/).

    Not a DomainError: a view that shows refusals on its form lets it through to the error handler.
    """

    def __init__(self, message: str):
        super().__init__(description=message)
        self.message = message


class StorageUnavailable(Exception):
    """The file store cannot be written or read right now (full, read-only, unreachable): a 503."""


class StoredFileMissing(FileNotFoundError):
    """A record points at a file the file store no longer has: a 404 (and an error in the log)."""


# What SQLAlchemy raises when the database cannot be reached or answer in time.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
RETRY_AFTER_SECONDS = 30


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
    503: (
        _l("Temporarily unavailable"),
        _l("The site cannot reach its database right now. Nothing was changed; please try again in a few minutes."),
    ),
}
FILES_UNAVAILABLE = _l(
    "The site cannot store or read files right now. Nothing was saved; please try again in a few minutes."
)
FILE_MISSING = _l(
    "That file is missing from the district's records. The district has been told; please try again later."
)
FILE_MISSING_TITLE = _l("File missing")
VALUE_REFUSED = _l(
    "Something you sent cannot be stored (a number too large, or an invisible character). Go back, check what you "
    "typed and try again."
)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(status: int, message: str | None = None, title: str | None = None):
    default_title, default_message = MESSAGES.get(status, MESSAGES[500])
    title = title or default_title
    message = message or default_message
    if _wants_json():
        return jsonify({"error": {"status": status, "title": str(title), "message": str(message)}}), status
    try:
        return render_template("errors/error.html", status=status, title=title, message=message), status
    except Exception:  # the page itself failed (its template reads what is broken): a plain one instead
        current_app.logger.exception("The error page for %s could not be drawn", status)
        return _plain_page(status, title, message), status


def _plain_page(status: int, title: object, message: object) -> Response:
    """An error page in the site's look that needs no template, database or signed-in user, in the
    language of the address (the catalogue's sentences of errors/error.html)."""
    links = _(
        '<a href="%(home)s">Go to the home page</a> or <a href="%(directory)s">search the directory</a>.',
        home=escape(url_for("directory.home")),
        directory=escape(url_for("directory.directory")),
    )
    html = (
        f'<!doctype html><html lang="{current_language()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)}</title><link rel="stylesheet" href="/static/css/site.css"></head>'
        f'<body><main id="main" class="wrap"><section class="error-page"><h1>{escape(title)}</h1>'
        f"<p>{escape(message)}</p><p>{links}</p>"
        f'<p class="muted">{escape(_("Error %(status)s", status=status))}</p></section></main></body></html>'
    )
    return Response(html, status=status, mimetype="text/html")


def _without_database() -> None:
    """Draw the next page without the database: default settings, and no user to load."""
    with suppress(*DATABASE_UNAVAILABLE):
        db.session.rollback()
    g.database_unavailable = True
    if "_login_user" not in g:  # Flask-Login would load the user from the database
        g._login_user = login_manager.anonymous_user()


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
        body, status = _render(status)
        response = app.make_response((body, status))
        for name, value in err.get_headers():  # Allow on a 405, Retry-After on a 429…
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    def database_unavailable(err: Exception):
        app.logger.error("The database is unavailable on %s %s: %s", request.method, request.path, err)
        _without_database()
        body, status = _render(503)
        response = app.make_response((body, status))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    for exception_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(exception_class, database_unavailable)

    @app.errorhandler(StorageUnavailable)
    def storage_unavailable(err: StorageUnavailable):
        db.session.rollback()
        app.logger.error("The file store is unavailable on %s %s: %s", request.method, request.path, err)
        body, status = _render(503, FILES_UNAVAILABLE)
        response = app.make_response((body, status))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(StoredFileMissing)
    def stored_file_missing(err: StoredFileMissing):
        db.session.rollback()
        app.logger.error("A stored file is missing on %s %s: %s", request.method, request.path, err)
        return _render(404, FILE_MISSING, FILE_MISSING_TITLE)

    @app.errorhandler(DataError)
    def value_refused(err: DataError):
        db.session.rollback()
        app.logger.warning("The database refused a value on %s %s: %s", request.method, request.path, err.orig)
        return _render(400, VALUE_REFUSED)

    @app.errorhandler(Exception)
    def server_error(err: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _render(500)
