"""Which answers the cache keeps: every new public route without work; nothing that sets a cookie,
carries a flash, fails, or wrote to the database; nothing of a route that opts out or is not public."""

import itertools

import pytest
from flask import Blueprint, abort, flash, make_response

from clearinghouse import page_cache
from clearinghouse.app import create_app
from clearinghouse.extensions import unit_of_work
from clearinghouse.i18n import LocalizedBlueprint
from clearinghouse.settings.services import ensure_settings
from clearinghouse.timeutil import utcnow

probe = LocalizedBlueprint("probe", __name__, url_prefix="/probe")
private = Blueprint("private_probe", __name__, url_prefix="/private-probe")
answers = itertools.count()


@probe.get("/plain")
def plain():
    return f"answer {next(answers)}"


@probe.get("/json", localized=False)
def json_answer():
    return {"answer": next(answers)}


@probe.get("/cookie")
def cookie():
    response = make_response(f"answer {next(answers)}")
    response.set_cookie("chosen", "yes")
    return response


@probe.get("/flash")
def flashes():
    flash("Saved.")
    return f"answer {next(answers)}"


@probe.get("/missing")
def missing():
    return f"answer {next(answers)}", 404


@probe.get("/error")
def error():
    next(answers)
    abort(500)


@probe.get("/writes")
def writes():
    with unit_of_work():
        ensure_settings().district_name = f"District {next(answers)} {utcnow().isoformat()}"
    return f"answer {next(answers)}"


@probe.get("/never")
@page_cache.never_cached
def never():
    return f"answer {next(answers)}"


@private.get("/plain")
def private_plain():
    return f"answer {next(answers)}"


@pytest.fixture(scope="module")
def probed(app, database_url, tmp_path_factory):
    """The site with the probe routes added (a route another change adds, for the cache to find by itself)."""
    probed = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_DIR": str(tmp_path_factory.mktemp("files")),
            "BASE_URL": "http://localhost",
        }
    )
    probed.register_blueprint(probe)
    probed.register_blueprint(private)
    yield probed
    page_cache.page_cache_of(probed).reader.dispose()


def twice(app, url: str) -> tuple[bytes, bytes]:
    """Both answers' bodies, and how many times the view ran for them."""
    client = app.test_client()
    before = next(answers)
    first, second = client.get(url), client.get(url)
    return first.get_data(), second.get_data(), next(answers) - before - 1


@pytest.mark.parametrize("url", ["/probe/plain", "/es/probe/plain", "/probe/json"])
def test_a_new_public_route_is_cached_without_any_work(probed, url):
    first, second, made = twice(probed, url)
    assert (first, made) == (second, 1)


@pytest.mark.parametrize(
    "url",
    ["/probe/cookie", "/probe/flash", "/probe/missing", "/probe/error", "/probe/writes", "/probe/never",
     "/private-probe/plain"],
)  # fmt: skip
def test_answers_that_must_not_be_kept_are_made_each_time(probed, url):
    made = twice(probed, url)[2]
    assert made >= 2


def test_a_reader_with_a_session_cookie_is_answered_afresh(probed):
    client = probed.test_client()
    client.get("/probe/flash")  # now holds a session cookie (with the flash)
    first, second = client.get("/probe/plain").get_data(), client.get("/probe/plain").get_data()
    assert first != second


def test_the_memory_store_stays_within_its_bound_dropping_the_least_recently_used():
    entry = 1_000 - page_cache.BoundedMemoryCache.ENTRY_OVERHEAD  # what an entry holds besides its value
    store = page_cache.BoundedMemoryCache(max_bytes=10_000)
    for n in range(30):
        store.set(f"page-{n}", bytes(entry))
        store.get("page-0")  # read often: kept
    assert store.size <= 10_000
    assert len(store) == 10
    assert store.get("page-0") is not None
    assert store.get("page-1") is None
    assert store.get("page-29") is not None
    assert store.set("huge", bytes(10_000)) is False  # larger than the whole bound with its overhead: not kept
    assert store.size <= 10_000


def test_many_small_answers_count_their_overhead_against_the_bound():
    store = page_cache.BoundedMemoryCache(max_bytes=100_000)
    for n in range(1_000):
        store.set(f"answer-{n}", b"{}")
    assert len(store) == 100_000 // (2 + page_cache.BoundedMemoryCache.ENTRY_OVERHEAD)
    assert store.size <= 100_000


def test_the_shared_reads_keep_only_the_newest_versions_results(app):
    reads = itertools.count()

    @page_cache.memoized_on_version
    def shared_read(name: str) -> int:
        return next(reads)

    def read_at(version: int, name: str) -> int:
        with app.test_request_context(environ_base={page_cache.ENVIRON_VERSION: (version, "epoch", "2026-11-26")}):
            return shared_read(name)

    assert read_at(1, "schools") == read_at(1, "schools")  # kept for the same version
    first = read_at(1, "elements")
    kept = dict(page_cache._memo)
    assert read_at(2, "schools") not in kept.values()  # a new version reads afresh
    assert len(page_cache._memo) == 1  # and lets the old version's results go
    assert read_at(2, "elements") != first
