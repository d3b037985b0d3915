"""Languages: public pages in every configured language, chosen by the URL alone.

The first language of `LANGUAGES` (English) is served at `/`; every other one under its own
prefix (`/es/…`). A public blueprint is a `LocalizedBlueprint`: each of its routes is added
twice, once at its own path (the default language, as a URL default) and once under
`/<lang>/`, for the same view, so no view is written twice. The language never comes from a
cookie or `Accept-Language`, so a page's address is all a shared cache needs (`Vary` names
neither), and `url_for` keeps the page's language: every link of a Spanish page stays Spanish.

Staff and vendor pages are on plain Blueprints: English only.
"""

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal
from babel.support import NullTranslations
from flask import (
    Blueprint,
    Flask,
    Request,
    Response,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    url_for,
)
from flask.globals import _cv_app  # the app context itself (see `_rendering`)
from flask.sansio.blueprints import BlueprintSetupState
from flask_babel import force_locale, get_locale, get_translations, gettext, refresh
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from werkzeug.routing import BaseConverter, ValidationError

from clearinghouse.config import ConfigError
from clearinghouse.extensions import babel

LANG_ARG = "lang_code"  # the URL value that carries the language on every localized route
CATALOGUE = "messages"
RENDERING = "i18n_rendering"  # g: this request's `Rendering`
NUMBERS_KEPT = 4_096  # formatted numbers a worker keeps (`format_number`)
PAGE_PATHS = "i18n.page_paths"  # app.extensions: pages' paths per language (`_page_path`)
KEPT_CATALOGUE = "i18n.kept_catalogue"  # app.extensions: the templates' catalogue (`kept_catalogue`)
PAGE_PATHS_MAX = 10_000  # paths an app keeps
PAGE_PATH_VALUE_MAX = 100  # characters: a page whose address has a longer value (a slug) builds it each time
TRANSLATED_MIMETYPES = ("text/html", "application/atom+xml")
OUTSIDE_AN_APP = ("en",)  # the languages of code run without an app (a unit test of a pure function)


# --- Configuration ------------------------------------------------------------------------------


def configured_languages(app: Flask | None = None) -> tuple[str, ...]:
    """The site's languages, the default (unprefixed) one first (English alone outside an app)."""
    if app is None and not has_app_context():
        return OUTSIDE_AN_APP
    return (app or current_app).config["LANGUAGES"]


def default_language(app: Flask | None = None) -> str:
    return configured_languages(app)[0]


