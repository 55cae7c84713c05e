"""Flask extensions, created once and bound to the app in create_app()."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import CursorResult, Executable, Integer, MetaData, Table, event, text
from sqlalchemy.orm import Session

_Row = TypeVar("_Row")

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# One session per request or command; objects stay usable after commit instead of reloading every attribute.
db = SQLAlchemy(
    metadata=MetaData(naming_convention=NAMING_CONVENTION), session_options={"expire_on_commit": False}
)
if TYPE_CHECKING:  # what db.Model is, for the type checker (Flask-SQLAlchemy builds it at run time)
    from sqlalchemy.orm import DeclarativeBase

    class Model(DeclarativeBase):
        pass
else:
    Model = db.Model

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def client_address() -> str:
    """The client's address (behind TRUSTED_PROXIES, werkzeug's ProxyFix has already put it here)."""
    return request.remote_addr or "unknown"


# Throttles for sign-in (per client, per account and client): counted in each process's memory unless
# RATELIMIT_STORAGE_URI names a shared store (see README, Production).
limiter = Limiter(key_func=client_address, default_limits=[], headers_enabled=True)

_HELD = "govshare_held"


@event.listens_for(Session, "loaded_as_persistent")
def _hold_loaded(session: Session, instance) -> None:
    """Keep every row loaded in a transaction alive until it ends.

    The session's identity map holds objects weakly: a row a service read and let go (an application line
    read by a form's options, then by each service operation of the same step) was collected and read again
    from the database, once per caller. Held until the transaction ends, it is read once per transaction (#21).
    """
    session.info.setdefault(_HELD, []).append(instance)


@event.listens_for(Session, "after_transaction_end")
def _let_go(session: Session, transaction) -> None:
    # The transaction itself (committed, rolled back or closed), not a savepoint inside it.
    if transaction.parent is None:
        session.info.pop(_HELD, None)


def stored(model: type[_Row], key: Any) -> _Row:
    """The row `key` of `model` that the caller knows exists (an id the case recorded itself, a foreign key
    just followed). A missing one is a bug, raised as LookupError (an incident when a BPMN operation meets it)."""
    row = db.session.get(model, key)
    if row is None:
        raise LookupError(f"{model.__name__} {key!r} does not exist")
    return row


def rows_changed(statement: Executable) -> int:
    """Run an UPDATE or DELETE in the session's transaction; how many rows it changed (a conditional UPDATE
    that claims a row answers 1 to the one process that won)."""
    return cast(CursorResult[Any], db.session.execute(statement)).rowcount


def sequences_past_ids(tables: Iterable[Table]) -> None:
    """PostgreSQL: each table with a single integer `id` key has its id sequence moved past the ids its rows
    were inserted with (rows copied in whole: the demo snapshots of the tests, the benchmarks' generator); an
    empty table's is left alone. Nothing on SQLite, which takes the next id from the rows themselves."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        if "id" in table.c and isinstance(table.c.id.type, Integer) and len(table.primary_key.columns) == 1:
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), max(id)) "
                    f'FROM "{table.name}" HAVING max(id) IS NOT NULL'
                )
            )
