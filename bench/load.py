"""Throughput of the public pages under concurrent load, next to a bare Flask "hello", measured with wrk.

    .venv/bin/python bench/load.py [--reuse] [--redis both|off|on] [--env NAME=VALUE …]

Makes a PostgreSQL database named --database-name (ch_bench_load) on the server of
--database-url and fills it with bench/directory.py's `populate` (10,000 vendors, 25,000
products, 150,000 data uses, bulk inserts, ~25 s); with --reuse it uses the one an earlier
--reuse run left (building it when missing) and leaves it for the next. Serves the app with
gunicorn (--workers sync workers, 4) on a free 127.0.0.1 port and, in the same run and with the
same flags, bench/hello.py, a bare Flask "hello". Then drives, with Debian's `wrk`
(--connections 16 over --threads 2), hello, the directory, a product page and a varied search
load (--search-paths distinct searches and pages, so many that nearly every request is a cache
miss, most of them finding nothing: a wrk Lua script cycles through them), each for --warmup
seconds unrecorded, then for --seconds. With --redis on the app gets REDIS_URL=--redis-url (a
Redis database this bench owns: it is emptied first); with both (the default), the app is served
and measured once without and once with it (without only, and said so, when no Redis answers
there). Hello is measured again just before each page, and each page's ratio is to that hello (the
machine's speed drifts over a run of minutes). Prints requests per second, p50 and p99 per page, the
app/hello ratios of throughput and,
for the varied searches, at most what share of their requests were cache misses; stops the servers
and drops the database (unless --reuse) by itself. Loopback only.
"""

import argparse
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import flask_migrate  # noqa: E402
import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.directory import (  # noqa: E402
    FILLER,
    NAME_PARTS,
    SCHOOLS,
    VENDORS,
    WORDS,
    free_port,
    populate,
    stop_server,
)
from clearinghouse.app import create_app  # noqa: E402
from clearinghouse.directory.models import Product, ProductStatus, Vendor  # noqa: E402
from clearinghouse.directory.taxonomy import TAXONOMY  # noqa: E402
from clearinghouse.extensions import db  # noqa: E402
from clearinghouse.timeutil import district_today  # noqa: E402

HOST = "127.0.0.1"
PRODUCT_OFFSET = 8_000  # which approved product's page to load: one from the middle of the catalogue
# The goals of issue 14 (item 2): share of hello's throughput.
GOALS = {"directory": 0.50, "product page": 0.50, "varied searches": 0.10}
# Letters no word of the bench catalogue is made of, so these searches find nothing.
MISS_LETTERS = "bdhjqwxyz"
# Four workers each building the app took over a minute to answer at load average 15-18 (2 cores).
START_SECONDS = 240

# Runs once per wrk thread (each has its own Lua state): `paths` is filled in by `lua_script`.
# Every thread starts at its own place in the list and walks it in turn; `done` prints one JSON line.
LUA = """
local paths = {%s}
local counter = 0
function setup(thread)
  thread:set("start", counter)
  counter = counter + 1
end
local requests, n = {}, 0
function init(args)
  for i, path in ipairs(paths) do requests[i] = wrk.format("GET", path) end
  n = (tonumber(wrk.thread:get("start")) * 7919) %% #paths
end
function request()
  n = n %% #requests + 1
  return requests[n]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def lua_script(paths: list[str]) -> str:
    """The wrk script that cycles through `paths` (ASCII, already URL-encoded)."""
    return LUA % ", ".join(json.dumps(path) for path in paths)  # a JSON string is a valid Lua string here


def search_paths(rng: random.Random, count: int) -> list[str]:
    """`count` distinct directory searches and pages, about seven in ten finding nothing.

    What a busy evening of parents looks like: a product name misspelt or not in the register
    (nonsense words here), a topic word or a vendor's name that finds some, page 2 or 3 of a
    result, a filter or a sort added, in English and in Spanish.
    """
    paths: set[str] = set()
    elements = [f"element-{n}" for n in range(1, sum(len(category.elements) for category in TAXONOMY) + 1)]
    while len(paths) < count:
        roll = rng.random()
        if roll < 0.7:  # finds nothing
            length = rng.randint(5, 10)
            query = "".join(rng.choice(MISS_LETTERS + "aeiou") for _ in range(length))
            params: dict[str, str] = {"q": query}
        else:
            words = [rng.choice(WORDS + FILLER + NAME_PARTS) for _ in range(rng.choice((1, 1, 1, 2)))]
            params = {"q": " ".join(words)}
            if rng.random() < 0.4:
                params["page"] = str(rng.randint(2, 4))
        if rng.random() < 0.15:
            params["element"] = rng.choice(elements)
        if rng.random() < 0.1:
            params["school"] = f"school-{rng.randint(1, SCHOOLS)}"
        if rng.random() < 0.1:
            params["sort"] = rng.choice(("name", "vendor", "updated"))
        prefix = "/es" if rng.random() < 0.2 else ""
        paths.add(f"{prefix}/directory?{urlencode(params)}")
    ordered = sorted(paths)
    rng.shuffle(ordered)
    return ordered


@contextmanager
def bench_database(base_url: str, name: str, *, reuse: bool) -> Iterator[tuple[str, bool]]:
    """Yield (URL of the database `name`, whether it needs building); drop it afterwards unless `reuse`."""
    url = make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1))
    if url.get_backend_name() != "postgresql":
        raise SystemExit("The load bench runs on PostgreSQL: give --database-url postgresql://…")
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    target = url.set(database=name).render_as_string(hide_password=False)
    try:
        with admin.connect() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            if exists and not reuse:
                conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            if not exists or not reuse:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield target, not (exists and reuse)
    finally:
        if not reuse:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(url: str, build: bool, seed: int) -> str:
    """Migrate to the head (a reused database too), build the catalogue when asked; the product page to load."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        flask_migrate.upgrade()
        if build:
            populate(random.Random(seed), district_today())
        vendors = db.session.scalar(sa.select(sa.func.count()).select_from(Vendor))
        if vendors < VENDORS:
            raise SystemExit(f"The database has {vendors:,} vendors, not {VENDORS:,}: run without --reuse.")
        # An approved product in the middle of the catalogue, of a vendor that is not retired.
        slug = db.session.scalar(
            sa.select(Product.slug)
            .join(Product.vendor)
            .where(Product.status == ProductStatus.APPROVED, Vendor.is_retired.is_(False))
            .order_by(Product.id)
            .offset(PRODUCT_OFFSET)
            .limit(1)
        )
        db.session.remove()
        db.engine.dispose()
    return f"/products/{slug}"


