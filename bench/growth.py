"""How the uncached directory, search and product page grow with the catalogue, and a worker's memory
with a full page cache.

    .venv/bin/python bench/growth.py [--sizes 1000,10000,100000] [--reuse] [--requests 30]

For each size (products; vendors are 2 in 5 of them, as in bench/directory.py's 10,000 / 25,000,
six data uses each) it makes a PostgreSQL database ch_bench_growth_<size> on --database-url with
bench/directory.py's bulk `populate`, migrated to the head (--reuse: keep them and use them again;
the 100,000 one takes a few minutes to build). Then:

1. p50 of the directory, a search, a page of a search, the product page and the data elements
   index, uncached (PAGE_CACHE off), in-process with Flask's test client, --requests each;
2. in a fresh process (one gunicorn-like worker: the app and its in-memory cache, PAGE_CACHE_MAX_MB,
   64 MB unless --cache-mb), requests --fill distinct public pages (every product page, then
   directory pages, searches and vendor pages) and prints the worker's resident memory before and
   after, and the bytes the cache says it holds, against its bound.

It ends with how much each figure grew per tenfold growth of the catalogue: 10× means linear.
"""

import argparse
import itertools
import json
import math
import os
import random
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.directory import percentile, populate  # noqa: E402
from bench.load import bench_database  # noqa: E402
from clearinghouse import page_cache  # noqa: E402
from clearinghouse.app import create_app  # noqa: E402
from clearinghouse.directory.models import Product, ProductStatus, Vendor  # noqa: E402
from clearinghouse.extensions import db  # noqa: E402
from clearinghouse.timeutil import district_today  # noqa: E402

PAGES = [
    ("directory", "/directory"),
    ("search", "/directory?q=reading"),
    ("search, page 3", "/directory?q=reading&page=3"),
    ("product page", None),  # a product from the middle of the catalogue
    ("data elements index", "/data"),
]


def build(url: str, size: int, build_it: bool, seed: int) -> str:
    """Migrate (and fill when asked) the database; the path of a product page from the middle."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "PAGE_CACHE": False})
    with app.app_context():
        flask_migrate.upgrade()
        if build_it:
            populate(random.Random(seed), district_today(), vendor_count=max(1, size * 2 // 5), product_count=size)
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Product))
        if count != size:
            raise SystemExit(f"The database has {count:,} products, not {size:,}: run without --reuse.")
        slug = db.session.scalar(
            sa.select(Product.slug)
            .join(Product.vendor)
            .where(Product.status == ProductStatus.APPROVED, Vendor.is_retired.is_(False))
            .order_by(Product.id)
            .offset(size // 3)
            .limit(1)
        )
        db.session.remove()
        db.engine.dispose()
    return f"/products/{slug}"


def time_pages(url: str, product_path: str, requests: int) -> dict[str, float]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "PAGE_CACHE": False})
    client = app.test_client()
    p50s = {}
    for label, path in PAGES:
        path = path or product_path
        for _ in range(3):
            assert client.get(path).status_code == 200, path
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(path).get_data()
            timings.append((time.perf_counter() - started) * 1000)
        p50s[label] = percentile(timings, 0.5)
    with app.app_context():
        db.engine.dispose()
    return p50s


def resident_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def fill_cache(url: str, fill: int, cache_mb: int) -> None:
    """The child process: one worker's app with its in-memory cache, filled with `fill` distinct pages."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "PAGE_CACHE": True, "PAGE_CACHE_MAX_MB": cache_mb}
    )
    client = app.test_client()
    with app.app_context():
        products = list(db.session.scalars(sa.select(Product.slug).order_by(Product.id)))
        vendors = list(db.session.scalars(sa.select(Vendor.slug).order_by(Vendor.id)))
    paths = [f"/products/{slug}" for slug in products]
    paths += [f"/directory?page={n}" for n in range(1, 400)]
    paths += [f"/directory?q=reading&page={n}" for n in range(1, 40)]
    paths += [f"/vendors/{slug}" for slug in vendors]
    for path in ("/", "/directory", "/data", paths[0]):  # warm: templates, catalogues, connections
        client.get(path).get_data()
    before = resident_kb()
    served = 0
    started = time.perf_counter()
    for path in paths[:fill]:
        if client.get(path).status_code == 200:
            served += 1
    store = page_cache.page_cache_of(app).store  # the BoundedMemoryCache
    print(
        json.dumps(
            {
                "before_mb": before / 1024,
                "after_mb": resident_kb() / 1024,
                "pages": served,
                "seconds": time.perf_counter() - started,
                "cache_mb": getattr(store, "size", 0) / 2**20,
                "bound_mb": getattr(store, "max_bytes", 0) / 2**20,
                "entries": len(store),
            }
        )
    )


