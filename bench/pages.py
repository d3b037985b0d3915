"""p50 of every public page, uncached, at 10,000 vendors / 25,000 products / 150,000 data uses.

    .venv/bin/python bench/pages.py [--reuse] [--requests 40] [--config NAME=VALUE …]

Uses bench/load.py's database (ch_bench_load on --database-url; --reuse keeps it for the next
run, as there) and times each public page in-process with Flask's test client, as an anonymous
visitor: --requests timed requests per page (fewer past --max-seconds, at least 3) after 3
unrecorded ones, each answer read whole.
Prints p50 and whether it is under the 15 ms goal of issue 14, p95, the process's CPU time (median)
and whether it is under 15 ms, the SQL statements of one request and the size of the answer. The
pages: a fixed list (search, filters, a product, a vendor, data elements, changes, reports, the API,
the CSV export, some in Spanish) plus every other public GET route without parameters that the app has (found in its URL
map), so a page added later is timed too. The page cache is off (PAGE_CACHE=False): every answer is
made afresh. Last, bench/load.py's varied search load (--searches distinct searches, each once)
through an app with the page cache on: every answer a miss, made as in production (the reads pages
share kept per data version). --config NAME=VALUE (repeatable) sets other app settings.

--misses times the fixed pages as production makes an anonymous visitor's first answer to a question:
the page cache on and emptied before each request, so every answer is a miss, made afresh on the
connection the data version was read on, with what pages share kept per data version (the district's
settings, the filter lists, the cards' words) as a worker keeps it.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402

from bench.directory import percentile  # noqa: E402
from bench.load import bench_database, parse_env, prepare, search_paths  # noqa: E402
from clearinghouse.app import create_app  # noqa: E402
from clearinghouse.extensions import db  # noqa: E402
from clearinghouse.page_cache import page_cache_of  # noqa: E402

GOAL_P50_MS = 15
# Prefixes of the routes that are not public pages (staff, vendors, sign-in) or not pages at all.
NOT_PUBLIC = ("/staff", "/portal", "/vendor/", "/login", "/logout", "/invitations", "/account", "/static", "/healthz")


def setting_value(raw: str) -> object:
    """A --config value as the app reads it from the environment: a whole number, true/false, else text."""
    word = raw.strip().lower()
    if word in ("true", "false", "yes", "no", "on", "off"):
        return word in ("true", "yes", "on")
    return int(raw) if raw.strip().isdigit() else raw


def fixed_pages(product_path: str) -> list[tuple[str, str]]:
    product_slug = product_path.rsplit("/", 1)[1]
    return [
        ("home", "/"),
        ("home (Spanish)", "/es/"),
        ("directory", "/directory"),
        ("directory, page 40", "/directory?page=40"),
        ("directory, a search", "/directory?q=reading"),
        ("directory, a search finding nothing", "/directory?q=zyxwvq"),
        ("directory, a search, page 3", "/directory?q=reading&page=3"),
        ("directory, element + school", "/directory?element=element-20&school=school-7"),
        ("directory, expiring + most shared", "/directory?agreement=expiring&element=element-1"),
        ("directory, active + most shared", "/directory?agreement=active&element=element-1"),
        ("directory, agreement active", "/directory?agreement=active"),
        ("directory, agreement expiring", "/directory?agreement=expiring"),
        ("directory, category", "/directory?category=category-2"),
        ("directory, sorted by vendor", "/directory?sort=vendor"),
        ("directory (Spanish), a search", "/es/directory?q=reading"),
        ("product page", product_path),
        ("product page (Spanish)", f"/es{product_path}"),
        ("vendor page", "/vendors/vendor-2345"),
        ("schools", "/schools"),
        ("school page", "/schools/school-7"),
        ("data elements index", "/data"),
        ("data elements index (Spanish)", "/es/data"),
        ("data element", "/data/element-20"),
        ("data element, most shared", "/data/element-1"),
        ("data element, most shared, page 100", "/data/element-1?page=100"),
        ("changes", "/changes"),
        ("changes feed (Atom)", "/changes.atom"),
        ("reports", "/reports/"),
        ("reports, a kind's overlap", "/reports/overlap/language"),
        ("reports, a kind's overlap, page 70", "/reports/overlap/language?page=70"),
        ("about", "/about"),
        ("API index", "/api/v1/"),
        ("API products", "/api/v1/products"),
        ("API products, page 500", "/api/v1/products?page=500"),
        ("API products, agreement active", "/api/v1/products?agreement=active"),
        ("API products, expiring + most shared", "/api/v1/products?agreement=expiring&element=element-1"),
        ("API product", f"/api/v1/products/{product_slug}"),
        ("API vendors", "/api/v1/vendors"),
        ("API vendor", "/api/v1/vendors/vendor-2345"),
        ("API schools", "/api/v1/schools"),
        ("API school", "/api/v1/schools/school-7"),
        ("API data elements", "/api/v1/data-elements"),
        ("API agreements", "/api/v1/agreements"),
        ("API OpenAPI document", "/api/v1/openapi.json"),
        ("directory CSV (every product)", "/directory.csv"),
    ]


def other_public_routes(app: Flask, known: set[str]) -> list[tuple[str, str]]:
    """Public GET routes without parameters that the fixed list does not name (added by later work)."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in (rule.methods or ()) or rule.rule.startswith(NOT_PUBLIC):
            continue
        if rule.rule not in known:
            found.append((f"{rule.endpoint} (found)", rule.rule))
    return sorted(found)


