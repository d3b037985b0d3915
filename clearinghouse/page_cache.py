"""The public answers' cache: anonymous GET answers kept and served again, never stale.

What is kept: the 200 answers of every GET route of a public blueprint (each `LocalizedBlueprint`
unless it says `cached=False`, and the plain blueprints passed to `serve_public`: the CSV) to a
request without a session or remember-me cookie: HTML pages in every language, the JSON API,
CSV, the Atom feed, reports. A view opts out with `@never_cached`. An answer is not kept when it
sets a cookie (a CSRF token put in a new session), carries a flash, is not a 200, sends a stored
file, is bigger than PAGE_CACHE_ENTRY_MAX_MB, or was made by a request that wrote to the database.
A streamed answer (the CSV export) goes to the reader chunk by chunk; a copy is kept only while it
stays within PAGE_CACHE_ENTRY_MAX_MB, so a large export never sits whole in a worker's memory.

The key (`answer_key`): the code and the settings that shape pages (`fingerprint`), the data
version and its epoch (`data_version`: bumped by triggers in the same transaction as any public
change), the district's date (states derive from it; a new day is a new key), the scheme, the
language, the path and the query string, normalised: parameters sorted by name (keeping the order
of a repeated one's values), and on pages (not on the API or the CSV, where `?page=` is an error
and no page) blank values dropped. Unknown parameters stay, so two different answers never share
a key; a change anywhere moves every key at once, so nothing is ever invalidated by hand.

A hit is served here, in WSGI middleware, before Flask: one small query (the version, its epoch
and the district's time zone) and one store lookup. On PostgreSQL a miss's statements then run on
the connection that read the version (`VersionReader`). Headers are stored with the body, so a
cached answer carries the same security headers, `Content-Language`, `Vary`, `ETag` and
`Cache-Control` as the first one; `If-None-Match` is answered with 304 from them.

Never stale downstream either: every public answer to an anonymous reader (pages, API, CSV, Atom,
reports, agreement documents) says `Cache-Control: no-cache` and carries an `ETag` (a hash of the
body; for a streamed answer, of its cache key, which holds the data version), so a browser or a
shared cache may keep it but asks again each time, and gets a 304 while nothing changed.
`If-Modified-Since` alone never earns a 304 (`revalidated`): a `Last-Modified` taken from the rows
an answer shows cannot see a row that left it (a product retired from a list).

Where: in the worker's memory (`BoundedMemoryCache`, least recently used out first, within
PAGE_CACHE_MAX_MB) by default; in Redis when REDIS_URL is set, shared by every worker and host.
When Redis fails, the answer is made as if there were no cache, and Redis is left alone for
REDIS_RETRY_SECONDS: pages are slower, never wrong and never an error.
"""

import functools
import hashlib
import logging
import pickle
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import click
import sqlalchemy as sa
from cachelib.redis import RedisCache
from cachelib.serializers import BaseSerializer
from flask import Blueprint, Flask, Response, current_app, g, has_request_context, request, session
from flask.cli import AppGroup, with_appcontext
from flask.globals import _cv_app, _cv_request  # the contexts themselves (see `kept_part`)
from flask_caching import Cache
from flask_caching.backends.base import BaseCache
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.http import http_date
from werkzeug.wrappers import Response as WerkzeugResponse

from clearinghouse import data_version, request_log, timeutil
from clearinghouse.config import database_connect_args
from clearinghouse.extensions import REQUEST_CONNECTION, db, set_outside_transaction
from clearinghouse.i18n import LANG_ARG, configured_languages, current_language, is_localized_rule

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# What the pages are made of: a new deployment (code, templates, catalogues, static files) is a new key.
FINGERPRINTED = (("clearinghouse", "*.py"), ("templates", "*"), ("translations", "*.mo"), ("static", "*"))
# The settings that change what a public page says (read per request: tests change them at run time).
PAGE_SETTINGS = ("LANGUAGES", "PAGE_SIZE", "BASE_URL", "PREFERRED_URL_SCHEME", "OIDC_ISSUER", "MAX_UPLOAD_MB")
SIGNED_IN_COOKIES = ("SESSION_COOKIE_NAME", "REMEMBER_COOKIE_NAME")
REMEMBER_COOKIE_DEFAULT = "remember_token"
CONDITIONAL_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")
# Whatever can make `make_conditional` answer other than 200 (`revalidated`).
CONDITIONS = (*CONDITIONAL_HEADERS, "HTTP_IF_MATCH", "HTTP_IF_RANGE", "HTTP_RANGE", "HTTP_IF_UNMODIFIED_SINCE")
# What every public answer to an anonymous reader says: anyone may keep it, but must ask again before
# using it (with its ETag), so nobody is shown an answer older than the last change.
PUBLIC_CACHE_CONTROL = "no-cache"
ROUTE_MEMO = 10_000  # paths whose route the middleware remembers
EXTENSION = "clearinghouse_page_cache"
ENVIRON_KEY = "clearinghouse.page_cache.key"  # the key a miss will be stored under
ENVIRON_STORE = "clearinghouse.page_cache.store"  # set by Flask when the answer may be stored
ENVIRON_VERSION = "clearinghouse.page_cache.version"  # (version, epoch, date) read for this request
MEMO_MAX = 256  # results `memoized_on_version` keeps per worker
_WROTE = "page_cache_wrote"  # g: this request flushed or committed database writes


