"""Transaction helpers shared by every use case that reads something and then writes over it."""

from __future__ import annotations

from app.extensions import db


def begin_write() -> None:
    """Take the database's write lock now, before the reads a write will depend on (SQLite).

    pysqlite runs SELECTs outside a transaction and begins one only at the first write, so two requests
    could both read a task as open and both act on it; the loser's first write then met the winner's rows
    (a UNIQUE failure, not a conflict). `BEGIN IMMEDIATE` makes SQLite serialize such use cases the way
    `SELECT … FOR UPDATE` serializes them per row on PostgreSQL, where this does nothing. Waiting is bounded
    by the connection's busy_timeout; a timeout raises OperationalError "database is locked".
    """
    if db.engine.dialect.name != "sqlite":
        return
    connection = db.session.connection()
    if not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
