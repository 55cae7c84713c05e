"""national platform outbox (#29): a line forwarded to the 国家共享平台 is kept and called by the scheduler

Revision ID: f2a6c8e4b1d7
Revises: e7f1a3c5b9d2
Create Date: 2026-12-06 16:00:00

"""

import sqlalchemy as sa
from alembic import op


revision = "f2a6c8e4b1d7"
down_revision = "e7f1a3c5b9d2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "national_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("process_instance.id"), nullable=False),
        sa.Column("business_key", sa.String(length=64), nullable=False),
        sa.Column("line_id", sa.Integer(), sa.ForeignKey("application_line.id"), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("settled_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_national_request_instance_id", "national_request", ["instance_id"])
    op.create_index("ix_national_request_business_key", "national_request", ["business_key"])
    op.create_index("ix_national_request_due", "national_request", ["status", "next_attempt_at"])


def downgrade():
    op.drop_table("national_request")
