"""Flask extensions, created once and bound to the app in create_app()."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.orm import Session

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
