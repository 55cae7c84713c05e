"""委托: a user's deputy for a period (#15)

Revision ID: d3e7a9c5b2f1
Revises: c1d5f8a3b6e9
Create Date: 2026-12-03 11:30:00

"""

import sqlalchemy as sa
from alembic import op


revision = "d3e7a9c5b2f1"
down_revision = "c1d5f8a3b6e9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "delegation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("principal_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["principal_id"], ["user_account.id"], name="fk_delegation_principal_id_user_account",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["deputy_id"], ["user_account.id"], name="fk_delegation_deputy_id_user_account",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_delegation"),
    )
    op.create_index("ix_delegation_principal_id", "delegation", ["principal_id"])
    op.create_index("ix_delegation_deputy_id", "delegation", ["deputy_id"])


def downgrade():
    op.drop_table("delegation")
