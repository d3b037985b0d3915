"""The cache in Redis: shared by every worker and host; when Redis goes away, pages are slower, never wrong.

A private `redis-server` on a free loopback port, started and stopped here (never the machine's).
"""

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis
import sqlalchemy as sa

from clearinghouse.app import create_app
from clearinghouse.directory.models import Vendor
from clearinghouse.extensions import db
from clearinghouse.page_cache import page_cache_of
from tests import factories
from tests.conftest import in_app

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def keys(self) -> int:
        return redis.Redis.from_url(self.url).dbsize()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def site(database_url, tmp_path) -> Iterator:
    """Make the site as one host serves it, with REDIS_URL; their version readers are closed afterwards."""
    made = []

    def make(redis_url: str):
        made.append(_site(database_url, tmp_path, redis_url))
        return made[-1]

    yield make
    for app in made:
        page_cache_of(app).reader.dispose()


def _site(database_url: str, tmp_path, redis_url: str):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_DIR": str(tmp_path / "files"),
            "BASE_URL": "http://localhost",
            "REDIS_URL": redis_url,
            "REDIS_RETRY_SECONDS": 0,  # try Redis again on the next request
        }
    )
    return app


@pytest.fixture
def vendor(app):
    with in_app(app):
        factories.make_vendor(name="Harbor Maps", slug="harbor-maps")


def rename(app, name: str) -> None:
    with in_app(app), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE vendor SET name = :name WHERE slug = 'harbor-maps'"), {"name": name})


def page(app) -> str:
    response = app.test_client().get("/vendors/harbor-maps")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_two_hosts_share_the_answers_they_make(app, site, private_redis, vendor):
    one, two = site(private_redis.url), site(private_redis.url)
    assert "Harbor Maps" in page(one)
    assert private_redis.keys() == 1
    assert "Harbor Maps" in page(two)  # made by the other host
    assert (page_cache_of(two).hits, page_cache_of(two).misses) == (1, 0)
    rename(app, "Harbor Charts")
    assert "Harbor Charts" in page(two)
    assert "Harbor Charts" in page(one)
    assert page_cache_of(one).hits == 1


def test_redis_at_a_closed_port_makes_pages_slower_never_wrong(app, site, vendor):
    closed = site(f"redis://127.0.0.1:{free_port()}/0")
    assert "Harbor Maps" in page(closed)
    assert "Harbor Maps" in page(closed)
    rename(app, "Harbor Charts")
    assert "Harbor Charts" in page(closed)
    assert closed.test_client().get("/api/v1/vendors/harbor-maps").status_code == 200
    assert page_cache_of(closed).hits == 1  # from the worker's own copy; Redis never answered


def test_redis_stopping_mid_way_and_coming_back(app, site, private_redis, vendor):
    served = site(private_redis.url)
    cache = page_cache_of(served)
    assert "Harbor Maps" in page(served)
    cache.near.clear()  # this worker's own copies aside: answers from Redis alone
    assert "Harbor Maps" in page(served)
    assert (cache.hits, private_redis.keys()) == (1, 1)
    private_redis.stop()
    cache.near.clear()
    assert "Harbor Maps" in page(served)  # made again, not an error
    rename(app, "Harbor Charts")
    assert "Harbor Charts" in page(served)
    assert "Harbor Charts" in page(served)  # kept in the worker meanwhile
    assert cache.hits == 2
    private_redis.start()  # empty, on the same port
    rename(app, "Harbor Atlas")
    assert "Harbor Atlas" in page(served)
    assert private_redis.keys() == 1  # written to Redis again
    cache.near.clear()
    assert "Harbor Atlas" in page(served)
    assert cache.hits == 3


def test_each_worker_keeps_a_near_copy_of_what_redis_holds(app, site, private_redis, vendor):
    one, two = site(private_redis.url), site(private_redis.url)
    page(one)
    page(two)  # from Redis, then from the worker's own copy
    private_redis.stop()
    assert "Harbor Maps" in page(two)
    assert page_cache_of(two).hits == 2
    assert len(page_cache_of(two).near) == 1


