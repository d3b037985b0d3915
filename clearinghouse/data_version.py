"""The data version: one number that changes, in the same transaction, with every public fact.

The public answers' cache (`page_cache`) keys every answer on it, so an answer stored before a
change is never served after it. The database keeps the number itself: a single row of the
table `data_version`, bumped by triggers after every INSERT, UPDATE or DELETE (and TRUNCATE on
PostgreSQL) of each table whose rows reach a public answer. Whatever writes the row (a service
core, the importer, the sweep, the demo loader, a migration, raw SQL typed into psql) bumps it in
its own transaction, and the bump is visible exactly when the change is.

On PostgreSQL the triggers are deferred constraint triggers: they fire when the writer commits,
after all its other statements, and bump once per transaction. So the counter row is locked only
for the instant of a commit, never while a writer still waits for other rows: two writers that
touch the same product cannot deadlock on it (with triggers that fired at once, one that had
bumped and then waited for a product row held by another, waiting for the counter, did). A
TRUNCATE, which constraint triggers cannot watch, bumps at once through a statement trigger.
SQLite, which has only row-level triggers and one writer at a time, bumps once per row (in place:
cheap).

The row also holds an epoch, a random word drawn when the table is made (and by
`flask page-cache reset`), so that a database made again from scratch, or restored from a backup,
never meets answers a shared cache kept for another database's same number.

A migration that adds a table whose rows reach public answers calls `watch(op, table)`; one that
rebuilds a watched table on SQLite (Alembic's batch mode copies it, and dropping the old copy
drops its triggers) calls it again afterwards. `tests/foundation/test_data_version.py` fails for a
table that feeds public answers (a public column in `visibility.FIELDS`) without the triggers.
"""

import secrets
from typing import Any

from clearinghouse import kept_counts

TABLE = "data_version"
ROW_ID = 1
TRIGGER = "data_version_after_write"  # PostgreSQL: the deferred row trigger of each table, this name
TRUNCATE_TRIGGER = "data_version_after_truncate"  # PostgreSQL: and its statement trigger for TRUNCATE
FUNCTION = "data_version_bump"
BUMPED_SETTING = "clearinghouse.data_version_bumped"  # PostgreSQL: set for the rest of a transaction that bumped
SQLITE_EVENTS = ("insert", "update", "delete")

# The version, its epoch and the district's time zone (public answers show states derived from the
# district's date) in one statement: the cache's only query on a hit.
READ_SQL = (
    f"SELECT v.value, v.epoch, s.time_zone FROM {TABLE} v "  # noqa: S608 - constants only
    "LEFT JOIN district_settings s ON s.id = 1 "
    f"WHERE v.id = {ROW_ID}"
)


# A bump by hand: for a write no trigger watches (the kept counts' repair of the search vocabulary's words).
BUMP_SQL = f"UPDATE {TABLE} SET value = value + 1 WHERE id = {ROW_ID}"  # noqa: S608 - constants


def new_epoch() -> str:
    return secrets.token_hex(8)


def _sqlite_trigger(table: str, event: str) -> str:
    return f"data_version_{table}_{event}"


def create_statements(dialect: str, epoch: str) -> list[str]:
    """The counter table, its row and (on PostgreSQL) the trigger function."""
    statements = [
        f"CREATE TABLE {TABLE} (id INTEGER NOT NULL PRIMARY KEY, value BIGINT NOT NULL, epoch VARCHAR(32) NOT NULL, "
        f"CONSTRAINT ck_{TABLE}_one_row CHECK (id = {ROW_ID}))",
        f"INSERT INTO {TABLE} (id, value, epoch) VALUES ({ROW_ID}, 1, '{epoch}')",  # noqa: S608 - a hex word
    ]
    if dialect == "postgresql":
        statements.append(function_statement())
    return statements