def measure(
    app: Flask, pages: list[tuple[str, str]], requests: int, seconds: float, misses: bool = False
) -> list[tuple[str, str, dict]]:
    """Each page's timings, uncached: with the page cache off, or with `misses` through the page cache, emptied
    before each request."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    with app.app_context():
        engines = [db.engine]
    cache = page_cache_of(app)
    if misses and cache.reader.lends:  # an anonymous miss's statements run on the connection its version was read on
        engines.append(cache.reader.engine)
    plain_client = app.test_client()

    class Client:
        """The test client, the page cache emptied before each request when timing misses."""

        def get(self, path: str):
            if misses:
                cache.store.clear()
            return plain_client.get(path)

    client = Client()
    rows = []
    for label, path in pages:
        response = client.get(path)
        if response.status_code != 200:  # a found route may want a signed-in user: say so, go on
            rows.append((label, path, {"status": response.status_code}))
            continue
        for _ in range(2):
            client.get(path).get_data()
        statements.clear()
        for engine in engines:
            sa.event.listen(engine, "before_cursor_execute", record)
        try:
            size = len(client.get(path).get_data())
        finally:
            for engine in engines:
                sa.event.remove(engine, "before_cursor_execute", record)
        queries = len(statements)
        timings: list[float] = []
        cpu: list[float] = []
        budget = time.perf_counter() + seconds
        while len(timings) < requests and (len(timings) < 3 or time.perf_counter() < budget):
            started, cpu_started = time.perf_counter(), time.process_time()
            client.get(path).get_data()
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        rows.append(
            (
                label,
                path,
                {
                    "status": 200,
                    "p50": percentile(timings, 0.5),
                    "p95": percentile(timings, 0.95),
                    "cpu": percentile(cpu, 0.5),
                    "queries": queries,
                    "n": len(timings),
                    "kb": size / 1024,
                },
            )
        )
        print(f"  {label}: {rows[-1][2]['p50']:.1f} ms", file=sys.stderr, flush=True)
    return rows


def measure_searches(app: Flask, paths: list[str]) -> dict:
    """Each of `paths` once, through the page cache (on): every answer is a miss, as most of a varied
    search load's are, with the reads that pages share kept per data version as in production."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    with app.app_context():
        engines = [db.engine]
    reader = page_cache_of(app).reader
    if reader.lends:  # an anonymous miss's statements run on the connection its version was read on
        engines.append(reader.engine)
    client = app.test_client()
    for path in paths[:3]:  # the worker's first requests: connections, templates, the shared reads
        client.get(path + ("&" if "?" in path else "?") + "warm=1").get_data()
    timings: list[float] = []
    cpu: list[float] = []
    found: list[bool] = []  # whether the answer listed products (cards)
    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", record)
    try:
        for path in paths:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(path)
            body = response.get_data()
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            found.append(b'class="card listing"' in body)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
    finally:
        for engine in engines:
            sa.event.remove(engine, "before_cursor_execute", record)
    some = [n for n, listed in enumerate(found) if listed]

    def summary(picked: list[int]) -> dict:
        return {
            "status": 200,
            "p50": percentile([timings[n] for n in picked], 0.5),
            "p95": percentile([timings[n] for n in picked], 0.95),
            "cpu": percentile([cpu[n] for n in picked], 0.5),
            "cpu_mean": statistics.mean(cpu[n] for n in picked),
            "n": len(picked),
            "kb": 0,
        }

    return {
        **summary(list(range(len(paths)))),
        "queries": round(len(statements) / len(paths)),
        # Throughput follows the mean: the searches that list products cost most, and are the minority.
        "listing": summary(some) if some else None,
    }