def cards(app, url: str) -> str:
    response = app.test_client().get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True).split('<ul class="cards">', 1)[1].split("</ul>", 1)[0].strip()


def test_two_hosts_share_the_product_cards_they_draw(app, site, private_redis, vendor):
    with in_app(app):
        factories.make_product(db.session.scalar(sa.select(Vendor)), name="Harbor Atlas", slug="harbor-atlas")
    one, two = site(private_redis.url), site(private_redis.url)
    card = cards(one, "/vendors/harbor-maps")
    assert "Harbor Atlas" in card
    assert private_redis.keys() == 2  # the page and its one card
    assert cards(two, "/directory") == card  # the card the other host drew
    assert private_redis.keys() == 3
    rename(app, "Harbor Charts")
    assert "Harbor Charts" in cards(two, "/directory")
    assert "Harbor Charts" in cards(one, "/vendors/harbor-maps")


def test_redis_at_a_closed_port_draws_every_card(app, site, vendor):
    with in_app(app):
        factories.make_product(db.session.scalar(sa.select(Vendor)), name="Harbor Atlas", slug="harbor-atlas")
    closed = site(f"redis://127.0.0.1:{free_port()}/0")
    assert "Harbor Atlas" in cards(closed, "/directory")
    rename(app, "Harbor Charts")
    assert "Harbor Charts" in cards(closed, "/vendors/harbor-maps")


def test_the_store_keeps_bytes_as_they_are_and_sets_many_in_one_command(app, site, private_redis):
    store = page_cache_of(site(private_redis.url)).store
    pieces = {f"piece-{n}": f"<li>card {n}</li>".encode() for n in range(25)}
    client = redis.Redis.from_url(private_redis.url)
    store.set_many({"first": b"loads the script into Redis"})
    before = client.info("commandstats")
    assert store.set_many(pieces, timeout=120) == list(pieces)
    after = client.info("commandstats")
    assert after["cmdstat_evalsha"]["calls"] - before.get("cmdstat_evalsha", {"calls": 0})["calls"] == 1
    assert after["cmdstat_set"]["calls"] - before.get("cmdstat_set", {"calls": 0})["calls"] == 25  # inside the script
    assert client.get("clearinghouse:piece-7") == b"<li>card 7</li>"  # not pickled again
    assert 0 < client.ttl("clearinghouse:piece-7") <= 120
    assert store.get_many("piece-0", "missing", "piece-24") == [b"<li>card 0</li>", None, b"<li>card 24</li>"]
    store.set_many({"for-good": b"x"}, timeout=0)  # a lifetime of 0: kept until Redis needs the room
    assert client.ttl("clearinghouse:for-good") == -1
    assert store.set_many({}) == []


def test_a_page_and_its_cards_are_stored_with_the_cache_s_lifetime(app, site, private_redis, vendor):
    with in_app(app):
        factories.make_product(db.session.scalar(sa.select(Vendor)), name="Harbor Atlas", slug="harbor-atlas")
    served = site(private_redis.url)
    assert "Harbor Atlas" in cards(served, "/directory")
    client = redis.Redis.from_url(private_redis.url)
    keys = client.keys("clearinghouse:*")
    assert {key.split(b":")[1] for key in keys} == {b"page", b"fragment"}
    lifetime = served.config["PAGE_CACHE_SECONDS"]
    assert all(0 < client.ttl(key) <= lifetime for key in keys)


def test_replies_from_redis_are_parsed_by_hiredis(app, site, private_redis):
    """requirements.txt pins hiredis: redis-py then parses replies in C, reading a page's answer with a third less CPU
    than its own parser does (bench/redis_store.py)."""
    connection = page_cache_of(site(private_redis.url)).store._read_client.connection_pool.make_connection()
    assert type(connection._parser).__name__ == "_HiredisParser"
