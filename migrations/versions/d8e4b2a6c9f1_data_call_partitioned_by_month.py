"""data calls partitioned by month on PostgreSQL (#30), the call-id unique index holding called_at

Revision ID: d8e4b2a6c9f1
Revises: c6d2f8a4b7e1
Create Date: 2026-12-06 19:00:00

On PostgreSQL `data_call` becomes a range-partitioned table on called_at: one partition per month in Beijing
time (data_call_pYYYYMM, from the month of the oldest call to three months ahead) and a default partition; the
rows are copied over, then the primary key (id, called_at), the indexes and the foreign keys are built on the
new table. data_call_rollup notes which months' raw calls are gone (expired). The calls-rollup job keeps months ahead and applies the retention setting
(app/supervision/partitions.py). SQLite keeps one table; both get the unique index with called_at.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "d8e4b2a6c9f1"
down_revision = "c6d2f8a4b7e1"
branch_labels = None
depends_on = None

SHANGHAI = ZoneInfo("Asia/Shanghai")
INDEXED = ["authorization_id", "called_at", "caller_department_id", "flag", "provider_department_id", "resource_code"]


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


def upgrade():
    with op.batch_alter_table("data_call_rollup") as batch:
        batch.add_column(sa.Column("expired", sa.Boolean(), nullable=False, server_default=sa.false()))
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        with op.batch_alter_table("data_call") as batch:
            batch.drop_index("uq_data_call_caller_call_id")
            batch.create_index(
                "uq_data_call_caller_call_id",
                ["caller_uscc", "call_id", "called_at"],
                unique=True,
                sqlite_where=sa.text("call_id IS NOT NULL"),
            )
        return
    sequence = bind.scalar(sa.text("SELECT pg_get_serial_sequence('data_call', 'id')"))
    oldest = bind.scalar(sa.text("SELECT min(called_at) FROM data_call"))
    op.execute("ALTER TABLE data_call RENAME TO data_call_unpartitioned")
    op.execute("ALTER TABLE data_call_unpartitioned RENAME CONSTRAINT pk_data_call TO pk_data_call_unpartitioned")
    for column in INDEXED:
        op.execute(f"DROP INDEX ix_data_call_{column}")
    op.execute("DROP INDEX uq_data_call_caller_call_id")
    op.execute(
        "CREATE TABLE data_call (LIKE data_call_unpartitioned INCLUDING DEFAULTS) PARTITION BY RANGE (called_at)"
    )
    op.execute(f"ALTER SEQUENCE {sequence} OWNED BY data_call.id")
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
    op.execute("INSERT INTO data_call SELECT * FROM data_call_unpartitioned")
    op.execute("DROP TABLE data_call_unpartitioned")
    op.execute("ALTER TABLE data_call ADD CONSTRAINT pk_data_call PRIMARY KEY (id, called_at)")
    _indexes_and_keys("caller_uscc, call_id, called_at")
    op.execute("ANALYZE data_call")


def downgrade():
    with op.batch_alter_table("data_call_rollup") as batch:
        batch.drop_column("expired")
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        with op.batch_alter_table("data_call") as batch:
            batch.drop_index("uq_data_call_caller_call_id")
            batch.create_index(
                "uq_data_call_caller_call_id",
                ["caller_uscc", "call_id"],
                unique=True,
                sqlite_where=sa.text("call_id IS NOT NULL"),
            )
        return
    sequence = bind.scalar(sa.text("SELECT pg_get_serial_sequence('data_call', 'id')"))
    op.execute("ALTER TABLE data_call RENAME TO data_call_partitioned")
    op.execute("ALTER TABLE data_call_partitioned RENAME CONSTRAINT pk_data_call TO pk_data_call_partitioned")
    for column in INDEXED:
        op.execute(f"DROP INDEX ix_data_call_{column}")
    op.execute("DROP INDEX uq_data_call_caller_call_id")
    op.execute("CREATE TABLE data_call (LIKE data_call_partitioned INCLUDING DEFAULTS)")
    op.execute(f"ALTER SEQUENCE {sequence} OWNED BY data_call.id")
    op.execute("INSERT INTO data_call SELECT * FROM data_call_partitioned")
    op.execute("DROP TABLE data_call_partitioned")  # its partitions with it
    op.execute("ALTER TABLE data_call ADD CONSTRAINT pk_data_call PRIMARY KEY (id)")
    _indexes_and_keys("caller_uscc, call_id")
