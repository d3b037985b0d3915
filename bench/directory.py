"""Benchmark of the public directory at district-and-beyond scale.

    .venv/bin/python bench/directory.py [--database-url postgresql://127.0.0.1/test] [--requests 200]

Builds a fresh database (a SQLite file in a temporary directory, or a new database on the
PostgreSQL server named by --database-url, dropped afterwards) with 10,000 vendors, 25,000
products and 150,000 data uses by bulk inserts, serves it with gunicorn on 127.0.0.1 (a free
port, two workers), and prints p50/p95 latency of each public page plus its SQL query count
(counted in-process with the test client). Every run is bounded: a fixed number of requests per
page and an overall time limit; it stops the server and cleans up by itself.
"""

import argparse
import itertools
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from clearinghouse.agreements.models import Agreement, agreement_product  # noqa: E402
from clearinghouse.app import create_app  # noqa: E402
from clearinghouse.directory.models import (  # noqa: E402
    DataCategory,
    DataElement,
    DataUse,
    Product,
    ProductKind,
    ProductStatus,
    School,
    Vendor,
    product_school,
)
from clearinghouse.directory.taxonomy import TAXONOMY  # noqa: E402
from clearinghouse.directory.taxonomy_translations import TRANSLATIONS  # noqa: E402
from clearinghouse.extensions import db  # noqa: E402
from clearinghouse.timeutil import district_today  # noqa: E402

VENDORS = 10_000
PRODUCTS = 25_000
USES_PER_PRODUCT = 6  # 150,000 data uses
SCHOOLS = 40
BATCH = 5_000
VALUES_ROWS = 1_000  # rows of one multi-row INSERT on PostgreSQL (under its 65,535 parameters)
GOAL_P50_MS = 25

WORDS = [
    "reading",
    "math",
    "science",
    "writing",
    "phonics",
    "fractions",
    "algebra",
    "geometry",
    "coding",
    "music",
    "art",
    "history",
    "maps",
    "spelling",
    "vocabulary",
    "grammar",
    "chemistry",
    "biology",
    "physics",
    "quizzes",
    "flashcards",
    "portfolio",
    "video",
    "audio",
    "library",
    "tutoring",
    "attendance",
    "grades",
    "behavior",
    "messaging",
    "translation",
    "typing",
    "keyboarding",
    "robotics",
    "design",
    "animation",
    "language",
    "assessment",
    "screening",
    "practice",
    "adaptive",
    "games",
    "feedback",
    "classroom",
    "homework",
    "planner",
    "calendar",
    "safety",
    "wellness",
]
NAME_PARTS = [
    "Bright",
    "Clever",
    "Happy",
    "Little",
    "Smart",
    "Quick",
    "North",
    "Blue",
    "Green",
    "Open",
    "Star",
    "Sun",
    "River",
    "Maple",
    "Cedar",
    "Summit",
    "Pioneer",
    "Beacon",
    "Spark",
    "Kite",
    "Owl",
    "Fox",
    "Apple",
    "Pencil",
    "Lantern",
    "Compass",
    "Harbor",
    "Orbit",
]