# --- Which routes ----------------------------------------------------------------------------


def serve_public(blueprint: Blueprint) -> Blueprint:
    """Keep the anonymous GET answers of a plain (not localized) public blueprint: the CSV."""
    blueprint.public_answers = True  # type: ignore[attr-defined]
    return blueprint


def never_cached(view: Callable) -> Callable:
    """A public view whose answers must always be made afresh."""
    view.never_cached = True  # type: ignore[attr-defined]
    return view


def cacheable_endpoints(app: Flask) -> frozenset[str]:
    """Every GET endpoint of a public blueprint that does not opt out."""
    endpoints = set()
    for rule in app.url_map.iter_rules():
        blueprint = app.blueprints.get(rule.endpoint.rpartition(".")[0]) if "." in rule.endpoint else None
        view = app.view_functions.get(rule.endpoint)
        if (
            blueprint is not None
            and getattr(blueprint, "public_answers", False)
            and "GET" in (rule.methods or ())
            and not getattr(view, "never_cached", False)
        ):
            endpoints.add(rule.endpoint)
    return frozenset(endpoints)


# --- The key ---------------------------------------------------------------------------------


def fingerprint(root: Path = PROJECT_ROOT) -> str:
    """A digest of the files pages are made from: hosts running the same release share answers."""
    digest = hashlib.sha256()
    for folder, pattern in FINGERPRINTED:
        for path in sorted((root / folder).rglob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def normalized_query(query_string: str, *, drop_blank: bool) -> str:
    """Parameters sorted by name (a repeated one keeps its values' order), optionally without blank
    values; bytes that are not UTF-8 are kept as they came, so different queries stay different."""
    pairs = parse_qsl(query_string, keep_blank_values=True, errors="surrogateescape")
    if drop_blank:
        pairs = [(name, value) for name, value in pairs if value.strip()]
    pairs.sort(key=lambda pair: pair[0])
    return "&".join(f"{len(name)}:{name}={value}" for name, value in pairs)


def answer_key(
    *,
    release: str,
    settings: tuple,
    version: int,
    epoch: str,
    today: str,
    scheme: str,
    language: str,
    path: str,
    query: str,
) -> str:
    parts = (release, repr(settings), str(version), epoch, today, scheme, language, path, query)
    raw = "\x1f".join(parts).encode("utf-8", "surrogateescape")
    return "page:" + hashlib.sha256(raw).hexdigest()[:40]


# --- The stores --------------------------------------------------------------------------------


class BoundedMemoryCache(BaseCache):
    """In the worker's memory, within `max_bytes`: least recently used out first.

    Values are bytes (the middleware stores pickled answers), so their size is what they hold; each
    entry also counts ENTRY_OVERHEAD for its key, the dictionary's slot and the tuple around it, so
    that many small answers (API details) cannot hold much more than the bound.
    """

    ENTRY_OVERHEAD = 320  # bytes: a 45-character key (~100), an OrderedDict node (~100), a tuple and a float

    def __init__(self, max_bytes: int, default_timeout: int = 300) -> None:
        super().__init__(default_timeout=default_timeout)
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def factory(cls, app: Flask, config: dict, args: list, kwargs: dict) -> "BoundedMemoryCache":
        return cls(int(config["PAGE_CACHE_MAX_MB"] * 1024 * 1024), kwargs.get("default_timeout", 300))

    def get(self, key: str) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            expires, value = item
            if expires and expires < time.time():
                self._drop(key)
                return None
            self._items.move_to_end(key)
            return value

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool:
        if not isinstance(value, bytes) or len(value) + self.ENTRY_OVERHEAD > self.max_bytes:
            return False
        timeout = self._normalize_timeout(timeout)
        expires = time.time() + timeout if timeout else 0.0
        with self._lock:
            self._drop(key)
            self._items[key] = (expires, value)
            self.size += len(value) + self.ENTRY_OVERHEAD
            while self.size > self.max_bytes:
                self._drop(next(iter(self._items)))
        return True

    def add(self, key: str, value: Any, timeout: int | None = None) -> bool:
        return False if self.has(key) else self.set(key, value, timeout)

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._drop(key)

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def clear(self) -> bool:
        with self._lock:
            self._items.clear()
            self.size = 0
        return True

    def __len__(self) -> int:
        return len(self._items)

    def _drop(self, key: str) -> bool:
        item = self._items.pop(key, None)
        if item is None:
            return False
        self.size -= len(item[1]) + self.ENTRY_OVERHEAD
        return True

    def _normalize_timeout(self, timeout: int | None) -> int:
        return self.default_timeout if timeout is None else timeout


class StoredAsIs(BaseSerializer):
    """The page cache's values are bytes already (pickled answers, encoded pieces): Redis keeps them as they
    are, not pickled a second time behind a marker, and gives them back as they were (None when missing)."""

    def dumps(self, value: bytes, protocol: int = pickle.HIGHEST_PROTOCOL) -> bytes:
        return value

    def loads(self, bvalue: bytes | None) -> bytes | None:
        return bvalue


# Several keys set in one command, each with the same lifetime in seconds (ARGV[1]; none when not positive).
SET_EACH = """
local seconds = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  if seconds > 0 then redis.call('SET', key, ARGV[i + 1], 'EX', seconds) else redis.call('SET', key, ARGV[i + 1]) end
end
return #KEYS
"""


class RedisStore(RedisCache):
    """The page cache in Redis: values stored as they are (`StoredAsIs`), and `set_many` in one command (a
    Lua script run by its digest) instead of one SET each in a pipeline, which cost the worker a command to
    pack and a reply to parse per key: a directory page's twenty cards cost 0.68 ms of its CPU that way and
    0.17 ms this way (with hiredis parsing the replies; bench/redis_store.py)."""

    serializer = StoredAsIs()

    def __init__(self, client: Any, default_timeout: int) -> None:
        super().__init__(host=client, default_timeout=default_timeout, key_prefix="clearinghouse:")
        self._set_each = client.register_script(SET_EACH)

    def set_many(self, mapping: dict[str, Any], timeout: int | None = None) -> list[Any]:
        if not mapping:
            return []
        prefix = self._get_prefix()
        self._set_each(
            keys=[f"{prefix}{key}" for key in mapping], args=[self._normalize_timeout(timeout), *mapping.values()]
        )
        return list(mapping)


def redis_store(app: Flask, config: dict, args: list, kwargs: dict) -> RedisStore:
    """Redis at REDIS_URL, with short timeouts: a cache that answers slowly is worse than none."""
    import redis  # third-party, needed only with Redis

    seconds = config["REDIS_TIMEOUT_SECONDS"]
    client = redis.from_url(config["REDIS_URL"], socket_timeout=seconds, socket_connect_timeout=seconds)
    return RedisStore(client, default_timeout=kwargs.get("default_timeout", 300))


# --- The middleware ------------------------------------------------------------------------------


# psycopg's count of a statement's runs before it prepares it by itself, out of reach: a statement is prepared only
# when its run asks (`prepare=True`).
NEVER_BY_COUNT = sys.maxsize


class VersionReader:
    """Reads the data version: one statement, in autocommit (each read sees the latest commit), on a
    connection each thread holds for its reads (a gunicorn sync worker: one), with its cursor: no
    pool checkout, pre-ping or reset around each read. A held connection that fails (the server
    closed it while it sat idle) is dropped and the read made again on a new one, so that costs no
    answer its cache; a new connection that fails raises.

    On PostgreSQL the page cache lends the connection to the anonymous public answer whose version it
    has just read (`lent`, through `extensions.RequestSession`): such an answer only reads, and under
    READ COMMITTED every statement takes its own snapshot anyway, so its statements see in autocommit
    what they would in a transaction, each at least as new as the version its key holds, without a
    pool checkout, a pre-ping (the version's read has just found the connection alive), a BEGIN or a
    ROLLBACK. Its sessions are read-only (`default_transaction_read_only`): a write made there fails
    instead of committing statement by statement. And it prepares no statement by itself: psycopg
    would after five runs on a connection no ROLLBACK ever clears, and PostgreSQL could then plan a
    search without its words; only the version's own read is prepared, by request. (psycopg's threshold is
    set out of reach, not to None: None turns preparing off, the version's request included.)"""

    def __init__(self, url: str, connect_args: dict[str, Any] | None = None) -> None:
        self.url = url
        self.lends = sa.make_url(url).get_backend_name() == "postgresql"
        self.connect_args = dict(connect_args or {})
        if self.lends:  # psycopg prepares nothing by itself on the reader's connections (see above)
            self.connect_args["prepare_threshold"] = NEVER_BY_COUNT
        self._execute_options = {"prepare": True} if self.lends else {}
        self._engine: sa.Engine | None = None
        self._lock = threading.Lock()
        self._held = threading.local()  # .connection: (Connection, its DBAPI cursor)

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    engine = sa.create_engine(
                        self.url,
                        isolation_level="AUTOCOMMIT",
                        pool_pre_ping=False,
                        pool_reset_on_return=None,
                        pool_size=2,
                        max_overflow=8,
                        connect_args=self.connect_args,
                    )
                    if self.lends:
                        event.listen(engine, "connect", _read_only_sessions)
                    self._engine = engine
        return self._engine

    def read(self) -> tuple[int, str, str | None]:
        held = getattr(self._held, "connection", None)
        row = None
        if held is not None and not held[0].invalidated:  # invalidated: a request's statement lost it
            try:
                row = self._read_on(held)
            except Exception as err:  # closed by the server while idle, or broken: once more on a new one
                log.info("The data version's connection failed (%s); reading on a new one", err)
                held = None
        else:
            held = None
        if held is None:
            self._drop()
            held = self._open()
            try:
                row = self._read_on(held)
            except Exception:
                self._drop()
                raise
        if row is None:
            raise LookupError(f"The {data_version.TABLE} table has no row: run the migrations.")
        return int(row[0]), str(row[1]), row[2]

    def lent(self) -> sa.Connection:
        """The connection this thread has just read the version on, for the request to read with."""
        return self._held.connection[0]

    def _open(self) -> tuple[sa.Connection, Any]:
        connection = self.engine.connect()  # connected with the engine's events (no JIT, read-only)
        connection.detach()  # this thread's own from now on, out of the pool
        held = self._held.connection = (connection, connection.connection.dbapi_connection.cursor())
        return held

    def _read_on(self, held: tuple[sa.Connection, Any]) -> Any:
        cursor = held[1]
        cursor.execute(data_version.READ_SQL, **self._execute_options)
        return cursor.fetchone()

    def _drop(self) -> None:
        held = getattr(self._held, "connection", None)
        self._held.connection = None
        if held is not None:
            try:
                held[0].close()
            except Exception:  # already broken: nothing more to release
                log.debug("Closing the data version's connection failed", exc_info=True)

    def dispose(self) -> None:
        self._drop()
        if self._engine is not None:
            self._engine.dispose()


def _read_only_sessions(dbapi_connection: Any, connection_record: Any) -> None:
    """Every transaction of the connection read-only, the statements run in autocommit included."""
    set_outside_transaction(dbapi_connection, "SET default_transaction_read_only = on")


class PageCache:
    """WSGI middleware around Flask's own: answers hits, stores the misses Flask marks storable."""

    def __init__(self, app: Flask, wsgi_app: Callable, store: BaseCache, reader: VersionReader) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.store = store
        self.reader = reader
        self.release = fingerprint()
        self.shared = bool(app.config["REDIS_URL"])
        # With Redis, a bounded copy in the worker's memory too: a key names one answer for good
        # (it holds the data version), so a copy is never stale, and a hot page costs no Redis trip.
        self.near = BoundedMemoryCache(int(app.config["PAGE_CACHE_MAX_MB"] * 1024 * 1024)) if self.shared else None
        self.retry_seconds = app.config["REDIS_RETRY_SECONDS"]
        self.entry_max = int(app.config["PAGE_CACHE_ENTRY_MAX_MB"] * 1024 * 1024)
        self.timeout = app.config["PAGE_CACHE_SECONDS"]
        self._endpoints: frozenset[str] | None = None
        self._routes: dict[str, tuple[bool, str | None] | None] = {}
        self._store_down_until = 0.0
        self._version_warned_until = 0.0
        self.hits = self.misses = self.stored = 0
        self.parts: dict[tuple[str, str, str], Markup] = {}  # `kept_part`'s pieces of the layout

    # The routes are all registered after create_app; the first request reads them.
    @property
    def endpoints(self) -> frozenset[str]:
        if self._endpoints is None:
            self._endpoints = cacheable_endpoints(self.app)
        return self._endpoints

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD") or not self.app.config["PAGE_CACHE"] or self._signed_in(environ):
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        key = self._key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        entry = self._get(key)
        if entry is not None:
            self.hits += 1
            return self._serve(entry, environ, start_response, started)
        self.misses += 1
        if self.reader.lends:
            environ[REQUEST_CONNECTION] = self.reader.lent()
        if method != "GET":
            return self.wsgi_app(environ, start_response)
        environ[ENVIRON_KEY] = key
        return self._make_and_store(key, environ, start_response)

    def _signed_in(self, environ: dict) -> bool:
        """Any session or remember-me cookie (a signed-in reader, or a form's CSRF token): no cache."""
        cookies = environ.get("HTTP_COOKIE")
        if not cookies:
            return False
        config = self.app.config
        names = (
            config.get("SESSION_COOKIE_NAME") or "session",
            config.get("REMEMBER_COOKIE_NAME") or REMEMBER_COOKIE_DEFAULT,
        )
        return any(f"{name}=" in cookies for name in names)

    def _route(self, path: str, environ: dict) -> tuple[bool, str | None] | None:
        """(whether blank query values are dropped, the language) for a cacheable route; None otherwise.
        Remembered per path (the query string plays no part in matching), up to ROUTE_MEMO paths."""
        route = self._routes.get(path, False)
        if route is not False:
            return route
        route = None
        try:
            rule, values = self.app.url_map.bind_to_environ(environ).match(return_rule=True)
        except Exception:  # no route, a redirect, a 405, a converter refusing a value: Flask answers
            rule = None
        if rule is not None and rule.endpoint in self.endpoints:
            route = (is_localized_rule(rule), values.get(LANG_ARG))
        if len(self._routes) < ROUTE_MEMO:
            self._routes[path] = route
        return route

    def _key(self, environ: dict) -> str | None:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        route = self._route(path, environ)
        if route is None:
            return None
        is_page, language = route
        try:
            version, epoch, zone_name = self.reader.read()
        except Exception:  # the database is down or not migrated: Flask answers as it would without a cache
            if time.monotonic() >= self._version_warned_until:
                log.warning("The data version could not be read; answering without the cache", exc_info=True)
                self._version_warned_until = time.monotonic() + 60
            return None
        config = self.app.config
        languages = configured_languages(self.app)
        today = timeutil.zoned_today(zone_name).isoformat()
        environ[ENVIRON_VERSION] = (version, epoch, today)
        return answer_key(
            release=self.release,
            settings=tuple(repr(config.get(name)) for name in PAGE_SETTINGS),
            version=version,
            epoch=epoch,
            today=today,
            scheme=environ.get("wsgi.url_scheme", "http"),
            language=language or languages[0],
            path=path,
            query=normalized_query(environ.get("QUERY_STRING", ""), drop_blank=is_page),
        )

    def _get(self, key: str) -> tuple[str, list[tuple[str, str]], bytes] | None:
        raw = self.near.get(key) if self.near is not None else None
        if raw is None and not (self.shared and time.monotonic() < self._store_down_until):
            try:
                raw = self.store.get(key)
            except Exception:
                self._store_failed("read")
            if raw is not None and self.near is not None:
                self.near.set(key, raw, timeout=self.timeout)
        return pickle.loads(raw) if raw is not None else None  # noqa: S301 - written by this class only

    def _set(self, key: str, entry: tuple[str, list[tuple[str, str]], bytes]) -> None:
        raw = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
        self.stored += 1
        if self.near is not None:
            self.near.set(key, raw, timeout=self.timeout)
        if self.shared and time.monotonic() < self._store_down_until:
            return
        try:
            self.store.set(key, raw, timeout=self.timeout)
        except Exception:
            self._store_failed("write")

    def fragment_prefix(self, kind: str, stamp: tuple[int, str, str]) -> str:
        """The key of a shared piece of HTML (`fragments_on_version`) but its id: what the key of a
        whole answer holds that can change the piece (its URLs take the script root)."""
        version, epoch, today = stamp
        config = self.app.config
        parts = (
            self.release,
            repr(tuple(repr(config.get(name)) for name in PAGE_SETTINGS)),
            str(version),
            epoch,
            today,
            request.script_root,
            current_language(),
            kind,
        )
        return "fragment:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32] + ":"

    def get_fragments(self, keys: list[str]) -> list[bytes | None]:
        found: list[bytes | None] = [None] * len(keys)
        if self.near is not None:
            found = [self.near.get(key) for key in keys]
        wanted = [position for position, raw in enumerate(found) if raw is None]
        if not wanted or (self.shared and time.monotonic() < self._store_down_until):
            return found
        try:
            fetched = self.store.get_many(*(keys[position] for position in wanted))
        except Exception:
            self._store_failed("read")
            return found
        for position, raw in zip(wanted, fetched, strict=True):
            if raw is not None:
                found[position] = raw
                if self.near is not None:
                    self.near.set(keys[position], raw, timeout=self.timeout)
        return found

    def set_fragments(self, pieces: dict[str, bytes]) -> None:
        if self.near is not None:
            for key, raw in pieces.items():
                self.near.set(key, raw, timeout=self.timeout)
        if self.shared and time.monotonic() < self._store_down_until:
            return
        try:
            self.store.set_many(pieces, timeout=self.timeout)
        except Exception:
            self._store_failed("write")

    def _store_failed(self, what: str) -> None:
        if time.monotonic() >= self._store_down_until:
            log.warning("The page cache could not %s Redis; answering without it for %ss", what, self.retry_seconds)
        self._store_down_until = time.monotonic() + self.retry_seconds

    def _serve(self, entry: tuple, environ: dict, start_response: Callable, started: float) -> Iterable[bytes]:
        status, headers, body = entry
        if any(name in environ for name in CONDITIONAL_HEADERS) or environ["REQUEST_METHOD"] == "HEAD":
            response = WerkzeugResponse(body, status=status, headers=headers)
            revalidated(response, environ)
            result = response(environ, start_response)
            status = response.status
        else:
            start_response(status, headers)
            result = [body]
        duration = (time.perf_counter() - started) * 1000
        path = environ.get("PATH_INFO", "").encode("latin-1", "replace").decode("utf-8", "replace")
        request_log.log_request(environ["REQUEST_METHOD"], path, int(status[:3]), duration)
        return result

    def _make_and_store(self, key: str, environ: dict, start_response: Callable) -> Iterable[bytes]:
        answer: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
            answer["status"], answer["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, capture)
        headers = answer.get("headers") or []
        if (
            not environ.get(ENVIRON_STORE)
            or not answer.get("status", "").startswith("200")
            or any(name.lower() == "set-cookie" for name, _ in headers)
        ):
            return result
        if not any(name.lower() == "content-length" for name, _ in headers):  # streamed: pass it on as it comes
            return self._stream_and_keep(key, answer["status"], list(headers), result)
        try:
            body = b"".join(result)
        finally:
            _close(result)
        if len(body) <= self.entry_max:
            self._set(key, (answer["status"], list(headers), body))
        return [body]

    def _stream_and_keep(
        self, key: str, status: str, headers: list[tuple[str, str]], result: Iterable[bytes]
    ) -> Iterator[bytes]:
        """Each chunk to the reader as it is made; a copy is kept while it stays within PAGE_CACHE_ENTRY_MAX_MB
        (beyond, the copy is dropped and the rest only streamed), and stored once the last chunk is sent."""
        kept: list[bytes] | None = []
        size = 0
        try:
            for chunk in result:
                if kept is not None:
                    size += len(chunk)
                    if size > self.entry_max:
                        kept = None
                    else:
                        kept.append(chunk)
                yield chunk
        finally:
            _close(result)
        # Reached only when every chunk went out (a reader who hangs up closes this generator first).
        if kept is not None:
            self._set(key, (status, headers, b"".join(kept)))


def _close(result: Iterable[bytes]) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


def revalidated(response: WerkzeugResponse, environ: dict) -> WerkzeugResponse:
    """The answer, or a 304 when the reader's `If-None-Match` names its ETag. `If-Modified-Since` is not
    enough: the Last-Modified of a list is its shown rows' latest change, blind to a row that left it."""
    if environ["REQUEST_METHOD"] in ("GET", "HEAD") and not any(name in environ for name in CONDITIONS):
        # What `make_conditional` does to a GET or HEAD that asks nothing: a Date, and the length.
        headers = response.headers
        if "Date" not in headers:
            headers["Date"] = http_date()
        if response.automatically_set_content_length and "Content-Length" not in headers:
            length = response.calculate_content_length()
            if length is not None:
                headers["Content-Length"] = str(length)
        return response
    if "HTTP_IF_MODIFIED_SINCE" in environ:
        environ = {name: value for name, value in environ.items() if name != "HTTP_IF_MODIFIED_SINCE"}
    return response.make_conditional(environ)


# --- Inside Flask: shared reads, ETags, and whether an answer may be stored ----------------------

_memo: dict[tuple, Any] = {}
_memo_stamp: dict[str, tuple] = {}  # the (version, epoch, date) whose results `_memo` holds


def reads_shared() -> bool:
    """Whether this request's shared reads are kept per data version (`memoized_on_version`): an
    anonymous GET whose version the cache read."""
    return has_request_context() and request.environ.get(ENVIRON_VERSION) is not None


def memoized_on_version(read: Callable) -> Callable:
    """Keep a read that many public answers share (the directory's filter lists), per data version,
    date and language, in the worker, for the anonymous requests whose version the cache read; any
    other request (signed in, a write) reads afresh. What it returns is shared: never change it.

    Only the newest version's results are kept: a newer version empties the memo, so that the results
    of versions no request will read again do not pile up in the worker beside the page cache."""

    @functools.wraps(read)
    def memoized(*args: Any) -> Any:
        stamp = request.environ.get(ENVIRON_VERSION) if has_request_context() else None
        if stamp is None:
            return read(*args)
        key = (read.__module__, read.__qualname__, args, stamp, current_language())
        try:
            return _memo[key]
        except KeyError:
            pass
        value = read(*args)
        if len(_memo) >= MEMO_MAX or _memo_stamp.get("stamp") != stamp:
            _memo.clear()
            _memo_stamp["stamp"] = stamp
        _memo[key] = value
        return value

    return memoized


def fragments_on_version(kind: str, ids: Sequence[Hashable], make: Callable[[list[int]], list[str]]) -> list[str]:
    """Pieces of HTML that many public answers share (a product's card in every list it appears in),
    each made once per id, data version, district date, language and release, and kept in the
    page cache's store (so in Redis, for every worker and host, when REDIS_URL is set): fetched
    together, and only the missing ones made, by `make(positions)` (the strings for those
    positions of `ids`, in order). A request whose version the cache did not read (signed in, a
    write, the cache off) makes them all; a store that fails makes them all too."""
    stamp = request.environ.get(ENVIRON_VERSION) if has_request_context() else None
    cache: PageCache | None = current_app.extensions.get(EXTENSION)
    if stamp is None or cache is None or not ids:
        return make(list(range(len(ids))))
    prefix = cache.fragment_prefix(kind, stamp)
    keys = [f"{prefix}{id_}" for id_ in ids]
    found = cache.get_fragments(keys)
    missing = [position for position, raw in enumerate(found) if raw is None]
    if not missing:
        return [raw.decode() for raw in found]  # type: ignore[union-attr]
    made = make(missing)
    pieces = [raw.decode() if raw is not None else "" for raw in found]
    for position, piece in zip(missing, made, strict=True):
        pieces[position] = piece
    cache.set_fragments({keys[position]: piece.encode() for position, piece in zip(missing, made, strict=True)})
    return pieces


LAYOUT_PARTS_MAX = 1_000  # pieces of the layout a worker keeps (`kept_part`)
ENVIRON_PARTS = "clearinghouse.page_cache.parts"  # this request's `fragment_prefix` for the layout


def kept_part(kind: str, caller: Callable[[], Markup]) -> Markup:
    """A fixed piece of the layout (`{% call kept_part("footer") %}…{% endcall %}` in a template):
    drawn once per worker for each data version, district date, release, page settings, script root
    and language (the key of `fragments_on_version`'s pieces), and `kind`, which names whatever else
    the piece depends on (the page's endpoint for the navigation's current link). Only the requests
    whose version the cache read (anonymous GETs) use it; any other draws the piece afresh, so a
    signed-in page never gets a piece kept for anonymous readers. The piece must depend on nothing
    else: not on the reader, the path or the query string. Kept in the worker, not in the store: it
    is a few hundred bytes that every page needs, and a trip to Redis would cost more than it saves."""
    # The request's context read from Flask's context variables, not through three proxies for each of
    # the layout's seven pieces (as `i18n._rendering` reads the app context).
    context = _cv_request.get(None)
    environ = context.request.environ if context is not None else None
    stamp = environ.get(ENVIRON_VERSION) if environ is not None else None
    cache: PageCache | None = context.app.extensions.get(EXTENSION) if stamp is not None else None  # type: ignore[union-attr]
    # A page drawn while the database is down (errors.py's 503) has the default settings: never kept.
    if cache is None or _cv_app.get().g.get("database_unavailable"):
        return caller()
    prefix = environ.get(ENVIRON_PARTS)  # type: ignore[union-attr]
    if prefix is None:
        prefix = environ[ENVIRON_PARTS] = cache.fragment_prefix("layout", stamp)  # type: ignore[index,arg-type]
    key = (prefix, current_language(), kind)
    try:
        return cache.parts[key]
    except KeyError:
        pass
    part = caller()
    if len(cache.parts) >= LAYOUT_PARTS_MAX:
        cache.parts.clear()
    cache.parts[key] = part
    return part


def _note_write(session_: Session, *_: Any) -> None:
    if has_request_context():
        g.setdefault(_WROTE, True)


event.listen(Session, "after_flush", _note_write)
event.listen(Session, "after_commit", _note_write)


def _public_answer(response: Response) -> Response:
    """Anonymous GET answers of public routes: an ETag, `no-cache` and revalidation; mark the storable."""
    if request.method not in ("GET", "HEAD") or request.endpoint is None:
        return response
    cache: PageCache | None = current_app.extensions.get(EXTENSION)
    if cache is None or request.endpoint not in cache.endpoints or current_user.is_authenticated:
        return response
    if response.status_code in (200, 304):  # a 304 says what the 200 would have (RFC 9110, 15.4.5)
        if response.status_code == 200 and not response.get_etag()[0]:
            if not (response.is_streamed or response.direct_passthrough):
                response.add_etag()
            elif ENVIRON_KEY in request.environ:  # its body is not here to hash: its key names it
                response.set_etag(request.environ[ENVIRON_KEY].removeprefix("page:"))
        response.headers["Cache-Control"] = PUBLIC_CACHE_CONTROL
        revalidated(response, request.environ)
    if (
        ENVIRON_KEY in request.environ
        and response.status_code == 200
        and not response.direct_passthrough
        and not g.get(_WROTE)
        and "_flashes" not in session
    ):
        request.environ[ENVIRON_STORE] = True
    return response


page_cache_cli = AppGroup("page-cache", help="The public answers' cache.")


@page_cache_cli.command("reset")
@with_appcontext
def reset_command() -> None:
    """Put every answer any cache holds out of reach (after restoring the database from a backup)."""
    with db.engine.begin() as conn:
        conn.exec_driver_sql(data_version.reset_epoch_statement(data_version.new_epoch()))
    current_app.extensions[EXTENSION].store.clear()
    click.echo("The page cache starts afresh: a new epoch, and this process's store emptied.")


def init_app(app: Flask) -> None:
    """After the blueprints and every other after-request hook: wrap the WSGI app."""
    if app.config["REDIS_URL"]:
        cache_config = {"CACHE_TYPE": f"{__name__}.redis_store"}
    else:
        cache_config = {"CACHE_TYPE": f"{__name__}.BoundedMemoryCache"}
    cache_config["CACHE_DEFAULT_TIMEOUT"] = app.config["PAGE_CACHE_SECONDS"]
    cache = Cache()
    cache.init_app(app, config={**app.config, **cache_config})
    store = app.extensions["cache"][cache]
    reader = VersionReader(app.config["SQLALCHEMY_DATABASE_URI"], database_connect_args(app.config))
    page_cache = PageCache(app, app.wsgi_app, store, reader)
    app.extensions[EXTENSION] = page_cache
    app.wsgi_app = page_cache  # type: ignore[method-assign]
    # Registered first among after-request hooks it would run last; registered now, it runs first:
    # it only adds an ETag and Cache-Control, which no other hook touches.
    app.after_request(_public_answer)
    app.jinja_env.globals["kept_part"] = kept_part
    app.cli.add_command(page_cache_cli)


def page_cache_of(app: Flask) -> PageCache:
    return app.extensions[EXTENSION]
