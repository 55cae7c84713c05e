"""常用意见: a clerk's common opinions (#15)

Revision ID: c1d5f8a3b6e9
Revises: b9c4e7f2a5d8
Create Date: 2026-12-03 11:00:00

"""

import sqlalchemy as sa
from alembic import op


revision = "c1d5f8a3b6e9"
down_revision = "b9c4e7f2a5d8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "opinion_phrase",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name="fk_opinion_phrase_user_id_user_account",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_opinion_phrase"),
    )
    op.create_index("ix_opinion_phrase_user_id", "opinion_phrase", ["user_id"])


def downgrade():
    op.drop_table("opinion_phrase")
