"""A competing writer for outbox race tests: another real connection commits a key mid-INSERT."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa

from clearinghouse.extensions import db
from clearinghouse.notices.models import Notice


@contextmanager
def competing_insert(purpose_key: str, now: datetime) -> Iterator[list[bool]]:
    """Just before our first INSERT INTO notice, a second connection commits `purpose_key`.

    Yields a list that holds True once the competitor has run.
    """
    engine = db.engine
    raced: list[bool] = []

    def competitor(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO notice") and not raced:
            raced.append(True)
            with engine.begin() as other:  # a second, real connection: the other process
                other.execute(
                    Notice.__table__.insert().values(
                        purpose_key=purpose_key,
                        recipients="x@example.com",
                        subject="theirs",
                        body_text="b",
                        created_at=now,
                        next_attempt_at=now,
                    )
                )

    sa.event.listen(engine, "before_cursor_execute", competitor)
    try:
        yield raced
    finally:
        sa.event.remove(engine, "before_cursor_execute", competitor)
