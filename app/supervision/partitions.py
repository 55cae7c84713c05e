"""Where data calls are kept (#30): on PostgreSQL `data_call` is partitioned by month (declarative range
partitioning on `called_at`, one table per month in Beijing time, `data_call_p202612`, and a default partition
for calls outside every month made so far); SQLite keeps one table. The nightly calls-rollup job makes the
coming months' partitions ahead of time and applies the retention setting (DATA_CALL_RETENTION_MONTHS):
raw calls of a month older than that are dropped — a whole partition on PostgreSQL, rows on SQLite — only
once the month is rolled up and fresh, so the §26 figures of every month stay exact (data_call_month).
README (Configuration) explains the setting."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date

from sqlalchemy import delete, select, text

from app.calendar.deadlines import start_of_day
from app.extensions import db
from app.supervision.calls import add_months, current_month, rollup_months
from app.supervision.models import DataCall, DataCallRollup

DEFAULT_PARTITION = "data_call_default"
_MONTHLY = re.compile(r"^data_call_p(\d{4})(\d{2})$")  # one of db_types.DATA_CALL_PARTITION


def partition_name(month: date) -> str:
    return f"data_call_p{month.year:04d}{month.month:02d}"


def _bound(month: date) -> str:
    """The UTC moment (as stored) at which a Beijing-time month begins, as a partition bound literal."""
    return start_of_day(month).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def partitioned() -> bool:
    return (
        db.session.get_bind().dialect.name == "postgresql"
        and db.session.scalar(
            text(
                "SELECT count(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
                "WHERE c.relname = 'data_call' AND c.relnamespace = current_schema()::regnamespace"
            )
        )
        == 1
    )


def monthly_partitions() -> list[date]:
    """The months that have a partition of their own, oldest first (none on SQLite)."""
    if not partitioned():
        return []
    names = db.session.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'data_call' "
            "AND p.relnamespace = current_schema()::regnamespace"
        )
    )
    months = []
    for name in names:
        match = _MONTHLY.match(name)
        if match:
            months.append(date(int(match.group(1)), int(match.group(2)), 1))
    return sorted(months)


def make_partitions(ahead: int = 3) -> list[date]:
    """Partitions for this month and the `ahead` months after it that have none, and for every earlier month
    whose calls sit in the default partition — calls loaded or reported for a month made no partition for
    (a history imported at once, a partition dropped by hand) — unless that month has expired (its rollup is
    all that is kept: expire_calls removes them). PostgreSQL; nothing on SQLite. A month's calls already in the
    default partition move into its new one in the same transaction. The months made."""
    if not partitioned():
        return []
    have = set(monthly_partitions())
    this_month = current_month()
    coming = {add_months(this_month, n) for n in range(ahead + 1)}
    expired = set(db.session.scalars(select(DataCallRollup.month).where(DataCallRollup.expired)))
    made = []
    for month in sorted((coming | (set(_months_in_default()) - expired)) - have):
        name, begin, end = partition_name(month), _bound(month), _bound(add_months(month, 1))
        db.session.execute(text(f'CREATE TABLE "{name}" (LIKE data_call INCLUDING DEFAULTS)'))
        db.session.execute(
            text(
                f'WITH moved AS (DELETE FROM "{DEFAULT_PARTITION}" WHERE called_at >= :begin AND '
                f'called_at < :end RETURNING *) INSERT INTO "{name}" SELECT * FROM moved'
            ),
            {"begin": begin, "end": end},
        )
        db.session.execute(
            text(
                f"ALTER TABLE data_call ATTACH PARTITION \"{name}\" FOR VALUES FROM ('{begin}') TO ('{end}')"
            )
        )
        made.append(month)
    return made


def _months_in_default() -> list[date]:
    """The Beijing-time months of the calls in the default partition (called_at is stored in UTC)."""
    return list(
        db.session.scalars(
            text(
                "SELECT DISTINCT date_trunc('month', (called_at AT TIME ZONE 'UTC') AT TIME ZONE "
                f"'Asia/Shanghai')::date FROM \"{DEFAULT_PARTITION}\""
            )
        )
    )


def expire_calls(retention_months: int) -> list[date]:
    """Drop the raw calls of months older than `retention_months` before this month, when each such month is
    rolled up and fresh (0: keep every call), and mark those months expired (data_call_rollup): a call reported
    late for one is added to its rollup by the next run. A month still missing its rollup is kept until the
    rollup is made. The months whose calls were dropped."""
    if retention_months <= 0:
        return []
    cutoff = add_months(current_month(), -retention_months)
    rollups = {
        r.month: r
        for r in db.session.scalars(
            select(DataCallRollup).where(DataCallRollup.month < cutoff, DataCallRollup.stale.is_(False))
        )
    }
    fresh = set(rollups)
    dropped: set[date] = set()
    on_postgresql = partitioned()
    if on_postgresql:
        for month in monthly_partitions():
            if month < cutoff and month in fresh:
                db.session.execute(text(f'DROP TABLE "{partition_name(month)}"'))
                dropped.add(month)
    # SQLite: the calls themselves; PostgreSQL: those reported for a month that has no partition (default)
    for month in sorted(fresh - dropped):
        begin, end = start_of_day(month), start_of_day(add_months(month, 1))
        if on_postgresql:
            removed = db.session.execute(
                text(f'DELETE FROM "{DEFAULT_PARTITION}" WHERE called_at >= :begin AND called_at < :end'),
                {"begin": _bound(month), "end": _bound(add_months(month, 1))},
            )
        else:
            removed = db.session.execute(
                delete(DataCall).where(DataCall.called_at >= begin, DataCall.called_at < end)
            )
        if removed.rowcount:  # type: ignore[attr-defined]
            dropped.add(month)
    for month in fresh:
        rollups[month].expired = True  # its rollup is all there is now
    db.session.flush()
    return sorted(dropped)


@dataclass
class CallsUpkeep:
    """What one run of the nightly upkeep of data calls did."""

    rolled_up: list[date]
    partitions_made: list[date]
    expired: list[date]


def keep_calls(retention_months: int, ahead: int = 3) -> CallsUpkeep:
    """The calls-rollup job (and `govshare supervision calls-upkeep`): closed months rolled up, the coming
    months' partitions made, raw calls past the retention dropped (only months rolled up and fresh)."""
    rolled = rollup_months()
    made = make_partitions(ahead)
    expired = expire_calls(retention_months)
    return CallsUpkeep(rolled, made, expired)
