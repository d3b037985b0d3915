"""Benchmark of planning and applying an inventory import, everything included.

    .venv/bin/python bench/import_plan.py [--rows 5000] [--database-url sqlite|postgresql://127.0.0.1/test]

Issue 11 item 10: a 5,000-row file and the statewide file are planned in under 3 s and applied in
under 10 s, in under 300 MB. Each scenario runs in a fresh process on a fresh, migrated database
(SQLite in a temporary directory, or a PostgreSQL database this bench creates and drops): it
reads the file, plans it with the choices the command line's `--yes --skip-problems` makes
(the proposals accepted, problem rows set aside), then applies the plan through the services in
one unit of work and commits (applying plans the file again inside the transaction). Prints wall
and CPU seconds for plan and apply, rows imported and set aside, and the process's peak resident
memory (ru_maxrss). Scenarios:

- generated: bench/import_read.py's 5,000-row district catalog as CSV (statuses with numbering,
  names with dates and parent companies, vendor spellings, grade bands, school years);
- statewide: bench/import_read.py's statewide registry listing of 1,572 rows (district, resource,
  company, status, signed and expiry dates, grades) as CSV: the real 1,572-row listing is not among
  ../shared/data, so one of its shape is generated (`--statewide FILE` reads a real one instead);
- ma-power-map: ../shared/data/ma-power-map__edtech-services.json, 21 Massachusetts districts
  compiled from the state registry (its largest table: every district's notable services, 305
  rows), as an officer would upload it; read from there, never copied.

The load average is printed before and after: the machine is shared, so wall time depends on it.
"""

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "bench"))

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from clearinghouse.app import create_app  # noqa: E402

MA_POWER_MAP = PROJECT_ROOT.parent / "shared" / "data" / "ma-power-map__edtech-services.json"
PLAN_BUDGET, APPLY_BUDGET, MEMORY_BUDGET_MB = 3.0, 10.0, 300


def _database(base: str, tmp: str, name: str) -> str:
    if base == "sqlite":
        return f"sqlite:///{tmp}/{name}.sqlite"
    base = base.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"


def _drop(base: str, name: str) -> None:
    if base == "sqlite":
        return
    base = base.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def run(url: str, data: bytes, filename: str, results: "multiprocessing.Queue") -> None:
    # Imported here so that the parent process stays small: each scenario's memory is its own.
    from clearinghouse.extensions import unit_of_work
    from clearinghouse.imports import files, queries, services
    from clearinghouse.imports.choices import PlanChoices

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "IMPORT_MAX_BYTES": 8 * 1024 * 1024})
    with app.app_context():
        flask_migrate.upgrade(directory=str(PROJECT_ROOT / "migrations"))
        start, cpu = time.perf_counter(), time.process_time()
        table = files.read_table(data, filename=filename)
        mapping = queries.suggested_mapping(table.headers)
        choices = PlanChoices(mapping=mapping)
        plan = services.plan_import(table, mapping, choices, skip_problems=True)
        planned = (time.perf_counter() - start, time.process_time() - cpu)
        choices.set_aside = {str(entry.number): entry.reason for entry in plan.set_aside}
        del plan  # as the command line does: applying plans the file again
        start, cpu = time.perf_counter(), time.process_time()
        with unit_of_work():
            applied_plan = services.apply_import(table, mapping, choices, actor=None)
        applied = (time.perf_counter() - start, time.process_time() - cpu)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.put((len(table.rows), planned, applied, len(applied_plan.created), len(applied_plan.set_aside), peak))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--database-url", default="sqlite", help="sqlite, or a PostgreSQL server's URL")
    parser.add_argument("--statewide", type=Path, help="a real statewide listing to import, not the generated one")
    args = parser.parse_args()

    import random

    from import_read import as_csv, catalog, statewide

    scenarios = [("generated", as_csv(catalog(args.rows, random.Random(11))), "catalog.csv")]
    if args.statewide:
        scenarios.append(("statewide", args.statewide.read_bytes(), args.statewide.name))
    else:
        scenarios.append(("statewide", as_csv(statewide(random.Random(11))), "statewide.csv"))
    if MA_POWER_MAP.exists():
        scenarios.append(("ma-power-map", MA_POWER_MAP.read_bytes(), MA_POWER_MAP.name))
    database = "SQLite" if args.database_url == "sqlite" else "PostgreSQL"
    print(f"{database}; load average {_load()} (1, 5, 15 min)")
    print("seconds as wall / CPU of this process (the machine is shared: CPU is what the import itself costs)")
    print(f"{'file':<12} {'rows':>6} {'plan s':>12} {'apply s':>14} {'created':>8} {'aside':>6} {'peak MB':>8}")
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        for name, data, filename in scenarios:
            database = f"ch_bench_import_{name}"
            url = _database(args.database_url, tmp, database)
            results = context.Queue()
            process = context.Process(target=run, args=(url, data, filename, results))
            process.start()
            process.join()
            _drop(args.database_url, database)
            if process.exitcode != 0:
                print(f"{name:<12} failed (exit {process.exitcode})")
                continue
            rows, planned, applied, created, aside, peak = results.get()
            within = planned[1] < PLAN_BUDGET and applied[1] < APPLY_BUDGET and peak < MEMORY_BUDGET_MB
            plan_s, apply_s = f"{planned[0]:.2f}/{planned[1]:.2f}", f"{applied[0]:.2f}/{applied[1]:.2f}"
            print(
                f"{name:<12} {rows:>6} {plan_s:>12} {apply_s:>14} {created:>8} {aside:>6} {peak:>8.0f}  "
                + ("ok" if within else "OVER BUDGET")
            )
    print(f"budgets: plan < {PLAN_BUDGET:g} s, apply < {APPLY_BUDGET:g} s (CPU), peak < {MEMORY_BUDGET_MB} MB")
    print(f"load average after: {_load()}")


def _load() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
