"""dated rule changes (#34): a process version's 施行日期 — cases started on or after it get the version

Revision ID: b5d9f3c7e1a6
Revises: a4c8e2b6d0f3
Create Date: 2026-12-07 03:00:00

"""

import sqlalchemy as sa
from alembic import op


revision = "b5d9f3c7e1a6"
down_revision = "a4c8e2b6d0f3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("process_version") as batch:
        batch.add_column(sa.Column("effective_on", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("process_version") as batch:
        batch.drop_column("effective_on")
