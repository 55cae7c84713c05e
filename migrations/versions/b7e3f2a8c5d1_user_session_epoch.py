"""user session epoch: signing out ends every copy of the session cookie

Revision ID: b7e3f2a8c5d1
Revises: a4d2c7e9b1f0
Create Date: 2026-12-03 06:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b7e3f2a8c5d1"
down_revision = "a4d2c7e9b1f0"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.drop_column("session_epoch")
