"""Where a transaction begins and ends: the unit of work every entry point opens, and the helpers of use cases
that read something and then write over it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

import click
from flask import Response, current_app, has_app_context
from flask.cli import ScriptInfo
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.errors import Conflict
from app.extensions import db

log = logging.getLogger(__name__)


def begin_write() -> None:
    """Take the database's write lock now, before the reads a write will depend on (SQLite).

    pysqlite runs SELECTs outside a transaction and begins one only at the first write, so two requests
    could both read a row as it was and both write over it. `BEGIN IMMEDIATE` makes SQLite serialize such
    use cases the way `SELECT … FOR UPDATE` serializes them per row on PostgreSQL, where this does nothing.
    Used by the light use cases without a version check (claim, unclaim, reassign, draft; messages, retries,
    cancellations); completing a task stays optimistic (runtime._open_task_locked) so that the engine work of
    two processes overlaps. Waiting is bounded by busy_timeout; a timeout raises "database is locked".
    """
    if db.engine.dialect.name != "sqlite":
        return
    connection = db.session.connection()
    if not getattr(connection.connection.driver_connection, "in_transaction", True):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def conflicts_as_409() -> Iterator[None]:
    """Turn a lost race (another transaction changed the same rows first) into a clear Conflict."""
    try:
        yield
    except (StaleDataError, IntegrityError) as err:
        # IntegrityError: a row the use case would create was created by a concurrent one first.
        log.info("lost race: %s", err)
        db.session.rollback()
        raise Conflict(_("该事项已被他人处理，请刷新后重试")) from None
    except OperationalError as err:
        # SQLite: a read transaction cannot upgrade to write after another writer committed.
        if "locked" not in str(err).lower():
            raise
        db.session.rollback()
        raise Conflict(_("该事项已被他人处理，请刷新后重试")) from None


@contextmanager
def unit_of_work() -> Iterator[None]:
    """One use case's transaction, opened by its entry point (a page, an API call, a CLI command, a scheduler
    job): everything done inside is committed together when the block ends, or rolled back when it raises.

    Services and the engine never commit (tests/unit/test_architecture.py counts): they add, change and flush in
    the caller's transaction, so a use case that calls three services is still one transaction. A commit that
    loses a race (another transaction changed the same rows) becomes a Conflict (409).
    """
    try:
        yield
        with conflicts_as_409():
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def view_in_unit_of_work(view: Callable[..., Any]) -> Callable[..., Response]:
    """A page or API endpoint as one unit of work (create_app wraps every view): a response below 400 commits
    what the view did, an error response or an exception rolls it back."""

    @wraps(view)
    def in_unit_of_work(*args: Any, **kwargs: Any) -> Response:
        try:
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code < 400:
                with conflicts_as_409():
                    db.session.commit()
            else:
                db.session.rollback()
        except BaseException:
            db.session.rollback()
            raise
        return response

    return in_unit_of_work


def command_in_unit_of_work(callback: Callable[..., Any]) -> Callable[..., Any]:
    """A CLI command as one unit of work (register_commands wraps every command): it runs in the app's
    context; what it did is committed when it ends, rolled back when it fails (a non-zero exit included)."""

    @wraps(callback)
    def in_unit_of_work(*args: Any, **kwargs: Any) -> Any:
        if not has_app_context():
            app = click.get_current_context().ensure_object(ScriptInfo).load_app()
            with app.app_context():
                return in_unit_of_work(*args, **kwargs)
        finished: SystemExit | None = None
        with unit_of_work():
            try:
                result = callback(*args, **kwargs)
            except SystemExit as stop:
                if stop.code not in (None, 0):
                    raise
                finished = stop  # a command that ends with exit 0 has done its work: committed
        if finished is not None:
            raise finished
        return result

    return in_unit_of_work
