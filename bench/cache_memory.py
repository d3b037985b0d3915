"""A gunicorn worker's resident memory with its in-process page cache full, at 25,000 products.

    .venv/bin/python bench/cache_memory.py [--reuse] [--bounds off,16,64] [--requests 6000]

Uses bench/load.py's database (--database-name, ch_bench_load: 10,000 vendors, 25,000 products,
150,000 data uses; built when missing, kept with --reuse). For each bound in --bounds (MB of
PAGE_CACHE_MAX_MB; `off` serves without the page cache, for comparison) it serves the app with
gunicorn, one sync worker (the in-process cache is per worker), and sends --requests distinct
anonymous public requests from --clients threads, interleaving every kind of public answer:
product and vendor pages, directory pages and searches (one in five in Spanish), school pages and
their later pages, data element pages, API lists and details (products, vendors, schools), and
CSV exports filtered by school or search. A gunicorn `post_request` hook writes what the worker's
cache holds (bytes counted against the bound, entries) to a file; the bench reads the worker's
VmRSS from /proc. Every --report requests it prints both, and ends with a table per bound.
With --full-csv it instead downloads the whole directory as CSV (/directory.csv?status=all) from
each server, sampling the worker's memory every 0.1 s while the export streams.
"""

import argparse
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.directory import free_port, stop_server  # noqa: E402
from bench.load import HOST, bench_database, gunicorn_command, prepare  # noqa: E402

# Read by gunicorn (`--config`): after each request, what the worker's page cache holds.
HOOK = """
import json, os

STATS = os.environ["CACHE_MEMORY_STATS"]


def post_request(worker, req, environ, resp):
    worker.bench_requests = getattr(worker, "bench_requests", 0) + 1
    cache = worker.wsgi.extensions.get("clearinghouse_page_cache")
    store = cache.store if cache is not None else None
    stats = {
        "requests": worker.bench_requests,
        "bytes": getattr(store, "size", 0),
        "entries": len(store) if store is not None else 0,
        "bound": getattr(store, "max_bytes", 0),
        "stored": cache.stored if cache is not None else 0,
    }
    with open(STATS + ".tmp", "w") as out:
        json.dump(stats, out)
    os.replace(STATS + ".tmp", STATS)
"""


