"""转办: a line's transfers to the department that really holds the resource (#15)

Revision ID: a8b3d6e1f4c7
Revises: f7a2c5d9e3b4
Create Date: 2026-12-03 10:00:00

"""

import sqlalchemy as sa
from alembic import op


revision = "a8b3d6e1f4c7"
down_revision = "f7a2c5d9e3b4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("application_line") as batch:
        batch.add_column(sa.Column("transfers", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("application_line") as batch:
        batch.drop_column("transfers")
