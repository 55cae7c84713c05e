"""sequence counters for case numbers and catalog codes

Revision ID: a4d2c7e9b1f0
Revises: f3b8a1c9d2e4
Create Date: 2026-12-03 06:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a4d2c7e9b1f0"
down_revision = "f3b8a1c9d2e4"
branch_labels = None
depends_on = None


def upgrade():
    # Counters start empty: each prefix begins after the highest number already stored (app/numbering.py).
    op.create_table(
        "sequence_counter",
        sa.Column("prefix", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_sequence_counter")),
    )


def downgrade():
    op.drop_table("sequence_counter")