def gunicorn_command(app_spec: str, chdir: Path, port: int, workers: int) -> list[str]:
    """The one command line every server of this bench gets (hello and the app alike)."""
    return [
        sys.executable, "-m", "gunicorn",
        "--bind", f"{HOST}:{port}",
        "--workers", str(workers),
        "--worker-class", "sync",
        "--log-level", "warning",
        "--chdir", str(chdir),
        app_spec,
    ]  # fmt: skip


@contextmanager
def gunicorn(app_spec: str, chdir: Path, workers: int, env: dict[str, str], ready_path: str) -> Iterator[str]:
    """Serve `app_spec` on a free loopback port; yield its base URL once `ready_path` answers."""
    port = free_port()
    base = f"http://{HOST}:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            gunicorn_command(app_spec, chdir, port, workers), env=env, cwd=PROJECT_ROOT, stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + START_SECONDS
            while True:
                try:
                    urllib.request.urlopen(base + ready_path, timeout=5).read()  # noqa: S310 - our loopback server
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise SystemExit(
                            f"gunicorn {app_spec} did not start:\n" + log.read().decode(errors="replace")
                        ) from None
                    time.sleep(0.2)
            yield base
        finally:
            stop_server(process)


def wrk(base: str, paths: list[str], seconds: float, args: argparse.Namespace) -> dict:
    """One wrk run over `paths` (cycled); its figures as a dict."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="ch-load-", delete=False) as script:
        script.write(lua_script(paths))
    try:
        command = [
            args.wrk,
            "--threads", str(args.threads),
            "--connections", str(args.connections),
            "--duration", f"{max(1, round(seconds))}s",
            "--timeout", "10s",
            "--script", script.name,
            base + paths[0],
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=seconds + 60)
    finally:
        os.unlink(script.name)
    lines = [line for line in result.stdout.splitlines() if line.startswith("WRK-JSON ")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    figures = json.loads(lines[-1].removeprefix("WRK-JSON "))
    errors = sum(figures[key] for key in ("connect", "read", "write", "status", "timeout"))
    return {
        "requests": figures["requests"],
        "rps": figures["requests"] / (figures["duration_us"] / 1e6),
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "errors": errors,
        "error_kinds": {key: figures[key] for key in ("connect", "read", "write", "status", "timeout") if figures[key]},
    }


def check_answers(base: str, paths: list[str]) -> None:
    """Every path answers 200 before it is loaded (wrk counts only 4xx and 5xx as errors)."""
    for path in paths:
        with urllib.request.urlopen(base + path, timeout=30) as response:  # noqa: S310 - our loopback server
            if response.status != 200:
                raise SystemExit(f"{path} answered {response.status}")


def load(base: str, paths: list[str], args: argparse.Namespace) -> dict:
    check_answers(base, paths[:20])
    wrk(base, paths, args.warmup, args)  # not recorded: workers' caches and connections
    return wrk(base, paths, args.seconds, args)


def flush_redis(url: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def parse_env(pairs: list[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"--env takes NAME=VALUE, not {pair!r}")
        env[name] = value
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default="postgresql://127.0.0.1/test",
        help="the PostgreSQL server to make the database on (default %(default)s)",
    )
    parser.add_argument("--database-name", default="ch_bench_load", help="default %(default)s")
    parser.add_argument(
        "--reuse", action="store_true", help="use the database a --reuse run left (build it if missing); keep it"
    )
    parser.add_argument(
        "--redis",
        choices=("off", "on", "both"),
        default="both",
        help="serve the app without REDIS_URL, with it, or both in turn (default; without only when no Redis answers)",
    )
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/13", help="emptied before use (default %(default)s)"
    )
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="more settings for the app")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers per server (default 4)")
    parser.add_argument("--connections", type=int, default=16, help="wrk's open connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads (default 2)")
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per page (default 15)")
    parser.add_argument("--warmup", type=float, default=3, help="unrecorded seconds first (default 3)")
    parser.add_argument(
        "--search-paths",
        type=int,
        default=20_000,
        help="distinct searches in the varied load (20,000: so many that nearly every request is a cache miss)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=("directory", "product page", "varied searches"),
        help="measure only this app load (repeatable; hello is always measured)",
    )
    parser.add_argument("--wrk", default=shutil.which("wrk") or "wrk", help="the wrk program (apt-get install wrk)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if not shutil.which(args.wrk):
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    searches = search_paths(random.Random(args.seed), args.search_paths)
    modes = {"off": [False], "on": [True], "both": [False, True]}[args.redis]
    if True in modes and not redis_answers(args.redis_url):
        if args.redis == "on":
            raise SystemExit(f"No Redis answers at {args.redis_url}: start one, or give --redis off.")
        print(f"No Redis answers at {args.redis_url}: measuring without Redis only.", flush=True)
        modes = [False]

    with bench_database(args.database_url, args.database_name, reuse=args.reuse) as (url, build):
        started = time.perf_counter()
        product_path = prepare(url, build, args.seed)
        print(
            ("Built" if build else "Reusing")
            + f" {args.database_name}: {VENDORS:,} vendors"
            + (f" in {time.perf_counter() - started:.1f} s" if build else ""),
            flush=True,
        )
        base_env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        env = {**base_env, "DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(32), **parse_env(args.env)}
        rows: list[tuple[str, dict]] = []
        with gunicorn("hello:app", PROJECT_ROOT / "bench", args.workers, env, "/") as hello:
            rows.append(("hello (bare Flask)", load(hello, ["/"], args)))
            for with_redis in modes:
                app_env = dict(env)
                suffix = ""
                if with_redis:
                    flush_redis(args.redis_url)
                    app_env["REDIS_URL"] = args.redis_url
                    suffix = ", Redis"
                with gunicorn("wsgi:app", PROJECT_ROOT, args.workers, app_env, "/about") as site:
                    for label, paths in (
                        ("directory", ["/directory"]),
                        ("product page", [product_path]),
                        ("varied searches", searches),
                    ):
                        if args.only and label not in args.only:
                            continue
                        # hello again just before the page: a drift of the machine's speed over a run of minutes
                        # must not land on the later pages' ratios.
                        beside = load(hello, ["/"], args)["rps"]
                        row = load(site, paths, args)
                        row["hello_rps"] = beside
                        # Each worker's own cache (one shared cache with Redis) makes each path once.
                        makers = 1 if with_redis else args.workers
                        row["misses_at_most"] = min(1.0, len(paths) * makers / max(row["requests"], 1))
                        rows.append((f"{label}{suffix}", row))
                        print(f"  {label}{suffix}: {rows[-1][1]['rps']:.0f} req/s", flush=True)
    print(f"\n{'page':28} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'hello req/s':>12}")
    for label, r in rows:
        beside = f"{r['hello_rps']:12.0f}" if "hello_rps" in r else ""
        print(
            f"{label:28} {r['requests']:9,} {r['rps']:8.0f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} {r['errors']:7}"
            f" {beside}"
        )
    print("\napp / hello measured just before it (throughput; goal):")
    for label, r in rows[1:]:
        goal = GOALS[label.split(",")[0]]
        ratio = r["rps"] / r["hello_rps"]
        verdict = "meets" if ratio >= goal else "below"
        note = ""
        if label.startswith("varied searches"):
            # The goal is for a load of mostly misses: a load served mostly from the cache measures the cache.
            misses = r["misses_at_most"]
            note = f" (at most {misses:.0%} of its requests were misses)"
            if misses < 0.5 and verdict == "meets":
                verdict = "not measured against"
        print(f"  {label:28} {ratio:6.1%}   {verdict} the {goal:.0%} goal{note}")
    print(
        f"\nwrk {args.threads} threads, {args.connections} connections; {args.workers} gunicorn sync workers per "
        f"server; {args.seconds:g} s per page after {args.warmup:g} s of warm-up; varied searches: "
        f"{len(searches)} distinct paths; {os.cpu_count()} cores shared by wrk, both servers and PostgreSQL; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}."
    )
    for label, r in rows:
        if r["errors"]:
            print(f"{label}: {r['errors']} error(s): {r['error_kinds']}")


if __name__ == "__main__":
    main()
