"""Flask extensions, created unbound and attached in create_app, plus the unit of work."""

import gc
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, NamedTuple

from flask.globals import _cv_request  # the request's context itself, read once per statement
from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Connection, Dialect, Engine, Executable, MetaData, event, inspect
from sqlalchemy.orm import DeclarativeBase, Mapper, Session

from clearinghouse.sessions import LoginManager

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The WSGI environ's key for the connection a request's statements run on (`RequestSession`).
REQUEST_CONNECTION = "clearinghouse.connection"


class RequestSession(FlaskSession):
    """Flask-SQLAlchemy's session, which runs a request's statements on the connection the request
    carries in its environ under REQUEST_CONNECTION, when it carries one: the page cache gives an
    anonymous public answer's request the read-only connection in autocommit it has just read the data
    version on (`page_cache.VersionReader`). Any other work (no request, or none given) takes the
    engine's pool, as Flask-SQLAlchemy does."""

    def get_bind(
        self, mapper: Any = None, clause: Any = None, bind: Engine | Connection | None = None, **kwargs: Any
    ) -> Engine | Connection:
        if bind is None:
            context = _cv_request.get(None)
            if context is not None:
                given = context.request.environ.get(REQUEST_CONNECTION)
                if given is not None:
                    return given
        return super().get_bind(mapper, clause, bind, **kwargs)


def set_outside_transaction(dbapi_connection: Any, statement: str) -> None:
    """Run a session setting (`SET …`) on a new psycopg connection in autocommit, so that no
    transaction is left open by it, then put the connection's mode back."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        dbapi_connection.execute(statement)
    finally:
        dbapi_connection.autocommit = autocommit


db = SQLAlchemy(model_class=Base, session_options={"class_": RequestSession})


# The statements prepared on a connection by `constant_rows` (kept in the connection's info, oldest first), and
# how many it keeps: a statement built for its day is a new one the next day.
_PREPARED = "clearinghouse.prepared"
PREPARED_KEPT = 16


class _WrittenOut(NamedTuple):
    sql: str  # the statement with its values written in
    name: str  # its name, prepared (from its SQL: the same statement, the same name on every connection)


@lru_cache(maxsize=16)
def _written_out(statement: Executable, dialect: Dialect) -> _WrittenOut:
    """The statement's SQL with its values written in and its prepared name, compiled once (the statements
    given are built once)."""
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    return _WrittenOut(sql, f"constant_{hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()}")


def constant_rows(statement: Executable) -> list[Any]:
    """The rows of a statement of columns that takes nothing from its reader (every value of it written in when
    built, as the reports' figures are), run on the session's connection.

    On the page cache's connection in autocommit (PostgreSQL, `RequestSession`), which no ROLLBACK clears, it
    is prepared once (`PREPARE`, its values written in, so that its plan depends on nothing a later request
    brings) and executed by name: PostgreSQL plans it once per connection. The reports' figures took 1.3-2 ms
    to plan on every miss, about a third of their time. Elsewhere (SQLite, a transaction of the pool, which
    ends in a ROLLBACK) it runs as any statement. Values are as the driver reads them (no ORM types). Nothing
    is flushed first: the caller only reads."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql" or not connection.connection.dbapi_connection.autocommit:
        return list(connection.execute(statement).all())
    written = _written_out(statement, connection.dialect)
    prepared = connection.connection.info.setdefault(_PREPARED, OrderedDict())
    if written.name not in prepared:
        if len(prepared) >= PREPARED_KEPT:
            connection.exec_driver_sql(f"DEALLOCATE {prepared.popitem(last=False)[0]}", {})
        # Empty parameters: the SQL's doubled percent signs read as one, as for any statement of the dialect.
        connection.exec_driver_sql(f"PREPARE {written.name} AS {written.sql}", {})
        prepared[written.name] = True
    return list(connection.exec_driver_sql(f"EXECUTE {written.name}", {}).all())


migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()  # configured by clearinghouse.i18n.init_app (languages, the URL's locale)


@event.listens_for(Mapper, "init")
@event.listens_for(Mapper, "load")
def _give_state_its_dict(target: object, *_: object) -> None:
    """Work around a CPython 3.11 heap corruption (fixed by 3.12's deferred GC).

    On 3.11, storing a new attribute name on an InstanceState whose attributes are still inline
    allocates its __dict__, and that allocation can run the cyclic GC; if the GC frees the state's
    own object, its weakref callback (InstanceState._cleanup) stores attributes on the same state and
    the inline values are freed twice (session.close() -> _detach_states, seen as segfaults in long
    runs). Reading __dict__ while the object is surely alive makes every later store a plain dict write.
    """
    inspect(target).__dict__  # noqa: B018 - the read materializes the dict


_AFTER_COMMIT = "clearinghouse.after_commit"
_ON_ROLLBACK = "clearinghouse.on_rollback"


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit everything done in the block, or nothing.

    The services' write functions only flush; whoever starts the work (a view, a command, the
    importer, the demo loader, the sweep) wraps one or several of them in one unit of work. After
    the commit it runs what they asked for with `after_commit` (sending an e-mail now); after a
    rollback, what they asked for with `on_rollback` (deleting a file written for the work).
    """
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()  # runs the on_rollback callbacks (see _undo_on_rollback)
        raise
    for callback in db.session.info.pop(_AFTER_COMMIT, []):
        callback()


def after_commit(callback: Callable[[], object]) -> None:
    """Call `callback` once the unit of work open now has committed; never if it rolls back."""
    db.session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def on_rollback(callback: Callable[[], object]) -> None:
    """Call `callback` if the transaction open now rolls back: undo what the database cannot (a file)."""
    db.session.info.setdefault(_ON_ROLLBACK, []).append(callback)


@event.listens_for(Session, "after_commit")
def _keep_on_commit(session: Session) -> None:
    """Committed (the whole transaction, not a savepoint): what on_rollback would undo is now on record."""
    if not session.in_nested_transaction():
        session.info.pop(_ON_ROLLBACK, None)


@event.listens_for(Session, "after_rollback")
def _undo_on_rollback(session: Session) -> None:
    """Rolled back (the whole transaction, by a unit of work or by an error page): undo; drop the after-commit work."""
    if session.in_nested_transaction():
        return
    session.info.pop(_AFTER_COMMIT, None)
    for callback in session.info.pop(_ON_ROLLBACK, []):
        try:
            callback()
        except Exception:  # the rollback's own cause matters more; a leftover file is only logged
            log.exception("Undoing part of a rolled-back transaction failed")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during a bulk write (an import of thousands of rows).

    Building tens of thousands of ORM objects makes the collector run full collections again and
    again, each walking every object alive: a 5,000-row import spent a third of its CPU there.
    Reference counting still frees what is dropped; the collector resumes when the block ends.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
