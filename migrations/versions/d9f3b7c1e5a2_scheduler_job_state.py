"""scheduled jobs' last runs (#32): the 定时任务 page and the metrics

Revision ID: d9f3b7c1e5a2
Revises: c7e1a5b9d3f2
Create Date: 2026-12-07 01:00:00

"""

import sqlalchemy as sa
from alembic import op




revision = "d9f3b7c1e5a2"
down_revision = "c7e1a5b9d3f2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scheduler_job",
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("last_started_at", sa.DateTime(), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(), nullable=True),
        sa.Column("last_duration_ms", sa.Integer(), nullable=True),
        sa.Column("last_result", sa.String(length=16), nullable=True),
        sa.Column("last_error", sa.String(length=2000), nullable=True),
        sa.Column("last_error_at", sa.DateTime(), nullable=True),
        sa.Column("last_host", sa.String(length=128), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name="pk_scheduler_job"),
    )


def downgrade():
    op.drop_table("scheduler_job")
