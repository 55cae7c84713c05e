"""Human-readable sequential numbers: case numbers (SQ-2026-000001) and catalog codes (101/000001)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db


def next_in_sequence(column, prefix: str, width: int = 6) -> str:
    """`prefix` followed by the next number of `width` digits after the highest one already in `column`.

    Fixed-width numbers sort like their values, so the highest is one indexed MAX, not a scan of the year.
    """
    highest = db.session.scalar(select(func.max(column)).where(column.like(f"{prefix}%")))
    number = int(highest[len(prefix) :]) + 1 if highest else 1
    return f"{prefix}{number:0{width}d}"
