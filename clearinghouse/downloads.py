"""Every file the site serves goes out through here: an attachment the browser neither renders nor sniffs.

A download is always `Content-Disposition: attachment` with a clean file name (an ASCII
`filename` for old clients and an RFC 6266 / RFC 5987 `filename*` in UTF-8), its own type and
length, `X-Content-Type-Options: nosniff`, and `Content-Security-Policy: sandbox`, so that even a
browser that opens it anyway runs nothing from it with the site's origin. A stored file that has
gone missing is logged and answered with the site's 404 page, never a 500.
"""

import re
import unicodedata
from urllib.parse import quote

from flask import Response, abort, current_app

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
    max_age: int | None = None,
) -> Response:
    """`data` as an attachment called `name` (cleaned); `max_age` lets public caches keep it that long."""
    body = data.encode() if isinstance(data, str) else data
    response = Response(body, content_type=content_type)
    response.content_length = len(body)
    response.headers["Content-Disposition"] = content_disposition(name, extension=extension, fallback=fallback)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_POLICY
    if max_age is not None:
        response.cache_control.public = True
        response.cache_control.max_age = max_age
    return response


def send_stored_file(
    stored: StoredFile, *, name: str | None = None, fallback: str = "document", max_age: int | None = None
) -> Response:
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
        max_age=max_age,
    )


_EXTENSIONS = {"application/pdf": ".pdf"}
