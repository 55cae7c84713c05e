"""the calls outside their authorization found by a partial index (#30): the calls page's newest flagged calls

Revision ID: b6d0f4a8c2e5
Revises: a5c9e3f7b1d4
Create Date: 2026-12-06 22:55:00

"""

import sqlalchemy as sa
from alembic import op


revision = "b6d0f4a8c2e5"
down_revision = "a5c9e3f7b1d4"
branch_labels = None
depends_on = None


def upgrade():
    # On PostgreSQL an index on the partitioned table is made on every partition, and on each one made later.
    op.create_index(
        "ix_data_call_flagged",
        "data_call",
        ["called_at"],
        postgresql_where=sa.text("flag IS NOT NULL"),
        sqlite_where=sa.text("flag IS NOT NULL"),
    )


def downgrade():
    op.drop_index("ix_data_call_flagged", table_name="data_call")
