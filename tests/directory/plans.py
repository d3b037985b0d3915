"""What the PostgreSQL plan-shape tests share: the statements a call runs, their plans, and tables
rewritten and analysed before planning (a test's rows are deleted after it, but their pages stay:
another test's thousands of rows left behind would change the planner's estimates)."""

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from clearinghouse.extensions import db


def compact_and_analyze(*tables: str) -> None:
    """VACUUM (FULL, ANALYZE) each table, outside the session's transaction (committed first): the
    table's pages are only its live rows', and its statistics fresh."""
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in tables:
            connection.execute(sa.text(f"VACUUM (FULL, ANALYZE) {table}"))


def statements_of(call: Callable[[], Any]) -> tuple[Any, list[tuple[str, Any]]]:
    """What `call` returns, and the statements (with their parameters) it sent, in order."""
    statements: list[tuple[str, Any]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        result = call()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
    return result, statements


def plan_of(statement: str, parameters: Any, *, analyze: bool = False) -> dict:
    """The root node of PostgreSQL's plan (EXPLAIN (FORMAT JSON)) of a statement sent as it was; with
    `analyze`, run, with each node's actual rows and loops."""
    cursor = db.session.connection().connection.driver_connection.cursor()
    cursor.execute(f"EXPLAIN ({'ANALYZE, ' if analyze else ''}FORMAT JSON) " + statement, parameters)
    plan = cursor.fetchone()[0]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
