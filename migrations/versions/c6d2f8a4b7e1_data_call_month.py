"""data calls rolled up by month (#30): the §26 call figures of closed months without reading every call

Revision ID: c6d2f8a4b7e1
Revises: b4c8e1f5a9d3
Create Date: 2026-12-06 17:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c6d2f8a4b7e1"
down_revision = "b4c8e1f5a9d3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "data_call_month",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("authorization_id", sa.Integer(), nullable=True),
        sa.Column("service_name", sa.String(length=200), nullable=True),
        sa.Column("resource_code", sa.String(length=64), nullable=False),
        sa.Column("caller_department_id", sa.Integer(), nullable=True),
        sa.Column("provider_department_id", sa.Integer(), nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
    )
    op.create_index("ix_data_call_month_month", "data_call_month", ["month"])
    op.create_table(
        "data_call_rollup",
        sa.Column("month", sa.Date(), primary_key=True),
        sa.Column("rolled_at", sa.DateTime(), nullable=False),
        sa.Column("stale", sa.Boolean(), nullable=False),
    )


def downgrade():
    op.drop_table("data_call_rollup")
    op.drop_table("data_call_month")
