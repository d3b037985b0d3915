"""What the page cache's trips to Redis cost a worker's CPU, per operation, the way a miss makes them.

    .venv/bin/python bench/redis_store.py [--redis-url redis://127.0.0.1:6379/0] [--rounds 2000]

A miss asks Redis for its answer (not there), fetches a list page's cards together, writes the cards it
drew and then the answer. Each is timed here with this process's CPU time (the best of five runs of
--rounds), through the page cache's own store (`page_cache.RedisStore`) and, for comparison, through
cachelib's stock `RedisCache` (values pickled again behind a marker, several keys written as one SET each
in a pipeline). Says whether redis-py parses with hiredis (requirements.txt pins it): run it once more with
hiredis hidden (`PYTHONPATH` pointing at a folder whose `hiredis.py` raises ImportError) to see what it
saves. Writes and deletes its own keys (prefix `bench-redis-store:`); nothing else in that Redis database
is touched. The figures: bench/README.md.
"""

import argparse
import os
import pickle
import sys
import time
from collections.abc import Callable
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import redis  # noqa: E402
from cachelib.redis import RedisCache  # noqa: E402

from clearinghouse.page_cache import RedisStore  # noqa: E402

PREFIX = "bench-redis-store:"
CARDS = 20  # a list page's cards
CARD_BYTES = 1_500  # a card's HTML, about
ANSWER_BYTES = 30_000  # a directory page, about


def cpu_us(run: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        for _ in range(rounds):
            run()
        best = min(best, (time.process_time() - started) / rounds * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    client = redis.from_url(args.redis_url, socket_timeout=1, socket_connect_timeout=1)
    stores = {
        "page cache's RedisStore": RedisStore(client, default_timeout=300),
        "cachelib's RedisCache": RedisCache(host=client, default_timeout=300, key_prefix="clearinghouse:"),
    }
    answer = pickle.dumps(("200 OK", [("Content-Type", "text/html; charset=utf-8")] * 12, os.urandom(ANSWER_BYTES)))
    cards = {f"{PREFIX}card-{n}": os.urandom(CARD_BYTES) for n in range(CARDS)}
    rounds = args.rounds
    hiredis = "on" if redis.utils.HIREDIS_AVAILABLE else "off"
    print(f"redis-py {redis.__version__}, hiredis {hiredis}; CPU µs per operation")
    print(f"{'operation':34} " + " ".join(f"{name:>24}" for name in stores))
    rows = {
        "GET an answer that is not there": lambda store: cpu_us(lambda: store.get(f"{PREFIX}missing"), rounds),
        f"GET an answer ({ANSWER_BYTES // 1000} KB)": lambda store: (
            store.set(f"{PREFIX}answer", answer),
            cpu_us(lambda: store.get(f"{PREFIX}answer"), rounds),
        )[1],
        f"GET {CARDS} cards together": lambda store: cpu_us(lambda: store.get_many(*cards), rounds),
        f"SET {CARDS} cards": lambda store: cpu_us(lambda: store.set_many(cards), rounds // 4),
        f"SET an answer ({ANSWER_BYTES // 1000} KB)": lambda store: cpu_us(
            lambda: store.set(f"{PREFIX}answer", answer), rounds
        ),
    }
    try:
        for label, measure in rows.items():
            print(f"{label:34} " + " ".join(f"{measure(store):24.1f}" for store in stores.values()))
    finally:
        doomed = list(client.scan_iter(match=f"clearinghouse:{PREFIX}*"))
        if doomed:
            client.delete(*doomed)
    print(f"\nLoad average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores.")


if __name__ == "__main__":
    main()