def _yes(ms: float) -> str:
    return "yes" if ms < GOAL_P50_MS else "NO"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://127.0.0.1/test")
    parser.add_argument("--database-name", default="ch_bench_load", help="default %(default)s (bench/load.py's)")
    parser.add_argument("--reuse", action="store_true", help="use the database a --reuse run left; keep it")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page (default 40)")
    parser.add_argument("--max-seconds", type=float, default=5, help="per page, after 3 requests (default 5)")
    parser.add_argument("--config", action="append", default=[], metavar="NAME=VALUE", help="an app setting")
    parser.add_argument("--only", help="time only the pages whose label contains this")
    parser.add_argument("--skip", action="append", default=[], help="leave out the pages whose label contains this")
    parser.add_argument(
        "--searches", type=int, default=300, help="distinct searches of bench/load.py's varied load, each once (300)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--misses", action="store_true", help="the page cache on, emptied before each request: every answer a miss"
    )
    args = parser.parse_args()

    with bench_database(args.database_url, args.database_name, reuse=args.reuse) as (url, build):
        started = time.perf_counter()
        product_path = prepare(url, build, args.seed)
        if build:
            print(f"Built {args.database_name} in {time.perf_counter() - started:.1f} s", flush=True)
        settings = {name: setting_value(value) for name, value in parse_env(args.config).items()}
        # Uncached: every answer is made afresh (the page cache of clearinghouse/page_cache.py is off, or with
        # --misses on and emptied before each request).
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "PAGE_CACHE": args.misses, **settings})
        pages = fixed_pages(product_path)
        pages += other_public_routes(app, {path for _, path in pages} | {"/es/", "/"})
        if args.only:
            pages = [(label, path) for label, path in pages if args.only in label]
        pages = [(label, path) for label, path in pages if not any(skip in label for skip in args.skip)]
        rows = measure(app, pages, args.requests, args.max_seconds, misses=args.misses)
        varied_cpu = ""
        with app.app_context():
            db.engine.dispose()
        if args.searches and (not args.only or args.only in "varied searches"):
            # bench/load.py's varied search load, each search once: all cache misses.
            cached = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", **settings})
            paths = search_paths(random.Random(args.seed), args.searches)
            label = f"varied searches ({len(paths)} distinct, each a cache miss)"
            searched = measure_searches(cached, paths)
            rows.append((label, "", searched))
            print(f"  {label}: {searched['p50']:.1f} ms", file=sys.stderr, flush=True)
            if searched["listing"]:
                rows.append(
                    ("  of which listing products", "", {**searched["listing"], "queries": searched["queries"]})
                )
            varied_cpu = ", ".join(f"{label.strip()}: {r['cpu_mean']:.1f}" for label, _, r in rows if "cpu_mean" in r)
            with cached.app_context():
                db.engine.dispose()
    goal = f"p50 < {GOAL_P50_MS}"
    print(
        f"\n{'page':52} {'p50 ms':>8} {goal:>9} {'p95 ms':>8} {'CPU ms':>7} {'CPU < ' + str(GOAL_P50_MS):>8} "
        f"{'timed':>6} {'queries':>8} {'KB':>7}"
    )
    over = []
    for label, _path, r in rows:
        if r["status"] != 200:
            print(f"{label:52} answered {r['status']} (not timed)")
            continue
        if r["p50"] >= GOAL_P50_MS:
            over.append(label)
        # Whether the page meets the goal by wall time, and by this process's CPU time (which the
        # machine's other jobs inflate far less).
        print(
            f"{label:52} {r['p50']:8.1f} {_yes(r['p50']):>9} {r['p95']:8.1f} {r['cpu']:7.1f} {_yes(r['cpu']):>8} "
            f"{r['n']:6d} {r['queries']:8d} {r['kb']:7.0f}"
        )
    timed = [r["p50"] for _, _, r in rows if r["status"] == 200]
    if varied_cpu:
        print(f"\nMean CPU ms (what throughput follows) of {varied_cpu}")
    print(
        f"\nIn-process (Flask test client), anonymous, "
        f"{'each answer a page cache miss' if args.misses else 'page cache off'}, {args.requests} requests per page; "
        f"median p50 "
        f"{statistics.median(timed):.1f} ms; {len(over)} of {len(timed)} pages over the {GOAL_P50_MS} ms goal; "
        f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}. CPU ms: this "
        "process's CPU time per request (median; PostgreSQL's own is not in it), steadier than wall time on a "
        "loaded machine."
    )


if __name__ == "__main__":
    main()
