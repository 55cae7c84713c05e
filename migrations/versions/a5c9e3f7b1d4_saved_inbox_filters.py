"""saved inbox filters: a clerk's named filters of the task list (#31)

Revision ID: a5c9e3f7b1d4
Revises: f4c8e2a6b9d1
Create Date: 2026-12-06 22:20:00

"""

import sqlalchemy as sa
from alembic import op


revision = "a5c9e3f7b1d4"
down_revision = "f4c8e2a6b9d1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "saved_filter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name="fk_saved_filter_user_id_user_account", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_saved_filter"),
        sa.UniqueConstraint("user_id", "name", name="uq_saved_filter_user_id_name"),
    )
    op.create_index("ix_saved_filter_user_id", "saved_filter", ["user_id"])


def downgrade():
    op.drop_table("saved_filter")
