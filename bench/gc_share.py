"""What Python's garbage collector costs a worker on public pages, with and without `gc.freeze()`.

    .venv/bin/python bench/gc_share.py [--reuse] [--rounds 30] [--searches 300]

Uses bench/load.py's database (ch_bench_load; --reuse keeps it) and serves, in-process with Flask's test
client, bench/pages.py's fixed pages uncached and bench/load.py's varied searches through the page cache
(each a miss), first as the app is after start-up, then with what start-up made frozen (what wsgi.py does
in every gunicorn worker), alternating --rounds times. Prints for each: the process's CPU time per request
(mean: what throughput follows), the time spent collecting per request, how many collections of each
generation ran, and how many objects the collector still walks.
"""

import argparse
import gc
import logging
import random
import statistics
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from flask.testing import FlaskClient  # noqa: E402

from bench.load import bench_database, prepare, search_paths  # noqa: E402
from bench.pages import fixed_pages  # noqa: E402
from clearinghouse.app import create_app  # noqa: E402


class CollectorClock:
    """Time spent in the collector, and its collections by generation, from gc.callbacks."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = [0, 0, 0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.collections[info["generation"]] += 1


def serve(clients: list[tuple[FlaskClient, list[str]]], clock: CollectorClock) -> dict[str, float]:
    """Each client's paths once; CPU and collector milliseconds per request."""
    seconds_before, count = clock.seconds, 0
    cpu_before = time.process_time()
    for client, paths in clients:
        for path in paths:
            client.get(path).close()
            count += 1
    return {
        "cpu": (time.process_time() - cpu_before) * 1000 / count,
        "gc": (clock.seconds - seconds_before) * 1000 / count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://127.0.0.1/test")
    parser.add_argument("--database-name", default="ch_bench_load", help="default %(default)s (bench/load.py's)")
    parser.add_argument("--reuse", action="store_true", help="use the database a --reuse run left; keep it")
    parser.add_argument("--rounds", type=int, default=30, help="alternations of the two modes (default 30)")
    parser.add_argument("--searches", type=int, default=300, help="distinct searches per round (default 300)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the request log would be most of the work

    with bench_database(args.database_url, args.database_name, reuse=args.reuse) as (url, build):
        product_path = prepare(url, build, args.seed)
        uncached = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "PAGE_CACHE": False})
        cached = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        pages = [path for _, path in fixed_pages(product_path) if not path.endswith(".csv")]
        rng = random.Random(args.seed)
        # Warm-up: templates compiled, statements cached, connections open, as in a worker that has served.
        serve([(uncached.test_client(), pages), (cached.test_client(), search_paths(rng, 50))], CollectorClock())
        clock = CollectorClock()
        gc.callbacks.append(clock)
        figures: dict[str, list[dict[str, float]]] = {"as started": [], "frozen": []}
        walked: dict[str, int] = {}
        collections: dict[str, list[int]] = {mode: [0, 0, 0] for mode in figures}
        for _ in range(args.rounds):
            for mode in figures:
                if mode == "frozen":
                    gc.freeze()
                walked[mode] = len(gc.get_objects())
                before = list(clock.collections)
                # Fresh searches each time: every one a cache miss, as in bench/load.py's varied load.
                clients = [(uncached.test_client(), pages), (cached.test_client(), search_paths(rng, args.searches))]
                figures[mode].append(serve(clients, clock))
                collections[mode] = [
                    a + b - c for a, b, c in zip(collections[mode], clock.collections, before, strict=True)
                ]
                gc.unfreeze()
        requests = args.rounds * (len(pages) + args.searches)
        print(f"{len(pages)} uncached pages and {args.searches} varied searches per round, {args.rounds} rounds each")
        print(f"{'mode':<12}{'CPU ms/req':>12}{'GC ms/req':>11}{'GC share':>10}{'collections 0/1/2':>20}{'walked':>10}")
        for mode, rows in figures.items():
            cpu = statistics.mean(row["cpu"] for row in rows)
            spent = statistics.mean(row["gc"] for row in rows)
            done = "/".join(str(n) for n in collections[mode])
            print(f"{mode:<12}{cpu:>12.2f}{spent:>11.2f}{spent / cpu:>10.1%}{done:>20}{walked[mode]:>10,}")
        print(f"({requests:,} requests per mode; objects walked: what the collector still tracks at the round's start)")


if __name__ == "__main__":
    main()
