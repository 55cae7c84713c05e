"""weighted §28 assessment (#34): indicators' weights and targets per year, and the published scores

Revision ID: f5c1e7a3b9d6
Revises: e9b3d7f1c5a2
Create Date: 2026-12-07 05:00:00

"""

import sqlalchemy as sa
from alembic import op


revision = "f5c1e7a3b9d6"
down_revision = "e9b3d7f1c5a2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "assessment_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("published", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["set_by_id"], ["user_account.id"], name="fk_assessment_plan_set_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_assessment_plan"),
        sa.UniqueConstraint("year", name="uq_assessment_plan_year"),
    )


def downgrade():
    op.drop_table("assessment_plan")
