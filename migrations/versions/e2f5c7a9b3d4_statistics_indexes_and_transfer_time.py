"""§26 statistics read by index (#30): lines by decision time and by the time the applicant was told,
applications by submission time, monthly call sums by department; each line's latest 转办 time kept (backfilled
from its transfers)

Revision ID: e2f5c7a9b3d4
Revises: d8e4b2a6c9f1
Create Date: 2026-12-06 19:30:00

"""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "e2f5c7a9b3d4"
down_revision = "d8e4b2a6c9f1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("application_line") as batch:
        batch.add_column(sa.Column("transferred_at", sa.DateTime(), nullable=True))
        batch.create_index("ix_application_line_transferred_at", ["transferred_at"])
        batch.create_index(
            "ix_application_line_decided", ["decided_at", "decision", "route", "provider_department_id"]
        )
        batch.create_index(
            "ix_application_line_told",
            [
                "applicant_told_at",
                "route",
                "told_calendar",
                "told_days",
                "told_on_time",
                "application_id",
                "decided_at",
            ],
        )
    with op.batch_alter_table("share_application") as batch:
        batch.create_index(
            "ix_share_application_submitted", ["submitted_at", "status", "applicant_department_id"]
        )
    with op.batch_alter_table("data_call_month") as batch:
        batch.create_index("ix_data_call_month_caller", ["caller_department_id", "month"])
        batch.create_index("ix_data_call_month_provider", ["provider_department_id", "month"])
    bind = op.get_bind()
    lines = sa.table("application_line", sa.column("id"), sa.column("transfers"), sa.column("transferred_at"))
    rows = bind.execute(
        sa.select(lines.c.id, sa.cast(lines.c.transfers, sa.Text)).where(
            lines.c.transfers.is_not(None), sa.cast(lines.c.transfers, sa.Text).not_in(["null", "[]"])
        )
    ).all()
    for line_id, text in rows:
        moments = [datetime.fromisoformat(entry["at"]) for entry in json.loads(text) or []]
        if moments:
            latest = max(moments).astimezone(UTC).replace(tzinfo=None)
            bind.execute(sa.update(lines).where(lines.c.id == line_id).values(transferred_at=latest))


def downgrade():
    with op.batch_alter_table("data_call_month") as batch:
        batch.drop_index("ix_data_call_month_provider")
        batch.drop_index("ix_data_call_month_caller")
    with op.batch_alter_table("share_application") as batch:
        batch.drop_index("ix_share_application_submitted")
    with op.batch_alter_table("application_line") as batch:
        batch.drop_index("ix_application_line_told")
        batch.drop_index("ix_application_line_decided")
        batch.drop_index("ix_application_line_transferred_at")
        batch.drop_column("transferred_at")
