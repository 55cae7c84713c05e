"""Transaction helpers shared by every use case that reads something and then writes over it."""

from __future__ import annotations

from app.extensions import db


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
    if not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
