"""freshness watch (#17): a data service's last update; quality issues opened by the watch

Revision ID: f9a4c6e8b1d2
Revises: e8f2b4d6a9c3
Create Date: 2026-12-03 12:30:00

"""

import sqlalchemy as sa
from alembic import op


revision = "f9a4c6e8b1d2"
down_revision = "e8f2b4d6a9c3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("data_service") as batch:
        batch.add_column(sa.Column("last_updated_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("quality_issue") as batch:
        batch.alter_column("raised_by_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("source", sa.String(length=16), server_default="manual", nullable=False))


def downgrade():
    with op.batch_alter_table("quality_issue") as batch:
        batch.drop_column("source")
        batch.alter_column("raised_by_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("data_service") as batch:
        batch.drop_column("last_updated_at")