def memory(url: str, fill: int, cache_mb: int) -> dict:
    command = [sys.executable, __file__, "--fill-child", url, "--fill", str(fill), "--cache-mb", str(cache_mb)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=3600)
    if result.returncode != 0:
        raise SystemExit("The cache filler failed:\n" + result.stderr[-4000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://127.0.0.1/test")
    parser.add_argument("--sizes", default="1000,10000,100000", help="products (default %(default)s)")
    parser.add_argument("--reuse", action="store_true", help="keep the databases and use them again")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page (default 30)")
    parser.add_argument("--fill", type=int, default=3000, help="distinct pages put in the cache (default 3000)")
    parser.add_argument("--cache-mb", type=int, default=64, help="the worker's cache bound (default 64)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--fill-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill_child:
        fill_cache(args.fill_child, args.fill, args.cache_mb)
        return

    rows = []
    for size in (int(part) for part in args.sizes.split(",")):
        name = f"ch_bench_growth_{size}"
        with bench_database(args.database_url, name, reuse=args.reuse) as (url, build_it):
            started = time.perf_counter()
            product_path = build(url, size, build_it, args.seed)
            if build_it:
                print(f"Built {name} in {time.perf_counter() - started:.0f} s", flush=True)
            p50s = time_pages(url, product_path, args.requests)
            print(f"  {size:,} products: " + ", ".join(f"{k} {v:.1f} ms" for k, v in p50s.items()), flush=True)
            mem = memory(url, args.fill, args.cache_mb)
            print(f"  {size:,} products: worker {mem['before_mb']:.0f} → {mem['after_mb']:.0f} MB", flush=True)
            rows.append((size, p50s, mem))

    labels = [label for label, _ in PAGES]
    print(f"\n{'products':>9} " + " ".join(f"{label:>20}" for label in labels) + "  (p50 ms, uncached)")
    for size, p50s, _ in rows:
        print(f"{size:9,} " + " ".join(f"{p50s[label]:20.1f}" for label in labels))
    heads = f"{'pages cached':>13} {'cache MB':>9} {'bound MB':>9} {'worker MB before':>17} {'after':>7}"
    print(f"\n{'products':>9} {heads}")
    for size, _, mem in rows:
        print(
            f"{size:9,} {mem['pages']:13,} {mem['cache_mb']:9.1f} {mem['bound_mb']:9.0f} "
            f"{mem['before_mb']:17.0f} {mem['after_mb']:7.0f}"
        )
    if len(rows) > 1:
        print("\nGrowth per tenfold catalogue (10× would be linear):")
        for (small, small_p50, _), (large, large_p50, _) in itertools.pairwise(rows):
            tenfolds = math.log10(large / small)
            factors = [f"{label} {(large_p50[label] / small_p50[label]) ** (1 / tenfolds):.2f}×" for label in labels]
            print(f"  {small:,} → {large:,}: " + ", ".join(factors))
    print(
        f"\nIn-process (Flask test client), anonymous, {args.requests} requests per page; {os.cpu_count()} cores, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}."
    )


if __name__ == "__main__":
    main()
