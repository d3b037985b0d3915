"""Benchmark of the intake's read side at district-and-beyond scale.

    .venv/bin/python bench/intake.py [--database-url postgresql://127.0.0.1/test] [--requests 100]

Builds a fresh database (a SQLite file in a temporary directory, or a new database on the
PostgreSQL server named by --database-url, dropped afterwards) with 25,000 products at 60 schools
and 20,000 tool requests (3,000 of them open), by bulk inserts. Then, in-process with the test
client, it asks the lookup a requester's typing calls (a name, a kind, two schools), draws the
privacy office's queue and a requester's list, and prints each one's p50/p95 latency and SQL
query count. Bounded: a fixed number of requests per address.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.directory import fresh_database  # noqa: E402
from clearinghouse.accounts.models import Role, User  # noqa: E402
from clearinghouse.app import create_app  # noqa: E402
from clearinghouse.directory.models import Product, ProductKind, ProductStatus, School, Vendor, product_school  # noqa: E402
from clearinghouse.directory.search import lookup_key  # noqa: E402
from clearinghouse.extensions import db  # noqa: E402
from clearinghouse.intake.models import CostKind, RequestState, ToolRequest, ToolRequester, tool_request_school  # noqa: E402
from clearinghouse.text import name_key  # noqa: E402
from clearinghouse.timeutil import utcnow  # noqa: E402

SCHOOLS, VENDORS, PRODUCTS, REQUESTS, OPEN_REQUESTS, TEACHERS = 60, 5_000, 25_000, 20_000, 3_000, 2_000
WORDS = [
    "read",
    "math",
    "story",
    "quiz",
    "code",
    "art",
    "map",
    "word",
    "lab",
    "note",
    "chat",
    "class",
    "spell",
    "track",
    "sci",
    "pixel",
]


def _name(rng: random.Random, n: int) -> str:
    return f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {n}"


def _bulk(conn, table, rows: list[dict]) -> None:
    """On PostgreSQL, multi-row INSERTs of a thousand rows (few statements, so few runs of the data
    version's statement trigger); on SQLite, one executemany (its triggers run per row either way)."""
    if conn.dialect.name != "postgresql":
        conn.execute(sa.insert(table), rows)
        return
    for start in range(0, len(rows), 1000):
        conn.execute(sa.insert(table).values(rows[start : start + 1000]))


def populate(rng: random.Random) -> tuple[int, int]:
    """Insert everything in bulk; returns (the officer's id, a busy teacher's id)."""
    now = utcnow()
    kinds = list(db.session.scalars(sa.select(ProductKind.id)))  # the kinds the migration seeds
    statuses = [ProductStatus.APPROVED.value] * 3 + [ProductStatus.UNDER_REVIEW.value, ProductStatus.NOT_APPROVED.value]
    conn = db.session.connection()
    _bulk(
        conn,
        School,
        [{"name": f"School {i}", "name_key": f"school {i}", "slug": f"school-{i}"} for i in range(SCHOOLS)],
    )
    _bulk(
        conn,
        Vendor,
        [
            {
                "name": f"Vendor {i}",
                "name_key": f"vendor {i}",
                "slug": f"vendor-{i}",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(VENDORS)
        ],
    )
    products = []
    for i in range(PRODUCTS):
        name = _name(rng, i)
        products.append(
            {
                "vendor_id": rng.randint(1, VENDORS),
                "name": name,
                "name_key": name_key(name),
                "slug": f"product-{i}",
                "kind_id": rng.choice(kinds),
                "status": rng.choice(statuses),
                "created_at": now,
                "updated_at": now,
            }
        )
    _bulk(conn, Product, products)
    _bulk(
        conn,
        product_school,
        [
            {"product_id": p, "school_id": s}
            for p in range(1, PRODUCTS + 1)
            for s in rng.sample(range(1, SCHOOLS + 1), rng.randint(1, 3))
        ],
    )
    users = [{"email": "officer@bench.example", "name": "Officer", "role": Role.OFFICER.value, "password_hash": "x"}]
    users += [
        {"email": f"t{i}@bench.example", "name": f"Teacher {i}", "role": Role.REQUESTER.value, "password_hash": "x"}
        for i in range(TEACHERS)
    ]
    _bulk(conn, User, [{**u, "created_at": now, "updated_at": now} for u in users])
    requests, requesters, schools = [], [], []
    for i in range(REQUESTS):
        name = f"{_name(rng, i)} request"
        state = RequestState.NEW if i < OPEN_REQUESTS else RequestState.DECIDED
        requests.append(
            {
                "name": name,
                "name_key": name_key(name),
                "lookup_key": lookup_key(name),  # a multi-row VALUES insert does not run column defaults
                "kind_id": rng.choice(kinds),
                "purpose": "Bench.",
                "cost_kind": CostKind.FREE.value,
                "state": state.value,
                "created_at": now,
                "updated_at": now,
            }
        )
        requesters.append({"request_id": i + 1, "user_id": 2 + i % TEACHERS, "joined_at": now, "is_opener": True})
        schools += [{"request_id": i + 1, "school_id": s} for s in rng.sample(range(1, SCHOOLS + 1), 2)]
    _bulk(conn, ToolRequest, requests)
    _bulk(conn, ToolRequester, requesters)
    _bulk(conn, tool_request_school, schools)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # what autovacuum would soon do: statistics, visibility
        # map, and the search index's pending list merged (else every full-text query reads it all)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as vacuum:
            vacuum.execute(sa.text("VACUUM ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return 1, 2


def measure(app, user_id: int, path: str, runs: int) -> tuple[float, float, int]:
    """p50 and p95 in milliseconds, and the SQL statements of one request."""
    client = app.test_client()
    with client.session_transaction() as session, app.app_context():
        session["_user_id"] = db.session.get(User, user_id).get_id()
    statements: list[str] = []

    def count(*_args) -> None:
        statements.append("")

    with app.app_context():
        engine = db.engine
    client.get(path)  # warm
    sa.event.listen(engine, "before_cursor_execute", count)
    response = client.get(path)
    sa.event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, (path, response.status_code)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server URL; a new database is made on it and dropped")
    parser.add_argument("--requests", type=int, default=100, help="requests per address")
    args = parser.parse_args()
    with fresh_database(args.database_url) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
        started = time.perf_counter()
        with app.app_context():
            flask_migrate.upgrade()
            officer_id, teacher_id = populate(random.Random(2026))
            dialect = db.engine.dialect.name
        print(
            f"Built {dialect} database in {time.perf_counter() - started:.1f} s: {PRODUCTS:,} products at "
            f"{SCHOOLS} schools, {REQUESTS:,} tool requests ({OPEN_REQUESTS:,} open)"
        )
        print(f"\n{'page':58} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7}")
        for who, path in (
            (teacher_id, "/tools/lookup?name=re&kind=reading&school_ids=1&school_ids=2"),
            (teacher_id, "/tools/lookup?name=story%20quiz&kind=math&school_ids=7&school_ids=9"),
            (teacher_id, "/tools/lookup?name=zzzz"),
            (teacher_id, "/tools/"),
            (officer_id, "/staff/tool-requests/?state=new"),
            (officer_id, "/staff/tool-requests/?state=decided"),
        ):
            p50, p95, queries = measure(app, who, path, args.requests)
            print(f"{path:58} {p50:7.1f} {p95:7.1f} {queries:7}")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
