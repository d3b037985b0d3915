"""Flask extensions, created unbound and attached in create_app, plus the unit of work."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event, inspect
from sqlalchemy.orm import DeclarativeBase, Mapper

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
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


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit everything done in the block, or nothing."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
