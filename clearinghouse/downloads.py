"""Every file the site serves goes out through here: an attachment the browser neither renders nor sniffs.

A download is always `Content-Disposition: attachment` with a clean file name (an ASCII
`filename` for old clients and an RFC 6266 / RFC 5987 `filename*` in UTF-8), its own type and
length (a streamed export has none), `X-Content-Type-Options: nosniff`, and
`Content-Security-Policy: sandbox`, so that even a browser that opens it anyway runs nothing from
it with the site's origin. A stored file that has gone missing is logged and answered with the
site's 404 page, never a 500.
"""

import contextvars
import re
import unicodedata
from collections.abc import Iterator
from urllib.parse import quote

from flask import Flask, Response, abort, current_app
from flask.ctx import AppContext

from clearinghouse.storage import StoredFile, storage

DOWNLOAD_POLICY = "default-src 'none'; sandbox"
NAME_MAX = 150
# Control, format (bidi overrides among them), separator, surrogate, private-use and unassigned characters.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_NOT_PLAIN_ASCII = re.compile(r"[^A-Za-z0-9._ ()+,-]+")


def clean_file_name(name: str, *, extension: str, fallback: str) -> str:
    """The name with no directories, hidden characters or leading dots, ending in `extension`."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(
        " " if ch.isspace() else ch for ch in name if ch.isspace() or unicodedata.category(ch) not in _HIDDEN_CATEGORIES
    )
    name = re.sub(r" {2,}", " ", name.replace('"', "'")).strip()
    stem = name[: -len(extension)] if extension and name.lower().endswith(extension.lower()) else name
    stem = stem.strip(" .")[: NAME_MAX - len(extension)].rstrip(" .")
    return f"{stem}{extension}" if stem else f"{fallback}{extension}"


def content_disposition(name: str, *, extension: str, fallback: str) -> str:
    """`attachment` with an ASCII `filename` and, when the name is not plain ASCII, a UTF-8 `filename*`."""
    clean = clean_file_name(name, extension=extension, fallback=fallback)
    ascii_stem = unicodedata.normalize("NFKD", clean[: -len(extension)]).encode("ascii", "ignore").decode()
    ascii_stem = _NOT_PLAIN_ASCII.sub("_", ascii_stem).strip(" ._")
    ascii_name = f"{ascii_stem or fallback}{extension}"
    header = f'attachment; filename="{ascii_name}"'
    if ascii_name != clean:
        header += f"; filename*=UTF-8''{quote(clean, safe='')}"
    return header


def send_download(
    data: bytes | str,
    *,
    name: str,
    content_type: str,
    extension: str,
    fallback: str = "download",
) -> Response:
    """`data` as an attachment called `name` (cleaned). Public ones are `no-cache` (page_cache): kept by
    caches only to be asked for again, since an unpublished document must stop being served at once."""
    body = data.encode() if isinstance(data, str) else data
    response = Response(body, content_type=content_type)
    response.content_length = len(body)
    return _as_attachment(response, name=name, extension=extension, fallback=fallback)


def stream_download(
    chunks: Iterator[str], *, name: str, content_type: str, extension: str, fallback: str = "download"
) -> Response:
    """An attachment sent as its chunks are made (no Content-Length): a large export never sits whole in
    memory. `chunks` should be lazy (a generator): it starts when the first chunk is sent (nothing runs
    for a 304 or a HEAD), in an app context of its own (`AppStream`)."""
    response = Response(AppStream(current_app._get_current_object(), chunks), content_type=content_type)
    # Werkzeug would otherwise read the whole body into a list to count its length (`make_conditional`).
    response.implicit_sequence_conversion = False
    return _as_attachment(response, name=name, extension=extension, fallback=fallback)


class AppStream:
    """Iterates `chunks` in an app context (its own database session, removed at the end) pushed in a
    `contextvars.Context` of its own, so it is never interleaved with the contexts of other requests.

    Flask's `stream_with_context` pushes the request's context again on the caller's context stack
    and leaves it there until the body is closed; two bodies left open at once (Werkzeug's test client
    reads the first chunk of each answer) then pop each other's context.
    """

    def __init__(self, app: Flask, chunks: Iterator[str]) -> None:
        self._app = app
        self._chunks = chunks
        self._context = contextvars.Context()
        self._app_context: AppContext | None = None
        self._done = False

    def __iter__(self) -> "AppStream":
        return self

    def __next__(self) -> str:
        return self._context.run(self._next)

    def _next(self) -> str:
        if self._done:
            raise StopIteration
        if self._app_context is None:
            self._app_context = self._app.app_context()
            self._app_context.push()
        try:
            return next(self._chunks)
        except BaseException:
            self._finish()
            raise

    def close(self) -> None:
        """Called by the WSGI server when the answer is sent or the reader hangs up."""
        if not self._done:
            self._context.run(self._finish)

    __del__ = close

    def _finish(self) -> None:
        self._done = True
        try:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()
        finally:
            if self._app_context is not None:
                self._app_context.pop()


def _as_attachment(response: Response, *, name: str, extension: str, fallback: str) -> Response:
    response.headers["Content-Disposition"] = content_disposition(name, extension=extension, fallback=fallback)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_POLICY
    return response


def send_stored_file(stored: StoredFile, *, name: str | None = None, fallback: str = "document") -> Response:
    """An uploaded file as a download (its own name unless `name` is given); 404 when storage lost it."""
    try:
        data = storage().read(stored.storage_key)
    except FileNotFoundError:
        current_app.logger.error("Stored file %s (%s) is missing from storage", stored.id, stored.storage_key)
        abort(404)
    return send_download(
        data,
        name=name or stored.original_name,
        content_type=stored.content_type,
        extension=_EXTENSIONS.get(stored.content_type, ""),
        fallback=fallback,
    )


_EXTENSIONS = {"application/pdf": ".pdf"}
