"""opinions with attachments (#31): a file can belong to one step of a case (attachment.owner_key: the task id,
owner_id: its instance)

Revision ID: c7e1a5b9d3f2
Revises: b6d0f4a8c2e5
Create Date: 2026-12-07 00:30:00

"""

import sqlalchemy as sa
from alembic import op


revision = "c7e1a5b9d3f2"
down_revision = "b6d0f4a8c2e5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attachment") as batch:
        batch.add_column(sa.Column("owner_key", sa.String(length=36), nullable=True))


def downgrade():
    with op.batch_alter_table("attachment") as batch:
        batch.drop_column("owner_key")
