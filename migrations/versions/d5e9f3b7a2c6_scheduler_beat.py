"""scheduler heartbeat (#28): /readyz knows whether a scheduler is running

Revision ID: d5e9f3b7a2c6
Revises: c4d8e2a6f1b3
Create Date: 2026-12-06 17:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d5e9f3b7a2c6"
down_revision = "c4d8e2a6f1b3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scheduler_beat",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("beat_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_beat")),
    )


def downgrade():
    op.drop_table("scheduler_beat")