# Everyday words for the rest of each purpose: about 3,000 made-up ones, so that a topic word such as
# "reading" appears in a few percent of products, as in a real inventory, not in half of them.
SYLLABLES = ["ka", "lo", "mi", "ter", "san", "vo", "dre", "pul", "ne", "fi", "gra", "tos", "bel", "un", "ca"]
FILLER = sorted({a + b + c for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def fresh_database(base_url: str | None):
    """Yield the URL of a new, empty database; remove it afterwards."""
    if not base_url:
        with tempfile.TemporaryDirectory(prefix="ch-bench-") as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite"
        return
    url = make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"ch_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _insert(table, rows: list[dict]) -> None:
    """Insert in batches, each committed: the triggers that keep counts (data elements' receivers, the
    data version) update a few rows once per row or statement, and PostgreSQL keeps every version of
    a row updated within one transaction, so one huge transaction would slow down as it grows."""
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        if db.engine.dialect.name == "postgresql":
            # Multi-row INSERTs: the search index's statement triggers then refresh each product once
            # per statement, not once per row as executemany's one statement per row would make them.
            for at in range(0, len(batch), VALUES_ROWS):
                db.session.execute(sa.insert(table).values(batch[at : at + VALUES_ROWS]))
        else:
            db.session.execute(sa.insert(table), batch)
        db.session.commit()


def populate(
    rng: random.Random, today: date, *, vendor_count: int = VENDORS, product_count: int = PRODUCTS
) -> dict[str, str]:
    """Bulk-insert the catalogue (10,000 vendors and 25,000 products unless told); returns the slugs
    and words the benchmark asks for."""
    now = datetime.now(UTC)
    stamps = {"created_at": now, "updated_at": now, "version": 1}
    # The NDPA Exhibit B categories and elements with their Spanish names, as a district seeds them, so
    # that searches for everyday words ("health", "salud") expand to real data names.
    spanish = TRANSLATIONS["es"]
    _insert(
        DataCategory.__table__,
        [
            {
                "id": c,
                "name": category.name,
                "slug": f"category-{c}",
                "position": c,
                "translations": {"es": {"name": spanish[category.name][0]}},
            }
            for c, category in enumerate(TAXONOMY, start=1)
        ],
    )
    elements = []
    for c, category in enumerate(TAXONOMY, start=1):
        for e, element in enumerate(category.elements):
            n = len(elements) + 1
            elements.append(
                {
                    "id": n,
                    "category_id": c,
                    "name": element.name,
                    "slug": f"element-{n}",
                    "description": element.description,
                    "is_sensitive": element.is_sensitive,
                    "is_retired": False,
                    "position": e,
                    "translations": {"es": {"name": spanish[category.name][1][element.name][0]}},
                }
            )
    _insert(DataElement.__table__, elements)
    _insert(
        School.__table__,
        [
            {"id": s, "name": f"School {s}", "slug": f"school-{s}", "grade_band": "K-5", "is_retired": False}
            for s in range(1, SCHOOLS + 1)
        ],
    )
    _insert(
        Vendor.__table__,
        [
            {
                "id": v,
                "name": f"{rng.choice(NAME_PARTS)} {rng.choice(NAME_PARTS)} Learning {v}",
                "slug": f"vendor-{v}",
                "website": f"https://vendor{v}.example",
                "privacy_policy_url": "",
                "contact_email": "",
                "description_md": "",
                "internal_notes": "",
                "is_retired": v % 97 == 0,
                **stamps,
            }
            for v in range(1, vendor_count + 1)
        ],
    )
    statuses = (
        [ProductStatus.APPROVED] * 14
        + [ProductStatus.APPROVED_WITH_CONDITIONS] * 2
        + [ProductStatus.UNDER_REVIEW, ProductStatus.UNDER_REVIEW, ProductStatus.NOT_APPROVED, ProductStatus.RETIRED]
    )
    kinds = list(db.session.scalars(sa.select(ProductKind.id)))  # the kinds the migration seeds
    products, uses, schools_rows = [], [], []
    element_ids = range(1, len(elements) + 1)
    cum_weights = list(itertools.accumulate(1.0 / n for n in element_ids))  # a few elements are shared by most
    for p in range(1, product_count + 1):
        vendor_id = (p - 1) % vendor_count + 1
        words = [*rng.sample(WORDS, 2), *rng.choices(FILLER, k=23)]
        rng.shuffle(words)
        purpose = " ".join(words).capitalize() + "."
        products.append(
            {
                "id": p,
                "vendor_id": vendor_id,
                "name": f"{rng.choice(WORDS).title()} {p}",
                "slug": f"product-{p}",
                "kind_id": rng.choice(kinds),
                "status": rng.choice(statuses).value,
                "website": "",
                "purpose_md": purpose,
                "grade_bands": "K-5",
                "internal_notes": "",
                **{**stamps, "updated_at": now - timedelta(minutes=p)},
            }
        )
        chosen: set[int] = set()
        while len(chosen) < USES_PER_PRODUCT:
            chosen.update(rng.choices(element_ids, cum_weights=cum_weights, k=USES_PER_PRODUCT - len(chosen)))
        uses.extend(
            {"product_id": p, "data_element_id": element_id, "purpose": f"To run {rng.choice(WORDS)}."}
            for element_id in sorted(chosen)
        )
        for school_id in rng.sample(range(1, SCHOOLS + 1), 2):
            schools_rows.append({"product_id": p, "school_id": school_id})
    _insert(Product.__table__, products)
    for n, use in enumerate(uses, 1):
        use["id"] = n
    _insert(DataUse.__table__, uses)
    _insert(product_school, schools_rows)
    agreements, links = [], []
    for v in range(1, vendor_count + 1):
        roll = v % 50
        if roll == 0:
            continue  # no agreement on file
        start = today - timedelta(days=rng.randint(30, 1500))
        expires = start + timedelta(days=3 * 365)
        terminated = today - timedelta(days=10) if roll == 1 else None
        agreements.append(
            {
                "id": len(agreements) + 1,
                "vendor_id": v,
                "kind": "ndpa",
                "reference": f"NDPA {v}",
                "signed_on": start,
                "effective_on": start,
                "expires_on": None if roll in (2, 3) else expires,
                "auto_renews": roll == 4,
                "terminated_on": terminated,
                "termination_reason": "",
                "destruction_window_days": None,
                "document_id": None,
                "is_document_published": False,
                "renewed_by_id": None,
                "internal_notes": "",
                **stamps,
            }
        )
        for p in range(v, product_count + 1, vendor_count):
            links.append({"agreement_id": len(agreements), "product_id": p})
    _insert(Agreement.__table__, agreements)
    _insert(agreement_product, links)
    if db.engine.dialect.name == "postgresql":  # explicit ids leave the sequences behind
        for table in ("data_category", "data_element", "school", "vendor", "product", "data_use", "agreement"):
            db.session.execute(
                sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # what autovacuum would soon do: statistics, visibility map
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return {
        "product": "product-12345",
        "vendor": "vendor-2345",
        "common_element": "element-1",
        "element": "element-20",
        "school": "school-7",
        "word": "reading",
    }


def page_urls(picks: dict[str, str]) -> list[tuple[str, str]]:
    return [
        ("home", "/"),
        ("directory (no filter)", "/directory"),
        ("directory (a search)", f"/directory?q={picks['word']}"),
        ("directory (synonym: health)", "/directory?q=health"),
        ("directory (synonyms: two words)", "/directory?q=grades+photos"),
        ("directory /es/ (synonym: salud)", "/es/directory?q=salud"),
        ("directory (misspelt: readng)", "/directory?q=readng"),
        ("directory (two filters)", f"/directory?element={picks['element']}&school={picks['school']}"),
        ("directory (agreement + element)", f"/directory?agreement=expiring&element={picks['common_element']}"),
        ("product page", f"/products/{picks['product']}"),
        ("vendor page", f"/vendors/{picks['vendor']}"),
        ("data elements index", "/data"),
        ("data element page", f"/data/{picks['element']}"),
        ("data element page (most shared)", f"/data/{picks['common_element']}"),
    ]


def count_queries(app, urls: list[tuple[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        client = app.test_client()
        for label, url in urls:
            statements.clear()
            assert client.get(url).status_code == 200, url
            counts[label] = len(statements)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return counts


@contextmanager
def gunicorn(database_url: str, workers: int, page_cache: bool = True):
    """Serve the app on a free loopback port; its log goes to a file, shown only if it fails to start."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "PAGE_CACHE": "true" if page_cache else "false",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--chdir",
        str(PROJECT_ROOT),
        "--log-level",
        "warning",
        "wsgi:app",
    ]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(base + "/about", timeout=2).read()  # noqa: S310 - our loopback server
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise SystemExit("gunicorn did not start:\n" + log.read().decode(errors="replace")) from None
                    time.sleep(0.2)
            yield base
        finally:
            stop_server(process)


def stop_server(process: subprocess.Popen) -> None:
    """Stop a server the bench started: politely, then for good after 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def measure(base: str, url: str, requests: int, deadline: float) -> list[float]:
    for _ in range(5):  # warm the workers' caches and connections
        urllib.request.urlopen(base + url, timeout=10).read()  # noqa: S310 - our own loopback server
    timings = []
    for _ in range(requests):
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        with urllib.request.urlopen(base + url, timeout=10) as response:  # noqa: S310 - loopback
            response.read()
            assert response.status == 200, url
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server URL; a new database is made on it and dropped")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page (default 200)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--max-seconds", type=int, default=300, help="stop measuring after this long (default 300)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--no-page-cache",
        action="store_true",
        help="serve without the public page cache: every request runs its queries (a family's own search)",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with fresh_database(args.database_url) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        started = time.perf_counter()
        with app.app_context():
            flask_migrate.upgrade()
            picks = populate(rng, district_today())
            dialect = db.engine.dialect.name
            db.session.remove()
            db.engine.dispose()
        print(
            f"Built {dialect} database: {VENDORS:,} vendors, {PRODUCTS:,} products, "
            f"{PRODUCTS * USES_PER_PRODUCT:,} data uses in {time.perf_counter() - started:.1f} s"
        )
        urls = page_urls(picks)
        queries = count_queries(app, urls)
        with app.app_context():
            db.engine.dispose()
        deadline = time.monotonic() + args.max_seconds
        rows = []
        with gunicorn(url, args.workers, page_cache=not args.no_page_cache) as base:
            for label, path in urls:
                timings = measure(base, path, args.requests, deadline)
                rows.append((label, len(timings), percentile(timings, 0.5), percentile(timings, 0.95), queries[label]))
    print(f"\n{'page':32} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for label, count, p50, p95, n in rows:
        flag = "" if p50 < GOAL_P50_MS else f"  (over the {GOAL_P50_MS} ms goal)"
        print(f"{label:32} {count:8d} {p50:8.1f} {p95:8.1f} {n:8d}{flag}")
    p50 = {label: median for label, _, median, _, _ in rows}
    print(
        f"\nSearch at {PRODUCTS:,} products, p50: a word {p50['directory (a search)']:.1f} ms; with the synonym "
        f'expansion {p50["directory (synonym: health)"]:.1f} ms ("health"), '
        f'{p50["directory (synonyms: two words)"]:.1f} ms ("grades photos"), '
        f'{p50["directory /es/ (synonym: salud)"]:.1f} ms (/es/, "salud"); '
        f"a misspelling with its suggestion {p50['directory (misspelt: readng)']:.1f} ms"
    )
    print(
        f"\n{args.workers} gunicorn workers, {os.cpu_count()} cores, sequential requests over loopback; "
        f"median of all pages {statistics.median(r[2] for r in rows):.1f} ms; load average "
        + " ".join(f"{load:.2f}" for load in os.getloadavg())
        + " (other jobs on the machine slow every page)"
    )


if __name__ == "__main__":
    main()
