"""Column types shared by all models."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC: the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use app.clock")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def json_text(value) -> str:
    """How JSON columns are written: compact, with Chinese as UTF-8 instead of \\u escapes (a Chinese
    character takes 3 bytes instead of 6; the values read back are the same)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


ROW_ID_MAX = 2**31 - 1  # an INTEGER id column on SQLite and PostgreSQL


PAGE_MAX = 100_000  # beyond any list a person pages through; keeps OFFSET inside the integer range


def page_number(value: str | None) -> int:
    """The page asked for in a query string: 1 when missing or not a number, at most PAGE_MAX."""
    raw = (value or "").strip()
    if not raw.isdigit() or len(raw) > 6:
        return 1
    return min(max(1, int(raw)), PAGE_MAX)


def page_window(current: int, last: int) -> list[int | None]:
    """Page numbers to link: the first, the last and two either side of the current; None marks a gap (a list
    of thousands of pages links a handful, not every one)."""
    shown = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


def row_id(value: object) -> int | None:
    """A row id from a form or query value ("42", 42), or None when it cannot be one (empty, not a number,
    or beyond the column's range, which the database would refuse with an error rather than find nothing)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit() or len(value) > 10:
            return None
        value = int(value)
    if isinstance(value, int) and 1 <= value <= ROW_ID_MAX:
        return value
    return None


def render_item(type_: str, obj, autogen_context):
    """Alembic autogenerate: write UTCDateTime as a plain DateTime so migrations do not import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


# The partitions of data_call on PostgreSQL (app/supervision/partitions.py): tables the database makes by month,
# not models of their own.
DATA_CALL_PARTITION = re.compile(r"^data_call_(p\d{6}|default)$")


def include_name(name: str | None, type_: str, parent_names) -> bool:
    """Alembic autogenerate and the schema check: leave data_call's partitions out of the comparison."""
    return not (type_ == "table" and name is not None and DATA_CALL_PARTITION.match(name))
