"""data calls partitioned by month on PostgreSQL (#30), the call-id unique index holding called_at

Revision ID: d8e4b2a6c9f1
Revises: c6d2f8a4b7e1
Create Date: 2026-12-06 19:00:00

On PostgreSQL `data_call` becomes a range-partitioned table on called_at: one partition per month in Beijing
time (data_call_pYYYYMM, from the month of the oldest call to three months ahead) and a default partition; the
rows are copied over, then the primary key (id, called_at), the indexes and the foreign keys are built on the
new table. data_call_rollup notes which months' raw calls are gone (expired). The calls-rollup job keeps
months ahead and applies the retention setting (app/supervision/partitions.py). SQLite keeps one table; both get the unique index with called_at.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "d8e4b2a6c9f1"
down_revision = "c6d2f8a4b7e1"
branch_labels = None
depends_on = None

SHANGHAI = ZoneInfo("Asia/Shanghai")
INDEXED = [
    "authorization_id",
    "called_at",
    "caller_department_id",
    "flag",
    "provider_department_id",
    "resource_code",
]


def _month_after(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _bound(month: date) -> str:
    return datetime.combine(month, time(0), tzinfo=SHANGHAI).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _indexes_and_keys(unique_columns: str) -> None:
    for column in INDEXED:
        op.execute(f"CREATE INDEX ix_data_call_{column} ON data_call ({column})")
    op.execute(
        f"CREATE UNIQUE INDEX uq_data_call_caller_call_id ON data_call ({unique_columns}) WHERE call_id IS NOT NULL"
    )
    for column in ("caller_department_id", "provider_department_id"):
        op.execute(
            f"ALTER TABLE data_call ADD CONSTRAINT fk_data_call_{column}_department "
            f"FOREIGN KEY ({column}) REFERENCES department (id)"
        )


def _sqlite_unique_index(columns: list[str]) -> None:
    with op.batch_alter_table("data_call") as batch:
        batch.drop_index("uq_data_call_caller_call_id")
        batch.create_index(
            "uq_data_call_caller_call_id", columns, unique=True, sqlite_where=sa.text("call_id IS NOT NULL")
        )


def _rebuild(
    set_aside: str, partition_by: str, make_partitions, primary_key: str, unique_columns: str
) -> None:
    """PostgreSQL: data_call made anew (`partition_by` appended to its CREATE TABLE). The old table is set aside
    as data_call_<set_aside> (its key renamed and its indexes dropped, so their names are free), the id sequence
    is handed over, `make_partitions(old table name)` runs, the rows are copied and the old table dropped; then
    the key, the indexes and the foreign keys are built on the new one."""
    bind = op.get_bind()
    sequence = bind.scalar(sa.text("SELECT pg_get_serial_sequence('data_call', 'id')"))
    old = f"data_call_{set_aside}"
    op.execute(f"ALTER TABLE data_call RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_data_call TO pk_{old}")
    for column in INDEXED:
        op.execute(f"DROP INDEX ix_data_call_{column}")
    op.execute("DROP INDEX uq_data_call_caller_call_id")
    op.execute(f"CREATE TABLE data_call (LIKE {old} INCLUDING DEFAULTS){partition_by}")
    op.execute(f"ALTER SEQUENCE {sequence} OWNED BY data_call.id")
    make_partitions(old)
    op.execute(f"INSERT INTO data_call SELECT * FROM {old}")
    op.execute(f"DROP TABLE {old}")  # a partitioned one with its partitions
    op.execute(f"ALTER TABLE data_call ADD CONSTRAINT pk_data_call PRIMARY KEY ({primary_key})")
    _indexes_and_keys(unique_columns)


def _monthly_partitions(old: str) -> None:
    """The default partition and one per Beijing-time month, from the oldest call's to three months ahead."""
    oldest = op.get_bind().scalar(sa.text(f"SELECT min(called_at) FROM {old}"))
    op.execute("CREATE TABLE data_call_default PARTITION OF data_call DEFAULT")
    this_month = datetime.now(SHANGHAI).date().replace(day=1)
    month = (oldest.replace(tzinfo=UTC).astimezone(SHANGHAI).date().replace(day=1)) if oldest else this_month
    last = this_month
    for _ in range(3):
        last = _month_after(last)
    while month <= last:
        following = _month_after(month)
        op.execute(
            f"CREATE TABLE data_call_p{month.year:04d}{month.month:02d} PARTITION OF data_call "
            f"FOR VALUES FROM ('{_bound(month)}') TO ('{_bound(following)}')"
        )
        month = following


def upgrade():
    with op.batch_alter_table("data_call_rollup") as batch:
        batch.add_column(sa.Column("expired", sa.Boolean(), nullable=False, server_default=sa.false()))
    if op.get_bind().dialect.name != "postgresql":
        _sqlite_unique_index(["caller_uscc", "call_id", "called_at"])
        return
    _rebuild(
        "unpartitioned",
        " PARTITION BY RANGE (called_at)",
        _monthly_partitions,
        "id, called_at",
        "caller_uscc, call_id, called_at",
    )
    op.execute("ANALYZE data_call")


def downgrade():
    with op.batch_alter_table("data_call_rollup") as batch:
        batch.drop_column("expired")
    if op.get_bind().dialect.name != "postgresql":
        _sqlite_unique_index(["caller_uscc", "call_id"])
        return
    _rebuild("partitioned", "", lambda _old: None, "id", "caller_uscc, call_id")
