"""§26 figures from aggregates (#30): each completed step keeps its working days, whether it was on time and
the calendar version they were counted on; a told line the same for §20's notification

Revision ID: b4c8e1f5a9d3
Revises: a3b7d9f1c5e2
Create Date: 2026-12-06 16:40:00

Rows completed before this revision have none: the statistics count them as before until the scheduler's
`step-days` job (or `govshare supervision step-days`) has stored them.
"""

import sqlalchemy as sa
from alembic import op

revision = "b4c8e1f5a9d3"
down_revision = "a3b7d9f1c5e2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("human_task") as batch:
        batch.add_column(sa.Column("days_taken", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("on_time", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("days_calendar", sa.Integer(), nullable=True))
    op.create_index(
        "ix_human_task_finished",
        "human_task",
        [
            "status",
            "completed_at",
            "spec_name",
            "candidate_department_id",
            "days_calendar",
            "days_taken",
            "on_time",
            "deadline_days",
        ],
    )
    with op.batch_alter_table("application_line") as batch:
        batch.add_column(sa.Column("told_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("told_on_time", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("told_calendar", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("application_line") as batch:
        batch.drop_column("told_calendar")
        batch.drop_column("told_on_time")
        batch.drop_column("told_days")
    op.drop_index("ix_human_task_finished", table_name="human_task")
    with op.batch_alter_table("human_task") as batch:
        batch.drop_column("days_calendar")
        batch.drop_column("on_time")
        batch.drop_column("days_taken")
