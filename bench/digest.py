"""Benchmark of the sweep's digests: 10,000 subscribers, a busy week of public changes.

    .venv/bin/python bench/digest.py [--database-url postgresql://127.0.0.1/test] [--subscribers N]

Builds a fresh database (a SQLite file in a temporary directory, or a new database on the
PostgreSQL server named by --database-url, dropped afterwards) by bulk inserts: 200 vendors,
2,000 products used at 60 schools, 400 disclosure revisions over the last seven days, and the
subscribers, confirmed before them, each following the district (10 %), a school (30 %) or one to
three products (60 %). Then it runs the real sweep with `deliver=False` on the day every digest is
due and prints its wall time, its SQL statements and the digests queued (rendered, in English or
Spanish); then runs it again the same day, which must queue nothing. Goal: under 60 s.
"""

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.directory import fresh_database  # noqa: E402
from clearinghouse import sweep  # noqa: E402
from clearinghouse.app import create_app  # noqa: E402
from clearinghouse.audit.models import DisclosureRevision  # noqa: E402
from clearinghouse.directory.models import Product, School, Vendor, product_school  # noqa: E402
from clearinghouse.extensions import db  # noqa: E402
from clearinghouse.settings.services import ensure_settings  # noqa: E402
from clearinghouse.subscriptions.models import Subscriber, Subscription  # noqa: E402
from clearinghouse.timeutil import add_business_days, district_today  # noqa: E402

VENDORS = 200
PRODUCTS = 2_000
SCHOOLS = 60
REVISIONS = 400
BATCH = 5_000
GOAL_SECONDS = 60


def _insert(table, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(sa.insert(table), rows[start : start + BATCH])
        db.session.commit()


def populate(rng: random.Random, subscribers: int) -> None:
    now = datetime.now(UTC)
    stamps = {"created_at": now, "updated_at": now}
    ensure_settings()
    db.session.commit()
    _insert(
        Vendor.__table__,
        [{"name": f"Vendor {n}", "name_key": f"vendor {n}", "slug": f"vendor-{n}", **stamps} for n in range(VENDORS)],
    )
    _insert(
        School.__table__,
        [{"name": f"School {n}", "name_key": f"school {n}", "slug": f"school-{n}"} for n in range(SCHOOLS)],
    )
    _insert(
        Product.__table__,
        [
            {
                "vendor_id": 1 + n % VENDORS,
                "name": f"Product {n}",
                "name_key": f"product {n}",
                "slug": f"product-{n}",
                "kind": "reading",
                "status": "approved",
                **stamps,
            }
            for n in range(PRODUCTS)
        ],
    )
    _insert(
        product_school,
        [
            {"product_id": product, "school_id": school}
            for product in range(1, PRODUCTS + 1)
            for school in rng.sample(range(1, SCHOOLS + 1), 3)
        ],
    )
    _insert(
        Subscriber.__table__,
        [
            {
                "email": f"parent{n}@families.example",
                "language": "es" if n % 4 == 0 else "en",
                "nonce": f"{n:032x}",
                "created_at": now - timedelta(days=30),
                "confirmed_at": now - timedelta(days=30),
                "reported_through": 0,
            }
            for n in range(subscribers)
        ],
    )
    follows = []
    for subscriber in range(1, subscribers + 1):
        roll = rng.random()
        if roll < 0.1:
            targets = [("district", None)]
        elif roll < 0.4:
            targets = [("school", rng.randint(1, SCHOOLS))]
        else:
            targets = [("product", p) for p in rng.sample(range(1, PRODUCTS + 1), rng.randint(1, 3))]
        for scope, target in targets:
            follows.append(
                {
                    "subscriber_id": subscriber,
                    "scope": scope,
                    "product_id": target if scope == "product" else None,
                    "school_id": target if scope == "school" else None,
                    "target_key": scope if target is None else f"{scope}:{target}",
                    "created_at": now - timedelta(days=30),
                    "confirmed_at": now - timedelta(days=30),
                }
            )
    _insert(Subscription.__table__, follows)
    start = now - timedelta(days=7)
    revisions = []
    for n in range(REVISIONS):
        product = rng.randint(1, PRODUCTS)
        revisions.append(
            {
                "occurred_at": start + timedelta(minutes=25 * n),
                "vendor_id": 1 + (product - 1) % VENDORS,
                "product_id": product,
                "kind": "data_use.added",
                "summary": f"Product {product - 1} now receives test scores.",
                "details": {},
            }
        )
    _insert(DisclosureRevision.__table__, revisions)


def timed_sweep(app, day) -> tuple[float, int, int]:
    statements = []

    def count(*_args) -> None:
        statements.append(1)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            started = time.perf_counter()
            report = sweep.run(day, deliver=False)
            elapsed = time.perf_counter() - started
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
            db.session.remove()
    return elapsed, len(statements), len(report.digests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--subscribers", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(13)
    with fresh_database(args.database_url) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "BASE_URL": "https://bench.example"})
        with app.app_context():
            flask_migrate.upgrade()
            populate(rng, args.subscribers)
            due = add_business_days(district_today(), 5)
            db.session.remove()
        engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        print(f"{engine}: {args.subscribers:,} subscribers, {REVISIONS} revisions in the week, digests due {due}")
        elapsed, statements, digests = timed_sweep(app, due)
        print(f"  first sweep:  {elapsed:6.1f} s, {statements:,} SQL statements, {digests:,} digests queued")
        elapsed, statements, digests = timed_sweep(app, due)
        print(f"  second sweep: {elapsed:6.1f} s, {statements:,} SQL statements, {digests:,} digests queued")
        with app.app_context():
            db.engine.dispose()
        if digests:
            sys.exit("The second sweep queued digests again.")


if __name__ == "__main__":
    main()
