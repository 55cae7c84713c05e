"""Human-readable sequential numbers: case numbers (SQ-2026-000001) and catalog codes (101/000001).

Each prefix has a counter row, advanced by one atomic UPDATE … RETURNING: concurrent submissions wait for
each other's row (PostgreSQL row lock, SQLite's write lock) instead of reading the same maximum and
clashing on a unique number at commit. The lock is held until the use case commits, so numbers have no
gaps from rolled-back submissions either.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model, db


class SequenceCounter(Model):
    """The last number given out under one prefix."""

    __tablename__ = "sequence_counter"

    prefix: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


_INSERTS: dict[str, Any] = {
    "postgresql": pg_insert,
    "sqlite": sqlite_insert,
}  # both have on_conflict_do_nothing


def next_in_sequence(column, prefix: str, width: int = 6) -> str:
    """`prefix` followed by the next number of `width` digits under that prefix.

    A prefix seen for the first time starts after the highest number already in `column` (data that came
    before the counter); fixed-width numbers sort like their values, so that is one indexed MAX.
    """
    advance = (
        update(SequenceCounter)
        .where(SequenceCounter.prefix == prefix)
        .values(value=SequenceCounter.value + 1)
        .returning(SequenceCounter.value)
    )
    number = db.session.execute(advance).scalar()
    if number is None:
        highest = db.session.scalar(select(func.max(column)).where(column.like(f"{prefix}%")))
        start = int(highest[len(prefix) :]) if highest else 0
        insert = _INSERTS[db.engine.dialect.name](SequenceCounter).values(prefix=prefix, value=start)
        db.session.execute(insert.on_conflict_do_nothing(index_elements=["prefix"]))
        number = db.session.execute(advance).scalar()
    return f"{prefix}{number:0{width}d}"
