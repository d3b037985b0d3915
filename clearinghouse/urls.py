"""What a URL may carry, read in one place: path arguments, the page number and ids in the query
string, and absolute links to the site (built from BASE_URL, never from the request's Host header).

`SafeMap` is the application's URL map: its converters refuse what no record can be named by (a
control character such as NUL in a slug, an id larger than any integer column), so such an
address is a 404 before a view runs. Lists read their page with `page_arg()` and ids with
`id_arg()`, which turn anything odd into page 1 or "no id"; search boxes read their text through
`text.visible_text`, and filters are checked against their choices by their forms.
"""

from collections.abc import Callable
from typing import Any, ClassVar

from flask import Flask, current_app, has_request_context, request, url_for
from werkzeug.routing import BaseConverter, IntegerConverter, Map, PathConverter, UnicodeConverter

from clearinghouse.i18n import current_language

ID_MAX = 2**31 - 1  # the largest INTEGER key on PostgreSQL
MAX_PAGE = 10_000  # far beyond any real list; keeps OFFSET inside every database's integer range
# A path segment without control characters (C0, DEL, C1): those name no record.
_VISIBLE = r"[^/\x00-\x1f\x7f-\x9f]"


class TextConverter(UnicodeConverter):
    """`<name>` and `<string:name>`: one path segment, without control characters."""

    def __init__(self, map: Map, minlength: int = 1, maxlength: int | None = None, length: int | None = None):
        super().__init__(map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", _VISIBLE)


class SafePathConverter(PathConverter):
    """`<path:name>`: segments with slashes, without control characters."""

    regex = _VISIBLE + r"[^\x00-\x1f\x7f-\x9f]*?"


class IdConverter(IntegerConverter):
    """`<int:name>`: a whole number a database key can hold; a larger one is a 404, not an overflow."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = ID_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class SafeMap(Map):
    """The URL map of the application: its converters refuse what could name no record (a 404)."""

    default_converters: ClassVar[dict[str, type[BaseConverter]]] = {
        **Map.default_converters,
        "default": TextConverter,
        "string": TextConverter,
        "path": SafePathConverter,
        "int": IdConverter,
    }


def page_number(raw: str | None) -> int:
    """The page asked for: anything that is not a whole number from 1 up means page 1; at most MAX_PAGE."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()):
        return 1
    return min(max(int(raw[:6]), 1), MAX_PAGE)


def page_arg(name: str = "page") -> int:
    """The page number in the query string (see `page_number`)."""
    return page_number(request.args.get(name))


def record_id(raw: str | None) -> int | None:
    """A record id written as text, or None when it is not one (not a whole number, 0, or too large)."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(ID_MAX)):
        return None
    value = int(raw)
    return value if 1 <= value <= ID_MAX else None


def id_arg(name: str) -> int | None:
    """A record id in the query string, or None when it is missing or could name no record."""
    return record_id(request.args.get(name))


def id_args(name: str) -> list[int]:
    """Every record id given under the name (`?product_id=3&product_id=5`), the unusable ones left out."""
    return [value for value in map(record_id, request.args.getlist(name)) if value is not None]


def base_url() -> str:
    """The site's public address, without a trailing slash."""
    return current_app.config["BASE_URL"].rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """An absolute link to one of the site's pages: BASE_URL + the page's path.

    Never `url_for(..., _external=True)`: that trusts the request's Host header, which anyone can
    set, and the API's answers are kept by shared caches. Outside a request (the daily sweep) the
    path is built from the URL map alone, so a localized page needs its language in `values`.
    """
    if not has_request_context():
        return base_url() + current_app.url_map.bind("").build(endpoint, values)
    return base_url() + url_for(endpoint, **values)


KEPT_URLS_MAX = 10_000  # addresses a worker keeps for `url_for` in templates (see `kept_url_for`)
KEPT_URL_FOR = "urls.kept_url_for"  # app.extensions: the app's `kept_url_for`, its templates' `url_for`
KEPT_VALUE_MAX = 100  # characters: a longer value (a page's own address as `next`) is built each time


def _keepable(values: dict[str, Any]) -> bool:
    """Whether an address with these values may be kept: only plain strings (short ones), whole
    numbers and None, none of Flask's own options (`_external`, `_anchor`…). `type() is`, not
    `isinstance`: True is 1 as a key but "True" in an address."""
    for name, value in values.items():
        kind = type(value)
        if name.startswith("_") or (kind is str and len(value) > KEPT_VALUE_MAX):
            return False
        if kind is not str and kind is not int and value is not None:
            return False
    return True


def kept_url_for() -> Callable[..., str]:
    """`url_for` for the app's templates, keeping each address it builds per worker: the layout draws
    about 27 on every page (stylesheet and icons, navigation, footer), a list page one or two for
    each of its rows (a school, a page of results), and each is the same for every request of one
    language and script root. The key is those, the endpoint and the values in their order (which
    is the query string's). The URL map does not change once the app is made, no rule names a host
    or subdomain, and the only URL default is the language (`i18n._keep_language`). Any other call
    (a value that is not a plain string, number or None, `_external`, a blueprint-relative ".name",
    outside a request) goes to Flask's `url_for`; each app has its own."""
    kept: dict[tuple, str] = {}

    def template_url_for(endpoint: str, **values: Any) -> str:
        if (values and not _keepable(values)) or endpoint.startswith(".") or not has_request_context():
            return url_for(endpoint, **values)
        key = (request.script_root, current_language(), endpoint, *values.items())
        try:
            return kept[key]
        except KeyError:
            pass
        address = url_for(endpoint, **values)
        if len(kept) >= KEPT_URLS_MAX:
            kept.clear()
        kept[key] = address
        return address

    return template_url_for


def kept_url(endpoint: str, **values: Any) -> str:
    """`url_for` through the addresses the app's templates keep (`kept_url_for`), for Python that writes
    a page's links as its template would (the directory's download line, beside its pagination)."""
    return current_app.extensions[KEPT_URL_FOR](endpoint, **values)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["external_url"] = external_url
    app.jinja_env.globals["url_for"] = app.extensions[KEPT_URL_FOR] = kept_url_for()
