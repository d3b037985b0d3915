"""The directory's and the API's product list under every filter a visitor can choose, each a cache miss.

    .venv/bin/python bench/filters.py --reuse [--requests 5] [--only /api]

bench/pages.py times a fixed list of pages; a family can combine the filters in ways that list does not
hold. This builds the combinations from the app's own choices (every product status with "all", every
agreement filter, each sort), alone, on a deep page, and joined with a data element (the most and a
little shared), a category, a school, a kind and a search word, on `/directory` and `/api/v1/products`,
plus the CSV export with an agreement filter and an element. Each is timed as bench/pages.py --misses
times a page (the page cache on and emptied before each request, on bench/load.py's database,
--database-name, made by it when missing) and the list is printed slowest first, with how many are over
issue 14's 15 ms goal. --only PREFIX keeps the paths that start with it. Wall time follows the machine's
other jobs: read the CPU column beside it, and compare runs made at a similar load.
"""

import argparse
import os
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.load import bench_database, prepare  # noqa: E402
from bench.pages import GOAL_P50_MS, measure  # noqa: E402
from clearinghouse.app import create_app  # noqa: E402
from clearinghouse.directory.models import ProductStatus  # noqa: E402
from clearinghouse.directory.queries import AgreementFilter, Sort, StatusFilter  # noqa: E402
from clearinghouse.extensions import db  # noqa: E402

LISTS = ("/directory", "/api/v1/products")
JOINED = (
    "element=element-1",  # the most shared data element
    "element=element-40",
    "category=category-2",
    "school=school-7",
    "kind=reading",
    "q=reading",
)
DEEP_PAGE = {"/directory": 30, "/api/v1/products": 300}


def combinations() -> list[str]:
    paths = []
    statuses = [status.value for status in ProductStatus] + [StatusFilter.ALL.value]
    for base in LISTS:
        paths += [f"{base}?status={status}" for status in statuses]
        for agreement in AgreementFilter:
            asked = f"{base}?agreement={agreement.value}"
            paths += [asked, f"{asked}&page={DEEP_PAGE[base]}"]
        for joined in JOINED:
            paths += [f"{base}?{joined}", f"{base}?{joined}&status=all", f"{base}?{joined}&agreement=active"]
        paths += [f"{base}?sort={sort.value}&page={DEEP_PAGE[base] * 6}" for sort in Sort if base == "/directory"]
    paths.append("/directory.csv?agreement=active&element=element-40")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://127.0.0.1/test")
    parser.add_argument("--database-name", default="ch_bench_load", help="default %(default)s (bench/load.py's)")
    parser.add_argument("--reuse", action="store_true", help="use the database a --reuse run left; keep it")
    parser.add_argument("--requests", type=int, default=5, help="timed requests per path (default 5)")
    parser.add_argument("--max-seconds", type=float, default=3, help="per path, after 3 requests (default 3)")
    parser.add_argument("--only", default="", help="only the paths that start with this")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    with bench_database(args.database_url, args.database_name, reuse=args.reuse) as (url, build):
        prepare(url, build, args.seed)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        pages = [(path, path) for path in combinations() if path.startswith(args.only)]
        started = time.perf_counter()
        rows = measure(app, pages, args.requests, args.max_seconds, misses=True)
        with app.app_context():
            db.engine.dispose()
    timed = sorted((r for r in rows if r[2]["status"] == 200), key=lambda row: -row[2]["p50"])
    print(f"\n{'path':70} {'p50 ms':>8} {'CPU ms':>7} {'queries':>8}")
    for path, _, r in timed:
        print(f"{path:70} {r['p50']:8.1f} {r['cpu']:7.1f} {r['queries']:8d}")
    for path, _, r in rows:
        if r["status"] != 200:
            print(f"{path:70} answered {r['status']}")
    over = [path for path, _, r in timed if r["p50"] >= GOAL_P50_MS]
    print(
        f"\n{len(over)} of {len(timed)} over the {GOAL_P50_MS} ms goal; each a cache miss, {args.requests} requests "
        f"a path, in {time.perf_counter() - started:.0f} s; {os.cpu_count()} cores, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}."
    )


if __name__ == "__main__":
    main()
