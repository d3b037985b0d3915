"""Throughput and latency of the public directory and a product page under concurrent load.

    .venv/bin/python bench/load.py [--database-url postgresql://127.0.0.1/test] [--keep] [--reuse]

Makes a PostgreSQL database named --database-name (ch_bench_load) on the server of
--database-url and fills it with bench/directory.py's `populate` (10,000 vendors, 25,000
products, 150,000 data uses); with --reuse it uses the one a --keep run left instead. Serves the
app with gunicorn (--workers sync workers, 4) on a free 127.0.0.1 port and, in the same run and
with the same flags, bench/hello.py, a bare Flask "hello". Then drives hello, the directory and
a product page in turn: --clients concurrent clients (one thread each, http.client, in a separate
process) for --warmup seconds unrecorded, then for --seconds, at most --max-requests each. Prints
requests per second, p50 and p99 per page and the app/hello ratios; stops both servers and drops
the database (unless --keep) by itself. Loopback only.
"""

import argparse
import http.client
import itertools
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.directory import VENDORS, free_port, percentile, populate  # noqa: E402
from clearinghouse.app import create_app  # noqa: E402
from clearinghouse.directory.models import Product, ProductStatus, Vendor  # noqa: E402
from clearinghouse.extensions import db  # noqa: E402
from clearinghouse.timeutil import district_today  # noqa: E402

HOST = "127.0.0.1"
PRODUCT_OFFSET = 8_000  # which approved product's page to load: one from the middle of the catalogue


@contextmanager
def bench_database(base_url: str, name: str, *, reuse: bool, keep: bool) -> Iterator[tuple[str, bool]]:
    """Yield (URL of the database `name`, whether it needs building); drop it afterwards unless `keep`."""
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
        if not keep:
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


@contextmanager
def gunicorn(app_spec: str, chdir: Path, workers: int, env: dict[str, str], ready_path: str) -> Iterator[str]:
    """Serve `app_spec` on a free loopback port with the flags every server of this bench gets."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--log-level",
        "warning",
        "--chdir",
        str(chdir),
        app_spec,
    ]
    base = f"http://{HOST}:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(base + ready_path, timeout=2).read()  # noqa: S310 - our loopback server
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
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def drive(port: int, path: str, clients: int, seconds: float, max_requests: int) -> dict:
    """`clients` threads, each with its own connection, request `path` until time or count runs out."""
    timings: list[float] = []
    errors: list[str] = []
    issued = itertools.count()  # next() on it is atomic under the GIL: a shared request budget
    stop_at = time.perf_counter() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        while time.perf_counter() < stop_at and next(issued) < max_requests:
            started = time.perf_counter()
            try:
                conn.request("GET", path)  # reconnects by itself when the server closed the connection
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as err:
                errors.append(f"{type(err).__name__}: {err}")
                conn.close()
                continue
            if response.status == 200:
                timings.append(time.perf_counter() - started)
            else:
                errors.append(f"HTTP {response.status}")
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "requests": len(timings),
        "rps": len(timings) / elapsed,
        "p50_ms": percentile(timings, 0.5) * 1000 if timings else float("nan"),
        "p99_ms": percentile(timings, 0.99) * 1000 if timings else float("nan"),
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
    }


def run_driver(args: argparse.Namespace) -> None:
    """The load generator's process: warm up, measure, print one JSON line."""
    drive(args.port, args.path, args.clients, args.warmup, args.max_requests)
    print(json.dumps(drive(args.port, args.path, args.clients, args.seconds, args.max_requests)))


def load(base: str, path: str, args: argparse.Namespace) -> dict:
    port = int(base.rsplit(":", 1)[1])
    with urllib.request.urlopen(base + path, timeout=10) as response:  # noqa: S310 - our loopback server
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}")
    command = [
        sys.executable,
        __file__,
        "--drive",
        "--port",
        str(port),
        "--path",
        path,
        "--clients",
        str(args.clients),
        "--seconds",
        str(args.seconds),
        "--warmup",
        str(args.warmup),
        "--max-requests",
        str(args.max_requests),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=args.warmup + args.seconds + 60
    )
    if result.returncode != 0:
        raise SystemExit("The load generator failed:\n" + result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default="postgresql://127.0.0.1/test",
        help="the PostgreSQL server to make the database on (default %(default)s)",
    )
    parser.add_argument("--database-name", default="ch_bench_load", help="default %(default)s")
    parser.add_argument("--reuse", action="store_true", help="use the database a --keep run left; build if missing")
    parser.add_argument("--keep", action="store_true", help="leave the database for a later --reuse")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers per server (default 4)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per page (default 15)")
    parser.add_argument("--warmup", type=float, default=3, help="unrecorded seconds first (default 3)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="per phase (default 200,000)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--drive", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        run_driver(args)
        return

    with bench_database(args.database_url, args.database_name, reuse=args.reuse, keep=args.keep) as (url, build):
        started = time.perf_counter()
        product_path = prepare(url, build, args.seed)
        print(
            ("Built" if build else "Reusing")
            + f" {args.database_name}: {VENDORS:,} vendors"
            + (f" in {time.perf_counter() - started:.1f} s" if build else "")
        )
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(32)}
        with (
            gunicorn("hello:app", PROJECT_ROOT / "bench", args.workers, env, "/") as hello,
            gunicorn("wsgi:app", PROJECT_ROOT, args.workers, env, "/about") as site,
        ):
            rows = [
                ("hello (bare Flask)", load(hello, "/", args)),
                ("directory", load(site, "/directory", args)),
                (f"product page ({product_path})", load(site, product_path, args)),
            ]
    print(f"\n{'page':40} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for label, r in rows:
        print(f"{label:40} {r['requests']:9,} {r['rps']:8.0f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} {r['errors']:7}")
    base = rows[0][1]
    print("\napp / hello:")
    for label, r in rows[1:]:
        print(f"  {label:38} throughput {r['rps'] / base['rps']:6.1%}   p50 {r['p50_ms'] / base['p50_ms']:5.1f}×")
    print(
        f"\n{args.workers} gunicorn sync workers per server, {args.clients} concurrent clients in one process "
        f"(threads, http.client), {args.seconds:g} s per page after {args.warmup:g} s of warm-up, "
        f"{os.cpu_count()} cores shared by servers, PostgreSQL and the load generator; load average "
        f"{os.getloadavg()[0]:.1f}."
    )
    for label, r in rows:
        if r["errors"]:
            print(f"{label}: {r['errors']} error(s), the first: {r['first_error']}")


if __name__ == "__main__":
    main()