def function_statement() -> str:
    """PostgreSQL's trigger function: one bump per transaction, however many statements it runs.

    It runs at commit, once for each row written (the triggers are deferred): bumping each time would
    make a bulk load (150,000 inserts in one transaction) slower with each row, since each update of
    the one row adds a version of it that the next must walk past. A transaction-local setting
    remembers the bump. Before it, the counts the transaction's triggers noted are made again
    (`kept_counts`), so that the version's row is the last of the one order in which writers lock
    kept counts at commit.
    """
    return (
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "  # noqa: S608
        f"IF current_setting('{kept_counts.MARKED_SETTING}', true) = 'on' THEN "
        f"PERFORM {kept_counts.APPLY_FUNCTION}(); "
        "END IF; "
        f"IF coalesce(current_setting('{BUMPED_SETTING}', true), '') <> 'on' THEN "
        f"UPDATE {TABLE} SET value = value + 1 WHERE id = {ROW_ID}; "
        f"PERFORM set_config('{BUMPED_SETTING}', 'on', true); "
        "END IF; RETURN NULL; END $$"
    )


def drop_statements(dialect: str) -> list[str]:
    statements = [f"DROP TABLE IF EXISTS {TABLE}"]
    if dialect == "postgresql":
        statements.append(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    return statements


def watch_statements(dialect: str, table: str) -> list[str]:
    """Triggers that bump the version after every write of `table` (made again if they exist)."""
    bump = f"{BUMP_SQL};"
    if dialect == "postgresql":
        return [
            *unwatch_statements(dialect, table),
            f'CREATE CONSTRAINT TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
            f'CREATE TRIGGER {TRUNCATE_TRIGGER} AFTER TRUNCATE ON "{table}" '
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
        ]
    statements = []
    for event in SQLITE_EVENTS:
        name = _sqlite_trigger(table, event)
        statements.append(f"DROP TRIGGER IF EXISTS {name}")
        statements.append(f'CREATE TRIGGER {name} AFTER {event.upper()} ON "{table}" BEGIN {bump} END')
    return statements


def unwatch_statements(dialect: str, table: str) -> list[str]:
    if dialect == "postgresql":
        return [f'DROP TRIGGER IF EXISTS {name} ON "{table}"' for name in (TRIGGER, TRUNCATE_TRIGGER)]
    return [f"DROP TRIGGER IF EXISTS {_sqlite_trigger(table, event)}" for event in SQLITE_EVENTS]


def watch(op: Any, table: str) -> None:
    """In a migration: bump the data version after every write of `table`."""
    for statement in watch_statements(op.get_bind().dialect.name, table):
        op.execute(statement)


def unwatch(op: Any, table: str) -> None:
    """In a migration's downgrade: stop watching `table`."""
    for statement in unwatch_statements(op.get_bind().dialect.name, table):
        op.execute(statement)


def watched_tables(connection: Any) -> set[str]:
    """The tables whose every write bumps the version (all three triggers on SQLite)."""
    if connection.dialect.name == "postgresql":
        rows = connection.exec_driver_sql(
            # tgtype bits: ROW 1, BEFORE 2, INSERT 4, DELETE 8, UPDATE 16, TRUNCATE 32, INSTEAD 64.
            # The write trigger: AFTER, per row, INSERT + DELETE + UPDATE (29), deferred until commit.
            # The TRUNCATE trigger: AFTER, per statement (32).
            "SELECT c.relname FROM pg_trigger w JOIN pg_class c ON c.oid = w.tgrelid "  # noqa: S608 - constants
            f"JOIN pg_trigger t ON t.tgrelid = w.tgrelid AND t.tgname = '{TRUNCATE_TRIGGER}' AND t.tgtype & 127 = 32 "
            f"WHERE w.tgname = '{TRIGGER}' AND w.tgtype & 127 = 29 AND w.tgdeferrable AND w.tginitdeferred"
        )
        return {name for (name,) in rows}
    names = {name for (name,) in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    tables = {
        table
        for (table,) in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
        if all(_sqlite_trigger(table, event) in names for event in SQLITE_EVENTS)
    }
    return tables


def read(connection: Any) -> tuple[int, str, str | None]:
    """(version, epoch, the district's time zone name or None) on a DBAPI-level connection."""
    row = connection.exec_driver_sql(READ_SQL).first()
    if row is None:
        raise LookupError(f"The {TABLE} table has no row: run the migrations.")
    return int(row[0]), str(row[1]), row[2]


def reset_epoch_statement(epoch: str) -> str:
    """A new epoch and a bump: every answer any cache holds is out of reach afterwards."""
    return f"UPDATE {TABLE} SET epoch = '{epoch}', value = value + 1 WHERE id = {ROW_ID}"  # noqa: S608 - a hex word
