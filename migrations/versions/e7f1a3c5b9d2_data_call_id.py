"""a data call's id from its reporter (#28): a retried batch stores each call once

Revision ID: e7f1a3c5b9d2
Revises: d5e9f3b7a2c6
Create Date: 2026-12-06 18:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e7f1a3c5b9d2"
down_revision = "d5e9f3b7a2c6"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("data_call", sa.Column("call_id", sa.String(length=64), nullable=True))
    op.create_index("uq_data_call_caller_call_id", "data_call", ["caller_uscc", "call_id"], unique=True,
                    sqlite_where=sa.text("call_id IS NOT NULL"), postgresql_where=sa.text("call_id IS NOT NULL"))  # fmt: skip


def downgrade():
    op.drop_index("uq_data_call_caller_call_id", table_name="data_call")
    with op.batch_alter_table("data_call") as batch:
        batch.drop_column("call_id")