def public_paths(url: str, rng: random.Random, count: int) -> list[str]:
    """`count` distinct public addresses, every kind interleaved."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        products = [row[0] for row in conn.execute(sa.text("SELECT slug FROM product ORDER BY id"))]
        vendors = [row[0] for row in conn.execute(sa.text("SELECT slug FROM vendor ORDER BY id"))]
        schools = [row[0] for row in conn.execute(sa.text("SELECT slug FROM school ORDER BY id"))]
        elements = [row[0] for row in conn.execute(sa.text("SELECT slug FROM data_element ORDER BY id"))]
    engine.dispose()
    for names in (products, vendors):
        rng.shuffle(names)
    words = ["reading", "math", "health", "photos", "grades", "science", "salud", "video", "quiz", "writing"]
    kinds = [
        (f"/products/{slug}" for slug in products),
        (f"/es/products/{slug}" for slug in products[len(products) // 2 :]),
        (f"/vendors/{slug}" for slug in vendors),
        (f"/directory?page={n}" for n in range(1, 1001)),
        (f"/directory?q={word}&page={n}" for n in range(1, 40) for word in words),
        (f"/es/directory?q={word}&page={n}" for n in range(1, 10) for word in words),
        (f"/schools/{slug}?page={n}" for n in range(1, 40) for slug in schools),
        (f"/data/{slug}?page={n}" for n in range(1, 10) for slug in elements),
        (f"/api/v1/products?page={n}" for n in range(1, 251)),
        (f"/api/v1/products/{slug}" for slug in products[: len(products) // 2]),
        (f"/api/v1/vendors?page={n}" for n in range(1, 101)),
        (f"/api/v1/schools/{slug}?page={n}" for n in range(1, 20) for slug in schools),
        (f"/directory.csv?school={slug}" for slug in schools),
        (f"/directory.csv?q={word}" for word in words),
    ]
    paths: list[str] = []
    for batch in itertools.zip_longest(*kinds):
        paths.extend(path for path in batch if path is not None)
        if len(paths) >= count:
            break
    return paths[:count]


def worker_pid(master: int) -> int | None:
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return None
    return int(children[0]) if children else None


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def read_stats(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def fetch(base: str, path: str) -> tuple[int, int]:
    try:
        with urllib.request.urlopen(base + path, timeout=120) as response:  # noqa: S310 - our loopback server
            return response.status, len(response.read())
    except urllib.error.HTTPError as err:
        return err.code, 0


def run(url: str, bound: str, paths: list[str], args: argparse.Namespace) -> dict:
    port = free_port()
    base = f"http://{HOST}:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="cache_memory_"))
    config = workdir / "gunicorn_hook.py"
    config.write_text(HOOK)
    stats_path = workdir / "stats.json"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-cache-memory",
        "BASE_URL": base,
        "CACHE_MEMORY_STATS": str(stats_path),
        "PAGE_CACHE": "false" if bound == "off" else "true",
    }
    if bound != "off":
        env["PAGE_CACHE_MAX_MB"] = bound
    env.pop("REDIS_URL", None)
    command = gunicorn_command("wsgi:app", PROJECT_ROOT, port, 1)
    command[-1:-1] = ["--config", str(config), "--timeout", "300"]
    log = (workdir / "gunicorn.log").open("wb")
    process = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                fetch(base, "/healthz")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn did not start; see {workdir / 'gunicorn.log'}") from None
                time.sleep(0.2)
        pid = worker_pid(process.pid)
        for path in ("/", "/directory", "/data", "/schools", "/api/v1/products", "/es/directory"):  # warm
            fetch(base, path)
        before = resident_mb(pid)
        print(f"[{bound} MB] worker {pid}: {before:.0f} MB resident after warm-up", flush=True)
        queue = iter(enumerate(paths, 1))
        lock = threading.Lock()
        failures: list[str] = []
        body_bytes = [0]
        peak = [before]

        def client() -> None:
            while True:
                with lock:
                    item = next(queue, None)
                if item is None:
                    return
                n, path = item
                status, size = fetch(base, path)
                with lock:
                    body_bytes[0] += size
                    if status != 200:
                        failures.append(f"{status} {path}")
                    if n % args.report == 0:
                        rss = resident_mb(pid)
                        peak[0] = max(peak[0], rss)
                        stats = read_stats(stats_path)
                        print(
                            f"[{bound} MB] {n:6,} requests: worker {rss:6.1f} MB resident; cache "
                            f"{stats.get('bytes', 0) / 2**20:5.1f} MB in {stats.get('entries', 0):,} entries",
                            flush=True,
                        )

        if args.full_csv:
            return full_csv(base, pid, bound, before)
        started = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        after = resident_mb(pid)
        stats = read_stats(stats_path)
        if failures:
            print(f"[{bound} MB] {len(failures)} answers were not 200, e.g. {failures[:5]}", flush=True)
        return {
            "bound": bound,
            "requests": len(paths),
            "seconds": seconds,
            "answered_mb": body_bytes[0] / 2**20,
            "before_mb": before,
            "after_mb": after,
            "peak_mb": max(peak[0], after),
            "cache_mb": stats.get("bytes", 0) / 2**20,
            "entries": stats.get("entries", 0),
            "stored": stats.get("stored", 0),
            "failures": len(failures),
        }
    finally:
        stop_server(process)
        log.close()


def full_csv(base: str, pid: int, bound: str, before: float) -> dict:
    """Download the whole directory as CSV, sampling the worker's resident memory as it streams."""
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], resident_mb(pid))

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    size = first = 0.0
    with urllib.request.urlopen(base + "/directory.csv?status=all", timeout=1800) as response:  # noqa: S310
        while chunk := response.read(65536):
            if not size:
                first = time.perf_counter() - started
            size += len(chunk)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    after = resident_mb(pid)
    print(
        f"[{bound} MB] the whole CSV: {size / 2**20:.1f} MB in {seconds:.1f} s (first bytes after {first:.2f} s); "
        f"worker {before:.0f} MB before, {max(peak[0], after):.0f} MB at most while streaming, {after:.0f} MB after",
        flush=True,
    )
    return {
        "bound": bound,
        "requests": 1,
        "seconds": seconds,
        "answered_mb": size / 2**20,
        "before_mb": before,
        "after_mb": after,
        "peak_mb": max(peak[0], after),
        "cache_mb": 0.0,
        "entries": 0,
        "stored": 0,
        "failures": 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://127.0.0.1/test")
    parser.add_argument("--database-name", default="ch_bench_load", help="default %(default)s")
    parser.add_argument("--reuse", action="store_true", help="keep the database (build it once) and use it again")
    parser.add_argument("--bounds", default="off,16,64", help="PAGE_CACHE_MAX_MB per run; off: no cache (%(default)s)")
    parser.add_argument("--requests", type=int, default=6000, help="distinct public requests per run (%(default)s)")
    parser.add_argument("--clients", type=int, default=2, help="client threads (default %(default)s)")
    parser.add_argument("--report", type=int, default=500, help="print every this many requests (%(default)s)")
    parser.add_argument("--full-csv", action="store_true", help="instead: download the whole CSV, watching memory")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    rows = []
    with bench_database(args.database_url, args.database_name, reuse=args.reuse) as (url, build_it):
        started = time.perf_counter()
        prepare(url, build_it, args.seed)
        if build_it:
            print(f"Built {args.database_name} in {time.perf_counter() - started:.0f} s", flush=True)
        paths = public_paths(url, random.Random(args.seed), args.requests)
        for bound in args.bounds.split(","):
            rows.append(run(url, bound.strip(), paths, args))

    print(
        f"\n{'bound MB':>9} {'requests':>9} {'answers MB':>11} {'cache MB':>9} {'entries':>8} "
        f"{'RSS warm':>9} {'RSS end':>8} {'RSS peak':>9} {'growth':>7} {'s':>6}"
    )
    for row in rows:
        print(
            f"{row['bound']:>9} {row['requests']:9,} {row['answered_mb']:11.1f} {row['cache_mb']:9.1f} "
            f"{row['entries']:8,} {row['before_mb']:9.0f} {row['after_mb']:8.0f} {row['peak_mb']:9.0f} "
            f"{row['after_mb'] - row['before_mb']:7.0f} {row['seconds']:6.0f}"
        )
    print(
        f"\nOne gunicorn sync worker, {args.clients} client threads; RSS in MB (VmRSS). {os.cpu_count()} cores, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}."
    )


if __name__ == "__main__":
    main()