def parse_languages(raw: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """ "en, es" → ("en", "es"): known Babel locales, each once, lower-case as they appear in URLs."""
    codes = [part.strip() for part in raw.split(",")] if isinstance(raw, str) else [str(part).strip() for part in raw]
    languages: list[str] = []
    for code in filter(None, codes):
        if not all(ch.isalpha() or ch == "_" for ch in code) or not code.isascii():
            raise ConfigError(f"LANGUAGES names {code!r}, which is not a language code like en or es.")
        try:
            Locale.parse(code)
        except (UnknownLocaleError, ValueError):
            raise ConfigError(f"LANGUAGES names {code!r}, which is not a language Babel knows.") from None
        if code not in languages:
            languages.append(code)
    if not languages:
        raise ConfigError("LANGUAGES must name at least one language, like en or en,es.")
    return tuple(languages)


def _check_catalogues(app: Flask, directory: Path) -> None:
    """Each language but the default needs its catalogue, compiled (`make translations-compile`)."""
    for code in configured_languages(app)[1:]:
        compiled = directory / code / "LC_MESSAGES" / f"{CATALOGUE}.mo"
        if not compiled.is_file():
            raise ConfigError(
                f"LANGUAGES names {code!r}, but {compiled} is missing: add translations/{code}/LC_MESSAGES/"
                f"{CATALOGUE}.po (make translations-init NEW_LANGUAGE={code}) and run make translations-compile."
            )


# --- Routing ------------------------------------------------------------------------------------


class LanguageConverter(BaseConverter):
    """`<lang:lang_code>`: one of the configured languages. Building a URL with the default
    language is refused here, so the unprefixed rule (which has it as a default) builds it;
    a request for `/en/…` is redirected to `/…` by Werkzeug's `redirect_defaults`."""

    languages: tuple[str, ...] = ()

    def __init__(self, url_map: Any) -> None:
        super().__init__(url_map)
        self.regex = "|".join(self.languages)

    def to_url(self, value: str) -> str:
        if value not in self.languages[1:]:
            raise ValidationError()
        return value


def _converter_for(languages: tuple[str, ...]) -> type[LanguageConverter]:
    return type("ConfiguredLanguageConverter", (LanguageConverter,), {"languages": languages})


class _LocalizedSetupState(BlueprintSetupState):
    """Adds each route of a LocalizedBlueprint at its path and again under `/<lang>/`."""

    def add_url_rule(self, rule: str, endpoint: str | None = None, view_func: Any = None, **options: Any) -> None:
        if not options.pop("localized", True):
            super().add_url_rule(rule, endpoint, view_func, **options)
            return
        defaults = options.pop("defaults", None) or {}
        default = default_language(self.app)
        super().add_url_rule(rule, endpoint, view_func, defaults={**defaults, LANG_ARG: default}, **options)
        own_prefix = self.url_prefix
        self.url_prefix = f"/<lang:{LANG_ARG}>" + (own_prefix or "")
        try:
            super().add_url_rule(rule, endpoint, view_func, defaults=defaults, **options)
        finally:
            self.url_prefix = own_prefix


class LocalizedBlueprint(Blueprint):
    """A public blueprint: every route answers in each configured language.

    A route that is not a page (a file download, JSON) opts out with `localized=False`.

    Its GET answers to anonymous readers are kept by the public answers' cache (`page_cache`);
    a blueprint whose pages are not public facts (the sign-in pages) passes `cached=False`.
    """

    def __init__(self, *args: Any, cached: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.public_answers = cached

    def make_setup_state(self, app: Any, options: dict, first_registration: bool = False) -> BlueprintSetupState:
        return _LocalizedSetupState(self, app, options, first_registration)


def is_localized_rule(rule: Any) -> bool:
    return rule is not None and LANG_ARG in rule.arguments


def _language_in_path(path: str) -> str | None:
    """The language prefix of a path that matched no route (its 404 page speaks that language)."""
    first = path.lstrip("/").split("/", 1)[0]
    return first if first in configured_languages() else None


def _select_locale() -> str:
    if has_request_context():
        chosen = g.get(LANG_ARG) or (request.url_rule is None and _language_in_path(request.path))
        if chosen:
            return chosen
    return default_language()


@dataclass
class Rendering:
    """The language a request (or a forced stretch of one) renders in, worked out once: its code,
    its Locale and, once a string is translated, its catalogue."""

    code: str
    locale: Locale
    default: str  # the site's default language (`default_language`), read once with the rest
    catalogue: NullTranslations | None = None


def _rendering() -> Rendering | None:
    """This app context's `Rendering` (None outside an app). Flask-Babel works the locale out once
    per request too, but reaching it costs three lookups through `g` and then a `str()` and a check
    against the languages, and a page asks about 60 times (`current_language`, every `_()`, every
    staff-written name in `localize`); so it is kept on `g` beside Flask-Babel's. `language` and
    `use_language`, the only places that change Flask-Babel's locale (tests/i18n/test_rendering.py),
    drop it at the same time.

    The app context is read from Flask's context variable, which `has_app_context()` and `g` read
    through a LocalProxy each: one lookup instead of about five (~1 µs a call, ~0.1 µs now)."""
    context = _cv_app.get(None)
    if context is None:
        return None
    found: Rendering | None = getattr(context.g, RENDERING, None)
    if found is None:
        locale = get_locale()
        code = str(locale) if locale is not None else ""
        default = default_language()
        if code not in configured_languages():
            code = default
            locale = locale or Locale.parse(code)
        found = Rendering(code, locale, default)
        setattr(context.g, RENDERING, found)
    return found


def current_language() -> str:
    """The language being rendered now (the URL's, or one forced for an e-mail)."""
    rendering = _rendering()
    return rendering.code if rendering is not None else default_language()


@contextmanager
def language(code: str | None) -> Iterator[str]:
    """Render in `code` (default: the site's default language), e.g. an e-mail to a subscriber."""
    chosen = code if code in configured_languages() else default_language()
    with force_locale(chosen):
        outer = g.pop(RENDERING, None) if has_app_context() else None
        try:
            yield chosen
        finally:
            if has_app_context():
                g.pop(RENDERING, None)
                if outer is not None:
                    setattr(g, RENDERING, outer)


def use_language(code: str | None) -> None:
    """Serve the rest of this request in `code` (ignored unless it is configured): for a route that
    is not localized but knows its reader's language, such as the way back from the district's
    sign-in service, whose address is the one registered there."""
    if has_request_context() and code in configured_languages():
        setattr(g, LANG_ARG, code)
        refresh()
        g.pop(RENDERING, None)


def path_in(endpoint: str, code: str, **values: Any) -> str:
    """The path of a localized page in language `code`, built without a request (the sweep's e-mails)."""
    return current_app.url_map.bind("").build(endpoint, {**values, LANG_ARG: code})


def N_(text: str) -> str:
    """Mark a string for the catalogue where it is defined; it is translated where it is shown."""
    return text


# --- Formatting ---------------------------------------------------------------------------------


def locale() -> Locale:
    rendering = _rendering()
    return rendering.locale if rendering is not None else Locale.parse(default_language())


def format_number(value: int | float | None) -> str:
    """A count in the reader's language ("12,345" in English, "12.345" in Spanish)."""
    if value is None:
        return ""
    rendering = _rendering()
    return _formatted_number(value, rendering.code if rendering is not None else default_language())


@functools.lru_cache(maxsize=NUMBERS_KEPT, typed=True)
def _formatted_number(value: int | float, language: str) -> str:
    """Babel's formatting, kept per value and language: about 50 Python calls a number, and a list
    page writes the same small counts again and again (two a school on the schools index). Keyed by
    the language's code, not its Locale: each request has a Locale of its own, and finding it in the
    cache compared it with the kept one field by field (about 220 comparisons on the reports page)."""
    return format_decimal(value, locale=language)


@functools.lru_cache(maxsize=16)
def language_name(code: str) -> str:
    """The language's own name for itself, capitalised: "English", "Español"."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


# --- What staff wrote, in the reader's language ------------------------------------------------


class LocalizedText(str):
    """Staff-written text for the reader: their language's translation, else the default language's
    text, which is then marked (`lang`, and a note that says it exists only in that language).
    A str, so it joins, compares and escapes like the plain text it replaces."""

    language: str
    is_fallback: bool

    def __new__(cls, text: str, language: str, is_fallback: bool = False) -> "LocalizedText":
        self = super().__new__(cls, text)
        self.language = language
        self.is_fallback = is_fallback
        return self

    @property
    def text(self) -> str:
        return str.__str__(self)

    @property
    def note(self) -> str:
        """ "Texto disponible solo en inglés": in the reader's language, naming the text's language."""
        name = Locale.parse(self.language).get_display_name(locale())
        return gettext("Text available only in %(language)s", language=name)

    def derive(self, text: str) -> "LocalizedText":
        """The same language and marking for a text made from this one (a snippet of it)."""
        return LocalizedText(text, self.language, self.is_fallback)


def localize(original: str | None, translations: dict[str, dict[str, str]] | None, field: str) -> LocalizedText:
    """A field in the reader's language, from its default-language text and its record's `translations`
    (models_base.TranslatedMixin): the translation when there is one, else the default language's
    text, marked as a fallback when there is any."""
    original = original or ""
    rendering = _rendering()  # one lookup for both languages: a directory page asks ~150 times
    if rendering is not None:
        here, default = rendering.code, rendering.default
    else:
        here = default = default_language()
    if here != default:
        text = (((translations or {}).get(here) or {}).get(field) or "").strip()
        if text:
            return LocalizedText(text, here)
    return LocalizedText(original, default, is_fallback=here != default and bool(original.strip()))


def decoded_translations(text: str | None) -> dict[str, dict[str, str]] | None:
    """A record's `translations` read as text (`cast(….translations, Text)`), as the JSON column gives them
    to `localize`. Read as JSON, the driver decodes them on every row; a reader whose rows repeat a record
    (its elements on each data use, a kind on each of its products) reads text and decodes once a record."""
    return json.loads(text) if text is not None else None


def translated(record: Any, field: str) -> LocalizedText:
    """`record.<field>` in the reader's language (`localize` on a TranslatedMixin record)."""
    return localize(getattr(record, field), record.translations, field)


# --- What a page needs: its language, its other-language versions -----------------------------


@dataclass(frozen=True)
class Alternate:
    code: str
    name: str  # in its own language
    url: str  # on this site, with the query string
    is_current: bool
    address: str  # `url` as an absolute address, from BASE_URL (hreflang, Open Graph)


def _page_path(page: Request, endpoint: str, values: dict[str, Any], code: str) -> str:
    """`url_for(endpoint, **values)` in language `code`, kept per app, script root, endpoint and
    values: every page builds one for each language (the switch and hreflang), ~12 µs each, and
    the address depends on nothing else (no rule names a host, and the language is the only URL
    default, given here). Values that are not short strings or whole numbers are not kept."""
    kept: dict[tuple, str] = current_app.extensions[PAGE_PATHS]
    keepable = all(
        type(value) is int or (type(value) is str and len(value) <= PAGE_PATH_VALUE_MAX) for value in values.values()
    )
    key = (page.script_root, endpoint, code, *values.items()) if keepable else None
    path = kept.get(key) if key is not None else None
    if path is None:
        path = url_for(endpoint, **{**values, LANG_ARG: code})
        if key is not None:
            if len(kept) >= PAGE_PATHS_MAX:
                kept.clear()
            kept[key] = path
    return path


def alternates() -> list[Alternate]:
    """Every configured language's version of the page being rendered: this page in each language,
    keeping its query string; each language's home page when this request matched no localized
    route (an unknown address, a staff page). The request is read once, not through its proxy
    for each language."""
    if not has_request_context() or "directory.home" not in current_app.view_functions:
        return []
    here = current_language()
    # The proxy is typed as the Request it stands for, so its own method is unknown to a type checker.
    page: Request = request._get_current_object()  # type: ignore[attr-defined]
    if is_localized_rule(page.url_rule) and page.endpoint:
        endpoint, values = page.endpoint, page.view_args or {}
        query = page.query_string.decode("utf-8", "replace")
    else:
        endpoint, values, query = "directory.home", {}, ""
    found = []
    base = current_app.config["BASE_URL"].rstrip("/")
    for code in configured_languages():
        path = _page_path(page, endpoint, values, code)
        url = f"{path}?{query}" if query else path
        found.append(Alternate(code, language_name(code), url, code == here, base + url))
    return found


def page_address(found: list[Alternate]) -> str:
    """The absolute address of the page being rendered, with its query string (Open Graph's og:url,
    the printed page's header), from BASE_URL: on a localized page, its own version among `found`
    (its `alternates`, whose path is kept); else its route's address, or its path when it matched none."""
    page: Request = request._get_current_object()  # type: ignore[attr-defined]
    if is_localized_rule(page.url_rule) and page.endpoint:
        for alternate in found:
            if alternate.is_current:
                return alternate.address
    path = url_for(page.endpoint, **(page.view_args or {})) if page.url_rule else page.path
    query = page.query_string.decode("utf-8", "replace")
    return absolute(f"{path}?{query}" if query else path)


def _template_context() -> dict[str, Any]:
    """A localized page links to itself in every language (switch and hreflang); a page that matched
    no route (an error page for an unknown address) offers each language's home page; staff pages neither."""
    localized = has_request_context() and is_localized_rule(request.url_rule)
    offers_switch = localized or (has_request_context() and request.url_rule is None)
    return {
        "current_language": current_language(),
        "default_language": default_language(),
        "language_alternates": alternates() if offers_switch else [],
        "has_hreflang": localized,
    }


def kept_catalogue() -> Callable[[], NullTranslations]:
    """The `_()` of the app's templates: Flask-Babel's, but with the catalogue found once per request
    (`Rendering`) and each language's kept by its Locale. Flask-Babel's own reaches its context,
    domain and locale through the app context several times for each string (about 25 Python
    calls), and a page's layout alone has about 35 strings. Its catalogues are loaded once per
    language and never change while the app runs, so keeping them gives the same strings; a
    language forced for an e-mail (`language`) is a new `Rendering`, so it gets its own. Each app
    has its own."""
    catalogues: dict[Locale, NullTranslations] = {}

    def catalogue() -> NullTranslations:
        rendering = _rendering()
        if rendering is None:  # outside an app: Flask-Babel's untranslated strings
            return get_translations()
        found = rendering.catalogue
        if found is None:
            found = catalogues.get(rendering.locale)
            if found is None:
                found = catalogues[rendering.locale] = get_translations()
            rendering.catalogue = found
        return found

    return catalogue


def catalogue() -> NullTranslations:
    """The catalogue of the language being rendered, as the templates' `_()` read it (`kept_catalogue`:
    found once a request), for Python that says a page's words (the directory's cards); Flask-Babel's
    outside an app that translates."""
    kept = current_app.extensions.get(KEPT_CATALOGUE) if has_app_context() else None
    return kept() if kept is not None else get_translations()


def kept_gettext(message: str, /, **values: Any) -> str:
    """Flask-Babel's `gettext` (the translation, %-formatted with `values` when there are any), read from the
    catalogue the templates read (`catalogue`): Flask-Babel looks its domain, locale and translations up
    again on every call, about 20 µs a message, and the reports page says about 30 in Python."""
    text = catalogue().ugettext(message)
    return text % values if values else text


def template_gettext(catalogue: Callable[[], NullTranslations]) -> Callable[..., str]:
    """`_()` and the `{% trans %}` blocks of the app's templates: what Jinja's newstyle `gettext`
    does (the translation, marked safe where the template escapes, then always %-formatted with the
    values escaped), without its two `Context.call`s around the catalogue and the `_` alias that
    looks `gettext` up again: about ten Python calls a string, and a page has about 40 strings."""

    @pass_context
    def gettext(context: Context, string: str, /, **variables: Any) -> str:
        text = catalogue().ugettext(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 - a translation of a template's own string, as Jinja marks it
        # Without values or a "%", formatting gives the same text back, at ~4 Python calls for
        # `Markup`'s escaping helper: about 25 of a page's strings are such.
        return text % variables if variables or "%" in text else text

    return gettext


def absolute(path: str) -> str:
    """A path on this site as an absolute address, from BASE_URL (hreflang needs absolute URLs)."""
    return current_app.config["BASE_URL"].rstrip("/") + path


def _set_content_language(response: Response) -> Response:
    """Say which language a page is in; the page depends on its URL alone, so nothing is added to Vary."""
    if response.mimetype in TRANSLATED_MIMETYPES:
        response.headers["Content-Language"] = current_language()
    return response


def _take_language(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values is not None and LANG_ARG in values:
        setattr(g, LANG_ARG, values.pop(LANG_ARG))


def _keep_language(endpoint: str, values: dict[str, Any]) -> None:
    """`url_for` on a localized endpoint builds the URL in the language being rendered."""
    if LANG_ARG not in values and current_app.url_map.is_endpoint_expecting(endpoint, LANG_ARG):
        values[LANG_ARG] = current_language()


def init_app(app: Flask, translations: Path) -> None:
    """Before the blueprints are registered: the converter their localized rules use."""
    app.config["LANGUAGES"] = parse_languages(app.config["LANGUAGES"])
    _check_catalogues(app, translations)
    app.url_map.converters["lang"] = _converter_for(configured_languages(app))
    babel.init_app(
        app,
        default_locale=default_language(app),
        default_translation_directories=str(translations),
        locale_selector=_select_locale,
    )
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.extensions[PAGE_PATHS] = {}
    kept = app.extensions[KEPT_CATALOGUE] = kept_catalogue()
    app.jinja_env.install_gettext_callables(  # as Flask-Babel installs them, with the catalogue kept
        gettext=lambda s: kept().ugettext(s),
        ngettext=lambda s, p, n: kept().ungettext(s, p, n),
        pgettext=lambda c, s: kept().upgettext(c, s),
        npgettext=lambda c, s, p, n: kept().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals["_"] = app.jinja_env.globals["gettext"] = template_gettext(kept)
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.globals["absolute_url"] = absolute
    app.jinja_env.globals["page_address"] = page_address
    app.jinja_env.globals["localized"] = translated
    app.url_value_preprocessor(_take_language)
    app.url_defaults(_keep_language)
    app.context_processor(_template_context)
    app.after_request(_set_content_language)
