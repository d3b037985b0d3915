"""Benchmark of the daily sweep over 100,000 agreements and 20,000 open destruction requests.

    .venv/bin/python bench/sweep.py [--database-url postgresql://127.0.0.1/test]

Builds a fresh database (a SQLite file in a temporary directory, or a new database on the
PostgreSQL server named by --database-url, dropped afterwards) by bulk inserts: 10,000 vendors
with contacts and vendor users, 20,000 products, 100,000 agreements (most active, some inside the
expiry warning marks, some ended without renewal, some renewed, some ended with a request already
open), and 20,000 open destruction requests due before, on and after today, each with its
"issued" notice already sent. Then it runs the real sweep, `sweep.run(today, deliver=False)`,
in a child process (so the build's memory does not count) and prints its wall time, its peak
resident memory (the process's own high-water mark: see `peak_rss_mb`) and what it did; then
runs it again the same day, which must open and queue nothing. Goal: each run under 60 s and
under 500 MB.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.directory import fresh_database  # noqa: E402
from clearinghouse.accounts.models import User  # noqa: E402
from clearinghouse.agreements.models import Agreement, agreement_product  # noqa: E402
from clearinghouse.app import create_app  # noqa: E402
from clearinghouse.destruction.models import DestructionRequest  # noqa: E402
from clearinghouse.directory.models import Product, ProductKind, Vendor  # noqa: E402
from clearinghouse.extensions import db  # noqa: E402
from clearinghouse.notices.models import Notice  # noqa: E402
from clearinghouse.settings.services import ensure_settings  # noqa: E402
from clearinghouse.timeutil import district_today  # noqa: E402

VENDORS = 10_000
PRODUCTS_PER_VENDOR = 2
AGREEMENTS = 100_000
OPEN_REQUESTS = 20_000
DISTRICT_REQUEST_SHARE = 0.2  # of the open requests: opened by an officer, not by the sweep
OFFICERS = 3
BATCH = 5_000
GOAL_SECONDS = 60
GOAL_MB = 500

# What the agreements that have no open request are, in shares of all agreements (the rest are active).
EXPIRING = 0.06  # signed, ends within the 90-day warning horizon
ENDED_NEW = 0.02  # ended (expired or terminated) since the last sweep: the sweep opens its request
RENEWED = 0.06  # ended and superseded by a successor: no request
DRAFT = 0.01


def _insert(table, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(sa.insert(table), rows[start : start + BATCH])


def populate(rng: random.Random, today: date) -> dict[str, int]:
    """Bulk-insert the district; returns how many rows of each kind the sweep will look at."""
    now = datetime.now(UTC)
    stamps = {"created_at": now, "updated_at": now}
    ensure_settings()
    _insert(
        User.__table__,
        [{"email": f"officer{n}@district.example", "role": "officer", **stamps} for n in range(1, OFFICERS + 1)],
    )
    # Every vendor has a public contact address but one in 500; every other vendor has a vendor user.
    _insert(
        Vendor.__table__,
        [
            {
                "id": v,
                "name": f"Vendor {v} Learning",
                "slug": f"vendor-{v}",
                "contact_email": "" if v % 500 == 0 else f"privacy@vendor{v}.example",
                **stamps,
                "version": 1,
            }
            for v in range(1, VENDORS + 1)
        ],
    )
    _insert(
        User.__table__,
        [
            {"email": f"user@vendor{v}.example", "role": "vendor", "vendor_id": v, **stamps}
            for v in range(2, VENDORS + 1, 2)
            if v % 500
        ],
    )
    product_kinds = list(db.session.scalars(sa.select(ProductKind.id).order_by(ProductKind.id)))  # seeded
    _insert(
        Product.__table__,
        [
            {
                "id": p,
                "vendor_id": (p - 1) % VENDORS + 1,
                "kind_id": product_kinds[p % len(product_kinds)],
                "name": f"Product {p}",
                "slug": f"product-{p}",
                "purpose_md": "Lessons and practice.",
                **stamps,
                "version": 1,
            }
            for p in range(1, VENDORS * PRODUCTS_PER_VENDOR + 1)
        ],
    )

    kinds = (
        ["expiring"] * round(AGREEMENTS * EXPIRING)
        + ["ended_new"] * round(AGREEMENTS * ENDED_NEW)
        + ["renewed"] * round(AGREEMENTS * RENEWED)
        + ["draft"] * round(AGREEMENTS * DRAFT)
        + ["request"] * round(OPEN_REQUESTS * (1 - DISTRICT_REQUEST_SHARE))
    )
    kinds += ["active"] * (AGREEMENTS - len(kinds))
    rng.shuffle(kinds)
    agreements, links, requests, notices = [], [], [], []
    successors = []  # active agreements: one may renew an ended agreement of its vendor
    counts = {"expiring": 0, "ended_new": 0, "open_requests": 0}
    for n, kind in enumerate(kinds, 1):
        vendor_id = (n - 1) % VENDORS + 1
        signed = today - timedelta(days=rng.randint(400, 2000))
        row = {
            "id": n,
            "vendor_id": vendor_id,
            "kind": "ndpa",
            "reference": f"NDPA {n}",
            "signed_on": signed,
            "effective_on": signed,
            "expires_on": None,
            "auto_renews": False,
            "terminated_on": None,
            "destruction_window_days": None,
            "renewed_by_id": None,
            **stamps,
            "version": 1,
        }
        if kind == "active":
            roll = rng.random()
            if roll < 0.1:
                pass  # open-ended
            elif roll < 0.15:
                row.update(expires_on=signed + timedelta(days=365), auto_renews=True)
            else:
                row["expires_on"] = today + timedelta(days=rng.randint(91, 1100))
            successors.append(n)
        elif kind == "draft":
            row.update(signed_on=None, effective_on=None, expires_on=today + timedelta(days=rng.randint(30, 700)))
        elif kind == "expiring":
            row["expires_on"] = today + timedelta(days=rng.randint(0, 90))
            counts["expiring"] += 1
        elif kind == "ended_new":
            if rng.random() < 0.15:
                row.update(
                    terminated_on=today - timedelta(days=rng.randint(0, 3)),
                    termination_reason="Breach.",
                    expires_on=today + timedelta(days=400),
                )
            else:
                row["expires_on"] = today - timedelta(days=rng.randint(1, 3))
            counts["ended_new"] += 1
        elif kind == "renewed":
            row["expires_on"] = today - timedelta(days=rng.randint(1, 700))
        else:  # ended a while ago; the sweep opened its request then
            issued = today - timedelta(days=rng.randint(0, 150))
            row["expires_on"] = issued - timedelta(days=1)
            row["destruction_window_days"] = rng.choice([None, None, None, 30, 90])
            requests.append(_request(len(requests) + 1, row, issued, now))
        agreements.append(row)
        links.append({"agreement_id": n, "product_id": vendor_id + VENDORS * rng.randrange(PRODUCTS_PER_VENDOR)})
    # Officers' own directives, some tied to an active agreement (each to its own: an agreement has
    # one request), some to none.
    directed = iter(rng.sample(successors, OPEN_REQUESTS - len(requests)))
    while len(requests) < OPEN_REQUESTS:
        issued = today - timedelta(days=rng.randint(0, 150))
        agreement = agreements[next(directed) - 1]
        request = _request(len(requests) + 1, agreement, issued, now)
        request.update(
            origin="district_request",
            origin_key=None,
            reason="At the district's written request.",
            agreement_id=agreement["id"] if rng.random() < 0.5 else None,
            due_on=issued + timedelta(days=rng.choice([30, 60])),
        )
        requests.append(request)
    for request in requests:
        counts["open_requests"] += 1
        notices.append(
            {
                "purpose_key": f"request:{request['id']}:issued",
                "recipients": f"privacy@vendor{request['vendor_id']}.example",
                "subject": "Directive to dispose of student data",
                "body_text": "…",
                "status": "sent",
                "attempts": 1,
                "created_at": now,
                "next_attempt_at": now,
                "sent_at": now,
                "subject_type": "destruction_request",
                "subject_id": request["id"],
            }
        )
    _insert(Agreement.__table__, agreements)
    # Each renewed agreement points at a distinct active successor of the same vendor (inserted first: a
    # successor may come later in the list).
    spare: dict[int, list[int]] = {}
    for n in successors:
        spare.setdefault(agreements[n - 1]["vendor_id"], []).append(n)
    renewals = [
        {"b_id": a["id"], "b_successor": spare[a["vendor_id"]].pop()}
        for a in agreements
        if kinds[a["id"] - 1] == "renewed" and spare.get(a["vendor_id"])
    ]
    table = Agreement.__table__
    db.session.execute(
        table.update().where(table.c.id == sa.bindparam("b_id")).values(renewed_by_id=sa.bindparam("b_successor")),
        renewals,
    )
    _insert(agreement_product, links)
    _insert(DestructionRequest.__table__, requests)
    _insert(Notice.__table__, notices)
    if db.engine.dialect.name == "postgresql":  # explicit ids leave the sequences behind
        for table in ("vendor", "product", "agreement", "destruction_request"):
            db.session.execute(
                sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # what autovacuum would soon do
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return counts


def _request(request_id: int, agreement: dict, issued: date, now: datetime) -> dict:
    window = agreement["destruction_window_days"] or 60
    return {
        "id": request_id,
        "vendor_id": agreement["vendor_id"],
        "agreement_id": agreement["id"],
        "origin_key": f"agreement:{agreement['id']}:ended",
        "origin": "agreement_ended",
        "reason": f"The agreement NDPA {agreement['id']} expired and was not renewed.",
        "issued_on": issued,
        "due_on": issued + timedelta(days=window),
        "status": "open",
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory.

    Linux's getrusage maxrss survives fork + exec, so a child started by this (large) builder
    would report the builder's peak; the kernel's per-image high-water mark (VmHWM) is the sweep's
    own. getrusage elsewhere (kilobytes on Linux, bytes on macOS).
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 1024
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def run_sweep(database_url: str, today: date) -> None:
    """The child process: run the sweep once and print one JSON line of figures."""
    from clearinghouse import sweep

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        baseline_mb = peak_rss_mb()
        started = time.perf_counter()
        report = sweep.run(today, deliver=False)
        seconds = time.perf_counter() - started
        peak_mb = peak_rss_mb()
        notices = db.session.scalar(sa.select(sa.func.count()).select_from(Notice))
    print(
        json.dumps(
            {
                "seconds": seconds,
                "baseline_mb": baseline_mb,
                "peak_mb": peak_mb,
                "opened": len(report.opened),
                "warnings": len(report.warnings),
                "reminders": len(report.reminders),
                "escalations": len(report.escalations),
                "problems": len(report.problems),
                "notices_in_outbox": notices,
            }
        )
    )


def sweep_in_child(database_url: str, today: date) -> dict:
    command = [sys.executable, __file__, "--child", database_url, "--today", today.isoformat()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=15 * 60, check=False)
    if result.returncode != 0:
        raise SystemExit("The sweep failed:\n" + result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server URL; a new database is made on it and dropped")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--today", type=date.fromisoformat, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_sweep(args.child, args.today)
        return

    today = district_today()
    with fresh_database(args.database_url) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        started = time.perf_counter()
        with app.app_context():
            flask_migrate.upgrade()
            counts = populate(random.Random(args.seed), today)
            dialect = db.engine.dialect.name
            db.session.remove()
            db.engine.dispose()
        print(
            f"Built {dialect} database in {time.perf_counter() - started:.1f} s: {VENDORS:,} vendors, "
            f"{AGREEMENTS:,} agreements ({counts['expiring']:,} inside the warning marks, {counts['ended_new']:,} "
            f"newly ended), {counts['open_requests']:,} open destruction requests; sweeping as of {today}"
        )
        runs = [("first run", sweep_in_child(url, today)), ("again, same day", sweep_in_child(url, today))]
    print(
        f"\n{'sweep':16} {'seconds':>8} {'peak MB':>8} {'opened':>7} {'warnings':>8} {'reminders':>9} "
        f"{'escalations':>11} {'problems':>8}"
    )
    for label, r in runs:
        flags = [f"over {GOAL_SECONDS} s"] if r["seconds"] >= GOAL_SECONDS else []
        flags += [f"over {GOAL_MB} MB"] if r["peak_mb"] >= GOAL_MB else []
        print(
            f"{label:16} {r['seconds']:8.1f} {r['peak_mb']:8.0f} {r['opened']:7,} {r['warnings']:8,} "
            f"{r['reminders']:9,} {r['escalations']:11,} {r['problems']:8,}"
            + (f"  ({', '.join(flags)})" if flags else "")
        )
    first = runs[0][1]
    print(
        f"\nPeak memory is the sweep process's high-water mark ({first['baseline_mb']:.0f} MB of it before the sweep "
        f"started: interpreter, app, drivers); {first['notices_in_outbox']:,} notices in the outbox after the "
        f"first run; deliver=False (SMTP delivery is not timed); {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}."
    )


if __name__ == "__main__":
    main()
